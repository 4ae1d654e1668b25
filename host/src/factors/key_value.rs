//! `fermyon:spin/key-value@2.0.0` on SQLite, in Spin's own on-disk format:
//! label `default` lives in `<state-dir>/sqlite_key_value.db`, table
//! `spin_key_value(store, key, value)`, so a state directory moves between this
//! host and `spin up` unchanged.
//!
//! A component opens only the labels listed in its `key_value_stores`
//! (`access-denied` otherwise, as in Spin); a listed label the host does not
//! provide stops start-up.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

use super::bindings::fermyon::spin::key_value::{self, Error};
use super::{allowed_labels, Factor, PrepareContext};
use crate::sqlite_pool::{Durability, Pool};
use crate::state::InstanceState;

pub struct KeyValueFactor {
    stores: Arc<HashMap<String, Arc<Pool>>>,
}

impl KeyValueFactor {
    /// Provides the `default` store from the state directory.
    pub fn open(state_dir: &Path, durability: Durability) -> Result<Self> {
        let pool = Pool::open(&state_dir.join("sqlite_key_value.db"), durability)?;
        pool.get()?.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
               store TEXT NOT NULL,
               key   TEXT NOT NULL,
               value BLOB NOT NULL,
               PRIMARY KEY (store, key))",
        )?;
        let stores = HashMap::from([("default".to_string(), pool)]);
        Ok(KeyValueFactor {
            stores: Arc::new(stores),
        })
    }
}

/// What one component may open.
pub struct KeyValueComponent {
    allowed: Arc<[String]>,
}

/// An open `store` resource.
pub struct OpenStore {
    label: String,
    pool: Arc<Pool>,
}

pub struct KeyValueInstance {
    stores: Arc<HashMap<String, Arc<Pool>>>,
    allowed: Arc<[String]>,
    table: ResourceTable,
}

impl Factor for KeyValueFactor {
    type ComponentState = KeyValueComponent;
    type InstanceState = KeyValueInstance;

    fn add_to_linker(linker: &mut Linker<InstanceState>) -> Result<()> {
        key_value::add_to_linker::<_, HasSelf<KeyValueInstance>>(linker, |s| &mut s.key_value)?;
        Ok(())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<KeyValueComponent> {
        Ok(KeyValueComponent {
            allowed: allowed_labels(
                ctx,
                "key_value_stores",
                &ctx.component.key_value_stores,
                &self.stores,
            )?,
        })
    }

    fn instance(&self, component: &KeyValueComponent) -> KeyValueInstance {
        KeyValueInstance {
            stores: self.stores.clone(),
            allowed: component.allowed.clone(),
            table: ResourceTable::new(),
        }
    }
}

fn other(e: impl std::fmt::Display) -> Error {
    Error::Other(e.to_string())
}

impl KeyValueInstance {
    fn store(&self, store: &Resource<OpenStore>) -> Result<&OpenStore, Error> {
        self.table.get(store).map_err(other)
    }
}

impl key_value::Host for KeyValueInstance {}

impl key_value::HostStore for KeyValueInstance {
    fn open(&mut self, label: String) -> Result<Resource<OpenStore>, Error> {
        if !self.allowed.contains(&label) {
            return Err(Error::AccessDenied);
        }
        let pool = self.stores.get(&label).ok_or(Error::NoSuchStore)?.clone();
        self.table
            .push(OpenStore { label, pool })
            .map_err(|_| Error::StoreTableFull)
    }

    fn get(&mut self, store: Resource<OpenStore>, key: String) -> Result<Option<Vec<u8>>, Error> {
        let s = self.store(&store)?;
        let conn = s.pool.get().map_err(other)?;
        let mut stmt = conn
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .map_err(other)?;
        let mut rows = stmt.query((&s.label, &key)).map_err(other)?;
        match rows.next().map_err(other)? {
            Some(row) => Ok(Some(row.get(0).map_err(other)?)),
            None => Ok(None),
        }
    }

    fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Error> {
        let s = self.store(&store)?;
        let conn = s.pool.get().map_err(other)?;
        conn.prepare_cached(
            "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
        )
        .and_then(|mut stmt| stmt.execute((&s.label, &key, &value)))
        .map_err(other)?;
        Ok(())
    }

    fn delete(&mut self, store: Resource<OpenStore>, key: String) -> Result<(), Error> {
        let s = self.store(&store)?;
        let conn = s.pool.get().map_err(other)?;
        conn.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut stmt| stmt.execute((&s.label, &key)))
            .map_err(other)?;
        Ok(())
    }

    fn exists(&mut self, store: Resource<OpenStore>, key: String) -> Result<bool, Error> {
        let s = self.store(&store)?;
        let conn = s.pool.get().map_err(other)?;
        conn.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut stmt| stmt.exists((&s.label, &key)))
            .map_err(other)
    }

    fn get_keys(&mut self, store: Resource<OpenStore>) -> Result<Vec<String>, Error> {
        let s = self.store(&store)?;
        let conn = s.pool.get().map_err(other)?;
        let mut stmt = conn
            .prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")
            .map_err(other)?;
        let keys = stmt
            .query_map([&s.label], |r| r.get::<_, String>(0))
            .map_err(other)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(other)?;
        Ok(keys)
    }

    fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}
