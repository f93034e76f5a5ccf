#!/usr/bin/env bash
# CI: the /dashboard page in a real browser (Debian's chromium, driven by
# playwright-core) against a freshly built server; see .ci/dashboard.mjs.
# Screenshots of each step go to ci-out/dashboard/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/server.sh

PLAYWRIGHT_VERSION=1.65.1

chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "chromium is not installed; as root: apt-get update && apt-get install -y chromium" >&2; exit 1
  fi
  echo "installing chromium from Debian"
  apt-get update -qq >"$ci_tmp/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$ci_tmp/apt.log" 2>&1 || {
    cat "$ci_tmp/apt.log" >&2; exit 1
  }
  chromium=$(command -v chromium)
fi

start_parley
npm_install playwright "playwright-core@$PLAYWRIGHT_VERSION"
rm -rf ci-out/dashboard
PARLEY_NODE_MODULES="$ci_tmp/playwright/node_modules" CHROMIUM="$chromium" SCREENSHOTS=ci-out/dashboard \
  node .ci/dashboard.mjs || {
  status=$?; echo "server log:" >&2; tail -n 30 "$server_log" >&2; exit "$status"
}
