#!/usr/bin/env bash
# Produces the bundled models in assets/models/ with `python -m nn train` and fixed seeds.
# Takes about 45 minutes on a 2-core machine.
# Usage: bash scripts/train_bundled_models.sh [all|fashion]   (fashion: only the Fashion-MNIST model)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Train into an empty store that sees no bundled models, so that their names are free.
train() { DIGITLAB_MODELS_DIR="$out" DIGITLAB_BUNDLED_DIR="$out/none" "$PY" -m nn train --seed 1 --json "$@"; }

[ "${1:-all}" = fashion ] || train --preset dense-128 --dataset mnist --name mnist-dense-128
[ "${1:-all}" = fashion ] || train --preset cnn-best --dataset mnist --name mnist-cnn-best
train --preset cnn-best --dataset fashion-mnist --name fashion-cnn-best

mkdir -p assets/models
cp "$out"/*.keras "$out"/*.json assets/models/
chmod 644 assets/models/*
ls -la assets/models
