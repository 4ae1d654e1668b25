//! A loaded application: the manifest, the factors, and each component
//! compiled once with its prepared per-component state. Triggers ask it for a
//! fresh `Store` per request or cron event.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx};
use wasmtime_wasi_http::WasiHttpCtx;

use crate::compile_cache::CompileCache;
use crate::engine::{self, EngineLimits, EPOCH_TICK};
use crate::factors::key_value::{KeyValueComponent, KeyValueFactor};
use crate::factors::outbound_http::{OutboundHttpFactor, OutboundPolicy};
use crate::factors::sqlite::{SqliteComponent, SqliteFactor};
use crate::factors::variables::{VariablesFactor, VariablesInstance};
use crate::factors::{Factor, PrepareContext};
use crate::manifest::Manifest;
use crate::runtime_config::RuntimeConfig;
use crate::sqlite_pool::Durability;
use crate::state::InstanceState;
use crate::variables::{self, Providers};

/// Host settings that are not part of the manifest.
pub struct HostOptions {
    pub state_dir: PathBuf,
    pub durability: Durability,
    pub limits: EngineLimits,
    /// Longest a request or cron event may run before it is stopped.
    pub timeout: Duration,
    pub cli_variables: HashMap<String, String>,
    /// Where compiled components are kept between starts.
    pub cache: CompileCache,
    /// `--runtime-config-file`: where stores live, the variables provider.
    pub runtime_config: RuntimeConfig,
}

pub struct Factors {
    pub key_value: KeyValueFactor,
    pub sqlite: SqliteFactor,
    pub variables: VariablesFactor,
    pub outbound_http: OutboundHttpFactor,
}

struct ComponentFactors {
    key_value: KeyValueComponent,
    sqlite: SqliteComponent,
    variables: VariablesInstance,
    outbound_http: Arc<OutboundPolicy>,
}

/// One compiled component, ready to instantiate.
pub struct AppComponent {
    pub id: String,
    pub component: Component,
    factors: ComponentFactors,
    environment: Vec<(String, String)>,
    dirs: Vec<(PathBuf, String)>,
}

pub struct App {
    pub manifest: Manifest,
    pub engine: Engine,
    pub linker: Linker<InstanceState>,
    pub factors: Factors,
    pub components: HashMap<String, AppComponent>,
    deadline_ticks: u64,
}

impl App {
    /// Loads the components for which `wanted` is true; resolves variables and
    /// checks every component's permissions first, so any mistake in the
    /// manifest or the environment stops start-up with a message.
    pub fn load(
        manifest: Manifest,
        options: &HostOptions,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Self> {
        let resolved = variables::resolve(
            &manifest,
            &Providers::from_process(
                options.cli_variables.clone(),
                options.runtime_config.env_prefix.as_deref(),
            ),
        )?;
        let factors = Factors {
            key_value: KeyValueFactor::open(
                &options.state_dir,
                options.durability,
                &options.runtime_config.key_value_stores,
            )?,
            sqlite: SqliteFactor::open(
                &options.state_dir,
                options.durability,
                &options.runtime_config.sqlite_databases,
            )?,
            variables: VariablesFactor,
            outbound_http: OutboundHttpFactor,
        };
        let engine = engine::new_engine(options.limits)?;
        let linker = engine::new_linker(&engine)?;
        let mut prepared = Vec::new();
        for (id, c) in &manifest.components {
            let ctx = PrepareContext {
                id,
                component: c,
                variables: &resolved,
            };
            let component_factors = ComponentFactors {
                key_value: factors.key_value.prepare(&ctx)?,
                sqlite: factors.sqlite.prepare(&ctx)?,
                variables: factors.variables.prepare(&ctx)?,
                outbound_http: factors.outbound_http.prepare(&ctx)?,
            };
            for (dir, _) in &c.files {
                if !dir.is_dir() {
                    anyhow::bail!(
                        "`component.{id}.files`: {} is not a directory",
                        dir.display()
                    );
                }
            }
            if wanted(id) {
                prepared.push((id, c, component_factors));
            }
        }
        // Components compile (or load from the cache) in parallel: a cold
        // start costs the slowest component, not the sum.
        let compiled: Vec<Result<Component>> = std::thread::scope(|scope| {
            let loads: Vec<_> = prepared
                .iter()
                .map(|(id, c, _)| {
                    let (engine, cache) = (&engine, &options.cache);
                    scope.spawn(move || engine::load_component(engine, cache, id, &c.source))
                })
                .collect();
            loads
                .into_iter()
                .map(|load| {
                    load.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("compiling a component panicked")))
                })
                .collect()
        });
        let mut components = HashMap::new();
        for ((id, c, factors), component) in prepared.into_iter().zip(compiled) {
            components.insert(
                id.clone(),
                AppComponent {
                    id: id.clone(),
                    component: component?,
                    factors,
                    environment: c.environment.clone().into_iter().collect(),
                    dirs: c.files.clone(),
                },
            );
        }
        let deadline_ticks = (options.timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        Ok(App {
            manifest,
            engine,
            linker,
            factors,
            components,
            deadline_ticks,
        })
    }

    /// A fresh store for one instance of `component`.
    pub fn new_store(&self, component: &AppComponent) -> Result<Store<InstanceState>> {
        let mut wasi = WasiCtx::builder();
        wasi.inherit_stdout()
            .inherit_stderr()
            .envs(&component.environment);
        for (host, guest) in &component.dirs {
            wasi.preopened_dir(host, guest, FsPerms::ReadOnly)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!(
                        "cannot open {} for component `{}`",
                        host.display(),
                        component.id
                    )
                })?;
        }
        let f = &component.factors;
        let state = InstanceState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            key_value: self.factors.key_value.instance(&f.key_value),
            sqlite: self.factors.sqlite.instance(&f.sqlite),
            variables: self.factors.variables.instance(&f.variables),
            outbound_http: self.factors.outbound_http.instance(&f.outbound_http),
        };
        let mut store = Store::new(&self.engine, state);
        store.set_epoch_deadline(self.deadline_ticks);
        Ok(store)
    }
}
