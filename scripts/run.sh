#!/usr/bin/env bash
# Runs a whole MallBots mall on this machine, wired as it ships:
#   1. the NATS authorization the product generates (`mallbots-central auth init --accounts`):
#      an operator and account the server trusts, a central key and, per device, a key whose JWT
#      allows only its own subjects (no secret in the server config, no reload per device);
#   2. nats-server (JetStream) with that authorization;
#   3. mallbots-central (saga, payments, depot with simulated robots, notifications);
#   4. two enrolled devices (`mallbots-central enroll`): the kiosk and the mall office's manager
#      desk, each with its own database, id, credentials file and consumers;
#   5. the app, hosting both devices (kiosk window + manager window), under Xvfb when there is
#      no display.
# Extra arguments go to the app, e.g. `bash scripts/run.sh --demo` (seeds a demonstration mall
# into the manager's database; it syncs to the kiosk through central). Ctrl-C stops everything.
# State is kept in $MALLBOTS_RUN_DIR (default .tools/run): a second run reuses the devices,
# their databases and JetStream's data. Installs and builds whatever is missing first
# (MALLBOTS_RUN_NO_BUILD=1 skips both, for tests that built already).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1;36m[run]\033[0m %s\n' "$*"; }

if [ "${MALLBOTS_RUN_NO_BUILD:-0}" != 1 ]; then
  bash scripts/install-deps.sh
fi
export PATH="$HOME/.cargo/bin:$ROOT/.tools/venv/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
BIN="$TARGET_DIR/debug"
if [ "${MALLBOTS_RUN_NO_BUILD:-0}" != 1 ]; then
  log "building the UI and the binaries"
  (cd ui && npm run --silent build)
  cargo build --workspace --bins
fi
for b in mallbots-central mallbots mallbots-app; do
  [ -x "$BIN/$b" ] || { echo "run: $BIN/$b is missing (build it: cargo build --workspace --bins)" >&2; exit 1; }
done

RUN_DIR="${MALLBOTS_RUN_DIR:-$ROOT/.tools/run}"
AUTH_DIR="$RUN_DIR/auth"
mkdir -p "$RUN_DIR"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 what=$2 deadline=$((SECONDS + 20))
  until port_busy "$port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "run: $what did not listen on port $port; see its log in $RUN_DIR" >&2
      exit 1
    fi
    sleep 0.1
  done
}
free_port() {
  local port=$1
  while port_busy "$port"; do port=$((port + 1)); done
  echo "$port"
}

# 1. The authorization (once; kept across runs).
if [ ! -f "$AUTH_DIR/central.json" ]; then
  log "generating the NATS authorization in $AUTH_DIR"
  "$BIN/mallbots-central" auth init --dir "$AUTH_DIR" --accounts >"$RUN_DIR/auth-init.log" 2>&1 ||
    { cat "$RUN_DIR/auth-init.log" >&2; exit 1; }
fi

# 2. nats-server with it.
NATS_PORT="$(free_port "${MALLBOTS_NATS_PORT:-4222}")"
cat >"$RUN_DIR/nats.conf" <<EOF
# Written by scripts/run.sh: a single local JetStream server with the generated authorization.
listen: 127.0.0.1:$NATS_PORT
server_name: mallbots-local
pid_file: "$AUTH_DIR/nats-server.pid"
jetstream { store_dir: "$RUN_DIR/jetstream" }
include "auth/nats-auth.conf"
EOF
log "nats-server (JetStream, generated authorization) on 127.0.0.1:$NATS_PORT (log: $RUN_DIR/nats.log)"
nats-server -c "$RUN_DIR/nats.conf" >"$RUN_DIR/nats.log" 2>&1 &
pids+=($!)
wait_port "$NATS_PORT" nats-server
NATS_URL="nats://127.0.0.1:$NATS_PORT"

# 3. Central.
HTTP_PORT="$(free_port "${MALLBOTS_HTTP_PORT:-8090}")"
log "mallbots-central on http://127.0.0.1:$HTTP_PORT (log: $RUN_DIR/central.log)"
MALLBOTS__SMS__LOG="${MALLBOTS__SMS__LOG:-$RUN_DIR/sms.log}" \
  "$BIN/mallbots-central" --nats "$NATS_URL" --creds "$AUTH_DIR/central.json" \
  --http "127.0.0.1:$HTTP_PORT" >"$RUN_DIR/central.log" 2>&1 &
pids+=($!)
wait_port "$HTTP_PORT" mallbots-central

# 4. The two devices (once; kept across runs).
enroll() {
  local name=$1 role=$2; shift 2
  local file="$RUN_DIR/$name.json"
  if [ ! -f "$file" ]; then
    local id="$name-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    log "enrolling the $name device $id ($role)"
    "$BIN/mallbots-central" --nats "$NATS_URL" --creds "$AUTH_DIR/central.json" \
      enroll --device "$id" --role "$role" "$@" --auth-dir "$AUTH_DIR" --out "$file" \
      >>"$RUN_DIR/enroll.log" 2>&1 || { tail -20 "$RUN_DIR/enroll.log" >&2; exit 1; }
  fi
}
enroll kiosk kiosk
enroll manager manager --all-stores

# 5. The app.
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

log "mallbots-app $* (kiosk: $RUN_DIR/kiosk.db, manager: $RUN_DIR/manager.db; manager sign-in: ${MALLBOTS__MANAGER__USER:-manager} / see README)"
log "the same devices from the command line: $BIN/mallbots --db $RUN_DIR/kiosk.db status"
"$BIN/mallbots-app" --nats-url "$NATS_URL" \
  --kiosk-db "$RUN_DIR/kiosk.db" --kiosk-enrollment "$RUN_DIR/kiosk.json" \
  --manager-db "$RUN_DIR/manager.db" --manager-enrollment "$RUN_DIR/manager.json" \
  "$@" 2>&1 | tee -a "$RUN_DIR/app.log"
