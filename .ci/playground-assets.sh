#!/usr/bin/env bash
# CI: the playground's embedded GraphiQL and React files are byte for byte the
# files of their npm releases (`npm pack` of each version), and nothing else
# is embedded beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-assets.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

assets=api/playground/assets
status=0
checked=""
# npm package@version, a file in the package, the folder under assets/
while read -r spec file folder; do
  if [ ! -d "$tmp/$spec/package" ]; then
    mkdir -p "$tmp/$spec"
    (cd "$tmp/$spec" && npm pack "$spec" --silent >/dev/null 2>"$tmp/npm.log") || { cat "$tmp/npm.log" >&2; exit 1; }
    tar -xzf "$tmp/$spec"/*.tgz -C "$tmp/$spec"
  fi
  ours="$assets/$folder/$(basename "$file")"
  checked="$checked $ours"
  if cmp -s "$tmp/$spec/package/$file" "$ours"; then
    echo "ok   $ours is $spec's $file"
  else
    echo "FAIL $ours differs from $spec's $file"; status=1
  fi
done <<'LIST'
graphiql@4.1.2 graphiql.min.js graphiql-4.1.2
graphiql@4.1.2 graphiql.min.css graphiql-4.1.2
graphiql@4.1.2 LICENSE graphiql-4.1.2
react@18.2.0 umd/react.production.min.js react-18.2.0
react@18.2.0 LICENSE react-18.2.0
react-dom@18.2.0 umd/react-dom.production.min.js react-dom-18.2.0
react-dom@18.2.0 LICENSE react-dom-18.2.0
LIST
for f in $(find "$assets" -type f | sort); do
  case " $checked " in *" $f "*) ;; *) echo "FAIL $f is not an npm file this script checks"; status=1 ;; esac
done
exit "$status"
