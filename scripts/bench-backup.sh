#!/usr/bin/env bash
# Benchmark: the copy pipeline on a table of MIB MiB (default 1024) against `cp`
# of the same file, in one invocation. Both read from a warm page cache and
# write into the same directory. Goal: capture within 1.1x of cp, capture plus
# verification within 2x.
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
runs=${RUNS:-3}
scripts/install-test-deps.sh >/dev/null
cargo build --release -q -p tablesafe-engine --example bench_pipeline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data" "$work/backups"
table="$work/data/big.dets"
echo "making a table of about $mib MiB with Erlang ..."
escript tests/erlang/dets_tool.escript big "$table" "$mib"
cat "$table" > /dev/null

cp_best=$(python3 - "$table" "$work/backups/cp-copy" "$runs" <<'PY'
import os, subprocess, sys, time
src, dst, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
best = float("inf")
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(["cp", src, dst], check=True)
    subprocess.run(["sync", dst], check=True)  # the pipeline fsyncs its copy too
    best = min(best, time.perf_counter() - start)
    os.remove(dst)
print(best)
PY
)
pipeline=$(target/release/examples/bench_pipeline "$table" "$work/backups" "$runs")

python3 - "$cp_best" "$pipeline" <<'PY'
import json, sys
cp = float(sys.argv[1])
runs = [json.loads(l) for l in sys.argv[2].splitlines()]
capture = min(r["capture_s"] for r in runs)
total = min(r["capture_s"] + r["verify_s"] for r in runs)
size = runs[0]["bytes"]
print(f"table: {size / 2**30:.2f} GiB, best of {len(runs)} runs each")
print(f"{'':32}{'seconds':>10}{'x cp':>8}")
print(f"{'cp + sync':32}{cp:>10.3f}{1:>8.2f}")
print(f"{'pipeline capture':32}{capture:>10.3f}{capture / cp:>8.2f}   (goal <= 1.1)")
print(f"{'pipeline capture + verify':32}{total:>10.3f}{total / cp:>8.2f}   (goal <= 2.0)")
PY
