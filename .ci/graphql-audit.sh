#!/usr/bin/env bash
# CI: the GraphQL-over-HTTP specification audit (npm package graphql-http)
# against a freshly built server on a throwaway SQLite database. Fails if any
# MUST audit is not ok; SHOULD and MAY results are printed for information
# (the known ones are listed in README.md, "GraphQL over HTTP conformance").
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/server.sh

GRAPHQL_HTTP_VERSION=1.23.1

start_parley
npm_install audit "graphql-http@$GRAPHQL_HTTP_VERSION"

status=0
PARLEY_GRAPHQL_URL="$PARLEY_URL/graphql" \
PARLEY_API_KEY="$PARLEY_KEY" \
GRAPHQL_HTTP_MODULES="$ci_tmp/audit/node_modules" \
  node .ci/graphql-audit.mjs || status=$?
# For information only: a malformed request should not make the server log
# an error (each is a client mistake, not a server fault).
errors=$(grep -c '"level":"ERROR"' "$server_log" || true)
if [ "$errors" -gt 0 ]; then
  echo "note: the server logged $errors ERROR line(s) during the audit:"
  grep '"level":"ERROR"' "$server_log" | grep -o '"msg":"[^"]*"' | sort | uniq -c
fi
if [ "$status" -ne 0 ]; then
  echo "server log:" >&2
  tail -n 50 "$server_log" >&2
fi
exit "$status"
