#!/usr/bin/env bash
# Regenerates gen/ from proto/ with protoc + ts-proto (on protobufjs).
# `gen.sh --check` regenerates into a temp dir and fails on any difference.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/../.." && pwd)
command -v protoc >/dev/null || { echo "protoc is missing: run 'npm run setup' (installs protobuf-compiler)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$here/proto"
protoc \
  --plugin=protoc-gen-ts_proto="$root/node_modules/.bin/protoc-gen-ts_proto" \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,env=node,esModuleInterop=true,forceLong=number,useOptionals=messages,outputPartialMethods=false,useDate=false \
  -I . $(find . -name '*.proto' | sort)
if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$out" "$here/gen" >/dev/null; then
    diff -r "$out" "$here/gen" | head -40 >&2
    echo "gen/ is stale: run 'npm run gen' and commit the result" >&2
    exit 1
  fi
  echo "gen/ is up to date"
else
  rm -rf "$here/gen"
  mkdir -p "$here/gen"
  cp -r "$out"/. "$here/gen/"
  echo "regenerated $(find "$here/gen" -name '*.ts' | wc -l) files in gen/"
fi
