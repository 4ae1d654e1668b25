#!/usr/bin/env bash
# Bootstraps and builds everything, then serves the app locally on the embedded
# SQLite defaults (state in .spin/), printing the URL. Extra arguments go to
# `spin-local up` (e.g. --listen 127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec target/release/spin-local up --from spin.toml "$@"
