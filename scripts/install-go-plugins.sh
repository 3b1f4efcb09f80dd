#!/usr/bin/env bash
# Installs the Go code generators that buf.gen.yaml runs as local plugins, at pinned versions,
# from the Go module proxy, and links them into .tools/bin/ (where buf.gen.yaml looks for them).
# Idempotent and cached: the binaries live in ~/.cache/kavach/go-plugins/<versions>, so a second
# run (or a CI run on a machine that already has them) only re-links.
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep these in step with clients/go/go.mod (the runtime libraries the generated code uses).
PLUGINS=(
  "google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10"
  "google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1"
  "connectrpc.com/connect/cmd/protoc-gen-connect-go@v1.19.1"
)

log() { printf '[install-go-plugins] %s\n' "$*" >&2; }
command -v go >/dev/null 2>&1 || { log "go is not on PATH (needed to install ${PLUGINS[*]})"; exit 1; }

key=$(printf '%s\n' "${PLUGINS[@]}" "$(go env GOVERSION)" | sha256sum | cut -c1-16)
cache="${KAVACH_CACHE_DIR:-$HOME/.cache/kavach}/go-plugins/$key"
mkdir -p "$cache" .tools/bin
for spec in "${PLUGINS[@]}"; do
  name=$(basename "${spec%@*}")
  if [[ ! -x "$cache/$name" ]]; then
    log "installing $spec"
    # Outside any module, so that no go.mod in this repository steers the build.
    (cd "$cache" && GOBIN="$cache" go install "$spec")
  fi
  ln -sfn "$cache/$name" ".tools/bin/$name"
done
log "ready in .tools/bin: $(cd .tools/bin && ls protoc-gen-go* protoc-gen-connect-go | tr '\n' ' ')"
