#!/usr/bin/env bash
# One-stop set-up used by `make demo` and `make test`: uv, the locked environment, PostGIS, schema.
# Idempotent; every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
log() { echo "[bootstrap] $*" >&2; }

find_uv() {
    for c in "$(command -v uv 2>/dev/null || true)" "$HOME/.local/bin/uv" ".tools/uv-venv/bin/uv"; do
        if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
    done
    return 1
}

if ! UV="$(find_uv)"; then
    log "installing uv into .tools/uv-venv"
    if ! python3 -m venv .tools/uv-venv >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
        rm -rf .tools/uv-venv && python3 -m venv .tools/uv-venv
    fi
    .tools/uv-venv/bin/pip install -q uv
    UV=".tools/uv-venv/bin/uv"
fi
log "syncing environment with $UV"
"$UV" sync --frozen --quiet
scripts/ensure-postgis.sh
log "migrating schema"
"$UV" run --frozen --no-sync python -c "from platform_core.db import migrate; migrate()"
