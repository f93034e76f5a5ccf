#!/usr/bin/env bash
# CI: Redocly's linter (npm @redocly/cli, recommended rules) on the OpenAPI
# document the server serves. Any error or warning fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

REDOCLY_VERSION=2.77.0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "installing @redocly/cli@$REDOCLY_VERSION into a throwaway folder"
npm install --prefix "$tmp" "@redocly/cli@$REDOCLY_VERSION" --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1 || {
  cat "$tmp/npm.log" >&2; exit 1
}
redocly=("$tmp/node_modules/.bin/redocly" lint rest/openapi.json --extends=recommended)

# The readable report first, then the totals from the JSON one: redocly
# exits 0 on warnings, which must fail here too.
"${redocly[@]}" --format=stylish 2>/dev/null || true
"${redocly[@]}" --format=json 2>/dev/null >"$tmp/lint.json" || true
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const { errors, warnings } = r.totals;
  console.log(`redocly ${r.version}: ${errors} error(s), ${warnings} warning(s)`);
  process.exit(errors + warnings > 0 ? 1 : 0);
' "$tmp/lint.json"
