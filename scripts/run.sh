#!/usr/bin/env bash
# Runs MallBots on this machine: a local NATS JetStream server, the central service, and the
# kiosk + store-manager app (under Xvfb when there is no display). Extra arguments go to the
# app, e.g. `bash scripts/run.sh --windows kiosk --fullscreen`. Ctrl-C stops everything.
# Installs and builds whatever is missing first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$ROOT/.tools/venv/bin:$PATH"

log() { printf '\033[1;36m[run]\033[0m %s\n' "$*"; }

log "building the UI and the binaries"
(cd ui && npm run --silent build)
cargo build --workspace --bins
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET_DIR/debug"

RUN_DIR="$ROOT/.tools/run"
mkdir -p "$RUN_DIR"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 what=$2 deadline=$((SECONDS + 15))
  until port_busy "$port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "run: $what did not listen on port $port; see its log in $RUN_DIR" >&2
      exit 1
    fi
    sleep 0.1
  done
}

NATS_PORT="${MALLBOTS_NATS_PORT:-4222}"
while port_busy "$NATS_PORT"; do NATS_PORT=$((NATS_PORT + 1)); done
log "nats-server (JetStream) on 127.0.0.1:$NATS_PORT, data in $RUN_DIR/jetstream"
nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$RUN_DIR/jetstream" \
  --server_name mallbots-local >"$RUN_DIR/nats.log" 2>&1 &
pids+=($!)
wait_port "$NATS_PORT" nats-server
export MALLBOTS__NATS__URL="nats://127.0.0.1:$NATS_PORT"
export MALLBOTS_NATS_URL="$MALLBOTS__NATS__URL"

if [ -x "$BIN/mallbots-central" ]; then
  log "mallbots-central (log: $RUN_DIR/central.log)"
  "$BIN/mallbots-central" >"$RUN_DIR/central.log" 2>&1 &
  pids+=($!)
else
  log "mallbots-central was not built; running the app alone"
fi

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  display=99
  while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
  log "no display: starting Xvfb :$display (screenshot: import -display :$display -window root shot.png)"
  Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$RUN_DIR/xvfb.log" 2>&1 &
  pids+=($!)
  deadline=$((SECONDS + 10))
  until [ -e "/tmp/.X11-unix/X$display" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "run: Xvfb did not start" >&2; exit 1; }
    sleep 0.1
  done
  export DISPLAY=":$display"
fi

# Two devices in one app: the kiosk's and the manager's database.
export MALLBOTS_KIOSK_DB="${MALLBOTS_KIOSK_DB:-$RUN_DIR/kiosk.db}"
export MALLBOTS_MANAGER_DB="${MALLBOTS_MANAGER_DB:-$RUN_DIR/manager.db}"
log "mallbots-app $* (databases $MALLBOTS_KIOSK_DB, $MALLBOTS_MANAGER_DB; manager sign-in: ${MALLBOTS_MANAGER_USER:-manager} / see README)"
"$BIN/mallbots-app" "$@"
