#!/usr/bin/env bash
# Runs the app under real Spin with the schema set up in one step: every
# migrations/*.sql, in order, as `--sqlite @file` (the files are idempotent,
# since Spin runs them on every start). Extra arguments go to `spin up`, e.g.
#   SPIN_VARIABLE_API_KEYS="staff=…" SPIN_VARIABLE_CARD_SIGNING_KEY=<64 hex> scripts/spin-up.sh --runtime-config-file deploy/runtime-config.toml
# SPIN_BIN picks another Spin-compatible binary (the tests use spin-local).
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for f in migrations/*.sql; do args+=(--sqlite "@$f"); done
exec "${SPIN_BIN:-spin}" up "${args[@]}" "$@"
