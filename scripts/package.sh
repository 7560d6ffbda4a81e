#!/usr/bin/env bash
# Builds the app's installable packages with Tauri's bundler (tauri.conf.json "bundle"):
#   target/<profile>/bundle/deb/MallBots_<version>_amd64.deb
#   target/<profile>/bundle/appimage/MallBots_<version>_amd64.AppImage
# Usage: bash scripts/package.sh [--debug] [--bundles deb,appimage]
#   --debug     dev profile (fast; what the package test uses); default: release
#   --bundles   which packages (default deb,appimage). The AppImage step downloads linuxdeploy
#               from GitHub on first use: without that access the default run still builds the
#               .deb and says why the AppImage is missing; an explicit `--bundles …appimage` fails.
# Installs what is missing first (scripts/install-deps.sh, which brings the Tauri CLI via npm).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
profile=(); bundles="deb,appimage"; explicit=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=(--debug); shift ;;
    --bundles) bundles="$2"; explicit=1; shift 2 ;;
    --bundles=*) bundles="${1#--bundles=}"; explicit=1; shift ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "package.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "${MALLBOTS_SKIP_DEPS:-}" ] || bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$ROOT/.tools/venv/bin:$PATH"

(cd ui && npm run --silent build)
tauri() { "$ROOT/ui/node_modules/.bin/tauri" "$@"; }
# The CLI finds src-tauri/tauri.conf.json from the repository root. The AppImage goes last, on
# its own: it is the one step that needs the network (linuxdeploy from GitHub).
others="$(tr ',' '\n' <<<"$bundles" | { grep -v -x appimage || true; } | paste -sd, -)"
if [ -n "$others" ]; then
  tauri build "${profile[@]}" --bundles "$others" --ci
fi
missing=""
if tr ',' '\n' <<<"$bundles" | grep -q -x appimage; then
  if ! tauri build "${profile[@]}" --bundles appimage --ci; then
    missing="the AppImage was not built: Tauri's AppImage step downloads linuxdeploy (and its
  plugins) from github.com, which this machine could not get (see the error above); build it on a
  machine with that access, or use the .deb (\`--bundles deb\`)"
    if [ "$explicit" = 1 ] || [ -z "$others" ]; then
      echo "package.sh: $missing" >&2
      exit 1
    fi
  fi
fi

dir="$ROOT/target/$([ ${#profile[@]} -gt 0 ] && echo debug || echo release)/bundle"
echo "packages:"
find "$dir" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.AppImage' \) -printf '  %p (%s bytes)\n'
if [ -n "$missing" ]; then
  echo "package.sh: note: $missing" >&2
fi
