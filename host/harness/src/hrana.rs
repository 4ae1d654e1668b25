//! A stand-in libSQL server for tests, written from the Hrana 3 spec
//! (libSQL's `docs/HRANA_3_SPEC.md`, "Hrana over HTTP", JSON encoding):
//! `GET /v3` and `POST /v3/pipeline` over one SQLite file, with batons tying
//! requests to streams (one SQLite connection each) and bearer-token checks.
//! No `sqld` can be installed from the registries this project uses, so
//! spin-local's libSQL client is tested against this server; it records
//! every pipeline body it receives so tests can check the wire format.
//!
//! Implemented requests: `execute`, `sequence`, `get_autocommit`, `close`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

pub struct HranaServer {
    pub port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    token: String,
    streams: Mutex<HashMap<String, rusqlite::Connection>>,
    next_baton: Mutex<u64>,
    received: Mutex<Vec<Json>>,
}

impl HranaServer {
    /// Serves the SQLite file `path` on a free loopback port until the
    /// process ends; requests must carry `Authorization: Bearer <token>`.
    pub fn start(path: &Path, token: &str) -> HranaServer {
        let db = rusqlite::Connection::open(path).expect("open the server's database");
        db.pragma_update(None, "journal_mode", "WAL").expect("WAL");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            token: token.to_string(),
            streams: Mutex::new(HashMap::new()),
            next_baton: Mutex::new(0),
            received: Mutex::new(Vec::new()),
        });
        let serving = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let shared = serving.clone();
                std::thread::spawn(move || shared.serve(conn));
            }
        });
        HranaServer { port, shared }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every pipeline body received so far, in order.
    pub fn received(&self) -> Vec<Json> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Streams the server keeps open (a client should leave none behind).
    pub fn open_streams(&self) -> usize {
        self.shared.streams.lock().unwrap().len()
    }
}

impl Shared {
    /// One HTTP/1.1 connection, kept alive until the client closes it.
    fn serve(&self, conn: TcpStream) {
        let mut reader = BufReader::new(conn.try_clone().expect("clone the socket"));
        let mut writer = conn;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let (mut length, mut auth) = (0usize, String::new());
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 {
                    return;
                }
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        "authorization" => auth = value.trim().to_string(),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let (status, answer) = self.answer(method, path, &auth, &body);
            let text = answer.to_string();
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                text.len()
            );
            if writer.write_all(head.as_bytes()).is_err()
                || writer.write_all(text.as_bytes()).is_err()
            {
                return;
            }
        }
    }

    fn answer(&self, method: &str, path: &str, auth: &str, body: &[u8]) -> (&'static str, Json) {
        if auth != format!("Bearer {}", self.token) {
            return ("401 Unauthorized", json!({"message": "Unauthorized"}));
        }
        match (method, path) {
            ("GET", "/v3") => ("200 OK", json!({})),
            ("POST", "/v3/pipeline") => match serde_json::from_slice::<Json>(body) {
                Ok(request) => {
                    self.received.lock().unwrap().push(request.clone());
                    self.pipeline(&request)
                }
                Err(e) => ("400 Bad Request", json!({"message": e.to_string()})),
            },
            _ => ("404 Not Found", json!({"message": "Not found"})),
        }
    }

    /// Runs a pipeline on the baton's stream, or on a new one.
    fn pipeline(&self, request: &Json) -> (&'static str, Json) {
        let conn = match request["baton"].as_str() {
            None => {
                let conn = rusqlite::Connection::open(&self.path).expect("open a stream");
                conn.busy_timeout(Duration::from_secs(5))
                    .expect("busy timeout");
                conn
            }
            Some(baton) => match self.streams.lock().unwrap().remove(baton) {
                Some(conn) => conn,
                None => return ("400 Bad Request", json!({"message": "Unknown baton"})),
            },
        };
        let mut open = Some(conn);
        let mut results = Vec::new();
        for r in request["requests"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(conn) = open.as_ref() else {
                results.push(error("The stream is closed"));
                continue;
            };
            let response = match r["type"].as_str() {
                Some("close") => Ok(json!({"type": "close"})),
                Some("execute") => execute(conn, &r["stmt"])
                    .map(|result| json!({"type": "execute", "result": result})),
                Some("sequence") => conn
                    .execute_batch(r["sql"].as_str().unwrap_or(""))
                    .map(|()| json!({"type": "sequence"}))
                    .map_err(|e| e.to_string()),
                Some("get_autocommit") => Ok(json!({
                    "type": "get_autocommit", "is_autocommit": conn.is_autocommit()})),
                _ => Err("Unknown request".to_string()),
            };
            if r["type"] == "close" {
                open = None;
            }
            results.push(match response {
                Ok(response) => json!({"type": "ok", "response": response}),
                Err(e) => error(&e),
            });
        }
        let baton = open.map(|conn| {
            let mut next = self.next_baton.lock().unwrap();
            *next += 1;
            let baton = format!("baton-{next}");
            self.streams.lock().unwrap().insert(baton.clone(), conn);
            baton
        });
        (
            "200 OK",
            json!({"baton": baton, "base_url": null, "results": results}),
        )
    }
}

fn error(message: &str) -> Json {
    json!({"type": "error", "error": {"message": message}})
}

fn execute(conn: &rusqlite::Connection, stmt: &Json) -> Result<Json, String> {
    let mut prepared = conn
        .prepare(stmt["sql"].as_str().unwrap_or(""))
        .map_err(|e| e.to_string())?;
    let args = stmt["args"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    let cols: Vec<Json> = prepared
        .columns()
        .map(|c| json!({"name": c.name(), "decltype": c.decl_type()}))
        .collect();
    let width = cols.len();
    let mut rows = Vec::new();
    let mut query = prepared
        .query(rusqlite::params_from_iter(args))
        .map_err(|e| e.to_string())?;
    while let Some(row) = query.next().map_err(|e| e.to_string())? {
        rows.push(
            (0..width)
                .map(|i| row.get::<_, Value>(i).map(|v| encode(&v)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(json!({
        "cols": cols,
        "rows": rows,
        "affected_row_count": conn.changes(),
        "last_insert_rowid": conn.last_insert_rowid().to_string(),
    }))
}

/// A SQLite value in the spec's JSON encoding (`Value`).
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Wire {
    Null,
    Integer { value: String },
    Float { value: f64 },
    Text { value: String },
    Blob { base64: String },
}

fn encode(value: &Value) -> Json {
    let wire = match value {
        Value::Null => Wire::Null,
        Value::Integer(i) => Wire::Integer {
            value: i.to_string(),
        },
        Value::Real(f) => Wire::Float { value: *f },
        Value::Text(t) => Wire::Text { value: t.clone() },
        Value::Blob(b) => Wire::Blob {
            base64: base64::engine::general_purpose::STANDARD.encode(b),
        },
    };
    serde_json::to_value(wire).expect("a value encodes")
}

fn decode(value: &Json) -> Result<Value, String> {
    let wire = Wire::deserialize(value).map_err(|e| format!("Bad value {value}: {e}"))?;
    Ok(match wire {
        Wire::Null => Value::Null,
        Wire::Integer { value } => {
            Value::Integer(value.parse().map_err(|e| format!("Bad integer: {e}"))?)
        }
        Wire::Float { value } => Value::Real(value),
        Wire::Text { value } => Value::Text(value),
        Wire::Blob { base64 } => Value::Blob(
            base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(|e| format!("Bad blob: {e}"))?,
        ),
    })
}
