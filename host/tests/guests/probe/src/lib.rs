//! A test guest for the host. `?op=` chooses what it does:
//! - `headers` (default): the component name (env `COMPONENT`) and every `spin-*` header;
//! - `kv-get`, `kv-set` (body = value), `kv-exists`, `kv-delete`, `kv-keys`: on store `?store=` (default `default`);
//! - `sql` (body = one statement): columns and rows, on database `?db=`;
//! - `var&name=`: a component variable;
//! - `fetch&url=`: an outbound GET;
//! - `trap`: aborts (a wasm trap);
//! - `busy&ms=`: spins for that long, then answers;
//! - `bench`: two key-value operations and three SQL statements.
//!
//! A host error is answered with status 422 and its text, so tests can tell it from a trap (500).

use serde_json::{json, Value as Json};
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;
use spin_sdk::sqlite::{Connection, Value};

fn query(req: &Request, name: &str) -> Option<String> {
    req.query()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.replace("%2F", "/").replace("%3A", ":"))
}

fn json_response(status: u16, body: Json) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn host_error(e: impl std::fmt::Debug) -> Response {
    Response::builder()
        .status(422)
        .body(format!("{e:?}"))
        .build()
}

fn sql_value(v: &Value) -> Json {
    match v {
        Value::Integer(i) => json!(i),
        Value::Real(f) => json!(f),
        Value::Text(s) => json!(s),
        Value::Blob(b) => json!(b),
        Value::Null => Json::Null,
    }
}

#[http_component]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let op = query(&req, "op").unwrap_or_else(|| "headers".into());
    let body = String::from_utf8_lossy(req.body()).into_owned();
    Ok(match op.as_str() {
        "headers" => {
            let headers: serde_json::Map<String, Json> = req
                .headers()
                .filter(|(name, _)| name.starts_with("spin-"))
                .map(|(name, value)| (name.to_string(), json!(value.as_str().unwrap_or(""))))
                .collect();
            json_response(
                200,
                json!({
                    "component": std::env::var("COMPONENT").unwrap_or_default(),
                    "method": format!("{:?}", req.method()),
                    "headers": headers,
                }),
            )
        }
        "kv-get" | "kv-set" | "kv-exists" | "kv-delete" | "kv-keys" => {
            let label = query(&req, "store").unwrap_or_else(|| "default".into());
            let key = query(&req, "key").unwrap_or_default();
            let store = match Store::open(&label) {
                Ok(s) => s,
                Err(e) => return Ok(host_error(e)),
            };
            let result = match op.as_str() {
                "kv-get" => store
                    .get(&key)
                    .map(|v| json!(v.map(|b| String::from_utf8_lossy(&b).into_owned()))),
                "kv-set" => store.set(&key, body.as_bytes()).map(|_| json!("ok")),
                "kv-exists" => store.exists(&key).map(|e| json!(e)),
                "kv-delete" => store.delete(&key).map(|_| json!("ok")),
                _ => store.get_keys().map(|k| json!(k)),
            };
            match result {
                Ok(v) => json_response(200, v),
                Err(e) => host_error(e),
            }
        }
        "sql" => {
            let label = query(&req, "db").unwrap_or_else(|| "default".into());
            let result = Connection::open(&label).and_then(|c| c.execute(&body, &[]));
            match result {
                Ok(r) => json_response(
                    200,
                    json!({
                        "columns": r.columns,
                        "rows": r.rows.iter().map(|row| row.values.iter().map(sql_value).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    }),
                ),
                Err(e) => host_error(e),
            }
        }
        "var" => match spin_sdk::variables::get(&query(&req, "name").unwrap_or_default()) {
            Ok(v) => json_response(200, json!(v)),
            Err(e) => host_error(e),
        },
        "fetch" => {
            let url = query(&req, "url").unwrap_or_default();
            let outbound = Request::builder().method(Method::Get).uri(url).build();
            match spin_sdk::http::send::<_, Response>(outbound).await {
                Ok(r) => json_response(200, json!({ "status": r.status() })),
                Err(e) => host_error(e),
            }
        }
        "trap" => std::process::abort(),
        "busy" => {
            let ms: u64 = query(&req, "ms")
                .and_then(|m| m.parse().ok())
                .unwrap_or(100);
            let start = std::time::Instant::now();
            while start.elapsed().as_millis() < u128::from(ms) {
                std::hint::spin_loop();
            }
            json_response(200, json!({ "busy_ms": ms }))
        }
        "bench" => {
            let store = Store::open_default()?;
            let n: u64 = store
                .get("counter")?
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
                + 1;
            store.set("counter", n.to_string().as_bytes())?;
            let db = Connection::open_default()?;
            db.execute(
                "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, path TEXT NOT NULL)",
                &[],
            )?;
            db.execute(
                "INSERT INTO hits (path) VALUES (?)",
                &[Value::Text(req.path().to_string())],
            )?;
            let last = db.execute("SELECT id FROM hits ORDER BY id DESC LIMIT 1", &[])?;
            let id = last
                .rows()
                .next()
                .and_then(|r| r.get::<i64>("id"))
                .unwrap_or(0);
            json_response(200, json!({ "counter": n, "last_hit": id }))
        }
        other => json_response(400, json!({ "error": format!("unknown op {other}") })),
    })
}
