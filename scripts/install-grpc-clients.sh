#!/usr/bin/env bash
# Ensure the outside gRPC clients the grpc-clients ring drives are in $HOME/go/bin, at pinned
# versions, built from the Go module proxy: grpc-health-probe and grpcurl. Idempotent: a cached
# binary whose embedded module version (`go version -m`) matches is kept.
set -euo pipefail

BIN_DIR="${HOME}/go/bin"
install_pinned() {
  local bin="$1" pkg="$2" version="$3" module="$4"
  if [[ -x "${BIN_DIR}/${bin}" ]] && go version -m "${BIN_DIR}/${bin}" | grep -qE "^\s+mod\s+${module}\s+${version}\b"; then
    echo "[install-grpc-clients] ${bin} ${version} cached" >&2
    return
  fi
  echo "[install-grpc-clients] building ${bin} ${version}" >&2
  GOBIN="${BIN_DIR}" go install "${pkg}@${version}"
}

install_pinned grpc-health-probe github.com/grpc-ecosystem/grpc-health-probe v0.4.63 github.com/grpc-ecosystem/grpc-health-probe
install_pinned grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl v1.9.3 github.com/fullstorydev/grpcurl
