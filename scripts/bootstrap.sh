#!/usr/bin/env bash
# Makes a fresh machine able to build and run the app, then builds it:
#   1. Debian packages for the offline wasm toolchain (only those missing);
#   2. every wasm component (scripts/build-wasm.sh);
#   3. the local host, target/release/spin-local.
# Idempotent: when everything is in place it takes a few seconds.
# Installs only from Debian's archive and crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(rustc-web cargo-web rust-web-src wasi-libc lld-19 "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "bootstrap: building wasm components" >&2
scripts/build-wasm.sh
echo "bootstrap: building the host" >&2
cargo build --release --locked -p spin-local
