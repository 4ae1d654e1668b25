#!/usr/bin/env bash
# Schema fuzzing: Schemathesis against api/openapi.json, one run per
# role key, on the release build (target/release/spin-local and the wasm under
# target/wasm32-wasip1/release/, as scripts/bootstrap.sh leaves them; this
# script builds nothing). It creates or reuses the venv target/fuzz-venv,
# installs the pinned schemathesis (scripts/fuzz-requirements.txt) from PyPI (nothing else is downloaded),
# starts spin-local on a free loopback port with a fresh state directory and
# no cron, fuzzes, stops the host, and ends with `fuzz: N passed, M failed`
# (roles without / with failures). Exit status 1 if any role found a failure.
# Reports: target/fuzz-report/ (summary.json, per-role st.out and NDJSON).
# Knobs: see scripts/fuzz.py (FUZZ_MAX_EXAMPLES, FUZZ_ROLES, FUZZ_SPEC, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

# Every package pinned (schemathesis and what it pulls in): scripts/fuzz-requirements.txt.
REQUIREMENTS=scripts/fuzz-requirements.txt
VENV=${FUZZ_VENV:-target/fuzz-venv}

if [[ ! -x target/release/spin-local ]]; then
  echo "fuzz: target/release/spin-local is missing; run scripts/bootstrap.sh first" >&2
  echo "fuzz: 0 passed, 7 failed"
  exit 1
fi

scripts/venv.sh "$VENV" "$REQUIREMENTS"

exec "$VENV/bin/python" scripts/fuzz.py "$@"
