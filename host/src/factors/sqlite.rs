//! `fermyon:spin/sqlite@2.0.0`: database `default` is
//! `<state-dir>/sqlite_db.db`, Spin's file name, unless the runtime config
//! puts it elsewhere (another file, or a libSQL server). A component opens only the
//! databases listed in its `sqlite_databases` (`access-denied` otherwise).
//! SQL errors reach the guest as `io(message)`, as in Spin.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use rusqlite::types::Value as SqlValue;
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

use super::bindings::fermyon::spin::sqlite::{self, Error, QueryResult, RowResult, Value};
use super::{allowed_labels, Factor, PrepareContext};
use crate::database::{self, Connection, Database};
use crate::runtime_config::SqliteDatabase;
use crate::sqlite_pool::Durability;
use crate::state::InstanceState;

pub struct SqliteFactor {
    databases: Arc<HashMap<String, Arc<Database>>>,
}

impl SqliteFactor {
    /// Provides every database `configured` in the runtime config (a file,
    /// relative to the state directory, or a libSQL server) and `default`
    /// (`<state_dir>/sqlite_db.db`) unless the runtime config moves it.
    pub fn open(
        state_dir: &Path,
        durability: Durability,
        configured: &BTreeMap<String, SqliteDatabase>,
    ) -> Result<Self> {
        let mut all = configured.clone();
        all.entry("default".to_string())
            .or_insert_with(|| SqliteDatabase::Spin("sqlite_db.db".into()));
        Ok(SqliteFactor {
            databases: Arc::new(database::open_all(&all, state_dir, durability)?),
        })
    }

    /// The database behind a label (migrations use `default`).
    pub fn database(&self, label: &str) -> Option<Arc<Database>> {
        self.databases.get(label).cloned()
    }
}

pub struct SqliteComponent {
    allowed: Arc<[String]>,
}

/// An open `connection` resource: one pooled connection (or libSQL stream)
/// for its whole life.
pub struct OpenConnection {
    conn: Connection,
}

pub struct SqliteInstance {
    databases: Arc<HashMap<String, Arc<Database>>>,
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
        let db = self.databases.get(&database).ok_or(Error::NoSuchDatabase)?;
        let conn = db.connect().map_err(io)?;
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
        let conn = &mut self
            .table
            .get_mut(&connection)
            .map_err(|_| Error::InvalidConnection)?
            .conn;
        let params = parameters.into_iter().map(to_sql).collect();
        let (columns, rows) = conn.execute(&statement, params).map_err(Error::Io)?;
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
