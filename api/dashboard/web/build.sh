#!/usr/bin/env bash
# Builds the dashboard's bundle into OUT (default: ../dist beside this
# folder, the files the Go binary embeds): npm ci of the pinned versions
# into a throwaway folder, then esbuild. Needs Node 18+ and npm; `go run .`
# does not, since dist/ is committed. CI runs this into a temporary folder
# and compares the bytes with dist/ (.ci/dashboard-assets.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-dashboard.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
cp -r "$here/src" "$work/src"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
# Chart.js's MIT notice is kept at the end of the bundle (legal comments).
"$work/node_modules/.bin/esbuild" "$work/src/main.js" --bundle --minify --format=iife \
  --target=es2020 --legal-comments=eof --outfile="$out/dashboard.js" --log-level=warning
"$work/node_modules/.bin/esbuild" "$work/src/dashboard.css" --minify --outfile="$out/dashboard.css" --log-level=warning
echo "built $out/dashboard.js and $out/dashboard.css"
