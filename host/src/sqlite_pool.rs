//! A small pool of SQLite connections to one database file.
//!
//! WAL mode lets readers run beside the single writer; `busy_timeout` makes a
//! second writer wait instead of failing. Durability is `synchronous=FULL` by
//! default (a committed row survives power loss); `NORMAL` may be chosen for
//! throughput and is then named in every published figure.
//!
//! Writers in one process queue on an in-process gate ([`Pool::write_gate`])
//! instead of meeting `SQLITE_BUSY`: SQLite's busy handler sleeps at least a
//! millisecond per retry, holding an executor thread, which under concurrent
//! writes costs more than the writes. The gate covers autocommit writes only;
//! explicit transactions and other processes (`spin-local cron` beside `up`)
//! still rely on `busy_timeout`.
//!
//! A connection checked out for a guest's `sqlite.connection` resource is held
//! for the resource's life, so `BEGIN … COMMIT` across calls works; if the guest
//! goes away mid-transaction, the transaction is rolled back before the
//! connection returns to the pool, so nothing half-written leaks to the next user.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::Connection;

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
}

impl Pool {
    /// Opens (creating if needed) the database file in WAL mode.
    pub fn open(path: &Path, durability: Durability) -> Result<Arc<Self>> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create state directory {}", dir.display()))?;
        }
        let pool = Arc::new(Pool {
            path: path.to_path_buf(),
            durability,
            idle: Mutex::new(Vec::new()),
            writer: Mutex::new(()),
        });
        let first = pool.connect()?;
        first
            .pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("cannot enable WAL on {}", path.display()))?;
        pool.release(first);
        Ok(pool)
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(&self.path)
            .with_context(|| format!("cannot open database {}", self.path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "synchronous", self.durability.pragma())?;
        Ok(conn)
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

    /// Held while `statement` runs if it writes outside an explicit
    /// transaction, so this process's writers take turns without busy-waiting.
    pub fn write_gate(
        &self,
        conn: &Connection,
        statement: &rusqlite::Statement<'_>,
    ) -> Option<MutexGuard<'_, ()>> {
        (!statement.readonly() && conn.is_autocommit())
            .then(|| self.writer.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn release(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
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
    fn only_autocommit_writes_take_the_write_gate() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(&dir.path().join("db.sqlite"), Durability::Normal).unwrap();
        let c = pool.get().unwrap();
        c.execute_batch("CREATE TABLE t (x)").unwrap();
        let gated = |sql: &str| {
            let stmt = c.prepare(sql).unwrap();
            pool.write_gate(&c, &stmt).is_some()
        };
        assert!(gated("INSERT INTO t VALUES (1)"));
        assert!(!gated("SELECT x FROM t"));
        c.execute_batch("BEGIN").unwrap();
        assert!(!gated("INSERT INTO t VALUES (2)"), "inside a transaction");
        c.execute_batch("COMMIT").unwrap();
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
