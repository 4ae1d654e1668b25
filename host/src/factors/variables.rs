//! `fermyon:spin/variables@2.0.0`: a component reads its own variables
//! (`[component.x.variables]`), resolved once at start-up.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker};

use super::bindings::fermyon::spin::variables::{self, Error};
use super::{Factor, PrepareContext};
use crate::state::InstanceState;

pub struct VariablesFactor;

pub struct VariablesInstance {
    values: Arc<HashMap<String, String>>,
}

impl Factor for VariablesFactor {
    type ComponentState = Arc<HashMap<String, String>>;
    type InstanceState = VariablesInstance;

    fn add_to_linker(linker: &mut Linker<InstanceState>) -> Result<()> {
        variables::add_to_linker::<_, HasSelf<VariablesInstance>>(linker, |s| &mut s.variables)?;
        Ok(())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Self::ComponentState> {
        Ok(Arc::new(
            ctx.variables
                .components
                .get(ctx.id)
                .cloned()
                .unwrap_or_default(),
        ))
    }

    fn instance(&self, component: &Self::ComponentState) -> VariablesInstance {
        VariablesInstance {
            values: component.clone(),
        }
    }
}

impl variables::Host for VariablesInstance {
    fn get(&mut self, name: String) -> Result<String, Error> {
        if crate::variables::validate_name(&name).is_err() {
            return Err(Error::InvalidName(name));
        }
        self.values
            .get(&name)
            .cloned()
            .ok_or(Error::Undefined(name))
    }
}
