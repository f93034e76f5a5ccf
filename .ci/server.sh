# Sourced by the .ci scripts that drive a real server. Provides:
#
#   ci_tmp                  a throwaway folder, removed on exit with the server
#   npm_install DIR PKG...  installs npm packages into $ci_tmp/DIR, quietly
#   start_parley [FLAG...]  builds the server, starts it (with any further
#                           serve flags) on a fresh SQLite database (seeded
#                           with the demo organization) and sets PARLEY_URL
#                           (http://127.0.0.1:PORT) and PARLEY_KEY (the demo
#                           key from its log)
#   server_log              the server's log file
#
# Callers run from the repository root with `set -euo pipefail`.

ci_tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-ci.XXXXXX")
server_log="$ci_tmp/server.log"
server_pid=""
ci_cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$ci_tmp"
}
trap ci_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

npm_install() {
  local dir="$ci_tmp/$1"; shift
  echo "installing $* into a throwaway folder"
  npm install --prefix "$dir" "$@" --no-audit --no-fund --loglevel=error >"$ci_tmp/npm.log" 2>&1 || {
    cat "$ci_tmp/npm.log" >&2; return 1
  }
}

# port_in_use PORT: something already accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_parley() {
  echo "building the server"
  go build -o "$ci_tmp/parley" .
  local db="sqlite://$ci_tmp/parley.db" # $ci_tmp is absolute, so sqlite:///...

  # A free loopback port in 38000-38999 (ports browsers and Node's fetch do
  # not refuse). Another process may take it between the check and the bind,
  # so retry a few ports if the server exits with "address already in use".
  local attempt candidate healthy
  for attempt in 1 2 3 4 5; do
    candidate=$((38000 + RANDOM % 1000))
    if port_in_use "$candidate"; then continue; fi
    rm -f "$ci_tmp"/parley.db*
    "$ci_tmp/parley" serve --addr "127.0.0.1:$candidate" --metrics-addr off --database-url "$db" --rate-limit 0 "$@" >"$server_log" 2>&1 &
    server_pid=$!
    healthy=""
    for _ in $(seq 1 200); do # up to about a minute (seeding comes first)
      if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
      if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$candidate/healthz" || true)" = 200 ]; then
        healthy=1; break
      fi
      sleep 0.3
    done
    if [ -n "$healthy" ]; then
      PARLEY_URL="http://127.0.0.1:$candidate"
      PARLEY_KEY=$(grep -o '"api_key":"sk_test_[A-Za-z0-9]*"' "$server_log" | head -n 1 | cut -d'"' -f4)
      if [ -z "$PARLEY_KEY" ]; then
        echo "the server logged no demo api_key" >&2; cat "$server_log" >&2; return 1
      fi
      export PARLEY_URL PARLEY_KEY
      echo "server listening on $PARLEY_URL"
      return 0
    fi
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "server did not answer /healthz with 200 within a minute" >&2
      cat "$server_log" >&2; return 1
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    if ! grep -q 'address already in use' "$server_log"; then
      echo "server exited before answering /healthz:" >&2
      cat "$server_log" >&2; return 1
    fi
  done
  echo "found no free port in 38000-38999 after 5 attempts" >&2
  return 1
}
