#!/usr/bin/env bash
# Bootstraps and builds everything, then serves the app locally on the embedded
# SQLite defaults (state in .spin/), printing the URL. Extra arguments go to
# `spin-local up` (e.g. --listen 127.0.0.1:8080).
#
# Unless SPIN_VARIABLE_API_KEYS is set, local development keys are used, one
# per role (see the README); never use them anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
if [ -z "${SPIN_VARIABLE_API_KEYS:-}" ]; then
  export SPIN_VARIABLE_API_KEYS="staff=dev-staff-key-0000001,webform=dev-webform-key-00001,chatbot=dev-chatbot-key-00001,scheduler=dev-scheduler-key-0001,customer_success=dev-cs-key-000000001,program_manager=dev-pm-key-000000001"
  echo "run: using the local development keys (e.g. Authorization: Bearer dev-staff-key-0000001)" >&2
fi
exec target/release/spin-local up --from spin.toml "$@"
