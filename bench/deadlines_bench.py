#!/usr/bin/env python3
"""Deadline computations per second inside a wasm component (scripts/bench.sh
sla runs it after the native figure): the guest bench/guests/deadlines runs
the native benchmark's workload (the same source) and times it inside wasm.
Three runs of N computations (default 1,000,000) on one host."""
import json
import os
import sys
import tempfile
import urllib.request

from common import ROOT, Host

MANIFEST = os.path.join(ROOT, "bench", "deadlines.toml")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    host = Host(MANIFEST, tempfile.gettempdir())
    try:
        runs = [json.loads(urllib.request.urlopen(f"{host.base}/deadlines?n={n}", timeout=600).read())
                for _ in range(3)]
    finally:
        host.stop()
    print(f"\n{n} deadline computations inside the wasm component (add_business, Madrid calendar with holidays)\n")
    print("| run | seconds | per second |")
    print("|---|---|---|")
    for i, r in enumerate(runs, 1):
        print(f"| {i} | {r['seconds']:.3f} | {r['per_second']:,.0f} |")


if __name__ == "__main__":
    main()
