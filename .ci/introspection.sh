#!/usr/bin/env bash
# CI: the full introspection query of graphql-js, with every option it
# offers, against a freshly built server; the answer must build a client
# schema equal to the SDL in graph/ (see .ci/introspection.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/server.sh

GRAPHQL_VERSION=17.1.0

start_parley
npm_install introspection "graphql@$GRAPHQL_VERSION"
PARLEY_NODE_MODULES="$ci_tmp/introspection/node_modules" node .ci/introspection.mjs || {
  status=$?; echo "server log:" >&2; tail -n 30 "$server_log" >&2; exit "$status"
}
