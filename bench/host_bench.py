#!/usr/bin/env python3
"""Host benchmark: wrk over loopback against the tiny `probe` guest
(`?op=bench`: 2 key-value operations and 3 SQLite statements, one an INSERT),
at 1 and 8 connections, state on tmpfs and on disk. Run via scripts/bench.sh."""
import os
import tempfile

from common import ROOT, Host, measure, state_locations, table

PROBE = os.path.join(ROOT, "target/wasm32-wasip1/release/probe.wasm")
MANIFEST = f"""spin_manifest_version = 2
[application]
name = "bench"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{PROBE}"
key_value_stores = ["default"]
sqlite_databases = ["default"]
"""


def main():
    manifest = os.path.join(tempfile.mkdtemp(prefix="bench-app-"), "spin.toml")
    with open(manifest, "w") as f:
        f.write(MANIFEST)
    rows = []
    for label, parent in state_locations():
        host = Host(manifest, parent)
        try:
            rows += measure(host, host.base + "/bench?op=bench", label=label)
        finally:
            host.stop()
    table("spin-local, probe guest ?op=bench (2 KV ops + 3 SQL statements, 1 INSERT)", rows)


if __name__ == "__main__":
    main()
