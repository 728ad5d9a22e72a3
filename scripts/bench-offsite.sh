#!/usr/bin/env bash
# Benchmark of offsite uploads (issue 18), in one invocation, on tables of about
# MIB MiB (default 1024) written by real Erlang, one of random values (written anew
# for every run) and one of a single repeated value: tablesafe's upload to a real Garage
# node on loopback (plain, zstd, age, zstd+age; multipart, every part checked, the
# manifest put last) vs the same file put by a plain object_store client in the
# same run; runs alternated, best of RUNS (default 3).
# Goals: at most 1.2x the plain put without encryption, 1.5x with.
# Exits non-zero on errors only, never on a goal not met.
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
{ [ -x .deps/bin/garage ] && command -v escript >/dev/null; } || scripts/install-test-deps.sh >/dev/null
# The store at full speed: the tests' Garage is built at opt-level 1, which slows
# the store and so flatters every ratio. Built once (about 14 minutes on 2 cores)
# beside the tests' build, in the same cache.
garage_version=2.5.0
cache=${TABLESAFE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tablesafe}
export TABLESAFE_GARAGE=$cache/garage-$garage_version-release/bin/garage
if [ ! -x "$TABLESAFE_GARAGE" ]; then
    echo "building Garage $garage_version at the release opt-level into $cache (once)" >&2
    cargo install --quiet --locked garage --version "$garage_version" \
        --no-default-features --features bundled-libs,lmdb \
        --root "$cache/garage-$garage_version-release" --target-dir "$cache/garage-build-release"
    rm -rf "$cache/garage-build-release"
fi
exec cargo bench -q --bench offsite -- "$mib"
