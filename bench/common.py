"""What the benchmarks share: start spin-local on a manifest, run wrk, read
the host's per-request log lines. Benchmarks assert nothing; they report."""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# BENCH_HOST: another spin-local build to measure (e.g. a baseline, for before/after).
HOST = os.environ.get("BENCH_HOST", os.path.join(ROOT, "target/release/spin-local"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
DURABILITY = os.environ.get("BENCH_DURABILITY", "full")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
# The local development card signing key (an Ed25519 seed), as scripts/run.sh uses.
DEV_PAYMENT_WEBHOOK_SECRET = "whsec_ZGV2LXBheW1lbnQtd2ViaG9vay1zZWNyZXQ="
DEV_CARD_SIGNING_KEY = "3f8e0fa1b2754f00a0e0c6219cd43c4a02fd3d5b03b906974b5d16649cd9e946"


_manifest_copy = []


def manifest():
    """The app's manifest; with BENCH_SKIP_MIGRATION=<file> a copy beside the
    same build whose migrations leave that file out (to measure what one
    migration, such as an index, costs), made once per run."""
    skip = os.environ.get("BENCH_SKIP_MIGRATION")
    if not skip:
        return os.path.join(ROOT, "spin.toml")
    if _manifest_copy:
        return _manifest_copy[0]
    app = tempfile.mkdtemp(prefix="bench-app-")
    shutil.copy(os.path.join(ROOT, "spin.toml"), app)
    os.symlink(os.path.join(ROOT, "target"), os.path.join(app, "target"))
    os.mkdir(os.path.join(app, "migrations"))
    for name in sorted(os.listdir(os.path.join(ROOT, "migrations"))):
        if name.endswith(".sql") and name != skip:
            shutil.copy(os.path.join(ROOT, "migrations", name), os.path.join(app, "migrations"))
    _manifest_copy.append(os.path.join(app, "spin.toml"))
    return _manifest_copy[0]


def free_port():
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(api_keys):
    """The secret variables the app needs."""
    return {"SPIN_VARIABLE_API_KEYS": api_keys, "SPIN_VARIABLE_CARD_SIGNING_KEY": DEV_CARD_SIGNING_KEY,
            "SPIN_VARIABLE_PAYMENT_WEBHOOK_SECRETS": DEV_PAYMENT_WEBHOOK_SECRET,
            # Partners: nothing listens there; the benchmarks do not run the suspension component.
            "SPIN_VARIABLE_PROVISIONING_ORIGIN": "http://127.0.0.1:9",
            "SPIN_VARIABLE_NOTIFICATION_ORIGIN": "http://127.0.0.1:9",
            "SPIN_VARIABLE_PROVISIONING_WEBHOOK_SECRET": DEV_PAYMENT_WEBHOOK_SECRET,
            "SPIN_VARIABLE_NOTIFICATION_WEBHOOK_SECRET": DEV_PAYMENT_WEBHOOK_SECRET,
            "SPIN_VARIABLE_PARTNER_WEBHOOK_SECRETS": DEV_PAYMENT_WEBHOOK_SECRET}


def per_thread_lua(base_env, request):
    """A wrk script whose threads number themselves (`tid`, 0-based) and read
    a base offset from environment variable `base_env` (`base`), so each
    request can address its own seeded row; `request` is the Lua body of
    `request()`, with `n` the thread's request count."""
    return f"""
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  tid = tonumber(wrk.thread:get("tid"))
  base = tonumber(os.getenv("{base_env}"))
  n = 0
end
request = function()
  n = n + 1
{request}
end
"""


def to_ms(value):
    m = re.match(r"([\d.]+)(us|ms|s)$", value)
    return float(m.group(1)) * UNITS[m.group(2)]


def state_locations():
    """tmpfs (if the machine has one) and disk, as (label, parent dir)."""
    only = os.environ.get("BENCH_STATE")  # tmpfs or disk: only that one
    locations = []
    if os.path.isdir("/dev/shm") and only in (None, "tmpfs"):
        locations.append(("tmpfs (/dev/shm)", "/dev/shm"))
    if only in (None, "disk"):
        disk = os.path.join(ROOT, "target/bench-state")
        os.makedirs(disk, exist_ok=True)
        locations.append(("disk (target/)", disk))
    return locations


class Host:
    """A spin-local `up` with its log in a file."""

    def __init__(self, manifest, state_parent, env=None, state=None, args=()):
        """A fresh state directory under `state_parent`, or the existing `state`
        (kept on stop); `args`: more `spin-local up` options."""
        self.dir = tempfile.mkdtemp(prefix="bench-")
        self.keep_state = state is not None
        self.state = state or tempfile.mkdtemp(prefix="bench-state-", dir=state_parent)
        self.log_path = os.path.join(self.dir, "host.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [HOST, "up", "--from", manifest, "--state-dir", self.state,
             "--listen", "127.0.0.1:0", "--durability", DURABILITY, "--no-cron", *args],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.base = None
        for _ in range(600):
            time.sleep(0.05)
            with open(self.log_path) as f:
                m = re.search(r"Serving (http://\S+)", f.read())
            if m:
                self.base = m.group(1)
                return
        self.stop()
        sys.exit(f"host did not start; see {self.log_path}")

    def lines(self):
        with open(self.log_path) as f:
            return sum(1 for _ in f)

    def instantiation_us(self, since_line):
        """Mean and median per-request instantiation µs logged after `since_line`."""
        with open(self.log_path) as f:
            lines = f.readlines()[since_line:]
        values = [int(m.group(1)) for l in lines if (m := re.search(r" inst_us=(\d+)", l))]
        return (statistics.mean(values), statistics.median(values)) if values else (0.0, 0.0)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()
        doomed = [self.dir] if self.keep_state else [self.dir, self.state]
        subprocess.run(["rm", "-rf", *doomed], check=False)


def wrk(url, connections, script=None, duration=None):
    """Runs wrk; returns req/s, p50 and p99 in ms, and the non-2xx count."""
    threads = 1 if connections == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration or DURATION}", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": to_ms(pct["50"]), "p99": to_ms(pct["99"]),
            "non2xx": int(errors.group(1)) if errors else 0}


# Rounds of `measure`: a warm-up, then 1 and 8 connections.
ROUNDS = 3


def measure(host, url, script=None, label="", fresh=None):
    """Warm-up, then 1 and 8 connections; rows for `table`. With `fresh`
    (an environment variable, a stride), each round's `per_thread_lua`
    threads start at a new base (round × 2 threads × stride), so no request
    of the run meets a row an earlier one used: seed ROUNDS × 2 × stride."""
    def round_base(i):
        if fresh:
            os.environ[fresh[0]] = str(i * 2 * fresh[1])
    round_base(0)
    cmd = ["wrk", "-t1", "-c1", "-d2s"] + (["-s", script] if script else []) + [url]
    subprocess.run(cmd, check=True, capture_output=True)
    rows = []
    for i, connections in enumerate((1, 8), start=1):
        round_base(i)
        start = host.lines()
        r = wrk(url, connections, script)
        mean_inst, p50_inst = host.instantiation_us(start)
        rows.append((label, connections, r, mean_inst, p50_inst))
    return rows


def table(title, rows):
    print(f"\n{title}\nwrk {DURATION} per row, SQLite durability={DURABILITY}, {os.cpu_count()} cores (shared with wrk)\n")
    print("| state | connections | req/s | p50 ms | p99 ms | instantiate mean µs | instantiate p50 µs | non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    for label, c, r, mean_inst, p50_inst in rows:
        print(f"| {label} | {c} | {r['rps']:.0f} | {r['p50']:.3f} | {r['p99']:.3f} | "
              f"{mean_inst:.1f} | {p50_inst:.0f} | {r['non2xx']} |")


def timed_call(base, method, path, key, body=None):
    """One API call: (seconds, JSON answer)."""
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    started = time.perf_counter()
    out = urllib.request.urlopen(req, timeout=600).read()
    return time.perf_counter() - started, json.loads(out)


def seeded_runs(manifest, env, warm_up, seed, calls):
    """Times a job on a state on disk. A first host applies the migrations and
    `warm_up(base)` stores the programme documents; `seed(database)` fills the
    state directly (its answer is returned as `seeded`); a second host answers
    `calls(base)`: the runs as (label, seconds, answer). The state is removed
    afterwards. Answers (state label, seeded, runs)."""
    label, parent = state_locations()[-1]
    state = tempfile.mkdtemp(prefix="bench-state-", dir=parent)
    try:
        host = Host(manifest, parent, env, state=state)
        try:
            warm_up(host.base)
        finally:
            host.stop()
        seeded = seed(os.path.join(state, "sqlite_db.db"))
        host = Host(manifest, parent, env, state=state)
        try:
            runs = calls(host.base)
        finally:
            host.stop()
    finally:
        shutil.rmtree(state, ignore_errors=True)
    return label, seeded, runs


def runs_table(heading, columns, runs):
    """A job's runs as a table: label, seconds, then the answer's `columns`."""
    print(f"\n{heading}, SQLite durability={DURABILITY}\n")
    print("| run | seconds | " + " | ".join(c.replace("_", " ") for c in columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for name, secs, answer in runs:
        print(f"| {name} | {secs:.3f} | " + " | ".join(str(answer[c]) for c in columns) + " |")


def wrk_script(path, headers):
    """A wrk Lua script asking `path` with `headers`."""
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    return f'wrk.path = "{path}"\n{lines}\n'


def interleaved(host, ways, rounds=3):
    """`ways` (name → path and headers, as a wrk Lua script's text) asked on
    `host` at 1 and 8 connections, rounds interleaved so drift hits every
    way alike: {(name, connections): [wrk results]}."""
    scripts = {}
    for name, text in ways.items():
        path = os.path.join(host.dir, f"way-{len(scripts)}.lua")
        with open(path, "w") as f:
            f.write(text)
        scripts[name] = path
    for script in scripts.values():  # warm-up
        wrk(host.base, 1, script, "2s")
    results = {(name, c): [] for name in ways for c in (1, 8)}
    for _ in range(rounds):
        for connections in (1, 8):
            for name, script in scripts.items():
                results[(name, connections)].append(wrk(host.base, connections, script))
    return results


def median_table(first_column, results):
    """`interleaved` results as a table: each row the median of its rounds."""
    print(f"| {first_column} | connections | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|---|")
    for (name, c), rs in results.items():
        med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
        print(f"| {name} | {c} | {med('rps'):.0f} | {med('p50'):.3f} | {med('p99'):.3f} | {sum(r['non2xx'] for r in rs)} |")


class _Partner(BaseHTTPRequestHandler):
    """A partner that accepts every call (200) and counts them by webhook-id."""
    protocol_version = "HTTP/1.1"
    calls = {"n": 0, "ids": set()}
    lock = threading.Lock()

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        else:  # chunked
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        with self.lock:
            self.calls["n"] += 1
            self.calls["ids"].add(self.headers.get("webhook-id"))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def loopback_partner():
    """A loopback partner (one thread per connection) accepting every call:
    (server, origin, calls) where calls counts the calls (`n`) and the
    distinct webhook-ids (`ids`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Partner)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", _Partner.calls
