//! The data of one wasmtime `Store`: one request or one cron event.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::factors::key_value::KeyValueInstance;
use crate::factors::outbound_http::OutboundHttpInstance;
use crate::factors::sqlite::SqliteInstance;
use crate::factors::variables::VariablesInstance;

pub struct InstanceState {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub http: WasiHttpCtx,
    pub key_value: KeyValueInstance,
    pub sqlite: SqliteInstance,
    pub variables: VariablesInstance,
    pub outbound_http: OutboundHttpInstance,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound_http,
        }
    }
}
