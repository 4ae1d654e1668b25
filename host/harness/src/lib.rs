//! Boots `spin-local` as a real process for tests: a temporary application
//! directory and state directory, an ephemeral port read from the start-up
//! banner, output captured for assertions, and a clean stop (SIGTERM) or kill.
//! Knows nothing about the application it runs.
#![forbid(unsafe_code)]

pub mod hrana;
pub mod redis;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The workspace's `target` directory.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// A wasm component built by `scripts/build-wasm.sh`.
pub fn wasm(crate_name: &str) -> PathBuf {
    let path = target_dir()
        .join("wasm32-wasip1/release")
        .join(format!("{}.wasm", crate_name.replace('-', "_")));
    assert!(
        path.is_file(),
        "{} is missing: build the components first (scripts/build-wasm.sh, or scripts/test.sh)",
        path.display()
    );
    path
}

/// The release host binary (`cargo build --release -p spin-local`), unless a test names another.
pub fn default_binary() -> PathBuf {
    let path = target_dir().join("release/spin-local");
    assert!(
        path.is_file(),
        "{} is missing: cargo build --release -p spin-local (scripts/test.sh does)",
        path.display()
    );
    path
}

/// An application (its manifest) and a temporary directory holding its state,
/// which outlives host restarts.
pub struct AppDir {
    dir: tempfile::TempDir,
    manifest: PathBuf,
    pub binary: PathBuf,
}

impl AppDir {
    /// Writes `spin.toml` into a fresh directory.
    pub fn new(binary: impl Into<PathBuf>, manifest: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("spin.toml");
        std::fs::write(&path, manifest).expect("write spin.toml");
        AppDir {
            dir,
            manifest: path,
            binary: binary.into(),
        }
    }

    /// Runs an existing manifest (e.g. the repository's `spin.toml`) with a temporary state directory.
    pub fn existing(binary: impl Into<PathBuf>, manifest: &Path) -> Self {
        AppDir {
            dir: tempfile::tempdir().expect("temporary directory"),
            manifest: manifest.to_path_buf(),
            binary: binary.into(),
        }
    }

    /// The temporary directory (the app directory for [`AppDir::new`]).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.path().join("state")
    }

    /// A `spin-local` command for this app with `--from` and `--state-dir` set.
    pub fn command(&self, subcommand: &[&str]) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.args(subcommand)
            .arg("--from")
            .arg(&self.manifest)
            .arg("--state-dir")
            .arg(self.state_dir());
        // One compilation cache for the whole suite, in the build's target
        // directory, unless the caller chose one.
        if std::env::var_os("SPIN_LOCAL_CACHE_DIR").is_none() {
            cmd.env(
                "SPIN_LOCAL_CACHE_DIR",
                target_dir().join("spin-local-cache"),
            );
        }
        cmd
    }

    /// Starts `up` on an ephemeral port and waits for its banner.
    pub fn up(&self, extra: &[&str], env: &[(&str, &str)]) -> Result<Host, String> {
        let mut cmd = self.command(&["up"]);
        cmd.args(["--listen", "127.0.0.1:0"]).args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Host::start(cmd)
    }
}

/// A running `spin-local up`.
pub struct Host {
    child: Child,
    pub base: String,
    output: Arc<Mutex<String>>,
}

fn capture(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    banner: Option<std::sync::mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let (Some(tx), Some(url)) = (&banner, line.strip_prefix("Serving ")) {
                let _ = tx.send(url.trim().to_string());
            }
            let mut out = output.lock().unwrap_or_else(|p| p.into_inner());
            out.push_str(&line);
            out.push('\n');
        }
    });
}

impl Host {
    /// Starts any command that prints spin's `Serving http://…` banner.
    pub fn start(mut cmd: Command) -> Result<Host, String> {
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start spin-local: {e}"))?;
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        capture(
            child.stdout.take().expect("stdout"),
            output.clone(),
            Some(tx),
        );
        capture(child.stderr.take().expect("stderr"), output.clone(), None);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(base) = rx.recv_timeout(Duration::from_millis(50)) {
                return Ok(Host {
                    child,
                    base,
                    output,
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                let out = output.lock().unwrap_or_else(|p| p.into_inner()).clone();
                return Err(format!(
                    "spin-local exited with {status} before serving:\n{out}"
                ));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("spin-local did not start within 60 s".into());
            }
        }
    }

    /// Everything the host printed so far.
    pub fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The output once it contains `needle`, waiting up to 10 s: stdout and
    /// stderr are captured by separate threads, so a line the host wrote
    /// before another (or just now) may not have been read yet.
    pub fn output_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.output();
            if out.contains(needle) || Instant::now() > deadline {
                return out;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait for spin-local")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// One HTTP/1.1 request; returns status and body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        request(&self.base, method, path, headers, body)
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, body: &str) -> Response {
        self.request("POST", path, &[], body.as_bytes())
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client (one request per connection, `Connection: close`),
/// so tests depend on no HTTP client crate and see the bytes as sent.
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let addr = authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| panic!("bad address {authority}"));
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send request");
    stream.write_all(body).expect("send body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}
