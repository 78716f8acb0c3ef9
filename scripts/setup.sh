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
