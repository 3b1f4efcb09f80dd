#!/usr/bin/env bash
# The console's built bundle (clients/console/dist) is committed, so that `npm install && npm start`
# serves it with no build step and the Docker image needs no build toolchain. This rebuilds it
# into a temporary directory and fails when the committed copy differs (run
# `npm run build -w clients/console` and commit dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CONSOLE_OUT_DIR="$out" nice -n 10 npx vite build --config clients/console/vite.config.ts --logLevel warn
if ! diff -r "$out" clients/console/dist >/dev/null; then
  diff -rq "$out" clients/console/dist | head -20 || true
  echo "clients/console/dist is stale: run 'npm run build -w clients/console' and commit dist/" >&2
  exit 1
fi
echo "console bundle up to date"
