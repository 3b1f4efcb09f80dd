#!/usr/bin/env bash
# The peer benchmark's tools (`npm run bench:peers`), pinned and built from the Go module proxy
# into $HOME/go/bin; idempotent: a cached binary with the right module version is kept.
set -euo pipefail

BIN_DIR="${HOME}/go/bin"
install_pinned() {
  local bin="$1" pkg="$2" version="$3" module="$4"
  if [[ -x "${BIN_DIR}/${bin}" ]] && go version -m "${BIN_DIR}/${bin}" | grep -qE "^\s+mod\s+${module}\s+${version}\b"; then
    echo "[install-peers] ${bin} ${version} cached" >&2
    return
  fi
  echo "[install-peers] building ${bin} ${version} (a few minutes the first time)" >&2
  GOBIN="${BIN_DIR}" go install "${pkg}@${version}"
}

install_pinned spicedb github.com/authzed/spicedb/cmd/spicedb v1.56.2 github.com/authzed/spicedb
install_pinned ghz github.com/bojand/ghz/cmd/ghz v0.120.0 github.com/bojand/ghz
install_pinned grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl v1.9.3 github.com/fullstorydev/grpcurl
