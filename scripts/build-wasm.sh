#!/usr/bin/env bash
# Builds wasm components (wasm32-wasip1 core modules, componentized by the host
# or by Spin at load) into target/wasm32-wasip1/release/<crate>.wasm.
#
#   scripts/build-wasm.sh              every wasm crate (functions/*, host test guests, bench guests)
#   scripts/build-wasm.sh eligibility  just these packages
#
# On these machines there is no rustup wasm target: it uses Debian's rustc/cargo
# (packages rustc-web cargo-web rust-web-src wasi-libc lld-19, installed by
# scripts/bootstrap.sh) and builds std from source (-Zbuild-std). Elsewhere
# (a workstation with `rustup target add wasm32-wasip1`, as `spin build` expects)
# it falls back to a plain `cargo build --target wasm32-wasip1 --release`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
  for manifest in functions/*/Cargo.toml host/tests/guests/*/Cargo.toml bench/guests/*/Cargo.toml; do
    [ -f "$manifest" ] || continue
    packages+=("$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n 1)")
  done
fi
args=()
for p in "${packages[@]}"; do args+=(-p "$p"); done

# The guests' size profile; the host keeps the workspace's release profile.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_STRIP=true
export CARGO_PROFILE_RELEASE_PANIC=abort

if [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ] && [ -x /usr/bin/wasm-ld-19 ]; then
  export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  export CARGO_TARGET_WASM32_WASIP1_LINKER=/usr/bin/wasm-ld-19
  export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="-C link-self-contained=no -L /usr/lib/wasm32-wasi"
  exec /usr/bin/cargo build --release --locked --target wasm32-wasip1 -Zbuild-std=std,panic_abort "${args[@]}"
else
  exec cargo build --release --target wasm32-wasip1 "${args[@]}"
fi
