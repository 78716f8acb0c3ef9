#!/usr/bin/env bash
# Produces the bundled models in assets/models/ with `python -m nn train` and fixed seeds.
# All of them take about 70 minutes on a 2-core machine (fashion-cnn-wide alone about 65; mnist-cnn-best 1.5).
# Usage: bash scripts/train_bundled_models.sh [all|MODEL...]
#   e.g. `bash scripts/train_bundled_models.sh mnist-dense-best` retrains only that one (~3 min).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
wanted=("${@:-all}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Train into an empty store that sees no bundled models, so that their names are free.
train() {
  local name=$1; shift
  [[ " ${wanted[*]} " == *" all "* || " ${wanted[*]} " == *" $name "* ]] || return 0
  DIGITLAB_MODELS_DIR="$out" DIGITLAB_BUNDLED_DIR="$out/none" \
    "$PY" -m nn train --seed 1 --json --name "$name" "$@"
}

train mnist-dense-128 --preset dense-128 --dataset mnist
train mnist-dense-best --preset dense-best --dataset mnist --validation-split 0
train mnist-cnn-best --preset cnn-best --dataset mnist --validation-split 0
train fashion-cnn-wide --preset cnn-wide --dataset fashion-mnist --validation-split 0

mkdir -p assets/models
cp "$out"/*.keras "$out"/*.json assets/models/
chmod 644 assets/models/*
ls -la assets/models
