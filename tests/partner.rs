//! A partner on a loopback port (the provisioning system and the
//! notification receiver), speaking just enough HTTP/1.1: it records every
//! call (path, Standard Webhooks headers, body) and answers 200, or 503 for
//! the failures a test asks for, to prove retries, or 410 for a refusal for
//! good, to prove a fallback, or nothing for a while
//! (a partner that hangs), to prove timeouts. Each connection has its thread.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// One call as the partner received it.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// What the partner answered (0: it hung).
    pub status: u16,
}

impl Call {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a partner call's body is JSON")
    }
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// Calls still to fail, by path.
    failures: HashMap<String, u32>,
    /// Calls still to hang, by path.
    hangs: HashMap<String, u32>,
    /// Calls still to refuse for good (410), by path.
    refusals: HashMap<String, u32>,
}

pub struct Partner {
    /// `http://127.0.0.1:<port>`, for the app's `*_origin` variables.
    pub origin: String,
    state: Arc<Mutex<State>>,
}

impl Partner {
    pub fn start() -> Partner {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Partner { origin, state }
    }

    /// The next `n` calls to `path` get a 503.
    pub fn fail_next(&self, path: &str, n: u32) {
        self.state
            .lock()
            .unwrap()
            .failures
            .insert(path.to_string(), n);
    }

    /// The next `n` calls to `path` get a 410: the message is refused for good.
    pub fn refuse_next(&self, path: &str, n: u32) {
        self.state
            .lock()
            .unwrap()
            .refusals
            .insert(path.to_string(), n);
    }

    /// The next `n` calls to `path` get no answer for a few seconds.
    pub fn hang_next(&self, path: &str, n: u32) {
        self.state.lock().unwrap().hangs.insert(path.to_string(), n);
    }

    /// The calls received at `path`, in order.
    pub fn calls(&self, path: &str) -> Vec<Call> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        read_chunked(&mut reader)
    } else {
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok().map(|_| body)
    };
    let Some(body) = body else {
        return;
    };
    let status = {
        let mut state = state.lock().unwrap();
        let take = |counts: &mut HashMap<String, u32>| match counts.get_mut(&path) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        let status = if take(&mut state.hangs) {
            0
        } else if take(&mut state.failures) {
            503
        } else if take(&mut state.refusals) {
            410
        } else {
            200
        };
        let header = |n: &str| headers.get(n).cloned().unwrap_or_default();
        state.calls.push(Call {
            path,
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: String::from_utf8_lossy(&body).into_owned(),
            status,
        });
        status
    };
    if status == 0 {
        std::thread::sleep(std::time::Duration::from_secs(5));
        return;
    }
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        if status == 200 {
            "OK"
        } else {
            "Service Unavailable"
        }
    );
}

/// A `transfer-encoding: chunked` body.
fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
