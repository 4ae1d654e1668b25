#!/usr/bin/env bash
# Benchmarks (not tests). Builds everything first (and installs Debian's wrk).
#   scripts/bench.sh host         the host under load with a tiny KV+SQLite guest
#   scripts/bench.sh eligibility  POST /api/v1/eligibility/check on the real app
#   scripts/bench.sh month-end [N] one month-end close over N customers (default 100000)
#   scripts/bench.sh cards        POST /api/v1/cards, a new card per request
#   scripts/bench.sh sla [N]      N deadline computations natively, then inside a wasm component (default 1000000)
#   scripts/bench.sh rewards [ROWS] redemptions per second; one expiry run over ROWS ledger rows (default 1000000)
#   scripts/bench.sh intake       POST /api/v1/tickets, a new ticket per request (BENCH_SKIP_MIGRATION=<file>: without it)
#   scripts/bench.sh tickets [N]  one SLA sweep over N open tickets (default 100000), its rerun, a minute later
#   scripts/bench.sh dunning [N]  one dunning run over N unpaid invoices (default 100000), its rerun, the pickup
#   scripts/bench.sh suspension [N] one suspension run: N orders, N provisioning calls, N notices (default 10000), its rerun
#   scripts/bench.sh notices [N] member notices a second (1 and 8 concurrent runs); a broadcast to N members
#                                (default 100000) at BENCH_RATE emails a second (default 500), other notices' delay
#   scripts/bench.sh changes [N]  N change-request estimates natively (default 200000); the acceptance endpoint's
#                                p50/p99 at 1 and 8 connections (tmpfs and disk)
#   scripts/bench.sh reports [N] [--browser] each report's p50/p99 over 20 calls: N members (default 100000), 1M ledger
#                                rows, 100k tickets, 12 months of invoices; --browser: the dashboard's first load in chromium
#   scripts/bench.sh kv           key-value get and set: SQLite (tmpfs, disk) vs Redis
#   scripts/bench.sh member       a member-scoped read by staff, by a web form with a member token, by the member
#   scripts/bench.sh startup [RUNS] start to first answer, cold and warm compilation cache (default 10 runs each)
# Environment: BENCH_DURATION (default 10s), BENCH_DURABILITY (full|normal), BENCH_STATE (tmpfs|disk: only that one),
# BENCH_HOST (another spin-local binary to measure, e.g. the build before a change),
# BENCH_BASELINE (startup: also time this spin-local build, without cache options).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh wrk
case "${1:-host}" in
  host) exec python3 bench/host_bench.py ;;
  eligibility) exec python3 bench/eligibility_bench.py ;;
  month-end) exec python3 bench/month_end_bench.py "${@:2}" ;;
  cards) exec python3 bench/cards_bench.py ;;
  sla) cargo run --release --locked -q -p vip-domain --example sla_bench -- "${@:2}"
       exec python3 bench/deadlines_bench.py "${@:2}" ;;
  rewards) exec python3 bench/rewards_bench.py "${@:2}" ;;
  tickets) exec python3 bench/tickets_bench.py "${@:2}" ;;
  intake) exec python3 bench/intake_bench.py ;;
  queue) exec python3 bench/queue_bench.py "${@:2}" ;;
  dunning) exec python3 bench/dunning_bench.py "${@:2}" ;;
  suspension) exec python3 bench/suspension_bench.py "${@:2}" ;;
  notices) exec python3 bench/notices_bench.py "${@:2}" ;;
  changes) cargo run --release --locked -q -p vip-domain --example estimate_bench -- "${@:2}"
           exec python3 bench/changes_bench.py ;;
  startup) exec python3 bench/startup_bench.py "${@:2}" ;;
  reports) if [[ " ${*:2} " == *" --browser "* ]]; then
             scripts/venv.sh target/browser-venv scripts/browser-requirements.txt
             exec target/browser-venv/bin/python bench/reports_bench.py "${@:2}"
           fi
           exec python3 bench/reports_bench.py "${@:2}" ;;
  member) exec python3 bench/member_bench.py ;;
  kv) scripts/bootstrap.sh redis-server >/dev/null
      exec python3 bench/kv_bench.py ;;
  *) echo "usage: scripts/bench.sh [host|eligibility|month-end [N]|cards|rewards [ROWS]|intake|tickets [N]|queue [N]|dunning [N]|suspension [N]|notices [N]|changes [N]|startup [RUNS]|reports [N] [--browser]|kv|member|sla [N]]" >&2; exit 2 ;;
esac
