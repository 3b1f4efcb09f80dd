#!/usr/bin/env bash
# Static checks: the proto contract is linted, formatted and not broken; the generated code of
# every language (gen/, clients/go/gen, clients/python/...gen) matches proto/; the Go client vets;
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
echo "== generated code matches proto/ (gen/, clients/ts/src/gen, clients/go/gen, clients/python/src/kavach_client/gen)"
bash scripts/install-go-plugins.sh
bash scripts/install-python-tools.sh >/dev/null
generated=(gen clients/ts/src/gen clients/go/gen clients/python/src/kavach_client/gen)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in "${generated[@]}"; do
  mkdir -p "$tmp/before/$(dirname "$dir")"
  cp -r "$dir" "$tmp/before/$dir"
done
npm run --silent generate
for dir in "${generated[@]}"; do
  if ! diff -r "$tmp/before/$dir" "$dir" >/dev/null; then
    diff -r "$tmp/before/$dir" "$dir" | head -20 || true
    echo "$dir is stale: run 'npm run generate' and commit the result" >&2
    exit 1
  fi
done
echo "== Go client builds and vets"
(cd clients/go && go vet ./...)
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
echo "== console: typecheck, and the committed bundle matches its source"
npx tsc --noEmit -p clients/console/tsconfig.json
bash scripts/console-bundle-check.sh
echo "== eslint"
npx eslint .
echo "check passed"
