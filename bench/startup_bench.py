"""Start to first answer: `spin-local up` on this app (all its components,
fresh state, migrations applied) until `GET /api/v1/health` answers 200.
Cold: an empty compilation cache each run; warm: the cache a previous start
filled. BENCH_BASELINE may name another spin-local build (e.g. one without
the cache) to time the same way. Run via scripts/bench.sh startup [RUNS]."""
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from common import HOST, ROOT, app_env, free_port

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
MANIFEST = os.path.join(ROOT, "spin.toml")


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return s.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start_to_first_answer(binary, cache_args):
    """Seconds from spawning the host to its first 200 on /api/v1/health."""
    state = tempfile.mkdtemp(prefix="bench-startup-")
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "up", "--from", MANIFEST, "--state-dir", state, "--listen", f"127.0.0.1:{port}",
         "--no-cron", *cache_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **app_env("staff=k")})
    try:
        while not healthy(port):
            if proc.poll() is not None:
                sys.exit(f"{binary} exited with {proc.returncode} before answering")
            if time.perf_counter() - started > 300:
                sys.exit("no answer within 300 s")
            time.sleep(0.002)
        return time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(state, ignore_errors=True)


def series(label, binary, cache_args_of_run):
    times = [start_to_first_answer(binary, cache_args_of_run(i)) for i in range(RUNS)]
    ms = [t * 1000 for t in times]
    print(f"| {label} | {RUNS} | {min(ms):.0f} | {statistics.median(ms):.0f} | {max(ms):.0f} |")


def main():
    components = sum(1 for line in open(MANIFEST) if re.match(r"\[component\.[\w-]+\]$", line.strip()))
    print(f"\nspin-local up on spin.toml ({components} components), fresh state each run, until GET /api/v1/health answers 200\n")
    print("| start | runs | min ms | median ms | max ms |")
    print("|---|---|---|---|---|")
    scratch = tempfile.mkdtemp(prefix="bench-cache-")
    try:
        series("cold (empty compilation cache)", HOST,
               lambda i: ["--cache-dir", os.path.join(scratch, f"cold-{i}")])
        warm = os.path.join(scratch, "warm")
        start_to_first_answer(HOST, ["--cache-dir", warm])
        series("warm (cache filled by a previous start)", HOST, lambda i: ["--cache-dir", warm])
        baseline = os.environ.get("BENCH_BASELINE")
        if baseline:
            series(f"baseline {baseline}", baseline, lambda i: [])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
