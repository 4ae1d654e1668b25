//! Group commit for autocommit writes: a write that arrives while another
//! commit is in progress waits, and the next commit carries every write
//! queued by then, in one transaction and one fsync.
//!
//! The semantics stay those of one autocommit statement per call:
//! - **serial**: the writes of a batch run one after another, in arrival order,
//!   on one connection (the leader's), and each sees the effects of those before it;
//! - **atomic**: each write runs inside its own savepoint; a failing write is
//!   rolled back to its savepoint, and its error goes to its caller only. If a
//!   failure ends the whole transaction (`RAISE(ROLLBACK)`, `OR ROLLBACK`), the
//!   batch's earlier writes, none yet answered, run again in a new one;
//! - **durable on return**: no caller is answered before the shared `COMMIT`
//!   has returned (with `synchronous=FULL`, fsynced). If the commit fails,
//!   every write of the batch gets that error and none of them happened.
//!
//! A lone write runs as a plain autocommit statement, as before, so a single
//! writer pays nothing for the queue. What a caller cannot rely on across its
//! own calls: connection state such as `last_insert_rowid()` or `changes()`,
//! since its write may have run on another caller's connection (`RETURNING` gives the same
//! facts per statement and is exact).

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex};

use rusqlite::types::Value;
use rusqlite::Connection;

/// One statement's columns and rows, or SQLite's error text.
pub type Outcome = Result<(Vec<String>, Vec<Vec<Value>>), String>;

struct Job {
    id: u64,
    sql: String,
    params: Vec<Value>,
}

#[derive(Default)]
struct Queue {
    next_id: u64,
    waiting: VecDeque<Job>,
    done: HashMap<u64, Outcome>,
    /// A caller is running a batch.
    leading: bool,
}

/// The write queue of one database.
#[derive(Default)]
pub struct GroupCommit {
    queue: Mutex<Queue>,
    finished: Condvar,
}

impl GroupCommit {
    /// Runs `sql` (one autocommit write) and answers once it is committed.
    /// The caller whose write finds no batch running runs the batch itself,
    /// on its own connection `conn` (in autocommit state): every write queued
    /// by then, its own included. Running on the leader's connection keeps
    /// its page cache valid for the reads that follow its write.
    pub fn write(&self, conn: &Connection, sql: String, params: Vec<Value>) -> Outcome {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let id = queue.next_id;
        queue.next_id += 1;
        queue.waiting.push_back(Job { id, sql, params });
        loop {
            if let Some(outcome) = queue.done.remove(&id) {
                return outcome;
            }
            if queue.leading {
                queue = self.finished.wait(queue).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            queue.leading = true;
            let batch: Vec<Job> = queue.waiting.drain(..).collect();
            drop(queue);
            let outcomes = run_batch(conn, &batch);
            queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.leading = false;
            for (job, outcome) in batch.iter().zip(outcomes) {
                queue.done.insert(job.id, outcome);
            }
            self.finished.notify_all();
        }
    }
}

fn run_batch(conn: &Connection, batch: &[Job]) -> Vec<Outcome> {
    if let [job] = batch {
        return vec![run(conn, &job.sql, &job.params)];
    }
    // Writes whose failure ended the transaction: answered with that error,
    // left out when the rest runs again.
    let mut failed: HashMap<usize, String> = HashMap::new();
    'attempt: loop {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            return batch.iter().map(|_| Err(e.to_string())).collect();
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        for (i, job) in batch.iter().enumerate() {
            if let Some(e) = failed.get(&i) {
                outcomes.push(Err(e.clone()));
                continue;
            }
            if let Err(e) = conn.execute_batch("SAVEPOINT write") {
                rollback(conn);
                return batch.iter().map(|_| Err(e.to_string())).collect();
            }
            let outcome = run(conn, &job.sql, &job.params);
            if outcome.is_err() && conn.is_autocommit() {
                // The statement's failure rolled back the whole transaction.
                failed.insert(i, outcome.err().unwrap_or_default());
                continue 'attempt;
            }
            let close = if outcome.is_ok() {
                "RELEASE write"
            } else {
                "ROLLBACK TO write; RELEASE write"
            };
            if let Err(e) = conn.execute_batch(close) {
                rollback(conn);
                return batch.iter().map(|_| Err(e.to_string())).collect();
            }
            outcomes.push(outcome);
        }
        return match conn.execute_batch("COMMIT") {
            Ok(()) => outcomes,
            Err(e) => {
                rollback(conn);
                batch.iter().map(|_| Err(e.to_string())).collect()
            }
        };
    }
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Runs the first statement of `sql` (Spin ignores the rest) with `params`.
pub fn run(conn: &Connection, sql: &str, params: &[Value]) -> Outcome {
    let mut stmt = match conn.prepare_cached(sql) {
        Ok(stmt) => stmt,
        Err(rusqlite::Error::MultipleStatement) => {
            return run_first(conn, sql, params);
        }
        Err(e) => return Err(e.to_string()),
    };
    rows(&mut stmt, params)
}

fn run_first(conn: &Connection, sql: &str, params: &[Value]) -> Outcome {
    use rusqlite::fallible_iterator::FallibleIterator;
    let mut stmt = rusqlite::Batch::new(conn, sql)
        .next()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "bad parameter or other API misuse".to_string())?;
    rows(&mut stmt, params)
}

fn rows(stmt: &mut rusqlite::Statement<'_>, params: &[Value]) -> Outcome {
    let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let width = columns.len();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(row.get::<_, Value>(i).map_err(|e| e.to_string())?);
        }
        out.push(values);
    }
    Ok((columns, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, sql: &str) -> Job {
        Job {
            id,
            sql: sql.into(),
            params: vec![],
        }
    }

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT UNIQUE)")
            .unwrap();
        conn
    }

    fn xs(conn: &Connection) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT x FROM t ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_failing_write_in_a_batch_affects_only_itself() {
        let conn = table();
        let outcomes = run_batch(
            &conn,
            &[
                job(0, "INSERT INTO t (x) VALUES ('a') RETURNING id, x"),
                job(1, "INSERT INTO t (x) VALUES ('a')"),
                job(2, "INSERT INTO t (x) VALUES ('b') RETURNING id"),
                job(3, "UPDATE t SET x = 'c' WHERE x = 'b' RETURNING x"),
            ],
        );
        assert_eq!(
            outcomes[0],
            Ok((
                vec!["id".into(), "x".into()],
                vec![vec![Value::Integer(1), Value::Text("a".into())]]
            ))
        );
        assert!(
            outcomes[1].as_ref().unwrap_err().contains("UNIQUE"),
            "{:?}",
            outcomes[1]
        );
        assert_eq!(
            outcomes[2],
            Ok((vec!["id".into()], vec![vec![Value::Integer(2)]]))
        );
        assert_eq!(
            outcomes[3],
            Ok((vec!["x".into()], vec![vec![Value::Text("c".into())]]))
        );
        assert_eq!(xs(&conn), ["a", "c"]);
        assert!(conn.is_autocommit(), "the batch committed");
    }

    #[test]
    fn a_write_that_ends_the_transaction_leaves_the_others_committed() {
        let conn = table();
        let outcomes = run_batch(
            &conn,
            &[
                job(0, "INSERT INTO t (x) VALUES ('a')"),
                job(1, "INSERT OR ROLLBACK INTO t (x) VALUES ('a')"),
                job(2, "INSERT INTO t (x) VALUES ('b')"),
            ],
        );
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok(), "{outcomes:?}");
        assert!(outcomes[1].is_err());
        assert_eq!(xs(&conn), ["a", "b"]);
    }

    #[test]
    fn several_statements_run_the_first() {
        let conn = table();
        let outcome = run(
            &conn,
            "INSERT INTO t (x) VALUES ('a'); INSERT INTO t (x) VALUES ('b')",
            &[],
        );
        assert!(outcome.is_ok());
        assert_eq!(xs(&conn), ["a"]);
    }
}
