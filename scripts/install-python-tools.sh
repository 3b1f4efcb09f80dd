#!/usr/bin/env bash
# Builds the Python toolchain for the Python client: a venv with the pinned code generators,
# runtime and test tools of clients/python/requirements-dev.txt, all from PyPI. Cached in
# ~/.cache/kavach/python/<hash of the requirements and the interpreter>, so a second run only
# re-links. Links the plugins into .tools/bin/ (buf.gen.yaml runs them from there) and the venv
# to .tools/python-venv (the test ring uses it). Prints the venv path as the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[install-python-tools] %s\n' "$*" >&2; }
PYTHON="${KAVACH_PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || { log "$PYTHON is not on PATH"; exit 1; }
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || { log "$PYTHON is older than 3.10"; exit 1; }

req=clients/python/requirements-dev.txt
key=$( (cat "$req"; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)
venv="${KAVACH_CACHE_DIR:-$HOME/.cache/kavach}/python/$key"
if [[ ! -f "$venv/.complete" ]]; then
  log "creating $venv"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-virtualenv -r "$req"
  "$venv/bin/python" -m pip check >&2
  touch "$venv/.complete"
fi
mkdir -p .tools/bin
for plugin in protoc-gen-py protoc-gen-grpc-py protoc-gen-connectrpc; do
  ln -sfn "$venv/bin/$plugin" ".tools/bin/$plugin"
done
ln -sfn "$venv" .tools/python-venv
log "ready: $venv"
echo "$venv"
