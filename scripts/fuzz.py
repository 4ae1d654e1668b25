#!/usr/bin/env python3
"""Schema fuzzing of the app with Schemathesis, one run per role.

Run by scripts/fuzz.sh with the Python of target/fuzz-venv, where the pinned
schemathesis is installed. It starts the release `spin-local` on a free
loopback port with a fresh state directory and without cron, runs `st run`
against api/openapi.json once per role key (Authorization: Bearer <key>),
stops the host, and prints per role the requests made and the failures found,
then `fuzz: N passed, M failed` (N roles with no failure, M with failures).
Exit status 1 if any role failed (or the host or a run could not run).

Everything it writes goes under target/fuzz-report/ (FUZZ_OUT overrides):
  <role>/st.out            the `st run` console output
  <role>/*.ndjson, *.json  Schemathesis' event stream and run report
  host.log                 the host's log (one line per request)
  openapi.json             the exact spec fuzzed
  summary.json             per role: command, time, requests, failures (with
                           request, curl reproduction, status received and
                           documented), for the report

Knobs (environment): FUZZ_MAX_EXAMPLES (10), FUZZ_SEED (1), FUZZ_WORKERS (1),
FUZZ_REQUEST_TIMEOUT seconds (5), FUZZ_ROLE_TIMEOUT seconds (300),
FUZZ_ROLES (comma-separated subset), FUZZ_CHECKS (comma-separated, st's names),
FUZZ_SPEC (path; `served` fuzzes the
document the running build serves at /api/v1/openapi.json instead of the file).
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The end-to-end tests' keys (tests/support.rs ROLES), in the same order.
ROLES = [
    ("webform", "test-key-webform-0001"),
    ("chatbot", "test-key-chatbot-0001"),
    ("staff", "test-key-staff-000001"),
    ("scheduler", "test-key-scheduler-01"),
    ("customer_success", "test-key-cs-000000001"),
    ("program_manager", "test-key-pm-000000001"),
    ("partner:acme", "test-key-partner-acme"),
]

HOST_ENV = {
    "SPIN_VARIABLE_API_KEYS": ",".join(f"{r}={k}" for r, k in ROLES),
    "SPIN_VARIABLE_CARD_SIGNING_KEY": "966c02a3f018ca7d34f99199fc0edcf3b655499c69a3a7bda014943da0faad76",
    "SPIN_VARIABLE_PAYMENT_WEBHOOK_SECRETS": "whsec_dGVzdC1wYXltZW50LXByb2Nlc3Nvci1rZXktMDAx",
    # Port 9 (discard): nothing listens, outbound calls fail fast on loopback.
    "SPIN_VARIABLE_PROVISIONING_ORIGIN": "http://127.0.0.1:9",
    "SPIN_VARIABLE_NOTIFICATION_ORIGIN": "http://127.0.0.1:9",
    "SPIN_VARIABLE_PROVISIONING_WEBHOOK_SECRET": "whsec_dGVzdC1wcm92aXNpb25pbmcta2V5LTAwMQ==",
    "SPIN_VARIABLE_NOTIFICATION_WEBHOOK_SECRET": "whsec_dGVzdC1ub3RpZmljYXRpb24ta2V5LTAwMQ==",
    "SPIN_VARIABLE_PARTNER_WEBHOOK_SECRETS": "whsec_dGVzdC1wYXJ0bmVyLWtleS0wMDE=",
}

CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "negative_data_rejection",
]

SERVING = re.compile(r"Serving http://127\.0\.0\.1:(\d+)")
REQUEST_LINE = re.compile(r"^\S+Z http ")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Host:
    """The release spin-local, as the end-to-end tests start it."""

    def __init__(self, out: Path):
        self.log_path = out / "host.log"
        self.state = Path(tempfile.mkdtemp(prefix="fuzz-state-"))
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    def start(self, timeout: float = 60.0) -> int:
        binary = ROOT / "target/release/spin-local"
        env = {**os.environ, **HOST_ENV}
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(binary), "up", "--from", "spin.toml", "--state-dir", str(self.state),
             "--listen", "127.0.0.1:0", "--no-cron"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
        )
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"spin-local exited with {self.proc.returncode}; see {self.log_path}")
            m = SERVING.search(self.log_path.read_text(errors="replace"))
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"spin-local did not print `Serving` in {timeout:.0f}s; see {self.log_path}")
        # Ready when health answers.
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return self.port
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.url}/api/v1/health did not answer 200 in {timeout:.0f}s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request_lines(self) -> int:
        try:
            return sum(1 for line in self.log_path.read_text(errors="replace").splitlines()
                       if REQUEST_LINE.match(line))
        except OSError:
            return 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.state, ignore_errors=True)


def documented_statuses(spec: dict, operation: str) -> list[str]:
    method, path = operation.split(" ", 1)
    op = spec.get("paths", {}).get(path, {}).get(method.lower(), {})
    return sorted(op.get("responses", {}).keys())


def bash_quote(s: str) -> str:
    if s.isprintable():
        return shlex.quote(s)
    out = []
    for ch in s:
        if ch == "'" or ch == "\\":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8")))
    return "$'" + "".join(out) + "'"


def curl_of(request: dict) -> str:
    parts = ["curl", "-sS", "-i", "-X", request["method"]]
    for name, values in (request.get("headers") or {}).items():
        if name.lower() in ("user-agent", "accept-encoding", "connection", "content-length") \
                or name.lower().startswith("x-schemathesis"):
            continue
        for v in values if isinstance(values, list) else [values]:
            parts += ["-H", bash_quote(f"{name}: {v}")]
    body = request.get("body")
    if body and "$base64" in body:
        raw = base64.b64decode(body["$base64"])
        try:
            parts += ["--data-binary", bash_quote(raw.decode("utf-8"))]
        except UnicodeDecodeError:
            parts += ["--data-binary", "$'" + "".join(f"\\x{b:02x}" for b in raw) + "'"]
    elif body and "string" in body:
        parts += ["--data-binary", bash_quote(body["string"])]
    parts.append(bash_quote(request["uri"]))
    return " ".join(parts)


def decode(content: dict | None, limit: int = 600) -> str | None:
    if not content:
        return None
    if "$base64" in content:
        raw = base64.b64decode(content["$base64"])
        text = raw.decode("utf-8", errors="replace")
    else:
        text = content.get("string", "")
    return text if len(text) <= limit else text[:limit] + "…"


def parse_run(role_dir: Path, spec: dict) -> dict:
    """Requests, failures (deduplicated) and errors from the NDJSON stream."""
    files = sorted(glob.glob(str(role_dir / "ndjson-*.ndjson")))
    requests = 0
    failures: dict[tuple, dict] = {}
    errors: list[str] = []
    for f in files:
        for line in open(f, encoding="utf-8"):
            event = json.loads(line)
            name, data = next(iter(event.items()))
            if "Error" in name:
                errors.append(json.dumps(data)[:1000])
                continue
            if name != "ScenarioFinished":
                continue
            rec = data.get("recorder") or {}
            interactions = rec.get("interactions") or {}
            requests += len(interactions)
            for case_id, checks in (rec.get("checks") or {}).items():
                for check in checks:
                    if check.get("status") == "success":
                        continue
                    info = ((check.get("failure_info") or {}).get("failure")) or {}
                    operation = info.get("operation") or rec.get("label", "?")
                    message = info.get("message", "")
                    key = (operation, check["name"], info.get("code"), message)
                    if key in failures:
                        failures[key]["occurrences"] += 1
                        continue
                    inter = interactions.get(case_id) or {}
                    case = ((rec.get("cases") or {}).get(case_id) or {}).get("value") or {}
                    phase = (case.get("meta") or {}).get("phase") or {}
                    req = inter.get("request")
                    resp = inter.get("response") or {}
                    failures[key] = {
                        "operation": operation,
                        "check": check["name"],
                        "code": info.get("code"),
                        "title": info.get("title"),
                        "message": message,
                        "phase": phase.get("name"),
                        "scenario": (phase.get("data") or {}).get("description"),
                        "mode": ((case.get("meta") or {}).get("generation") or {}).get("mode"),
                        "status_received": resp.get("status_code"),
                        "documented": documented_statuses(spec, operation),
                        "response_body": decode(resp.get("content")),
                        "curl": curl_of(req) if req else None,
                        "occurrences": 1,
                    }
    return {"requests": requests, "failures": list(failures.values()), "errors": errors,
            "ndjson": files}


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main() -> int:
    out = Path(os.environ.get("FUZZ_OUT", ROOT / "target/fuzz-report")).resolve()
    # Only ever clear a directory an earlier run of this script made.
    if out.exists() and any(out.iterdir()) and not (out / "host.log").exists():
        print(f"fuzz: {out} exists and is not a fuzz report; set FUZZ_OUT elsewhere", file=sys.stderr)
        return 1
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    st = Path(sys.executable).with_name("st")
    wanted = [r for r in os.environ.get("FUZZ_ROLES", "").split(",") if r]
    roles = [(r, k) for r, k in ROLES if not wanted or r in wanted]
    max_examples = env_int("FUZZ_MAX_EXAMPLES", 10)
    seed = env_int("FUZZ_SEED", 1)
    # One worker: CPython < 3.11.8 can raise a spurious SystemError ("AST constructor
    # recursion depth mismatch", gh-106905) when Hypothesis parses sources in threads.
    workers = env_int("FUZZ_WORKERS", 1)
    request_timeout = env_int("FUZZ_REQUEST_TIMEOUT", 5)
    role_timeout = env_int("FUZZ_ROLE_TIMEOUT", 300)
    spec_choice = os.environ.get("FUZZ_SPEC", str(ROOT / "api/openapi.json"))

    for needed in (ROOT / "target/release/spin-local", st):
        if not needed.exists():
            print(f"fuzz: missing {needed} (build with scripts/bootstrap.sh; venv via scripts/fuzz.sh)",
                  file=sys.stderr)
            print(f"fuzz: 0 passed, {len(roles)} failed")
            return 1

    host = Host(out)
    results = []
    started = time.monotonic()
    summary: dict = {"schemathesis": None, "roles": results}
    try:
        signal.signal(signal.SIGTERM, _interrupt)
        port = host.start()
        print(f"fuzz: spin-local serving on 127.0.0.1:{port} (log {host.log_path})", flush=True)

        # The exact document fuzzed, copied once so every role sees the same one
        # even while api/openapi.json is being edited.
        spec_path = out / "openapi.json"
        if spec_choice == "served":
            with urllib.request.urlopen(f"{host.url}/api/v1/openapi.json", timeout=10) as r:
                spec_path.write_bytes(r.read())
        else:
            shutil.copyfile(spec_choice, spec_path)
        spec = json.loads(spec_path.read_text())
        summary["spec"] = {"source": spec_choice,
                           "sha256": hashlib.sha256(spec_path.read_bytes()).hexdigest()}
        summary["schemathesis"] = subprocess.run(
            [str(st), "--version"], capture_output=True, text=True).stdout.strip()

        for role, key in roles:
            role_dir = out / role.replace(":", "_")
            role_dir.mkdir()
            cmd = [
                str(st), "--config-file", str(ROOT / "scripts/fuzz.toml"),
                "run", str(spec_path),
                "--url", host.url,
                "-H", f"Authorization: Bearer {key}",
                "--checks", os.environ.get("FUZZ_CHECKS", ",".join(CHECKS)),
                "--mode", "all",
                "--max-examples", str(max_examples),
                "--seed", str(seed),
                "--workers", str(workers),
                "--request-timeout", str(request_timeout),
                "--continue-on-failure",
                "--generation-database", "none",
                "--output-sanitize", "false",
                "--report", "json,ndjson",
                "--report-dir", str(role_dir),
                "--no-color",
            ]
            before = host.request_lines()
            t0 = time.monotonic()
            timed_out = False
            with open(role_dir / "st.out", "wb") as log:
                try:
                    # cwd: st keeps a .schemathesis/ cache in its working directory.
                    rc = subprocess.run(cmd, cwd=role_dir, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, timeout=role_timeout).returncode
                except subprocess.TimeoutExpired:
                    rc, timed_out = -1, True
            elapsed = time.monotonic() - t0
            parsed = parse_run(role_dir, spec)
            host_requests = host.request_lines() - before
            failed = rc != 0 or bool(parsed["failures"]) or bool(parsed["errors"])
            results.append({
                "role": role, "command": shlex.join(cmd), "exit_code": rc, "timed_out": timed_out,
                "seconds": round(elapsed, 1), "requests": parsed["requests"],
                "host_requests": host_requests, "failures": parsed["failures"],
                "errors": parsed["errors"], "failed": failed,
            })
            n_fail = len(parsed["failures"])
            note = " TIMED OUT" if timed_out else ""
            note += f" errors={len(parsed['errors'])}" if parsed["errors"] else ""
            if rc not in (0, 1) and not timed_out:
                note += f" st-exit={rc}"
            print(f"fuzz: {role:17} requests={parsed['requests']:5} (host saw {host_requests:5})"
                  f"  failures={n_fail:3}  {elapsed:6.1f}s{note}", flush=True)
            for f in parsed["failures"]:
                print(f"        {f['operation']}  {f['check']}  got {f['status_received']}"
                      f" — {f['message'].splitlines()[-1] if f['message'] else f['title']}", flush=True)
    except KeyboardInterrupt:
        print("fuzz: interrupted", file=sys.stderr)
    except Exception as e:  # the host or the spec could not be had
        print(f"fuzz: {e}", file=sys.stderr)
    finally:
        host.stop()
        summary["total_seconds"] = round(time.monotonic() - started, 1)
        (out / "summary.json").write_text(json.dumps(summary, indent=1))

    passed = sum(1 for r in results if not r["failed"])
    failed = len(roles) - passed
    print(f"fuzz: total {summary['total_seconds']}s, report in {out}")
    print(f"fuzz: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
