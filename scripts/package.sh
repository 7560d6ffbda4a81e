#!/usr/bin/env bash
# Builds the app's installable packages with Tauri's bundler (tauri.conf.json "bundle"):
#   target/<profile>/bundle/deb/MallBots_<version>_amd64.deb
#   target/<profile>/bundle/appimage/MallBots_<version>_amd64.AppImage
# Usage: bash scripts/package.sh [--debug] [--bundles deb,appimage]
#   --debug     dev profile (fast; what the package test uses); default: release
#   --bundles   which packages (default deb,appimage). The AppImage step downloads linuxdeploy
#               from GitHub on first use: on a machine without that access, build `--bundles deb`.
# Installs what is missing first (scripts/install-deps.sh, which brings the Tauri CLI via npm).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
profile=(); bundles="deb,appimage"
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=(--debug); shift ;;
    --bundles) bundles="$2"; shift 2 ;;
    --bundles=*) bundles="${1#--bundles=}"; shift ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "package.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "${MALLBOTS_SKIP_DEPS:-}" ] || bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$ROOT/.tools/venv/bin:$PATH"

(cd ui && npm run --silent build)
# The CLI finds src-tauri/tauri.conf.json from the repository root.
"$ROOT/ui/node_modules/.bin/tauri" build "${profile[@]}" --bundles "$bundles" --ci

dir="$ROOT/target/$([ ${#profile[@]} -gt 0 ] && echo debug || echo release)/bundle"
echo "packages:"
find "$dir" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.AppImage' \) -printf '  %p (%s bytes)\n'
