#!/usr/bin/env bash
# The benchmark pass: P1, P2/P3, P4, P5, P6, P7 (full pass only) and the scale row of docs/architecture.md §8, each figure next to its raw baseline
# measured in the same run. Writes target/bench/report.json, report.md and SVG plots.
#
#   bash scripts/bench.sh          # full pass (release build, full sizes; a few minutes)
#   bash scripts/bench.sh --quick  # short pass (debug build, small sizes), as CI runs it
#   bash scripts/bench.sh --soak N # P7 only: N x 1,000 orders through kiosk, central, robots
#                                  # and desk; growth per 1,000 orders (release build)
#
# It prints figures and never fails on speed: a benchmark that crashes is reported as missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/.tools/venv/bin:$PATH"
export NATS_SERVER="${NATS_SERVER:-$ROOT/.tools/venv/bin/nats-server}"

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
OUT="$ROOT/target/bench"
if [[ "${1:-}" == "--soak" ]]; then
  OUT="$OUT/soak"
  THOUSANDS="${2:-3}"
  [[ "$THOUSANDS" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash scripts/bench.sh --soak N (N x 1,000 orders, N >= 1)" >&2; exit 2; }
  mkdir -p "$OUT"
  cargo build --release -p mallbots-central --bins
  cargo build --release -p mallbots-tests --example p7_soak
  cargo run -q --release -p mallbots-tests --example p7_soak -- "$THOUSANDS" 100 2>&1 | tee "$OUT/p7.log"
  python3 scripts/bench_report.py "$OUT" "$OUT/p7.log"
  exit 0
fi
if (( QUICK )); then
  PROFILE=(); P1_CARTS=5; P6_CARTS=30; P5_ORDERS=100; P4_ORDERS=300; SCALE_ORDERS=100
  export P2_AGGREGATES=1000 P2_PER_AGGREGATE=5
else
  PROFILE=(--release); P1_CARTS=30; P6_CARTS=300; P5_ORDERS=1000; P4_ORDERS=1500; SCALE_ORDERS=500
  export P2_AGGREGATES=10000 P2_PER_AGGREGATE=10
fi
mkdir -p "$OUT"
rm -f "$OUT"/*.log

cargo build "${PROFILE[@]}" -p mallbots-edge --example p1_add_item --example p6_rebuild
cargo build "${PROFILE[@]}" -p mallbots-sync --example p2_relay
cargo build "${PROFILE[@]}" -p mallbots-central --bins --example p5_saga
cargo build "${PROFILE[@]}" -p mallbots-tests --example p4_checkout --example scale_cluster
(( QUICK )) || cargo build --release -p mallbots-tests --example p7_soak

run() { # name, command...
  local name=$1; shift
  echo "== $name: $*"
  if ! "$@" 2>&1 | tee "$OUT/$name.log"; then
    echo "!! $name failed (its figures are missing from the report)"
  fi
}

# P1 (with the relay running, as §8 asks) and P5 need a JetStream server of their own.
NATS_DIR="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$NATS_SERVER" -js -sd "$NATS_DIR" -a 127.0.0.1 -p "$PORT" -m -1 >"$OUT/nats-server.log" 2>&1 &
NATS_PID=$!
trap 'kill $NATS_PID 2>/dev/null || true; rm -rf "$NATS_DIR"' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
BIN_DIR="$ROOT/target/$([[ ${#PROFILE[@]} -gt 0 ]] && echo release || echo debug)"

# P1: the kiosk is enrolled by central's own command; its sync engine relays throughout.
"$BIN_DIR/mallbots-central" --nats "nats://127.0.0.1:$PORT" enroll --device p1bench --role kiosk >"$OUT/p1-enroll.out" 2>&1 \
  || echo "!! enrolling the P1 kiosk failed (see $OUT/p1-enroll.out)"
run p1 cargo run -q "${PROFILE[@]}" -p mallbots-edge --example p1_add_item -- "$P1_CARTS" --relay "nats://127.0.0.1:$PORT" p1bench
run p1-norelay cargo run -q "${PROFILE[@]}" -p mallbots-edge --example p1_add_item -- "$P1_CARTS"
# P1's peer (docs/architecture.md §8): cqrs-es + sqlite-es on the same 30 carts x 100 adds, in
# this pass, when its sources are beside the project (../shared/peer-bench); the full pass only
# (its release build takes minutes).
PEER="$ROOT/../shared/peer-bench/cqrs-sqlite"
if (( ! QUICK )) && [[ -f "$PEER/Cargo.toml" ]]; then
  if cargo build -q --release --manifest-path "$PEER/Cargo.toml" --target-dir "$ROOT/target/peer"; then
    PEER_DB="$(mktemp -d)/peer.db"
    "$ROOT/target/peer/release/peer-cqrs-sqlite" "$PEER_DB" "$P1_CARTS" 100 > "$OUT/peer.json" 2>"$OUT/peer.err" || true
    python3 scripts/bench_peer.py "$OUT/p1.log" "$OUT/peer.json" | tee "$OUT/p1_peer.log"
  else
    echo "!! the P1 peer did not build (its figure is missing from the report)"
  fi
elif (( ! QUICK )); then
  echo "P1 peer: $PEER not found; P1 is reported against the raw baseline only"
fi
run p6 cargo run -q "${PROFILE[@]}" -p mallbots-edge --example p6_rebuild -- "$P6_CARTS"
run p2 cargo run -q "${PROFILE[@]}" -p mallbots-sync --example p2_relay
# P4 starts its own nats-server and mallbots-central (the binary built above, same profile).
run p4 cargo run -q "${PROFILE[@]}" -p mallbots-tests --example p4_checkout -- "$P4_ORDERS" 100

run p5 cargo run -q "${PROFILE[@]}" -p mallbots-central --example p5_saga -- "nats://127.0.0.1:$PORT" "$P5_ORDERS"
# The scale row: one, two and three central replicas on a 3-node cluster, R3 streams and buckets.
run scale "$BIN_DIR/examples/scale_cluster" "$BIN_DIR/examples/p5_saga" "$SCALE_ORDERS"
# P7 in the full pass: a short soak (3 x 1,000 orders; `--soak N` runs a longer one alone).
(( QUICK )) || run p7 "$ROOT/target/release/examples/p7_soak" 3 100

# P6 cold start: the GUI tests record `BENCH_JSON` lines in target/e2e-screenshots/*.bench when run.
LOGS=("$OUT"/*.log)
shopt -s nullglob
for f in "$ROOT"/target/e2e-screenshots/*.bench; do LOGS+=("$f"); done
python3 scripts/bench_report.py "$OUT" "${LOGS[@]}"
