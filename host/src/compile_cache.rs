//! The compilation cache: a component compiled once is kept on disk, as
//! wasmtime serialises it, and later starts (and every `spin-local cron`)
//! load it instead of compiling again, as Spin's own cache does.
//!
//! An entry's name is the SHA-256 of everything its machine code depends on:
//! the `.wasm` file's bytes, the p1 adapter and componentizer versions, and
//! the engine's compatibility hash (wasmtime's version, its compiler settings
//! and the host CPU features it compiles for). A change to any of them is a
//! different name, so an entry is never used for another input.
//!
//! An entry is the SHA-256 of its payload followed by the payload. Loading
//! checks that digest before handing the bytes to wasmtime, which checks its
//! own header (version and settings) again: a truncated, corrupt or foreign
//! file is recompiled with a warning, never executed. Entries are written to
//! a temporary file and renamed, so a crash or a concurrent start never
//! leaves half an entry under a real name.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{anyhow, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Bumped when the entry format or the componentization inputs change.
const FORMAT: &str = "spin-local compile cache v1; wit-component 0.254; adapter 48.0.8";
const DIGEST_LEN: usize = 32;

/// Where compiled components are kept, or nowhere (`--no-cache`).
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

/// How a component was obtained, for the start-up log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Compiled,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cache => "from the compilation cache",
            Source::Compiled => "compiled",
        }
    }
}

impl CompileCache {
    pub fn disabled() -> Self {
        CompileCache { dir: None }
    }

    pub fn at(dir: PathBuf) -> Self {
        CompileCache { dir: Some(dir) }
    }

    /// The cache directory when none is given: `$SPIN_LOCAL_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/spin-local`, else `~/.cache/spin-local`; none when
    /// there is no home either.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        var("SPIN_LOCAL_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("spin-local")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("spin-local")))
    }

    /// The component for `wasm` (a component's bytes), from the cache if it
    /// holds a sound entry, else from `compile`, which is then stored.
    pub fn component(
        &self,
        engine: &Engine,
        id: &str,
        wasm: &[u8],
        compile: impl FnOnce() -> Result<Component>,
    ) -> Result<(Component, Source)> {
        let Some(dir) = &self.dir else {
            return Ok((compile()?, Source::Compiled));
        };
        let entry = dir.join(format!("{}.cwasm", entry_name(engine, wasm)));
        match read_entry(engine, &entry) {
            Ok(Some(component)) => return Ok((component, Source::Cache)),
            Ok(None) => {}
            Err(e) => eprintln!(
                "[spin-local] warning: component `{id}`: ignoring cache entry {}: {e:#}; recompiling",
                entry.display()
            ),
        }
        let component = compile()?;
        if let Err(e) = write_entry(dir, &entry, &component) {
            eprintln!(
                "[spin-local] warning: component `{id}`: cannot store it in the compilation cache {}: {e:#}",
                dir.display()
            );
        }
        Ok((component, Source::Compiled))
    }
}

/// Feeds `Hash` output into SHA-256, so wasmtime's compatibility hash (a
/// `Hash` value) becomes part of a stable digest.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn entry_name(engine: &Engine, wasm: &[u8]) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    hasher.write(FORMAT.as_bytes());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.write(&Sha256::digest(wasm));
    hex(&hasher.0.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Ok(None)` if there is no entry; an error if there is one that is not sound.
fn read_entry(engine: &Engine, entry: &Path) -> Result<Option<Component>> {
    let bytes = match std::fs::read(entry) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (digest, payload) = bytes
        .split_at_checked(DIGEST_LEN)
        .ok_or_else(|| anyhow!("truncated"))?;
    if Sha256::digest(payload).as_slice() != digest {
        return Err(anyhow!("its checksum does not match its contents"));
    }
    deserialize(engine, payload).map(Some)
}

/// The one `unsafe` call in the host. wasmtime trusts serialised machine
/// code as given, so only bytes this host wrote may reach it: `read_entry`
/// has checked the payload's SHA-256 against the digest stored with it, the
/// entry's name covers the engine's compatibility hash, and wasmtime checks
/// its own header (version, settings) before using it.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, payload: &[u8]) -> Result<Component> {
    // SAFETY: see above; the bytes are an unmodified `Component::serialize`
    // output of an engine with this engine's compatibility hash.
    unsafe { Component::deserialize(engine, payload) }.map_err(anyhow::Error::from)
}

fn write_entry(dir: &Path, entry: &Path, component: &Component) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let payload = component.serialize().map_err(anyhow::Error::from)?;
    let mut bytes = Sha256::digest(&payload).to_vec();
    bytes.extend_from_slice(&payload);
    // Unique per process and call: two components with the same source may
    // be stored at once.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let temporary = dir.join(format!(
        ".{}.{}.{}.tmp",
        entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("entry"),
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&temporary, &bytes)?;
    std::fs::rename(&temporary, entry).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compatibility_hash_feeds_a_stable_name() {
        let engine = Engine::default();
        assert_eq!(entry_name(&engine, b"a"), entry_name(&engine, b"a"));
        assert_ne!(entry_name(&engine, b"a"), entry_name(&engine, b"b"));
        let mut other = wasmtime::Config::new();
        other.cranelift_opt_level(wasmtime::OptLevel::None);
        let other = Engine::new(&other).unwrap();
        assert_ne!(entry_name(&engine, b"a"), entry_name(&other, b"a"));
    }
}
