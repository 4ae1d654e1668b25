#!/usr/bin/env bash
# scripts/venv.sh VENV REQUIREMENTS: creates or reuses the Python venv VENV and
# installs the pinned REQUIREMENTS from PyPI, again only when the file changed.
set -euo pipefail
venv=$1 requirements=$2
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" > "$stamp"
fi
