#!/usr/bin/env bash
# Benchmark: GetHealth next to grpc.health.v1/Check on one server with TABLES
# tables (default 1000), CLIENTS concurrent callers (default 32), SECONDS each.
# Goal: GetHealth at least half of Check's throughput, p99 under 5 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin tablesafe --example bench_health
exec target/release/examples/bench_health "${1:-1000}" "${2:-32}" "${3:-5}"
