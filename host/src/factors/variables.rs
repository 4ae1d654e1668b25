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

#[derive(Clone)]
pub struct VariablesInstance {
    component: Arc<str>,
    values: Arc<HashMap<String, String>>,
}

impl Factor for VariablesFactor {
    type ComponentState = VariablesInstance;
    type InstanceState = VariablesInstance;

    fn add_to_linker(linker: &mut Linker<InstanceState>) -> Result<()> {
        variables::add_to_linker::<_, HasSelf<VariablesInstance>>(linker, |s| &mut s.variables)?;
        Ok(())
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Self::ComponentState> {
        Ok(VariablesInstance {
            component: Arc::from(ctx.id),
            values: Arc::new(
                ctx.variables
                    .components
                    .get(ctx.id)
                    .cloned()
                    .unwrap_or_default(),
            ),
        })
    }

    fn instance(&self, component: &Self::ComponentState) -> VariablesInstance {
        component.clone()
    }
}

impl variables::Host for VariablesInstance {
    /// The errors carry Spin's texts (spinframework/spin `factor-variables`):
    /// `"Foo": invalid character 'F'. …` and `no variable for "comp"."name"`.
    fn get(&mut self, name: String) -> Result<String, Error> {
        crate::variables::validate_name(&name).map_err(Error::InvalidName)?;
        self.values.get(&name).cloned().ok_or_else(|| {
            Error::Undefined(format!("no variable for {:?}.{name:?}", &*self.component))
        })
    }
}
