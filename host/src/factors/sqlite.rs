//! `fermyon:spin/sqlite@2.0.0`: database `default` is
//! `<state-dir>/sqlite_db.db`, Spin's file name. A component opens only the
//! databases listed in its `sqlite_databases` (`access-denied` otherwise).
//! SQL errors reach the guest as `io(message)`, as in Spin.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use rusqlite::types::Value as SqlValue;
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

use super::bindings::fermyon::spin::sqlite::{self, Error, QueryResult, RowResult, Value};
use super::{allowed_labels, Factor, PrepareContext};
use crate::sqlite_pool::{Durability, Pool, Pooled};
use crate::state::InstanceState;

pub struct SqliteFactor {
    databases: Arc<HashMap<String, Arc<Pool>>>,
}

impl SqliteFactor {
    /// Provides the `default` database from the state directory.
    /// Provides `default` (`<state_dir>/sqlite_db.db`) and every database
    /// `configured` (label → file, from the runtime config; relative paths
    /// are in the state directory), which may move `default`.
    pub fn open(
        state_dir: &Path,
        durability: Durability,
        configured: &std::collections::BTreeMap<String, std::path::PathBuf>,
    ) -> Result<Self> {
        let mut databases = HashMap::new();
        if !configured.contains_key("default") {
            databases.insert(
                "default".to_string(),
                Pool::open(&state_dir.join("sqlite_db.db"), durability)?,
            );
        }
        for (label, path) in configured {
            databases.insert(
                label.clone(),
                Pool::open(&state_dir.join(path), durability)?,
            );
        }
        Ok(SqliteFactor {
            databases: Arc::new(databases),
        })
    }

    /// The pool behind a label (migrations use `default`).
    pub fn database(&self, label: &str) -> Option<Arc<Pool>> {
        self.databases.get(label).cloned()
    }
}

pub struct SqliteComponent {
    allowed: Arc<[String]>,
}

/// An open `connection` resource: one pooled connection for its whole life.
pub struct OpenConnection {
    conn: Pooled,
}

pub struct SqliteInstance {
    databases: Arc<HashMap<String, Arc<Pool>>>,
    allowed: Arc<[String]>,
    table: ResourceTable,
}

impl Factor for SqliteFactor {
    type ComponentState = SqliteComponent;
    type InstanceState = SqliteInstance;

    fn add_to_linker(linker: &mut Linker<InstanceState>) -> Result<()> {
        sqlite::add_to_linker::<_, HasSelf<SqliteInstance>>(linker, |s| &mut s.sqlite)?;
        Ok(())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<SqliteComponent> {
        Ok(SqliteComponent {
            allowed: allowed_labels(
                ctx,
                "sqlite_databases",
                &ctx.component.sqlite_databases,
                &self.databases,
            )?,
        })
    }

    fn instance(&self, component: &SqliteComponent) -> SqliteInstance {
        SqliteInstance {
            databases: self.databases.clone(),
            allowed: component.allowed.clone(),
            table: ResourceTable::new(),
        }
    }
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(e.to_string())
}

fn to_sql(v: Value) -> SqlValue {
    match v {
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(f) => SqlValue::Real(f),
        Value::Text(s) => SqlValue::Text(s),
        Value::Blob(b) => SqlValue::Blob(b),
        Value::Null => SqlValue::Null,
    }
}

fn from_sql(v: SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::Integer(i),
        SqlValue::Real(f) => Value::Real(f),
        SqlValue::Text(t) => Value::Text(t),
        SqlValue::Blob(b) => Value::Blob(b),
    }
}

impl sqlite::Host for SqliteInstance {}

impl sqlite::HostConnection for SqliteInstance {
    fn open(&mut self, database: String) -> Result<Resource<OpenConnection>, Error> {
        if !self.allowed.contains(&database) {
            return Err(Error::AccessDenied);
        }
        let pool = self.databases.get(&database).ok_or(Error::NoSuchDatabase)?;
        let conn = pool.get().map_err(io)?;
        self.table
            .push(OpenConnection { conn })
            .map_err(|_| Error::InvalidConnection)
    }

    fn execute(
        &mut self,
        connection: Resource<OpenConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> Result<QueryResult, Error> {
        let pooled = &self
            .table
            .get(&connection)
            .map_err(|_| Error::InvalidConnection)?
            .conn;
        let params = parameters.into_iter().map(to_sql).collect();
        let (columns, rows) = pooled
            .pool()
            .execute(pooled, &statement, params)
            .map_err(Error::Io)?;
        Ok(QueryResult {
            columns,
            rows: rows
                .into_iter()
                .map(|values| RowResult {
                    values: values.into_iter().map(from_sql).collect(),
                })
                .collect(),
        })
    }

    fn drop(&mut self, connection: Resource<OpenConnection>) -> wasmtime::Result<()> {
        self.table.delete(connection)?;
        Ok(())
    }
}
