//! `fermyon:spin/key-value@2.0.0` on SQLite, in Spin's own on-disk format:
//! label `default` lives in `<state-dir>/sqlite_key_value.db`, table
//! `spin_key_value(store, key, value)`, so a state directory moves between this
//! host and `spin up` unchanged.
//!
//! With `--runtime-config-file`, a label may live in another SQLite file or on
//! a Redis server (`type = "redis"`, keys stored as they are, as Spin's Redis
//! store does): replicas that share the server share the store. A Redis error
//! while serving fails that call (`other`, and a log line); the next call
//! connects again.
//!
//! A component opens only the labels listed in its `key_value_stores`
//! (`access-denied` otherwise, as in Spin); a listed label the host does not
//! provide stops start-up.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

use super::bindings::fermyon::spin::key_value::{self, Error};
use super::{allowed_labels, Factor, PrepareContext};
use crate::runtime_config::KeyValueStore;
use crate::sqlite_pool::{Durability, Pool};
use crate::state::InstanceState;

pub struct KeyValueFactor {
    stores: Arc<HashMap<String, Backend>>,
}

/// Where a label's keys live.
#[derive(Clone)]
enum Backend {
    Sqlite(Arc<Pool>),
    Redis(Arc<RedisStore>),
}

impl KeyValueFactor {
    /// Provides the `default` store from the state directory, and every
    /// store `configured` (from the runtime config), which may replace it.
    pub fn open(
        state_dir: &Path,
        durability: Durability,
        configured: &BTreeMap<String, KeyValueStore>,
    ) -> Result<Self> {
        let mut wanted = configured.clone();
        wanted
            .entry("default".to_string())
            .or_insert_with(|| KeyValueStore::Spin("sqlite_key_value.db".into()));
        let mut stores = HashMap::new();
        for (label, store) in wanted {
            let backend = match &store {
                KeyValueStore::Spin(path) => {
                    Backend::Sqlite(open_sqlite(&state_dir.join(path), durability)?)
                }
                KeyValueStore::Redis(url) => {
                    Backend::Redis(Arc::new(RedisStore::connect(url).with_context(|| {
                        format!("key-value store `{label}`: cannot use Redis at {url}")
                    })?))
                }
            };
            stores.insert(label, backend);
        }
        Ok(KeyValueFactor {
            stores: Arc::new(stores),
        })
    }
}

fn open_sqlite(path: &Path, durability: Durability) -> Result<Arc<Pool>> {
    let pool = Pool::open(path, durability)?;
    pool.get()?.execute_batch(
        "CREATE TABLE IF NOT EXISTS spin_key_value (
           store TEXT NOT NULL,
           key   TEXT NOT NULL,
           value BLOB NOT NULL,
           PRIMARY KEY (store, key))",
    )?;
    Ok(pool)
}

/// A Redis server, with a few idle connections kept for reuse.
struct RedisStore {
    client: redis::Client,
    idle: Mutex<Vec<redis::Connection>>,
}

const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

impl RedisStore {
    /// Checks the server answers `PING` before the host serves anything.
    fn connect(url: &str) -> Result<Self> {
        let store = RedisStore {
            client: redis::Client::open(url)?,
            idle: Mutex::new(Vec::new()),
        };
        store.with(|c| redis::cmd("PING").query::<String>(c))?;
        Ok(store)
    }

    /// Runs `command` on a connection; one that failed is dropped, so the
    /// next call connects again (the server may be back).
    fn with<T>(
        &self,
        command: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match idle {
            Some(c) => c,
            None => {
                let c = self.client.get_connection_with_timeout(REDIS_TIMEOUT)?;
                c.set_read_timeout(Some(REDIS_TIMEOUT))?;
                c.set_write_timeout(Some(REDIS_TIMEOUT))?;
                c
            }
        };
        let result = command(&mut conn);
        if result.is_ok() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        }
        result
    }

    /// Runs one command for store `label`; a failure is logged and answered
    /// as `other`.
    fn query<T: redis::FromRedisValue>(
        &self,
        label: &str,
        command: &redis::Cmd,
    ) -> Result<T, Error> {
        self.with(|c| command.query(c)).map_err(|e| {
            eprintln!("[spin-local] key-value store `{label}`: Redis error: {e}");
            Error::Other(format!("redis: {e}"))
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
    backend: Backend,
}

pub struct KeyValueInstance {
    stores: Arc<HashMap<String, Backend>>,
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
        let backend = self.stores.get(&label).ok_or(Error::NoSuchStore)?.clone();
        self.table
            .push(OpenStore { label, backend })
            .map_err(|_| Error::StoreTableFull)
    }

    fn get(&mut self, store: Resource<OpenStore>, key: String) -> Result<Option<Vec<u8>>, Error> {
        let s = self.store(&store)?;
        let pool = match &s.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Redis(r) => return r.query(&s.label, redis::cmd("GET").arg(&key)),
        };
        let conn = pool.get().map_err(other)?;
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
        let pool = match &s.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Redis(r) => return r.query(&s.label, redis::cmd("SET").arg(&key).arg(&value)),
        };
        let conn = pool.get().map_err(other)?;
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
        let pool = match &s.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Redis(r) => return r.query(&s.label, redis::cmd("DEL").arg(&key)),
        };
        let conn = pool.get().map_err(other)?;
        conn.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut stmt| stmt.execute((&s.label, &key)))
            .map_err(other)?;
        Ok(())
    }

    fn exists(&mut self, store: Resource<OpenStore>, key: String) -> Result<bool, Error> {
        let s = self.store(&store)?;
        let pool = match &s.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Redis(r) => return r.query(&s.label, redis::cmd("EXISTS").arg(&key)),
        };
        let conn = pool.get().map_err(other)?;
        conn.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut stmt| stmt.exists((&s.label, &key)))
            .map_err(other)
    }

    fn get_keys(&mut self, store: Resource<OpenStore>) -> Result<Vec<String>, Error> {
        let s = self.store(&store)?;
        let pool = match &s.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Redis(r) => return r.query(&s.label, redis::cmd("KEYS").arg("*")),
        };
        let conn = pool.get().map_err(other)?;
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
