//! A test cron guest: records each event's timestamp in table `ticks` and in
//! key `last_tick`; fails the event when variable `fail` is `yes`.

wit_bindgen::generate!({
    world: "fermyon:spin-cron/spin-cron",
    path: "../../../../wit/deps/spin-cron",
});

use spin_sdk::key_value::Store;
use spin_sdk::sqlite::{Connection, Value};

struct Ticker;

fn other(e: impl std::fmt::Debug) -> Error {
    Error::Other(format!("{e:?}"))
}

impl Guest for Ticker {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        if spin_sdk::variables::get("fail").is_ok_and(|v| v == "yes") {
            return Err(Error::Other("asked to fail".into()));
        }
        let ts = i64::try_from(metadata.timestamp).map_err(other)?;
        let db = Connection::open_default().map_err(other)?;
        db.execute(
            "CREATE TABLE IF NOT EXISTS ticks (ts INTEGER PRIMARY KEY)",
            &[],
        )
        .map_err(other)?;
        db.execute(
            "INSERT OR IGNORE INTO ticks (ts) VALUES (?)",
            &[Value::Integer(ts)],
        )
        .map_err(other)?;
        Store::open_default()
            .and_then(|s| s.set("last_tick", ts.to_string().as_bytes()))
            .map_err(other)?;
        Ok(())
    }
}

export!(Ticker);
