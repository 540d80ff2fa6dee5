#!/usr/bin/env bash
# Generates the gogoproto Go code (*.pb.go) and grpc-gateway handlers
# (*.pb.gw.go) for proto/loopin/**, and the OpenAPI document of the REST
# routes (web/openapi/loopin.swagger.json, served at /swagger/), offline.
#
#   scripts/protocgen.sh            regenerate into x/*/types
#   scripts/protocgen.sh --check    regenerate into a temp dir and fail if the
#                                   committed files differ (stale or missing)
#
# Needs: protoc (Debian: protobuf-compiler) and the Go module cache; the
# plugins are built from the versions pinned in tools/go.mod. Include paths
# come from the module cache, so no network or buf.build is needed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=write
[ "${1:-}" = "--check" ] && mode=check

command -v protoc >/dev/null || {
  echo "protoc not found: install it with 'apt-get install -y --no-install-recommends protobuf-compiler'" >&2
  exit 1
}

bin="$root/build/bin"
mkdir -p "$bin"
(cd tools && go build -o "$bin/" \
  github.com/cosmos/gogoproto/protoc-gen-gocosmos \
  github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway \
  github.com/grpc-ecosystem/grpc-gateway/protoc-gen-swagger)

moddir() { go list -m -f '{{.Dir}}' "$1"; }
sdk=$(moddir github.com/cosmos/cosmos-sdk)
gogo=$(moddir github.com/cosmos/gogoproto)
cproto=$(moddir github.com/cosmos/cosmos-proto)
gw=$(cd tools && go list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for dir in $(find proto/loopin -name '*.proto' -exec dirname {} \; | sort -u); do
  PATH="$bin:$PATH" protoc \
    -I proto -I "$sdk/proto" -I "$gogo" -I "$gogo/protobuf" -I "$cproto/proto" \
    -I "$gw/third_party/googleapis" \
    --gocosmos_out="plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any:$out" \
    --grpc-gateway_out="logtostderr=true,allow_colon_final_segments=true:$out" \
    "$dir"/*.proto
done

# OpenAPI: one document per module's Query service, merged into one.
mkdir -p "$out/openapi" "$out/github.com/loopin-project/loopin/web/openapi"
merge=()
for q in $(find proto/loopin -name query.proto | sort); do
  module=$(basename "$(dirname "$(dirname "$q")")")
  PATH="$bin:$PATH" protoc \
    -I proto -I "$sdk/proto" -I "$gogo" -I "$gogo/protobuf" -I "$cproto/proto" \
    -I "$gw/third_party/googleapis" \
    --swagger_out="logtostderr=true,fqn_for_swagger_name=true:$out/openapi" "$q"
  merge+=("$module=$out/openapi/$(dirname "$q" | sed 's|^proto/||')/query.swagger.json")
done
go run ./scripts/openapi-merge -o "$out/github.com/loopin-project/loopin/web/openapi/loopin.swagger.json" "${merge[@]}"

gen="$out/github.com/loopin-project/loopin"
dirs="x sidecar web/openapi"
if [ "$mode" = write ]; then
  find $dirs -name '*.pb.go' -o -name '*.pb.gw.go' -o -name '*.swagger.json' | xargs -r rm -f
  for d in $dirs; do mkdir -p "$d" && cp -r "$gen/$d/." "$d/"; done
  echo "generated: $(cd "$gen" && find $dirs -type f | sort | tr '\n' ' ')"
else
  stale=0
  while read -r f; do
    if ! cmp -s "$gen/$f" "$f"; then echo "stale: $f" >&2; stale=1; fi
  done < <(cd "$gen" && find $dirs -type f | sort)
  while read -r f; do
    [ -f "$gen/$f" ] || { echo "no longer generated: $f" >&2; stale=1; }
  done < <(find $dirs -name '*.pb.go' -o -name '*.pb.gw.go' -o -name '*.swagger.json' | sort)
  if [ "$stale" = 1 ]; then
    echo "generated protobuf code is stale: run 'make proto-gen' and commit the result" >&2
    exit 1
  fi
  echo "protobuf code is up to date"
fi
