//! One SQLite database label, wherever it lives: a local file behind a
//! [`Pool`] (`type = "spin"`, the default) or a libSQL server
//! (`type = "libsql"`). Guests and migrations see the same operations on both.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use rusqlite::types::Value;

use crate::group_commit::Outcome;
use crate::libsql;
use crate::runtime_config::SqliteDatabase;
use crate::sqlite_pool::{Durability, Pool, Pooled};

pub enum Database {
    Local(Arc<Pool>),
    Remote(Arc<libsql::Client>),
}

/// A guest's open connection (or a migration's).
pub enum Connection {
    Local(Pooled),
    Remote(libsql::Stream),
}

impl Database {
    /// Opens one database; relative file paths are in `state_dir`.
    /// A libSQL server is asked whether it answers before anything runs.
    pub fn open(config: &SqliteDatabase, state_dir: &Path, durability: Durability) -> Result<Self> {
        let database = match config {
            SqliteDatabase::Spin(path) => {
                Database::Local(Pool::open(&state_dir.join(path), durability)?)
            }
            SqliteDatabase::Libsql { url, token } => {
                let client = libsql::Client::new(url, token)?;
                client.check()?;
                Database::Remote(Arc::new(client))
            }
        };
        Ok(database)
    }

    pub fn connect(&self) -> Result<Connection> {
        Ok(match self {
            Database::Local(pool) => Connection::Local(pool.get()?),
            Database::Remote(client) => Connection::Remote(client.stream()),
        })
    }

    /// Runs a script of statements (`spin up --sqlite`).
    pub fn run_script(&self, sql: &str) -> Result<()> {
        match self.connect()? {
            Connection::Local(conn) => Ok(conn.execute_batch(sql)?),
            Connection::Remote(mut stream) => stream.sequence(sql).map_err(|e| anyhow!(e)),
        }
    }

    /// The first column of the first row of a query, if any, as text.
    pub fn query_text(&self, sql: &str, params: Vec<Value>) -> Result<Option<String>> {
        let (_, rows) = self
            .connect()?
            .execute(sql, params)
            .map_err(|e| anyhow!(e))?;
        Ok(
            match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
                Some(Value::Text(t)) => Some(t),
                _ => None,
            },
        )
    }

    /// Runs `script` and then `record` (one statement) in one transaction:
    /// both are applied, or (on any error) neither.
    pub fn run_atomically(&self, script: &str, record: &str, params: Vec<Value>) -> Result<()> {
        let mut conn = self.connect()?;
        conn.execute("BEGIN IMMEDIATE", Vec::new())
            .map_err(|e| anyhow!(e))?;
        let applied = conn
            .run_script(script)
            .and_then(|()| conn.execute(record, params).map(drop))
            .and_then(|()| conn.execute("COMMIT", Vec::new()).map(drop));
        if let Err(e) = applied {
            // Dropping the connection also rolls back; this says so early.
            let _ = conn.execute("ROLLBACK", Vec::new());
            return Err(anyhow!(e));
        }
        Ok(())
    }
}

impl Connection {
    /// Runs one statement of a guest (see [`Pool::execute`] for a local file).
    pub fn execute(&mut self, sql: &str, params: Vec<Value>) -> Outcome {
        match self {
            Connection::Local(conn) => conn.pool().execute(conn, sql, params),
            Connection::Remote(stream) => stream.execute(sql, &params),
        }
    }

    fn run_script(&mut self, sql: &str) -> Result<(), String> {
        match self {
            Connection::Local(conn) => conn.execute_batch(sql).map_err(|e| e.to_string()),
            Connection::Remote(stream) => stream.sequence(sql),
        }
    }
}

/// Opens every configured database, naming the label in any error.
pub fn open_all(
    configured: &std::collections::BTreeMap<String, SqliteDatabase>,
    state_dir: &Path,
    durability: Durability,
) -> Result<std::collections::HashMap<String, Arc<Database>>> {
    configured
        .iter()
        .map(|(label, config)| {
            Database::open(config, state_dir, durability)
                .map(|db| (label.clone(), Arc::new(db)))
                .with_context(|| format!("sqlite database `{label}`"))
        })
        .collect()
}
