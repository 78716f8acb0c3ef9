#!/usr/bin/env bash
# Installs what the app needs (.venv with requirements.txt) and starts Digit Lab.
# Data is fetched the first time a page needs it. Extra arguments go to `streamlit run`
# (for a class: --server.address 0.0.0.0). The served configuration is .streamlit/config.toml;
# the tests and benchmarks start the server through this very script (harness/server.py).
set -euo pipefail
cd "$(dirname "$0")"
. scripts/setup.sh
ensure_venv requirements.txt ${DIGITLAB_RAY_ADDRESS:+requirements-cluster.txt}
ensure_web_runtime
ensure_catalogs
say "starting Digit Lab at http://localhost:${PORT:-8501}"
exec "$PY" -m streamlit run server.py --server.port "${PORT:-8501}" "$@"
