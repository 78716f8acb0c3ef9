# Set-up steps shared by run.sh, test.sh and .ci/run. Each step does nothing when already done.
# Source it from the repo root: `. scripts/setup.sh`.

VENV=.venv
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The virtual environment with the pinned requirements; reinstalls when a requirements file changes.
# The stamp keeps one line per file installed ("name sha256"), so that the test suite's install
# (requirements-dev.txt, which includes requirements.txt) also counts as the app's.
ensure_venv() {  # ensure_venv requirements.txt [requirements-dev.txt]
    if [ ! -x "$PY" ]; then
        say "creating the virtual environment in $VENV"
        python3 -m venv "$VENV" || { echo "python3 -m venv failed: install python3-venv" >&2; return 1; }
    fi
    local stamp="$VENV/.digitlab-requirements" want f missing=0
    want=$(for f in "$@" requirements.txt; do echo "$f $(sha256sum < "$f" | cut -d' ' -f1)"; done | sort -u)
    while read -r f; do
        grep -qxF "$f" "$stamp" 2>/dev/null || missing=1
    done <<< "$want"
    if [ "$missing" = 1 ]; then
        say "installing Python packages from $*"
        "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
        local args=()
        for f in "$@"; do args+=(-r "$f"); done
        "$PY" -m pip install --quiet --disable-pip-version-check "${args[@]}"
        echo "$want" >> "$stamp"
    fi
}

# Debian packages: Chromium for the browser tests, Fashion-MNIST as the offline data source.
ensure_debian() {  # ensure_debian package...
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "please install: ${missing[*]} (not a Debian system)" >&2; return 1
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# MNIST and Fashion-MNIST, fetched, verified and cached (quick when already cached).
ensure_data() {
    "$PY" -m nn data fetch all
}

# onnxruntime-web, which runs the Draw page's live answers in the browser: from the npm registry,
# pinned and checked against the registry's integrity hash, unpacked into static/ort (git-ignored),
# which the app serves itself (ui/runtime_files.py). Without it (no npm, no registry) the
# app still runs: the Draw page says so once and answers from the server, on pen-up.
ORT_VERSION=1.30.0
ORT_INTEGRITY="sha512-q0y+JrrtukXSzsBWEMccVfqX25LRmosXHF+CaRJmg8pZClzcV7svNc4rKY3jL02Vb7QmRMDs1SigqR4CXAfKYQ=="
ORT_FILES="ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm"
ensure_web_runtime() {
    local dir=static/ort
    [ "$(cat "$dir/.version" 2>/dev/null)" = "$ORT_VERSION" ] && return 0
    say "fetching onnxruntime-web $ORT_VERSION from the npm registry"
    local tmp tarball got f
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && npm pack --silent "onnxruntime-web@$ORT_VERSION" >/dev/null 2>&1); then
        echo "could not fetch onnxruntime-web (npm): the Draw page answers on pen-up only" >&2
        rm -rf "$tmp"; return 0
    fi
    tarball="$tmp/onnxruntime-web-$ORT_VERSION.tgz"
    got=$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tarball")
    if [ "$got" != "$ORT_INTEGRITY" ]; then
        echo "onnxruntime-web $ORT_VERSION does not match its integrity hash: not used" >&2
        rm -rf "$tmp"; return 1
    fi
    tar -xzf "$tarball" -C "$tmp" $(for f in $ORT_FILES; do echo "package/dist/$f"; done)
    mkdir -p "$dir"
    for f in $ORT_FILES; do mv "$tmp/package/dist/$f" "$dir/$f"; done
    gzip -9 -k -f "$dir/ort-wasm-simd-threaded.wasm"  # once, here: the app sends it as it is
    echo "$ORT_VERSION" > "$dir/.version"
    rm -rf "$tmp"
}

# The translations: each locale/<language>/LC_MESSAGES/digitlab.po compiled to its .mo (never
# committed), again whenever the .po is newer (docs/translating.md).
ensure_catalogs() {
    local po mo
    for po in locale/*/LC_MESSAGES/digitlab.po; do
        [ -e "$po" ] || continue
        mo="${po%.po}.mo"
        [ "$mo" -nt "$po" ] && continue
        say "compiling the translations in $po"
        "$VENV/bin/pybabel" compile -i "$po" -o "$mo" --statistics \
            || { echo "could not compile $po: the app shows English" >&2; return 0; }
    done
}
