#!/usr/bin/env bash
# Installs what the tests need (.venv with requirements-dev.txt, Debian's chromium and
# dataset-fashion-mnist, the cached data sets), lints, and runs the whole test suite.
# Extra arguments go to pytest instead (one run of it), e.g. ./test.sh tests/test_data.py -x
set -euo pipefail
cd "$(dirname "$0")"
. scripts/setup.sh
ensure_venv requirements-dev.txt requirements-cluster.txt
ensure_debian chromium dataset-fashion-mnist
ensure_web_runtime
ensure_catalogs
ensure_data
say "ruff"
"$VENV/bin/ruff" check .
if [ "$#" -gt 0 ]; then
  say "pytest $*"
  exec "$PY" -m pytest "$@"
fi
# The whole suite: on both cores, then alone what measures a class's load or starts a Ray
# cluster (its ports and cores are not shared). A module's tests stay in one process, so that
# the servers its fixtures start are started once.
failed=0
say "pytest, on both cores"
"$PY" -m pytest -m "not serial" -n 2 --dist loadfile || failed=1
say "pytest, alone: the load tests and the Ray clusters"
"$PY" -m pytest -m serial || failed=1
exit "$failed"
