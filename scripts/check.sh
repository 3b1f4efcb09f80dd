#!/usr/bin/env bash
# Static checks: the proto contract is linted, formatted and not broken; gen/ matches proto/;
# TypeScript typechecks; ESLint (including the one-way layering rules) passes.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== buf lint"
npx buf lint
echo "== buf format"
npx buf format --diff --exit-code
echo "== buf breaking (against the previous commit on main)"
if git rev-parse --verify --quiet HEAD~1 >/dev/null && git cat-file -e HEAD~1:proto 2>/dev/null; then
  npx buf breaking proto --against '.git#ref=HEAD~1,subdir=proto'
else
  echo "no previous commit with proto/: nothing to compare"
fi
echo "== gen/ and clients/ts/src/gen/ match proto/"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r gen "$tmp/gen-before"
cp -r clients/ts/src/gen "$tmp/client-gen-before"
npx buf generate
for pair in "gen-before gen" "client-gen-before clients/ts/src/gen"; do
  set -- $pair
  if ! diff -r "$tmp/$1" "$2" >/dev/null; then
    diff -r "$tmp/$1" "$2" | head -20 || true
    echo "$2 is stale: run 'npm run generate' and commit the result" >&2
    exit 1
  fi
done
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
echo "== console: typecheck, and the committed bundle matches its source"
npx tsc --noEmit -p clients/console/tsconfig.json
bash scripts/console-bundle-check.sh
echo "== eslint"
npx eslint .
echo "check passed"
