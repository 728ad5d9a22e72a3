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
exec cargo bench -q --bench offsite -- "$mib"
