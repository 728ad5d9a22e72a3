#!/usr/bin/env bash
# Benchmark: `tablesafe inspect` against Erlang's own open + fold over the same
# table of RECORDS records (default 1,000,000), in one invocation.
# Goal: at least 10x faster than Erlang's traversal, under 64 MiB peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
scripts/install-test-deps.sh >/dev/null
if [ ! -x /usr/bin/time ]; then apt-get install -y -qq --no-install-recommends time >/dev/null; fi
cargo build --release -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
table="$work/bench.dets"
tool=tests/erlang/dets_tool.escript

echo "making a set of $records records with Erlang ..."
escript "$tool" bulk "$table" "$records"
size=$(stat -c %s "$table")
cat "$table" > /dev/null  # both sides start from a warm page cache

ours=$(python3 bench/measure.py 5 target/release/tablesafe inspect --json "$table")
erlang=$(python3 bench/measure.py 1 escript "$tool" fold "$table")
# Peak resident memory of each whole process, from the kernel's accounting.
ours_kib=$(/usr/bin/time -f %M target/release/tablesafe inspect --json "$table" 2>&1 >/dev/null)
erlang_kib=$(/usr/bin/time -f %M escript "$tool" fold "$table" 2>&1 >/dev/null)

python3 - "$ours" "$erlang" "$size" "$records" "$ours_kib" "$erlang_kib" <<'PY'
import json, sys
ours, erlang = json.loads(sys.argv[1]), json.loads(sys.argv[2])
size, records = int(sys.argv[3]), int(sys.argv[4])
ours["peak_kib"], erlang["peak_kib"] = int(sys.argv[5]), int(sys.argv[6])
report = json.loads(ours["stdout"])
fold = json.loads(erlang["stdout"].strip().splitlines()[-1])
assert report["records"] == records == fold["objects"], (report["records"], fold["objects"])
erl_fold_s = fold["micros"] / 1e6
print(f"table: {records:,} records, {size / 2**20:.1f} MiB, status {report['status']}")
print(f"{'':34}{'seconds':>10}{'peak MiB':>10}")
print(f"{'tablesafe inspect (whole process)':34}{ours['seconds']:>10.3f}{ours['peak_kib'] / 1024:>10.1f}")
print(f"{'erlang dets open + foldl (in VM)':34}{erl_fold_s:>10.3f}{'':>10}")
print(f"{'erlang escript (whole process)':34}{erlang['seconds']:>10.3f}{erlang['peak_kib'] / 1024:>10.1f}")
print(f"speed-up over Erlang's traversal: {erl_fold_s / ours['seconds']:.1f}x (goal >= 10x)")
print(f"inspect peak memory: {ours['peak_kib'] / 1024:.1f} MiB (goal < 64 MiB)")
PY
