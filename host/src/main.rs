//! `spin-local`: a small, fast, Spin-compatible host for the same `spin.toml`
//! and `.wasm` files that run under `spin up`. It knows nothing about the
//! application it runs.
//!
//! ```text
//! spin-local build [-f spin.toml] [-c component]...
//! spin-local up    [-f spin.toml] [--listen 127.0.0.1:3000] [--state-dir .spin] ...
//! spin-local cron  <component> [--at 2026-01-31T23:00:00Z] [-f spin.toml] ...
//! ```
// One `unsafe` call, allowed where it is: loading a checked compilation
// cache entry (`compile_cache::deserialize`).
#![deny(unsafe_code)]

mod app;
mod build_cmd;
mod compile_cache;
mod database;
mod engine;
mod factors;
mod group_commit;
mod libsql;
mod log;
mod manifest;
mod migrations;
mod routes;
mod runtime_config;
mod sqlite_pool;
mod state;
mod trigger;
mod variables;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::app::{App, HostOptions};
use crate::compile_cache::CompileCache;
use crate::engine::EngineLimits;
use crate::manifest::Manifest;
use crate::runtime_config::RuntimeConfig;
use crate::sqlite_pool::Durability;
use crate::trigger::cron::{CronHandler, Schedule};
use crate::trigger::http::{HttpTrigger, Limits};

#[derive(Parser)]
#[command(
    name = "spin-local",
    version,
    about = "A Spin-compatible local host for spin.toml applications"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run each component's build command.
    Build {
        /// The application manifest.
        #[arg(short = 'f', long = "from", default_value = "spin.toml")]
        manifest: PathBuf,
        /// Build only these components.
        #[arg(short = 'c', long = "component-id")]
        components: Vec<String>,
    },
    /// Serve the application's HTTP routes and run its cron schedules.
    Up {
        #[command(flatten)]
        run: RunOptions,
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        #[command(flatten)]
        http: HttpOptions,
        /// Serve HTTP only, without the cron schedules: when another instance
        /// or an external scheduler fires the jobs (`spin-local cron`, or the
        /// jobs' HTTP routes), and for tests and benchmarks that fire them
        /// explicitly at chosen times.
        #[arg(long)]
        no_cron: bool,
        /// Threads that run guests. Guests' SQLite and key-value calls block
        /// their thread, so more threads than cores let writes that wait on a
        /// commit share the next one (group commit). Default: 4 per core, at least 8.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        workers: Option<u16>,
    },
    /// Fire one cron event of a component and exit (status 1 if it fails).
    Cron {
        /// The component to fire.
        component: String,
        /// The event's time (RFC 3339); default now.
        #[arg(long)]
        at: Option<DateTime<Utc>>,
        #[command(flatten)]
        run: RunOptions,
    },
}

/// What the HTTP server accepts from a client before any guest runs.
#[derive(Args)]
struct HttpOptions {
    /// Requests with a larger body (declared or sent) get 413 before any guest runs.
    #[arg(long, default_value_t = 16 << 20)]
    max_request_bytes: u64,
    /// Largest request line plus headers, in bytes (at least 8192); larger get 431.
    #[arg(long, default_value_t = 16 << 10, value_parser = clap::value_parser!(u64).range(8192..))]
    max_header_bytes: u64,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body once its headers
    /// are in; a slower one gets 408. No instance is held meanwhile.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
}

impl HttpOptions {
    fn limits(&self) -> Limits {
        Limits {
            max_request_bytes: self.max_request_bytes,
            max_header_bytes: usize::try_from(self.max_header_bytes).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
        }
    }
}

#[derive(Args)]
struct RunOptions {
    /// The application manifest.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    manifest: PathBuf,
    /// Where key-value and SQLite data live (default: `.spin` beside the manifest).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Set an application variable (`name=value`); beats SPIN_VARIABLE_<NAME>.
    #[arg(long = "variable", value_parser = parse_key_value)]
    variables: Vec<(String, String)>,
    /// SQL statement, or `@file.sql`, run on the default database at start (as `spin up --sqlite`).
    #[arg(long = "sqlite")]
    sqlite: Vec<String>,
    /// Migrations directory (default: `migrations` beside the manifest, if present).
    #[arg(long)]
    migrations: Option<PathBuf>,
    /// SQLite durability: `full` fsyncs every commit; `normal` may lose the last commits on power loss.
    #[arg(long, value_enum, default_value = "full")]
    durability: Durability,
    /// Instances that may run at once.
    #[arg(long, default_value_t = 128)]
    max_instances: u32,
    /// Largest memory one instance may use, in MiB.
    #[arg(long, default_value_t = 256)]
    max_memory_mib: usize,
    /// Longest a request or cron event may run, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// Where compiled components are kept between starts (default:
    /// `$SPIN_LOCAL_CACHE_DIR`, else `$XDG_CACHE_HOME/spin-local`, else `~/.cache/spin-local`).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Compile every component at start, without reading or writing the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
    /// Spin's runtime config: key-value stores (`spin`, `redis`), SQLite
    /// databases (`spin`) and the variables provider (`env`) by label.
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected name=value, got `{s}`"))
}

impl RunOptions {
    fn load(&self, wanted: impl Fn(&Manifest, &str) -> bool) -> Result<App> {
        let manifest = Manifest::load(&self.manifest)?;
        let state_dir = self
            .state_dir
            .clone()
            .unwrap_or_else(|| manifest.dir.join(".spin"));
        let options = HostOptions {
            state_dir,
            durability: self.durability,
            limits: EngineLimits {
                max_instances: self.max_instances,
                max_memory_bytes: self.max_memory_mib << 20,
            },
            timeout: Duration::from_secs(self.timeout_secs),
            cli_variables: self.variables.iter().cloned().collect::<HashMap<_, _>>(),
            runtime_config: match &self.runtime_config_file {
                Some(path) => RuntimeConfig::load(path)?,
                None => RuntimeConfig::default(),
            },
            cache: match (&self.cache_dir, self.no_cache) {
                (_, true) => CompileCache::disabled(),
                (Some(dir), false) => CompileCache::at(dir.clone()),
                (None, false) => CompileCache::default_dir()
                    .map_or_else(CompileCache::disabled, CompileCache::at),
            },
        };
        let wanted_ids: Vec<String> = manifest
            .components
            .keys()
            .filter(|id| wanted(&manifest, id))
            .cloned()
            .collect();
        let app = App::load(manifest, &options, |id| wanted_ids.iter().any(|w| w == id))?;
        self.set_up_schema(&app)?;
        Ok(app)
    }

    fn set_up_schema(&self, app: &App) -> Result<()> {
        let db = app
            .factors
            .sqlite
            .database("default")
            .context("no default database")?;
        migrations::run_statements(&db, &self.sqlite, &app.manifest.dir)?;
        let dir = match &self.migrations {
            Some(d) => Some(d.clone()),
            None => Some(app.manifest.dir.join("migrations")).filter(|d| d.is_dir()),
        };
        if let Some(dir) = dir {
            for name in migrations::apply_dir(&db, &dir)? {
                eprintln!("[spin-local] applied migration {name}");
            }
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build {
            manifest,
            components,
        } => Manifest::load(&manifest).and_then(|m| build_cmd::build(&m, &components)),
        Command::Up {
            run,
            listen,
            http,
            no_cron,
            workers,
        } => runtime(workers).and_then(|rt| rt.block_on(up(run, listen, http.limits(), no_cron))),
        Command::Cron { component, at, run } => {
            runtime(None).and_then(|rt| rt.block_on(cron_once(run, component, at)))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime(workers: Option<u16>) -> Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = workers.map_or((cores * 4).max(8), usize::from);
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?)
}

/// Connections the kernel queues before `accept`. A burst of clients (a
/// form campaign, a load test) waits in this queue; when it overflows, Linux
/// answers with resets. tokio's `bind` asks for 1024; this asks for Linux's
/// default ceiling (`net.core.somaxconn`, 4096), which clamps it anyway.
const ACCEPT_BACKLOG: u32 = 4096;

fn listen_on(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

async fn up(run: RunOptions, listen: SocketAddr, limits: Limits, no_cron: bool) -> Result<()> {
    let listener = listen_on(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let app = Arc::new(run.load(|m, id| {
        m.http_triggers.iter().any(|t| t.component == id)
            || (!no_cron && m.cron_triggers.iter().any(|t| t.component == id))
    })?);
    let http = Arc::new(HttpTrigger::new(app.clone(), limits)?);
    let mut schedules = Vec::new();
    let cron_triggers = if no_cron {
        &[][..]
    } else {
        &app.manifest.cron_triggers[..]
    };
    for t in cron_triggers {
        schedules.push(Schedule::new(
            CronHandler::new(app.clone(), &t.component)?,
            &t.cron_expression,
        )?);
    }
    let base = format!("http://{}", listener.local_addr()?);
    let name = &app.manifest.application.name;
    let version = app.manifest.application.version.as_deref().unwrap_or("");
    let mut banner = format!("Application {name} {version}\nServing {base}\nAvailable Routes:\n");
    for line in http.describe_routes(&base) {
        banner.push_str(&line);
        banner.push('\n');
    }
    if no_cron && !app.manifest.cron_triggers.is_empty() {
        banner.push_str("Cron schedules: off (--no-cron)\n");
    }
    if !schedules.is_empty() {
        banner.push_str("Cron schedules (UTC):\n");
        for s in &schedules {
            banner.push_str(&s.describe());
            banner.push('\n');
        }
    }
    // Listen for SIGTERM/SIGINT before announcing readiness: a supervisor may
    // stop the host right after "Serving", and a signal that arrives before
    // its handler exists would kill the process instead of draining it.
    let shutdown = ShutdownSignals::install()?;
    print!("{banner}");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let cron = tokio::spawn(trigger::cron::run(schedules, stop_rx.clone()));
    let mut stop_http = stop_rx;
    let served = http.serve(listener, async move {
        let _ = stop_http.changed().await;
    });
    let signals = async {
        shutdown.received().await;
        let _ = stop_tx.send(true);
    };
    let (served, ()) = tokio::join!(served, signals);
    served?;
    cron.await.context("cron scheduler failed")?;
    eprintln!("[spin-local] stopped");
    Ok(())
}

/// SIGTERM and SIGINT handlers, registered when installed.
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(ShutdownSignals {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    /// Resolves on the first SIGTERM or SIGINT.
    async fn received(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

async fn cron_once(run: RunOptions, component: String, at: Option<DateTime<Utc>>) -> Result<()> {
    let app = Arc::new(run.load(|_, id| id == component)?);
    if !app.components.contains_key(&component) {
        bail!("no component `{component}` in the manifest");
    }
    let handler = CronHandler::new(app, &component)?;
    handler.fire(at.unwrap_or_else(Utc::now)).await
}
