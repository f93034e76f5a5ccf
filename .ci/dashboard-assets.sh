#!/usr/bin/env bash
# CI: the committed dashboard bundle (api/dashboard/dist) is what
# api/dashboard/web/build.sh makes from the source and the pinned packages.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/parley-dashboard-dist.XXXXXX")
trap 'rm -rf "$out"' EXIT
bash api/dashboard/web/build.sh "$out" >/dev/null
status=0
for f in dashboard.js dashboard.css; do
  if cmp -s "$out/$f" "api/dashboard/dist/$f"; then
    echo "api/dashboard/dist/$f is current"
  else
    echo "api/dashboard/dist/$f differs from a fresh build: run bash api/dashboard/web/build.sh and commit" >&2
    status=1
  fi
done
if [ "$(ls "$out" | wc -l)" != "$(ls api/dashboard/dist | wc -l)" ]; then
  echo "api/dashboard/dist holds other files than the build makes" >&2; status=1
fi
exit "$status"
