//! A small pool of SQLite connections to one database file.
//!
//! WAL mode lets readers run beside the single writer; `busy_timeout` makes a
//! second writer wait instead of failing. Durability is `synchronous=FULL` by
//! default (a committed row survives power loss); `NORMAL` may be chosen for
//! throughput and is then named in every published figure.
//!
//! Autocommit data writes from guests go through the group commit
//! ([`crate::group_commit`]): writes that arrive during a commit share the
//! next one, so one fsync serves many. Other autocommit writes (schema
//! changes) queue on an in-process gate instead of meeting `SQLITE_BUSY`,
//! whose busy handler sleeps at least a millisecond per retry. Explicit
//! transactions and other processes (`spin-local cron` beside `up`) rely on
//! `busy_timeout`.
//!
//! A connection checked out for a guest's `sqlite.connection` resource is held
//! for the resource's life, so `BEGIN … COMMIT` across calls works; if the guest
//! goes away mid-transaction, the transaction is rolled back before the
//! connection returns to the pool, so nothing half-written leaks to the next user.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::types::Value;
use rusqlite::Connection;

use crate::group_commit::{self, GroupCommit, Outcome};

/// SQLite's `synchronous` setting for every connection of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Durability {
    /// `synchronous=FULL`: fsync on every commit.
    Full,
    /// `synchronous=NORMAL`: in WAL mode, a power loss may drop the last commits.
    Normal,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// Idle connections kept for reuse; more may be open while busy.
const MAX_IDLE: usize = 16;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Pool {
    path: PathBuf,
    durability: Durability,
    idle: Mutex<Vec<Connection>>,
    writer: Mutex<()>,
    group: GroupCommit,
}

impl Pool {
    /// Opens (creating if needed) the database file in WAL mode.
    pub fn open(path: &Path, durability: Durability) -> Result<Arc<Self>> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create state directory {}", dir.display()))?;
        }
        let first = connect(path, durability)?;
        first
            .pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("cannot enable WAL on {}", path.display()))?;
        let pool = Arc::new(Pool {
            path: path.to_path_buf(),
            durability,
            idle: Mutex::new(vec![first]),
            writer: Mutex::new(()),
            group: GroupCommit::default(),
        });
        Ok(pool)
    }

    fn connect(&self) -> Result<Connection> {
        connect(&self.path, self.durability)
    }

    /// Runs one statement of a guest on `conn` (its checked-out connection):
    /// an autocommit data write joins the group commit ([`GroupCommit`]);
    /// another autocommit write (DDL, several statements) takes the write
    /// gate; a read, or anything inside the guest's own transaction, runs
    /// on `conn` as it is.
    pub fn execute(&self, conn: &Connection, sql: &str, params: Vec<Value>) -> Outcome {
        let (writes, single) = match conn.prepare_cached(sql) {
            Ok(stmt) => (!stmt.readonly(), true),
            Err(rusqlite::Error::MultipleStatement) => (true, false),
            Err(e) => return Err(e.to_string()),
        };
        if !writes || !conn.is_autocommit() {
            return group_commit::run(conn, sql, &params);
        }
        if single && changes_data(sql) {
            return self.group.write(conn, sql.to_string(), params);
        }
        let _gate = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        group_commit::run(conn, sql, &params)
    }

    /// Checks out a connection; it returns to the pool when dropped.
    pub fn get(self: &Arc<Self>) -> Result<Pooled> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => self.connect()?,
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: self.clone(),
        })
    }

    fn release(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

fn connect(path: &Path, durability: Durability) -> Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", durability.pragma())?;
    Ok(conn)
}

/// A data write that may run on the group's connection: `INSERT`, `UPDATE`,
/// `DELETE`, `REPLACE` (or a `WITH` before one), not on a `temp.` table.
/// Schema changes and pragmas stay on the guest's own connection.
fn changes_data(sql: &str) -> bool {
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    ["INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"]
        .iter()
        .any(|k| first.eq_ignore_ascii_case(k))
        && !sql.to_ascii_lowercase().contains("temp.")
}

/// A checked-out connection.
pub struct Pooled {
    conn: Option<Connection>,
    pool: Arc<Pool>,
}

impl Pooled {
    /// The pool the connection came from (for its write gate).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl std::ops::Deref for Pooled {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // `conn` is only taken in `drop`.
        self.conn
            .as_ref()
            .expect("pooled connection present until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
                // A connection whose transaction cannot be rolled back is discarded.
                return;
            }
            self.pool.release(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_writes_are_recognised() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "  update t SET x = 1",
            "WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a",
            "DELETE FROM t",
            "REPLACE INTO t VALUES (1)",
        ] {
            assert!(changes_data(sql), "{sql}");
        }
        for sql in [
            "CREATE TABLE t (x)",
            "PRAGMA foreign_keys = ON",
            "INSERT INTO temp.t VALUES (1)",
            "DROP TABLE t",
        ] {
            assert!(!changes_data(sql), "{sql}");
        }
    }

    #[test]
    fn concurrent_writes_all_commit_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(&dir.path().join("g.db"), Durability::Normal).unwrap();
        let c = pool.get().unwrap();
        pool.execute(
            &c,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT UNIQUE)",
            vec![],
        )
        .unwrap();
        drop(c);
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let pool = pool.clone();
                scope.spawn(move || {
                    let c = pool.get().unwrap();
                    for i in 0..50 {
                        let (_, rows) = pool
                            .execute(
                                &c,
                                "INSERT INTO t (who) VALUES (?) RETURNING who",
                                vec![Value::Text(format!("{thread}-{i}"))],
                            )
                            .unwrap();
                        assert_eq!(rows, vec![vec![Value::Text(format!("{thread}-{i}"))]]);
                        // A duplicate fails alone.
                        assert!(pool
                            .execute(
                                &c,
                                "INSERT INTO t (who) VALUES (?)",
                                vec![Value::Text(format!("{thread}-{i}"))]
                            )
                            .is_err());
                    }
                });
            }
        });
        let c = pool.get().unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 400);
    }

    #[test]
    fn abandoned_transactions_roll_back_before_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(&dir.path().join("t.db"), Durability::Full).unwrap();
        pool.get()
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER)")
            .unwrap();
        {
            let c = pool.get().unwrap();
            c.execute_batch("BEGIN; INSERT INTO t VALUES (1);").unwrap();
        }
        let c = pool.get().unwrap();
        assert!(c.is_autocommit());
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
