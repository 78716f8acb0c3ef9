#!/usr/bin/env bash
# Installs what the tests need (.venv with requirements-dev.txt, Debian's chromium and
# dataset-fashion-mnist, the cached data sets), lints, and runs the whole test suite.
# Extra arguments go to pytest, e.g. ./test.sh tests/test_data.py -x
set -euo pipefail
cd "$(dirname "$0")"
. scripts/setup.sh
ensure_venv requirements-dev.txt requirements-cluster.txt
ensure_debian chromium dataset-fashion-mnist
ensure_web_runtime
ensure_data
say "ruff"
"$VENV/bin/ruff" check .
say "pytest"
"$PY" -m pytest "$@"
