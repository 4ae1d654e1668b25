//! Host capabilities offered to components, organised as Spin organises its
//! "factors": each capability is one module behind the small [`Factor`] trait.
//!
//! A factor is configured once for the application, prepares a per-component
//! state once at start-up (checking the manifest's permissions against what the
//! host offers, so a bad label fails the start, not a request), and builds a
//! cheap per-instance state for every request or cron event.

pub mod key_value;
pub mod outbound_http;
pub mod sqlite;
pub mod variables;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{bail, Result};
use wasmtime::component::Linker;

use crate::manifest::Component;
use crate::state::InstanceState;
use crate::variables::ResolvedVariables;

/// Bindings for the Spin 2.0 platform interfaces (`wit/`).
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "spin-local:host/platform",
        with: {
            "fermyon:spin/key-value.store": crate::factors::key_value::OpenStore,
            "fermyon:spin/sqlite.connection": crate::factors::sqlite::OpenConnection,
        },
    });
}

/// What a factor needs to know about one component at start-up.
pub struct PrepareContext<'a> {
    pub id: &'a str,
    pub component: &'a Component,
    pub variables: &'a ResolvedVariables,
}

/// One host capability.
pub trait Factor: Send + Sync + 'static {
    /// Prepared once per component at start-up.
    type ComponentState: Send + Sync + 'static;
    /// Lives in one wasmtime `Store` (one request or cron event).
    type InstanceState: Send + 'static;

    /// Adds this capability's imports to the linker.
    fn add_to_linker(linker: &mut Linker<InstanceState>) -> Result<()>;

    /// Validates a component's use of this capability and prepares its state.
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Self::ComponentState>;

    /// Builds the state one instance of the component sees.
    fn instance(&self, component: &Self::ComponentState) -> Self::InstanceState;
}

/// Checks the labels a component lists under `key` (`key_value_stores`,
/// `sqlite_databases`) against those the host provides; returns the allowed set.
pub fn allowed_labels<T>(
    ctx: &PrepareContext<'_>,
    key: &str,
    requested: &[String],
    provided: &HashMap<String, T>,
) -> Result<Arc<[String]>> {
    for label in requested {
        if !provided.contains_key(label) {
            let mut available: Vec<&str> = provided.keys().map(String::as_str).collect();
            available.sort_unstable();
            bail!(
                "`component.{}.{key}`: this host provides no `{label}` (available: {})",
                ctx.id,
                available.join(", ")
            );
        }
    }
    Ok(requested.into())
}
