#!/usr/bin/env bash
# The member portal's journeys in a real browser (scripts/browser.py): Debian's
# chromium and chromium-driver (installed by scripts/bootstrap.sh, as
# scripts/test.sh calls it), Selenium pinned in scripts/browser-requirements.txt
# from PyPI into the venv target/browser-venv. Nothing else is downloaded; the
# release build must exist (this script builds nothing). Screenshots:
# target/browser-report/.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BROWSER_VENV:-target/browser-venv}
for needed in target/release/spin-local /usr/bin/chromium /usr/bin/chromedriver; do
  if [[ ! -x "$needed" ]]; then
    echo "browser: $needed is missing; run scripts/bootstrap.sh chromium chromium-driver" >&2
    exit 1
  fi
done
scripts/venv.sh "$VENV" scripts/browser-requirements.txt
exec "$VENV/bin/python" scripts/browser.py "$@"
