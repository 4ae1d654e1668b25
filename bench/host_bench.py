#!/usr/bin/env python3
"""Host benchmark: loads spin-local over loopback with wrk against the tiny
`probe` guest (`?op=bench`: 2 key-value operations and 3 SQLite statements,
one an INSERT, per request) and reports req/s, p50 and p99 (from wrk) and the
host's own per-request instantiation time (from its log lines), at 1 and 8
connections, with the state directory on tmpfs and on disk.

A benchmark, not a test: it asserts nothing. Run through scripts/bench.sh.
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = os.path.join(ROOT, "target/release/spin-local")
PROBE = os.path.join(ROOT, "target/wasm32-wasip1/release/probe.wasm")
DURATION = os.environ.get("BENCH_DURATION", "10s")
DURABILITY = os.environ.get("BENCH_DURABILITY", "full")

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

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def to_ms(value):
    m = re.match(r"([\d.]+)(us|ms|s)$", value)
    return float(m.group(1)) * UNITS[m.group(2)]


def wrk(url, connections):
    threads = 1 if connections == 1 else 2
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{DURATION}", "--latency", url],
        check=True, capture_output=True, text=True).stdout
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": to_ms(pct["50"]), "p99": to_ms(pct["99"]),
            "non2xx": int(errors.group(1)) if errors else 0}


def instantiation_us(log_path, start_line):
    with open(log_path) as f:
        lines = f.readlines()[start_line:]
    values = [int(m.group(1)) for l in lines if (m := re.search(r" inst_us=(\d+)", l))]
    return (statistics.mean(values), statistics.median(values), len(values)) if values else (0, 0, 0)


def line_count(path):
    with open(path) as f:
        return sum(1 for _ in f)


def run(label, state_parent):
    app = tempfile.mkdtemp(prefix="bench-app-")
    state = tempfile.mkdtemp(prefix="bench-state-", dir=state_parent)
    with open(os.path.join(app, "spin.toml"), "w") as f:
        f.write(MANIFEST)
    log_path = os.path.join(app, "host.log")
    log = open(log_path, "w")
    host = subprocess.Popen(
        [HOST, "up", "--from", os.path.join(app, "spin.toml"), "--state-dir", state,
         "--listen", "127.0.0.1:0", "--durability", DURABILITY],
        stdout=log, stderr=subprocess.STDOUT)
    base = None
    for _ in range(300):
        time.sleep(0.05)
        with open(log_path) as f:
            m = re.search(r"Serving (http://\S+)", f.read())
        if m:
            base = m.group(1)
            break
    if base is None:
        host.kill()
        sys.exit(f"host did not start; see {log_path}")
    url = base + "/bench?op=bench"
    rows = []
    try:
        subprocess.run(["wrk", "-t1", "-c1", "-d2s", url], check=True, capture_output=True)
        for connections in (1, 8):
            start = line_count(log_path)
            r = wrk(url, connections)
            mean_inst, p50_inst, n = instantiation_us(log_path, start)
            rows.append((label, connections, r, mean_inst, p50_inst, n))
    finally:
        host.send_signal(signal.SIGTERM)
        host.wait(timeout=60)
        log.close()
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(app, ignore_errors=True)
    return rows


def main():
    locations = []
    if os.path.isdir("/dev/shm"):
        locations.append(("tmpfs (/dev/shm)", "/dev/shm"))
    disk = os.path.join(ROOT, "target/bench-state")
    os.makedirs(disk, exist_ok=True)
    locations.append(("disk (target/)", disk))
    rows = []
    for label, parent in locations:
        rows += run(label, parent)
    print(f"\nspin-local, probe guest ?op=bench (2 KV ops + 3 SQL statements, 1 INSERT), "
          f"wrk {DURATION} per row, SQLite durability={DURABILITY}, {os.cpu_count()} cores\n")
    print("| state | connections | req/s | p50 ms | p99 ms | instantiate mean µs | instantiate p50 µs | non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    for label, c, r, mean_inst, p50_inst, n in rows:
        print(f"| {label} | {c} | {r['rps']:.0f} | {r['p50']:.3f} | {r['p99']:.3f} | "
              f"{mean_inst:.1f} | {p50_inst:.0f} | {r['non2xx']} |")


if __name__ == "__main__":
    main()
