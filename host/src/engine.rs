//! The wasmtime engine: configuration, loading and compiling components.
//!
//! Instances come from a pooling allocator (memories, tables and stacks are
//! reused, not mapped per request), and every store gets an epoch deadline so a
//! runaway guest is stopped instead of holding a worker forever.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::compile_cache::CompileCache;
use crate::factors::key_value::KeyValueFactor;
use crate::factors::outbound_http::OutboundHttpFactor;
use crate::factors::sqlite::SqliteFactor;
use crate::factors::variables::VariablesFactor;
use crate::factors::Factor;
use crate::state::InstanceState;

/// How often the epoch advances; the granularity of timeouts.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Engine limits, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct EngineLimits {
    /// Instances that may exist at once (concurrent requests and cron events).
    pub max_instances: u32,
    /// Largest linear memory one instance may grow to.
    pub max_memory_bytes: usize,
}

pub fn new_engine(limits: EngineLimits) -> Result<Engine> {
    let n = limits.max_instances;
    let mut pool = PoolingAllocationConfig::default();
    // A componentized p1 module instantiates the guest, the adapter and the
    // shim modules wit-component adds: a few core instances per component.
    pool.total_component_instances(n);
    pool.total_core_instances(n * 8);
    pool.total_memories(n * 2);
    pool.total_tables(n * 4);
    pool.total_stacks(n);
    pool.max_memory_size(limits.max_memory_bytes);
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config)?;
    let ticker = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
    Ok(engine)
}

/// The linker shared by every component: WASI p2, `wasi:http`, and the factors.
pub fn new_linker(engine: &Engine) -> Result<Linker<InstanceState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    KeyValueFactor::add_to_linker(&mut linker)?;
    SqliteFactor::add_to_linker(&mut linker)?;
    VariablesFactor::add_to_linker(&mut linker)?;
    OutboundHttpFactor::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// Reads a component and compiles it, or loads it from `cache`; a
/// `wasm32-wasip1` core module is first turned into a component with the p1
/// reactor adapter, as Spin does.
pub fn load_component(
    engine: &Engine,
    cache: &CompileCache,
    id: &str,
    path: &Path,
) -> Result<Component> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "component `{id}`: cannot read its source {} (has it been built? try `spin-local build`)",
            path.display()
        )
    })?;
    let started = Instant::now();
    let (component, source) =
        cache.component(engine, id, &bytes, || compile(engine, id, path, &bytes))?;
    eprintln!(
        "[spin-local] loaded component `{id}` ({} KiB) in {} ms, {}",
        bytes.len() / 1024,
        started.elapsed().as_millis(),
        source.as_str()
    );
    Ok(component)
}

fn compile(engine: &Engine, id: &str, path: &Path, bytes: &[u8]) -> Result<Component> {
    let componentized;
    let bytes = if wasmparser::Parser::is_core_wasm(bytes) {
        componentized = componentize(bytes).with_context(|| {
            format!(
                "component `{id}`: {} is not a usable wasm32-wasip1 module",
                path.display()
            )
        })?;
        &componentized[..]
    } else {
        bytes
    };
    Component::from_binary(engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("component `{id}`: cannot compile {}", path.display()))
}

fn componentize(module: &[u8]) -> Result<Vec<u8>> {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
    };
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|e| {
            e.adapter(
                WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
            )
        })
        .map_err(|e| anyhow!("{e:#}"))?
        .validate(true)
        .encode()
        .map_err(|e| anyhow!("{e:#}"))
}
