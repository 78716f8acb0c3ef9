#!/usr/bin/env bash
# Produces the bundled models in assets/models/ with `python -m nn train` and fixed seeds.
# Takes about 40 minutes on a 2-core machine. Usage: bash scripts/train_bundled_models.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
train() { DIGITLAB_MODELS_DIR="$out" "$PY" -m nn train --seed 1 --json "$@"; }

train --preset dense-128 --dataset mnist --name mnist-dense-128
train --preset cnn-best --dataset mnist --name mnist-cnn-best
train --preset cnn-best --dataset fashion-mnist --name fashion-cnn-best

mkdir -p assets/models
cp "$out"/*.keras "$out"/*.json assets/models/
ls -la assets/models
