#!/usr/bin/env bash
# Benchmarks (not tests). Builds everything first (and installs Debian's wrk).
#   scripts/bench.sh host      the host under load with a tiny KV+SQLite guest
# Environment: BENCH_DURATION (default 10s), BENCH_DURABILITY (full|normal).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh wrk
case "${1:-host}" in
  host) exec python3 bench/host_bench.py ;;
  *) echo "usage: scripts/bench.sh [host]" >&2; exit 2 ;;
esac
