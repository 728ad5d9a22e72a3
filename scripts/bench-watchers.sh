#!/usr/bin/env bash
# Benchmark: 1,000 concurrent WatchEvents streams and one run of 100 events.
# Goal: every event delivered, p99 under 50 ms, under 64 KiB of server memory per watcher.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin tablesafe --example bench_watchers
exec target/release/examples/bench_watchers "${1:-1000}"
