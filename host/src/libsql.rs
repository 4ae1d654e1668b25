//! A libSQL database over the network: Hrana 3 over HTTP with the JSON
//! encoding (`POST <url>/v3/pipeline`), the remote protocol of `sqld` and
//! Turso, for `type = "libsql"` in the runtime config.
//!
//! A guest's `sqlite.connection` maps onto Hrana *streams*. An autocommit
//! statement is one round trip that opens a stream, executes and closes it
//! (`[execute, close]`), so no server state outlives the call. A statement
//! that opens a transaction (`BEGIN`, `SAVEPOINT`) keeps its stream: each
//! further statement travels with the stream's baton and asks the server
//! whether the transaction is still open (`get_autocommit`); the next
//! statement after it ends closes the stream, and so does dropping the
//! connection (the server then rolls back anything left open).
//!
//! Blocking HTTP (ureq, rustls with webpki roots) fits the host's other
//! stores: a guest's store calls run on its worker thread.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use rusqlite::types::Value;
use serde_json::{json, Value as Json};

use crate::group_commit::Outcome;

/// How long one pipeline request may take before the statement fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One libSQL database: where it is and how to authenticate.
pub struct Client {
    /// Base URL without a trailing slash (`libsql://` is read as `https://`).
    url: String,
    token: String,
    agent: ureq::Agent,
}

impl Client {
    /// Checks the URL's form; nothing is sent yet.
    pub fn new(url: &str, token: &str) -> Result<Self> {
        let url = match url.strip_prefix("libsql://") {
            Some(rest) => format!("https://{rest}"),
            None => url.to_string(),
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("`{url}`: a libSQL URL starts with https://, http:// or libsql://");
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client {
            url: url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            agent,
        })
    }

    /// Asks the server whether it speaks Hrana 3 over HTTP (`GET v3`), so a
    /// wrong URL or token stops start-up instead of failing the first request.
    pub fn check(&self) -> Result<()> {
        let response = self
            .agent
            .get(format!("{}/v3", self.url))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .with_context(|| format!("cannot reach libSQL at {}", self.url))?;
        let status = response.status();
        if !status.is_success() {
            bail!(
                "libSQL at {} answered `GET v3` with HTTP {status}: it does not speak Hrana 3 over HTTP, or the token is refused",
                self.url
            );
        }
        Ok(())
    }

    /// A new stream (a connection, in SQLite's terms); opened lazily.
    pub fn stream(self: &Arc<Self>) -> Stream {
        Stream {
            client: self.clone(),
            baton: None,
            base_url: None,
            in_transaction: false,
        }
    }

    fn pipeline(&self, url: &str, body: &Json) -> Result<Json, String> {
        let fail = |e: &dyn std::fmt::Display| format!("libSQL at {}: {e}", self.url);
        let mut response = self
            .agent
            .post(format!("{url}/v3/pipeline"))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| fail(&e))?;
        let status = response.status();
        let text = response.body_mut().read_to_string().map_err(|e| fail(&e))?;
        if !status.is_success() {
            // The spec: the body may be an `Error` or anything else (HTML, text).
            let message = serde_json::from_str::<Json>(&text)
                .ok()
                .and_then(|e| e["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(fail(&format!("HTTP {status}: {message}")));
        }
        serde_json::from_str(&text).map_err(|e| fail(&format!("unreadable answer: {e}")))
    }
}

/// A Hrana stream: a baton while a transaction is open, nothing otherwise.
pub struct Stream {
    client: Arc<Client>,
    baton: Option<String>,
    base_url: Option<String>,
    in_transaction: bool,
}

impl Stream {
    /// Runs one statement with positional parameters: column names and rows.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Outcome {
        let args = params.iter().map(encode).collect::<Result<Vec<_>, _>>()?;
        let request = json!({"type": "execute", "stmt": {"sql": sql, "args": args}});
        let response = self.send(request, opens_transaction(sql))?;
        decode_result(&response["result"])
    }

    /// Runs a script of several statements, ignoring their rows.
    pub fn sequence(&mut self, sql: &str) -> Result<(), String> {
        let request = json!({"type": "sequence", "sql": sql});
        self.send(request, opens_transaction(sql)).map(drop)
    }

    /// Sends `request` on this stream: with `close` when no transaction is
    /// (or will be) open, with `get_autocommit` otherwise. Returns its response.
    fn send(&mut self, request: Json, opens: bool) -> Result<Json, String> {
        let keep = self.in_transaction || opens;
        let follow = if keep { "get_autocommit" } else { "close" };
        let body = json!({
            "baton": self.baton,
            "requests": [request, {"type": follow}],
        });
        let url = self
            .base_url
            .as_deref()
            .unwrap_or(&self.client.url)
            .to_string();
        let answer = self.client.pipeline(&url, &body);
        // Whatever happens next, the old baton is spent.
        self.baton = None;
        self.base_url = None;
        self.in_transaction = false;
        let answer = answer?;
        let results = answer["results"]
            .as_array()
            .filter(|r| r.len() == 2)
            .ok_or_else(|| format!("libSQL at {}: answer without two results", self.client.url))?;
        if keep {
            self.baton = answer["baton"].as_str().map(str::to_string);
            self.base_url = answer["base_url"].as_str().map(str::to_string);
            self.in_transaction = results[1]["response"]["is_autocommit"] == json!(false);
        }
        match results[0]["type"].as_str() {
            Some("ok") => Ok(results[0]["response"].clone()),
            Some("error") => Err(results[0]["error"]["message"]
                .as_str()
                .unwrap_or("libSQL error without a message")
                .to_string()),
            _ => Err(format!(
                "libSQL at {}: unexpected result {}",
                self.client.url, results[0]
            )),
        }
    }
}

impl Drop for Stream {
    /// Closes a stream left open; the server rolls back an open transaction.
    fn drop(&mut self) {
        if let Some(baton) = self.baton.take() {
            let url = self
                .base_url
                .take()
                .unwrap_or_else(|| self.client.url.clone());
            let body = json!({"baton": baton, "requests": [{"type": "close"}]});
            if let Err(e) = self.client.pipeline(&url, &body) {
                eprintln!("[spin-local] closing a libSQL stream: {e}");
            }
        }
    }
}

/// Whether `sql` starts with `BEGIN` or `SAVEPOINT` (after blanks and comments).
fn opens_transaction(sql: &str) -> bool {
    let mut rest = sql;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
    word.eq_ignore_ascii_case("BEGIN") || word.eq_ignore_ascii_case("SAVEPOINT")
}

/// A value as Hrana's JSON encodes it.
fn encode(value: &Value) -> Result<Json, String> {
    Ok(match value {
        Value::Null => json!({"type": "null"}),
        Value::Integer(i) => json!({"type": "integer", "value": i.to_string()}),
        Value::Real(f) if f.is_finite() => json!({"type": "float", "value": f}),
        Value::Real(f) => {
            return Err(format!(
                "{f} cannot be sent to libSQL (JSON has no such number)"
            ))
        }
        Value::Text(s) => json!({"type": "text", "value": s}),
        Value::Blob(b) => json!({
            "type": "blob",
            "base64": base64::engine::general_purpose::STANDARD.encode(b),
        }),
    })
}

fn decode(value: &Json) -> Result<Value, String> {
    let bad = || format!("libSQL sent an unreadable value {value}");
    Ok(match value["type"].as_str() {
        Some("null") => Value::Null,
        Some("integer") => Value::Integer(
            value["value"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?,
        ),
        Some("float") => Value::Real(value["value"].as_f64().ok_or_else(bad)?),
        Some("text") => Value::Text(value["value"].as_str().ok_or_else(bad)?.to_string()),
        Some("blob") => Value::Blob(
            value["base64"]
                .as_str()
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .ok_or_else(bad)?,
        ),
        _ => return Err(bad()),
    })
}

/// A `StmtResult`: column names (an unnamed column is `""`) and rows.
fn decode_result(result: &Json) -> Outcome {
    let unreadable = || format!("libSQL sent an unreadable result {result}");
    let columns = result["cols"]
        .as_array()
        .ok_or_else(unreadable)?
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    let rows = result["rows"]
        .as_array()
        .ok_or_else(unreadable)?
        .iter()
        .map(|row| {
            row.as_array()
                .ok_or_else(unreadable)?
                .iter()
                .map(decode)
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    Ok((columns, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parameters in the spec's JSON `Value` shapes (an integer as a string,
    /// a blob in base64).
    #[test]
    fn values_are_encoded_as_the_spec_shows() {
        let params = [
            Value::Null,
            Value::Integer(-9_007_199_254_740_993),
            Value::Real(1.5),
            Value::Text("añ".into()),
            Value::Blob(vec![1, 2, 255]),
        ];
        let encoded: Vec<Json> = params.iter().map(|v| encode(v).unwrap()).collect();
        assert_eq!(
            Json::Array(encoded),
            json!([
                {"type": "null"},
                {"type": "integer", "value": "-9007199254740993"},
                {"type": "float", "value": 1.5},
                {"type": "text", "value": "añ"},
                {"type": "blob", "base64": "AQL/"},
            ])
        );
        assert!(encode(&Value::Real(f64::NAN)).is_err());
    }

    /// A `StmtResult` as the spec documents it.
    #[test]
    fn results_are_decoded_as_the_spec_shows() {
        let result = json!({
            "cols": [{"name": "id", "decltype": "INTEGER"}, {"name": null, "decltype": null},
                     {"name": "score", "decltype": "REAL"}, {"name": "data", "decltype": "BLOB"},
                     {"name": "name", "decltype": "TEXT"}],
            "rows": [[{"type": "integer", "value": "9223372036854775807"}, {"type": "null"},
                      {"type": "float", "value": 2.0}, {"type": "blob", "base64": "AQL/"},
                      {"type": "text", "value": "b"}]],
            "affected_row_count": 0,
            "last_insert_rowid": null,
        });
        let (columns, rows) = decode_result(&result).unwrap();
        assert_eq!(columns, ["id", "", "score", "data", "name"]);
        assert_eq!(
            rows,
            [[
                Value::Integer(i64::MAX),
                Value::Null,
                Value::Real(2.0),
                Value::Blob(vec![1, 2, 255]),
                Value::Text("b".into()),
            ]]
        );
        for bad in [
            json!({"type": "integer", "value": 1}),
            json!({"type": "blob", "base64": "%%"}),
            json!({"type": "date"}),
        ] {
            assert!(decode(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn transactions_are_recognised_after_blanks_and_comments() {
        for sql in [
            "BEGIN",
            "  begin immediate",
            "-- x\nBEGIN",
            "/* a */ SAVEPOINT s",
        ] {
            assert!(opens_transaction(sql), "{sql}");
        }
        for sql in [
            "COMMIT",
            "SELECT 'BEGIN'",
            "BEGINNING",
            "-- BEGIN",
            "RELEASE s",
        ] {
            assert!(!opens_transaction(sql), "{sql}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert_eq!(
            Client::new("libsql://db.example.com/", "t").unwrap().url,
            "https://db.example.com"
        );
        assert!(Client::new("ftp://x", "t").is_err());
    }
}
