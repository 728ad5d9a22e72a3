#!/usr/bin/env bash
# Benchmark: how tablesafe scales with the number of tables (100, 1,000 and
# 10,000 copies of a small table), in one invocation: backup run time per table
# next to a plain copy + fsync of the same files, start-up to first health
# answer, server memory over 100 runs, and GetHealth (SUMMARY, unchanged, FULL)
# next to grpc.health.v1/Check under 32 concurrent callers. Goals:
#   run time/table at 10,000 within 1.5x of at 100, and at most 3x plain copy;
#   start-up time/table at 10,000 within 1.5x of at 100;
#   VmRSS after 100 runs of 1,000 tables within 1.2x of after 1;
#   SUMMARY and unchanged >= 0.8x Check with p99 < 5 ms at 1,000 and 10,000;
#   FULL >= 0.4x Check at 1,000.
# Options (all optional): --sizes=100,1000,10000 --health-sizes=1000,10000
#   --memory-tables=1000 --runs=100 --clients=32 --seconds=3 --repeats=3
# (copies, start-ups and first runs: best of REPEATS attempts, interleaved).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin tablesafe --example bench_scale
exec target/release/examples/bench_scale "$@"
