#!/usr/bin/env bash
# Bootstraps and builds everything, then serves the app locally on the embedded
# SQLite defaults (state in .spin/), printing the URL. Extra arguments go to
# `spin-local up` (e.g. --listen 127.0.0.1:8080).
#
# Unless SPIN_VARIABLE_API_KEYS is set, local development keys are used, one
# per role, a development card signing key, payment webhook secret and partner
# endpoints and secrets (see
# the README); never use them anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
if [ -z "${SPIN_VARIABLE_API_KEYS:-}" ]; then
  export SPIN_VARIABLE_API_KEYS="staff=dev-staff-key-0000001,webform=dev-webform-key-00001,chatbot=dev-chatbot-key-00001,scheduler=dev-scheduler-key-0001,customer_success=dev-cs-key-000000001,program_manager=dev-pm-key-000000001"
  echo "run: using the local development keys (e.g. Authorization: Bearer dev-staff-key-0000001)" >&2
fi
if [ -z "${SPIN_VARIABLE_CARD_SIGNING_KEY:-}" ]; then
  export SPIN_VARIABLE_CARD_SIGNING_KEY=3f8e0fa1b2754f00a0e0c6219cd43c4a02fd3d5b03b906974b5d16649cd9e946
  echo "run: signing card payloads with the local development key" >&2
fi
if [ -z "${SPIN_VARIABLE_PAYMENT_WEBHOOK_SECRETS:-}" ]; then
  export SPIN_VARIABLE_PAYMENT_WEBHOOK_SECRETS=whsec_ZGV2LXBheW1lbnQtd2ViaG9vay1zZWNyZXQ=
  echo "run: verifying payment webhooks with the local development secret" >&2
fi
# Partners: service orders and notices go to local development endpoints
# (nothing listens there until you run one: calls are retried with backoff),
# signed and verified with development secrets.
: "${SPIN_VARIABLE_PROVISIONING_ORIGIN:=http://127.0.0.1:3001}"
: "${SPIN_VARIABLE_NOTIFICATION_ORIGIN:=http://127.0.0.1:3001}"
: "${SPIN_VARIABLE_PROVISIONING_WEBHOOK_SECRET:=whsec_ZGV2LXByb3Zpc2lvbmluZy1zZWNyZXQ=}"
: "${SPIN_VARIABLE_NOTIFICATION_WEBHOOK_SECRET:=whsec_ZGV2LW5vdGlmaWNhdGlvbi1zZWNyZXQ=}"
: "${SPIN_VARIABLE_PARTNER_WEBHOOK_SECRETS:=whsec_ZGV2LXBhcnRuZXItc2VjcmV0}"
export SPIN_VARIABLE_PROVISIONING_ORIGIN SPIN_VARIABLE_NOTIFICATION_ORIGIN \
  SPIN_VARIABLE_PROVISIONING_WEBHOOK_SECRET SPIN_VARIABLE_NOTIFICATION_WEBHOOK_SECRET \
  SPIN_VARIABLE_PARTNER_WEBHOOK_SECRETS
exec target/release/spin-local up --from spin.toml "$@"
