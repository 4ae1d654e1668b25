//! The cron trigger, compatible with Spin's `trigger-cron` plugin: six-field
//! expressions (`sec min hour day-of-month month day-of-week`, UTC), and the
//! guest export `fermyon:spin-cron/handle-cron-event` called with the
//! scheduled time.
//!
//! Each schedule runs its events one after another: if an event outlasts the
//! interval, the missed ticks are skipped rather than piled up (the jobs of
//! this project catch up from their own `as_of` anyway).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::App;
use crate::state::InstanceState;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "fermyon:spin-cron/spin-cron",
        exports: { default: async },
    });
}

use bindings::fermyon::spin_cron::cron_types::{Error as CronError, Metadata};
use bindings::SpinCronPre;

/// A cron component ready to fire.
pub struct CronHandler {
    app: Arc<App>,
    component: String,
    pre: SpinCronPre<InstanceState>,
}

impl CronHandler {
    pub fn new(app: Arc<App>, component: &str) -> Result<Self> {
        let c = app
            .components
            .get(component)
            .with_context(|| format!("no component `{component}` is loaded"))?;
        let pre = app
            .linker
            .instantiate_pre(&c.component)
            .and_then(SpinCronPre::new)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "component `{component}` cannot run as a cron job here (it must export \
                     fermyon:spin-cron handle-cron-event and import only what this host provides)"
                )
            })?;
        Ok(CronHandler {
            app,
            component: component.to_string(),
            pre,
        })
    }

    /// Fires one event with the given time; logs it and returns its outcome.
    pub async fn fire(&self, at: DateTime<Utc>) -> Result<()> {
        let started = Instant::now();
        let timestamp = u64::try_from(at.timestamp()).context("cron time before 1970")?;
        let outcome = self.run(timestamp).await;
        let logged = outcome.as_ref().map(|_| ()).map_err(crate::log::one_line);
        crate::log::cron_event(&self.component, timestamp, &logged, started);
        outcome
    }

    async fn run(&self, timestamp: u64) -> Result<()> {
        let c = self
            .app
            .components
            .get(&self.component)
            .context("cron component is not loaded")?;
        let mut store = self.app.new_store(c)?;
        let instance = self.pre.instantiate_async(&mut store).await?;
        match instance
            .call_handle_cron_event(&mut store, Metadata { timestamp })
            .await?
        {
            Ok(()) => Ok(()),
            Err(CronError::Other(message)) => Err(anyhow!("component reported: {message}")),
        }
    }
}

/// A parsed schedule.
pub struct Schedule {
    handler: CronHandler,
    schedule: cron::Schedule,
    expression: String,
}

impl Schedule {
    pub fn new(handler: CronHandler, expression: &str) -> Result<Self> {
        let schedule = cron::Schedule::from_str(expression).map_err(|e| {
            anyhow!(
                "cron expression `{expression}` of component `{}`: {e} (six fields: sec min hour \
                 day-of-month month day-of-week)",
                handler.component
            )
        })?;
        Ok(Schedule {
            handler,
            schedule,
            expression: expression.to_string(),
        })
    }

    pub fn describe(&self) -> String {
        format!("  {}: {}", self.handler.component, self.expression)
    }
}

/// Runs every schedule until `shutdown` turns true; an event in flight at
/// shutdown is allowed to finish.
pub async fn run(schedules: Vec<Schedule>, mut shutdown: watch::Receiver<bool>) {
    let mut tasks = JoinSet::new();
    for s in schedules {
        let mut stop = shutdown.clone();
        tasks.spawn(async move {
            loop {
                let Some(next) = s.schedule.upcoming(Utc).next() else {
                    return;
                };
                let wait = (next - Utc::now()).to_std().unwrap_or_default();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
                // Errors are logged by `fire`; the schedule goes on.
                let _ = s.handler.fire(next).await;
            }
        });
    }
    let _ = shutdown.changed().await;
    while tasks.join_next().await.is_some() {}
}
