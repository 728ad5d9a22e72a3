#!/usr/bin/env bash
# Generates the SDKs' protobuf code from proto/ (one command for every SDK).
#   scripts/generate-sdks.sh           regenerate the committed files
#   scripts/generate-sdks.sh --check   fail if the committed files are not what generation gives
# Uses the pinned grpcio-tools in .deps/venv (scripts/install-test-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
python=.deps/venv/bin/python
out=clients/python/tablesafe_client/_generated
target=$out
if [ "${1:-}" = "--check" ]; then
    target=$(mktemp -d)
    trap 'rm -rf "$target"' EXIT
fi
rm -rf "$target/tablesafe"
mkdir -p "$target"
"$python" -m grpc_tools.protoc -Iproto \
    --python_out="$target" --pyi_out="$target" --grpc_python_out="$target" \
    proto/tablesafe/v1/storage_admin.proto
touch "$target/tablesafe/__init__.py" "$target/tablesafe/v1/__init__.py"
if [ "${1:-}" = "--check" ]; then
    if ! diff -ru "$out/tablesafe" "$target/tablesafe"; then
        echo "generated SDK code is stale: run scripts/generate-sdks.sh" >&2
        exit 1
    fi
    echo "generated SDK code is up to date"
fi
