#!/usr/bin/env bash
# CI: the GraphQL-over-HTTP specification audit (npm package graphql-http)
# against a freshly built server on a throwaway SQLite database. Fails if any
# MUST audit is not ok; SHOULD and MAY results are printed for information
# (the known ones are listed in README.md, "GraphQL over HTTP conformance").
set -euo pipefail
cd "$(dirname "$0")/.."

GRAPHQL_HTTP_VERSION=1.23.1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-audit.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "building the server"
go build -o "$tmp/parley" .

db="sqlite://$tmp/parley.db" # $tmp is absolute, so this is sqlite:///...
key=$("$tmp/parley" apikey create --org "GraphQL audit" --database-url "$db" 2>"$tmp/apikey.log" | tail -n 1) || {
  cat "$tmp/apikey.log" >&2; exit 1
}
if [ -z "$key" ]; then
  echo "apikey create printed no key" >&2; cat "$tmp/apikey.log" >&2; exit 1
fi

# port_in_use PORT: something already accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Start the server on a free loopback port in 38000-38999 (ports Node's fetch
# does not refuse). Another process may take the port between the check and
# the bind, so retry a few ports if the server exits with "address already in
# use".
port=""
for attempt in 1 2 3 4 5; do
  candidate=$((38000 + RANDOM % 1000))
  if port_in_use "$candidate"; then continue; fi
  "$tmp/parley" serve --addr "127.0.0.1:$candidate" --metrics-addr off --database-url "$db" --demo false >"$tmp/server.log" 2>&1 &
  server_pid=$!
  healthy=""
  for _ in $(seq 1 100); do # up to about 30 seconds
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$candidate/healthz" || true)" = 200 ]; then
      healthy=1; break
    fi
    sleep 0.3
  done
  if [ -n "$healthy" ]; then port=$candidate; break; fi
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "server did not answer /healthz with 200 within 30s" >&2
    cat "$tmp/server.log" >&2; exit 1
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if ! grep -q 'address already in use' "$tmp/server.log"; then
    echo "server exited before answering /healthz:" >&2
    cat "$tmp/server.log" >&2; exit 1
  fi
done
if [ -z "$port" ]; then
  echo "found no free port in 38000-38999 after 5 attempts" >&2; exit 1
fi
echo "server listening on 127.0.0.1:$port"

echo "installing graphql-http@$GRAPHQL_HTTP_VERSION"
npm install --prefix "$tmp/audit" "graphql-http@$GRAPHQL_HTTP_VERSION" --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1 || {
  cat "$tmp/npm.log" >&2; exit 1
}

status=0
PARLEY_GRAPHQL_URL="http://127.0.0.1:$port/graphql" \
PARLEY_API_KEY="$key" \
GRAPHQL_HTTP_MODULES="$tmp/audit/node_modules" \
  node .ci/graphql-audit.mjs || status=$?
# For information only: a malformed request should not make the server log
# an error (each is a client mistake, not a server fault).
errors=$(grep -c '"level":"ERROR"' "$tmp/server.log" || true)
if [ "$errors" -gt 0 ]; then
  echo "note: the server logged $errors ERROR line(s) during the audit:"
  grep '"level":"ERROR"' "$tmp/server.log" | grep -o '"msg":"[^"]*"' | sort | uniq -c
fi
if [ "$status" -ne 0 ]; then
  echo "server log:" >&2
  tail -n 50 "$tmp/server.log" >&2
fi
exit "$status"
