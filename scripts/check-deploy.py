#!/usr/bin/env python3
"""Checks deploy/ against the app and SpinKube's SpinApp resource (scripts/test.sh
runs it with the fuzz venv's PyYAML and jsonschema_rs, both from PyPI):
- spinapp.yaml validates against SPINAPP_SCHEMA, the part of SpinKube's
  published CRD (core.spinkube.dev/v1alpha1 SpinApp, spin-operator
  config/crd/bases) this manifest uses, closed to unknown fields so a typo
  fails; the CRD itself is not in any package registry, so it is not fetched;
- every variable spin.toml requires without a default is given to the SpinApp;
- the Secret is the one `runtimeConfig.loadFromSecret` names, and its
  runtime-config.toml is deploy/runtime-config.toml, as TOML (comments aside).
Prints `deploy: ok` or the problems, exit 1."""
import os
import sys
import tomllib

import jsonschema_rs
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = {"type": "object", "additionalProperties": False, "required": ["httpGet"],
         "properties": {"httpGet": {"type": "object", "required": ["path"], "additionalProperties": False,
                                    "properties": {"path": {"type": "string", "pattern": "^/"}}}}}
QUANTITIES = {"type": "object", "additionalProperties": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}
SPINAPP_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "core.spinkube.dev/v1alpha1"},
        "kind": {"const": "SpinApp"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["image", "executor", "replicas"],
            "additionalProperties": False,
            "properties": {
                "image": {"type": "string"},
                "executor": {"type": "string"},
                "replicas": {"type": "integer", "minimum": 1},
                "runtimeConfig": {"type": "object", "additionalProperties": False,
                                  "properties": {"loadFromSecret": {"type": "string"}}},
                "checks": {"type": "object", "additionalProperties": False,
                           "properties": {"readiness": PROBE, "liveness": PROBE}},
                "resources": {"type": "object", "additionalProperties": False,
                              "properties": {"limits": QUANTITIES, "requests": QUANTITIES}},
                "variables": {"type": "array", "items": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "value": {"type": "string"},
                        "valueFrom": {"type": "object", "additionalProperties": False, "properties": {
                            "secretKeyRef": {"type": "object", "required": ["name", "key"],
                                             "properties": {"name": {"type": "string"}, "key": {"type": "string"}}}}},
                    }}},
            },
        },
    },
}


def main():
    problems = []
    with open(os.path.join(ROOT, "deploy/spinapp.yaml")) as f:
        app = yaml.safe_load(f)
    with open(os.path.join(ROOT, "deploy/runtime-config-secret.yaml")) as f:
        secret = yaml.safe_load(f)
    with open(os.path.join(ROOT, "deploy/runtime-config.toml")) as f:
        runtime_config = f.read()
    with open(os.path.join(ROOT, "spin.toml"), "rb") as f:
        manifest = tomllib.load(f)

    problems += [f"spinapp.yaml: {e.message} at {'/'.join(map(str, e.instance_path))}"
                 for e in jsonschema_rs.validator_for(SPINAPP_SCHEMA).iter_errors(app)]
    given = {v.get("name") for v in app.get("spec", {}).get("variables", [])}
    for name, decl in manifest.get("variables", {}).items():
        if decl.get("required") and name not in given:
            problems.append(f"spinapp.yaml: spin.toml requires variable `{name}`, not given")
    wanted = app.get("spec", {}).get("runtimeConfig", {}).get("loadFromSecret")
    if secret.get("kind") != "Secret" or secret.get("metadata", {}).get("name") != wanted:
        problems.append(f"runtime-config-secret.yaml: not the Secret `{wanted}` the SpinApp loads")
    body = secret.get("stringData", {}).get("runtime-config.toml", "")
    if tomllib.loads(body) != tomllib.loads(runtime_config):
        problems.append("runtime-config-secret.yaml: its runtime-config.toml differs from deploy/runtime-config.toml")
    for p in problems:
        print(f"deploy: {p}")
    print("deploy: ok" if not problems else f"deploy: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
