#!/usr/bin/env python3
"""POST /api/v1/eligibility/check on the real app: 1,000 stored customers,
each request checks a random one by id (customer and rules read from SQLite,
the decision recorded with one INSERT), at 1 and 8 connections, state on tmpfs
and on disk. Run via scripts/bench.sh eligibility."""
import json
import os
import tempfile
import urllib.request

from common import ROOT, Host, app_env, measure, state_locations, table

KEY = "bench-staff-key-000000001"
CUSTOMERS = 1000
LUA = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {KEY}"
request = function()
  local id = math.random(1, {CUSTOMERS})
  return wrk.format(nil, "/api/v1/eligibility/check", nil, '{{"customer_id":"C' .. id .. '"}}')
end
"""


def seed(base):
    plans = ["dedicated", "corporate", "business", "residential"]
    for i in range(1, CUSTOMERS + 1):
        body = json.dumps({
            "legal_name": f"Customer {i}",
            "facts": {"segment": ["isp", "business", "consumer"][i % 3], "plan_type": plans[i % 4],
                      "monthly_plan_amount": {"amount": f"{(i * 7) % 1200}.00", "currency": "USD"},
                      "service_delivery": "direct", "support_plan": "gold"}}).encode()
        req = urllib.request.Request(f"{base}/api/v1/customers/C{i}", data=body, method="PUT", headers={
            "Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        urllib.request.urlopen(req).read()


def main():
    script = os.path.join(tempfile.mkdtemp(prefix="bench-lua-"), "check.lua")
    with open(script, "w") as f:
        f.write(LUA)
    rows = []
    for label, parent in state_locations():
        host = Host(os.path.join(ROOT, "spin.toml"), parent, env=app_env(f"staff={KEY}"))
        try:
            seed(host.base)
            rows += measure(host, host.base, script=script, label=label)
        finally:
            host.stop()
    table(f"POST /api/v1/eligibility/check by customer id ({CUSTOMERS} customers; read customer + rules, INSERT decision)", rows)


if __name__ == "__main__":
    main()
