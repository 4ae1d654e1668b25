//! SQL helpers over Spin's SQLite (`default` database). Every effect is one
//! statement (conditional updates, `ON CONFLICT`, `RETURNING`): no transaction
//! is held across calls, so hosted SQL (libSQL) keeps every guarantee.

use spin_sdk::sqlite::{Connection, QueryResult, RowResult};

pub use spin_sdk::sqlite::Value;

use crate::problem::Problem;

/// One SQL trigger with an effect beyond its own row, declared beside the
/// statement that fires it (`vip_store::effects` says why triggers).
#[derive(Debug, Clone, Copy)]
pub struct Effect {
    /// Its name in `migrations/`.
    pub trigger: &'static str,
    /// The table whose statement fires it.
    pub table: &'static str,
    /// The statement: `INSERT`, `UPDATE`, `UPDATE OF state`, `DELETE`.
    pub on: &'static str,
    /// The tables it writes, in name order.
    pub writes: &'static [&'static str],
    /// What it does, in a line.
    pub does: &'static str,
}

pub struct Db(Connection);

impl Db {
    pub fn open() -> Result<Db, Problem> {
        Connection::open_default()
            .map(Db)
            .map_err(|e| Problem::internal(format!("database: {e}")))
    }

    pub fn exec(&self, sql: &str, params: &[Value]) -> Result<QueryResult, Problem> {
        self.0
            .execute(sql, params)
            .map_err(|e| Problem::internal(format!("database: {e}")))
    }

    /// The first row, if any.
    pub fn first(&self, sql: &str, params: &[Value]) -> Result<Option<RowResult>, Problem> {
        Ok(self.exec(sql, params)?.rows.into_iter().next())
    }

    /// Walks rows in id order, `batch` at a time: `sql` selects them with the
    /// last id seen and the limit as its two parameters, the id in column 0.
    /// `step` handles a batch (with its first and last id) and answers how
    /// many rows it moved; a batch that moved any is read again, since what
    /// follows a move is computed from the moved rows. Answers how many rows
    /// the settled batches held.
    pub fn in_batches(
        &self,
        sql: &str,
        batch: i64,
        mut step: impl FnMut(&[RowResult], &[Value; 2]) -> Result<u64, Problem>,
    ) -> Result<u64, Problem> {
        let mut after = 0;
        let mut settled = 0;
        loop {
            let rows = self.exec(sql, &[Value::Integer(after), Value::Integer(batch)])?;
            let (Some(first), Some(last)) = (rows.rows.first(), rows.rows.last()) else {
                return Ok(settled);
            };
            let range = [
                Value::Integer(int(first, 0)?),
                Value::Integer(int(last, 0)?),
            ];
            if step(&rows.rows, &range)? == 0 {
                settled += rows.rows.len() as u64;
                after = int(last, 0)?;
            }
        }
    }

    /// A multi-row statement over `rows`, `per_statement` rows at a time:
    /// `{rows}` in `sql` becomes the chunk's `(?, …)` tuples, bound after the
    /// `fixed` parameters (which `sql` numbers `?1`, `?2`, …). Answers every
    /// `RETURNING` row. Each statement is atomic on its own.
    pub fn exec_rows(
        &self,
        sql: &str,
        fixed: &[Value],
        rows: Vec<Vec<Value>>,
        per_statement: usize,
    ) -> Result<Vec<RowResult>, Problem> {
        let mut out = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement.max(1)).collect();
            let tuples = chunk
                .iter()
                .map(|r| format!("({})", vec!["?"; r.len()].join(", ")))
                .collect::<Vec<_>>()
                .join(", ");
            let mut params = fixed.to_vec();
            params.extend(chunk.into_iter().flatten());
            out.extend(self.exec(&sql.replace("{rows}", &tuples), &params)?.rows);
        }
        Ok(out)
    }
}

/// Counts rows a guarded write answered as `RETURNING kind, moves_to`: each
/// is added to `by_kind`; answers how many were written and how many moved
/// their subject (a non-null `moves_to`).
pub fn count_written(
    written: &[RowResult],
    by_kind: &mut std::collections::BTreeMap<String, u64>,
) -> Result<(u64, u64), Problem> {
    let mut moved = 0;
    for row in written {
        *by_kind.entry(text(row, 0)?).or_default() += 1;
        moved += u64::from(opt_text(row, 1).is_some());
    }
    Ok((written.len() as u64, moved))
}

fn column<'a, T: TryFrom<&'a Value>>(
    row: &'a RowResult,
    i: usize,
    what: &str,
) -> Result<T, Problem> {
    row.get::<T>(i)
        .ok_or_else(|| Problem::internal(format!("column {i}: expected {what}")))
}

pub fn text(row: &RowResult, i: usize) -> Result<String, Problem> {
    column::<&str>(row, i, "text").map(str::to_string)
}

pub fn int(row: &RowResult, i: usize) -> Result<i64, Problem> {
    column::<i64>(row, i, "integer")
}

pub fn opt_text(row: &RowResult, i: usize) -> Option<String> {
    row.get::<&str>(i).map(str::to_string)
}

/// Parses a JSON column written by this code; a failure is a real fault.
pub fn json_column<T: serde::de::DeserializeOwned>(
    row: &RowResult,
    i: usize,
) -> Result<T, Problem> {
    serde_json::from_str(&text(row, i)?).map_err(|e| Problem::internal(format!("column {i}: {e}")))
}

/// How times are stored and shown: RFC 3339 UTC to the millisecond, so
/// stored times compare (and sort) as text.
pub fn timestamp_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> Value {
    Value::Text(timestamp_text(t))
}

/// An optional time column this code stored.
pub fn opt_timestamp(
    row: &RowResult,
    i: usize,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Problem> {
    opt_text(row, i).as_deref().map(parse_timestamp).transpose()
}

/// A time this code stored; a failure is a real fault.
pub fn parse_timestamp(text: &str) -> Result<chrono::DateTime<chrono::Utc>, Problem> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| Problem::internal(format!("stored time {text}: {e}")))
}

/// A stored enum value (its snake_case text) back as its type.
pub fn parse_enum<T: serde::de::DeserializeOwned>(text: String) -> Result<T, Problem> {
    serde_json::from_value(serde_json::Value::String(text)).map_err(Problem::internal)
}
