#!/usr/bin/env bash
# CI: live subscriptions with npm's graphql-ws client (graphql-transport-ws)
# against a freshly built server: messages appended through appendMessages
# arrive once and in order, another tenant's conversation is an error, and
# a bad key closes the socket with 4403 (see .ci/subscriptions.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/server.sh

GRAPHQL_WS_VERSION=6.4.2
WS_VERSION=8.23.0     # Node 20 has no WebSocket of its own
GRAPHQL_VERSION=17.1.0 # graphql-ws's peer

start_parley
# A second organization's key, for the tenancy check.
OTHER_KEY=$("$ci_tmp/parley" apikey create --org "CI Other" --database-url "sqlite://$ci_tmp/parley.db" | tail -n 1)
export OTHER_KEY
npm_install subscriptions "graphql-ws@$GRAPHQL_WS_VERSION" "ws@$WS_VERSION" "graphql@$GRAPHQL_VERSION"
PARLEY_NODE_MODULES="$ci_tmp/subscriptions/node_modules" node .ci/subscriptions.mjs || {
  status=$?; echo "server log:" >&2; tail -n 30 "$server_log" >&2; exit "$status"
}
