#!/usr/bin/env python3
"""Key-value benchmark: the `probe` guest's `kv-get` and `kv-set` on one key,
with the `default` store as Spin's SQLite file (tmpfs, disk) and on Debian's
redis-server over loopback (`--runtime-config-file`). Run via
scripts/bench.sh kv (which installs redis-server)."""
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

from common import Host, free_port, measure, state_locations, table
from host_bench import MANIFEST

SET_LUA = 'wrk.method = "POST"\nwrk.body = "value"\n'


def start_redis():
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise SystemExit("redis-server did not start")


def main():
    work = tempfile.mkdtemp(prefix="bench-kv-")
    manifest = os.path.join(work, "spin.toml")
    with open(manifest, "w") as f:
        f.write(MANIFEST)
    set_lua = os.path.join(work, "set.lua")
    with open(set_lua, "w") as f:
        f.write(SET_LUA)
    redis, port = start_redis()
    config = os.path.join(work, "runtime-config.toml")
    with open(config, "w") as f:
        f.write(f'[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:{port}"\n')
    backends = [(f"SQLite, {label}", parent, ()) for label, parent in state_locations()]
    backends.append(("Redis (loopback)", state_locations()[0][1], ("--runtime-config-file", config)))
    gets, sets = [], []
    try:
        for label, parent, args in backends:
            host = Host(manifest, parent, args=args)
            try:
                urllib.request.urlopen(urllib.request.Request(
                    host.base + "/?op=kv-set&key=k", data=b"value", method="POST")).read()
                gets += measure(host, host.base + "/?op=kv-get&key=k", label=label)
                sets += measure(host, host.base + "/?op=kv-set&key=k", script=set_lua, label=label)
            finally:
                host.stop()
    finally:
        redis.kill()
    table("probe guest ?op=kv-get (one key-value get per request)", gets)
    table("probe guest ?op=kv-set (one key-value set per request)", sets)


if __name__ == "__main__":
    main()
