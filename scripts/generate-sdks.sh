#!/usr/bin/env bash
# Generates the SDKs' protobuf code from proto/ (one command for every SDK).
#   scripts/generate-sdks.sh           regenerate the committed files
#   scripts/generate-sdks.sh --check   fail if the committed files are not what generation gives
# Uses the pinned grpcio-tools in .deps/venv and @grpc/proto-loader in clients/typescript
# (scripts/install-test-deps.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
python=.deps/venv/bin/python
out=clients/python/tablesafe_client/_generated
target=$out
if [ "${1:-}" = "--check" ]; then
    target=$(mktemp -d)
    trap 'rm -rf "$target"' EXIT
fi
# Python: protoc's modules, their imports made package-relative (no top-level `tablesafe`), and models.py.
"$python" clients/python/tools/generate.py proto "$target"

# TypeScript: the proto the client loads at run time, and types generated from it
# (relative imports end in .js, so the .d.ts files in the package's dist/ resolve under Node16/NodeNext).
ts=clients/typescript
ts_target=$ts
[ "${1:-}" = "--check" ] && ts_target="$target/ts"
mkdir -p "$ts_target/proto/tablesafe/v1" "$ts_target/src/generated"
cp proto/tablesafe/v1/storage_admin.proto "$ts_target/proto/tablesafe/v1/"
rm -rf "$ts_target/src/generated"
gen_out=$(mkdir -p "$ts_target/src/generated" && cd "$ts_target/src/generated" && pwd)
# Run from the package with a relative include path, so the output names no machine path.
(cd "$ts" && node_modules/.bin/proto-loader-gen-types --grpcLib=@grpc/grpc-js --longs=String --enums=String \
    --defaults --oneofs --includeComments --importFileExtension=.js -I proto -O "$gen_out" tablesafe/v1/storage_admin.proto >/dev/null)

if [ "${1:-}" = "--check" ]; then
    stale=0
    diff -ru -x __pycache__ -x ts "$out" "$target" || stale=1
    diff -ru "$ts/proto" "$ts_target/proto" || stale=1
    diff -ru "$ts/src/generated" "$ts_target/src/generated" || stale=1
    if [ "$stale" = 1 ]; then
        echo "generated SDK code is stale: run scripts/generate-sdks.sh" >&2
        exit 1
    fi
    echo "generated SDK code is up to date"
fi
