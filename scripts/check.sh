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
echo "== gen/ matches proto/"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r gen "$tmp/gen-before"
npm run --silent generate
if ! diff -r "$tmp/gen-before" gen >/dev/null; then
  diff -r "$tmp/gen-before" gen | head -20 || true
  echo "gen/ is stale: run 'npm run generate' and commit the result" >&2
  exit 1
fi
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
echo "== eslint"
npx eslint .
echo "check passed"
