//! What every end-to-end test shares: the repository's own `spin.toml`, run by
//! the release host with a fresh state directory.

use std::path::Path;

pub use spin_local_harness::{AppDir, Host, Response};

/// Boots the application exactly as `scripts/run.sh` does, on an ephemeral port
/// and a temporary state directory. Extra environment for variables.
pub fn boot(env: &[(&str, &str)]) -> (AppDir, Host) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spin.toml");
    let app = AppDir::existing(spin_local_harness::default_binary(), &manifest);
    let host = app.up(&[], env).unwrap_or_else(|e| panic!("{e}"));
    (app, host)
}

/// Parses a JSON body, failing the test with the body if it is not JSON.
pub fn json(r: &Response) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}
