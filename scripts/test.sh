#!/usr/bin/env bash
# The whole test suite (what CI runs): bootstrap and build, formatting and
# lints, then every unit, host and end-to-end test in release mode (the host
# and the wasm are built once, and every test boots that same build), then
# schema fuzzing of the running app against api/openapi.json, once per role
# (scripts/fuzz.sh: schemathesis from PyPI, about 15 minutes for the 7 roles; 0 failures), then
# the member portal's journeys in headless chromium (scripts/browser.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# redis-server: the key-value stores on Redis (runtime config), in host and
# end-to-end tests; chromium and chromium-driver: the browser journeys.
scripts/bootstrap.sh redis-server chromium chromium-driver
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --release --locked
scripts/fuzz.sh
# deploy/ checked against spin.toml and the SpinApp schema, in the fuzz venv (PyYAML, jsonschema_rs).
"${FUZZ_VENV:-target/fuzz-venv}/bin/python" scripts/check-deploy.py
scripts/browser.sh
