#!/usr/bin/env bash
# Builds and tests everything: the UI (vite build + vitest), every binary, then the whole
# Rust workspace test suite (unit, integration, system and GUI end-to-end tests).
# Installs whatever is missing first (scripts/install-deps.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$ROOT/.tools/venv/bin:$PATH"
export NATS_SERVER="${NATS_SERVER:-$ROOT/.tools/venv/bin/nats-server}"

step() { printf '\n\033[1;36m== %s\033[0m\n' "$*"; }
started=$SECONDS

step "ui: build"
(cd ui && npm run --silent build)
step "ui: type check (svelte-check)"
(cd ui && npm run --silent check)
step "ui: unit tests"
(cd ui && npm test --silent)

step "cargo build --workspace --bins"
cargo build --workspace --bins

step "package: the app's .deb (dev profile; tests/tests/package_deb.rs unpacks and starts it)"
MALLBOTS_SKIP_DEPS=1 bash scripts/package.sh --debug --bundles deb

step "cargo test --workspace"
cargo test --workspace --no-fail-fast

step "benchmarks: short pass (prints figures; never fails on speed)"
bash scripts/bench.sh --quick || echo "benchmark pass did not complete (figures missing; not a test failure)"

step "all tests passed in $((SECONDS - started)) s"
