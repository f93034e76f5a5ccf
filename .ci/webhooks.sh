#!/usr/bin/env bash
# CI: webhooks as a receiver written elsewhere sees them. A Node receiver
# subscribes through the REST API, conversations change through GraphQL,
# and every delivery must verify with the Standard Webhooks reference
# library for JavaScript (npm standardwebhooks), before and after a secret
# rotation (see .ci/webhooks.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/server.sh

STANDARDWEBHOOKS_VERSION=1.1.1

start_parley --webhook-allow-private
npm_install webhooks "standardwebhooks@$STANDARDWEBHOOKS_VERSION"
PARLEY_NODE_MODULES="$ci_tmp/webhooks/node_modules" node .ci/webhooks.mjs || {
  status=$?; echo "server log:" >&2; tail -n 30 "$server_log" >&2; exit "$status"
}
