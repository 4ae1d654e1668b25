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

    /// Every row of `sql`, each read into a `T` by column name.
    pub fn all<T>(
        &self,
        sql: &str,
        params: &[Value],
        read: impl FnMut(Row<'_>) -> Result<T, Problem>,
    ) -> Result<Vec<T>, Problem> {
        let result = self.exec(sql, params)?;
        result
            .rows
            .iter()
            .map(|r| Row::of(&result.columns, r))
            .map(read)
            .collect()
    }

    /// The first row of `sql`, if any, read into a `T` by column name.
    pub fn one<T>(
        &self,
        sql: &str,
        params: &[Value],
        read: impl FnOnce(Row<'_>) -> Result<T, Problem>,
    ) -> Result<Option<T>, Problem> {
        let result = self.exec(sql, params)?;
        result
            .rows
            .first()
            .map(|r| read(Row::of(&result.columns, r)))
            .transpose()
    }

    /// Walks rows in id order, `batch` at a time: `sql` selects them with the
    /// last id seen and the limit as its two parameters, the id in a column
    /// named `id`. `step` handles a batch (with its first and last id) and
    /// answers how many rows it moved; a batch that moved any is read again,
    /// since what follows a move is computed from the moved rows. Answers how
    /// many rows the settled batches held.
    pub fn in_batches(
        &self,
        sql: &str,
        batch: i64,
        mut step: impl FnMut(&[Row<'_>], &[Value; 2]) -> Result<u64, Problem>,
    ) -> Result<u64, Problem> {
        let mut after = 0;
        let mut settled = 0;
        loop {
            let result = self.exec(sql, &[Value::Integer(after), Value::Integer(batch)])?;
            let rows: Vec<Row<'_>> = result
                .rows
                .iter()
                .map(|r| Row::of(&result.columns, r))
                .collect();
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                return Ok(settled);
            };
            let range = [
                Value::Integer(first.int("id")?),
                Value::Integer(last.int("id")?),
            ];
            if step(&rows, &range)? == 0 {
                settled += rows.len() as u64;
                after = last.int("id")?;
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
    ) -> Result<Rows, Problem> {
        let mut out = Rows::default();
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
            let result = self.exec(&sql.replace("{rows}", &tuples), &params)?;
            out.columns = result.columns;
            out.rows.extend(result.rows);
        }
        Ok(out)
    }
}

/// Rows several statements answered, with their column names.
#[derive(Default)]
pub struct Rows {
    columns: Vec<String>,
    rows: Vec<RowResult>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|r| Row::of(&self.columns, r))
    }
}

/// Counts rows a guarded write answered as `RETURNING <kind>, moves_to`:
/// each is added to `by_kind` under its `kind` column; answers how many were
/// written and how many moved their subject (a non-null `moves_to`).
pub fn count_written(
    written: &Rows,
    kind: &str,
    by_kind: &mut std::collections::BTreeMap<String, u64>,
) -> Result<(u64, u64), Problem> {
    let mut moved = 0;
    for row in written.iter() {
        *by_kind.entry(row.text(kind)?).or_default() += 1;
        moved += u64::from(row.opt_text("moves_to")?.is_some());
    }
    Ok((written.len() as u64, moved))
}

/// One row of a result, read by column name: adding a column to a query
/// never shifts what another read means.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a RowResult,
}

impl<'a> Row<'a> {
    pub fn of(columns: &'a [String], values: &'a RowResult) -> Self {
        Row { columns, values }
    }

    fn value(&self, name: &str) -> Result<&'a Value, Problem> {
        self.columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| self.values.values.get(i))
            .ok_or_else(|| Problem::internal(format!("no column `{name}` in the result")))
    }

    /// A column that is NULL is `None`; a missing column is a fault.
    fn opt<T: TryFrom<&'a Value>>(&self, name: &str, what: &str) -> Result<Option<T>, Problem> {
        match self.value(name)? {
            Value::Null => Ok(None),
            v => T::try_from(v)
                .map(Some)
                .map_err(|_| Problem::internal(format!("column `{name}`: expected {what}"))),
        }
    }

    pub fn opt_text(&self, name: &str) -> Result<Option<String>, Problem> {
        Ok(self.opt::<&str>(name, "text")?.map(str::to_string))
    }

    pub fn text(&self, name: &str) -> Result<String, Problem> {
        self.opt_text(name)?
            .ok_or_else(|| Problem::internal(format!("column `{name}`: NULL, expected text")))
    }

    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, Problem> {
        self.opt::<i64>(name, "an integer")
    }

    pub fn int(&self, name: &str) -> Result<i64, Problem> {
        self.opt_int(name)?
            .ok_or_else(|| Problem::internal(format!("column `{name}`: NULL, expected an integer")))
    }

    /// A 0/1 column.
    pub fn flag(&self, name: &str) -> Result<bool, Problem> {
        Ok(self.int(name)? != 0)
    }

    /// A time this code stored (RFC 3339).
    pub fn time(&self, name: &str) -> Result<chrono::DateTime<chrono::Utc>, Problem> {
        parse_timestamp(&self.text(name)?)
    }

    pub fn opt_time(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, Problem> {
        self.opt_text(name)?
            .as_deref()
            .map(parse_timestamp)
            .transpose()
    }

    /// A JSON column this code wrote.
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, Problem> {
        serde_json::from_str(&self.text(name)?)
            .map_err(|e| Problem::internal(format!("column `{name}`: {e}")))
    }

    /// A stored enum value (its snake_case text) back as its type.
    pub fn parse<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, Problem> {
        parse_enum(self.text(name)?)
    }
}

/// How times are stored and shown: RFC 3339 UTC to the millisecond, so
/// stored times compare (and sort) as text.
pub fn timestamp_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> Value {
    Value::Text(timestamp_text(t))
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
