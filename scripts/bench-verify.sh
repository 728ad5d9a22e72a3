#!/usr/bin/env bash
# Benchmark of deep verification, in one invocation, runs alternated (paired):
#   1. a set of RECORDS objects (default 1,000,000) and a table of MIB MiB
#      (default 1024): `tablesafe inspect` (every object decoded, phash2,
#      placement, digest) vs Erlang's open_file + foldl vs `cat` of the file;
#   2. on the large table: a backup (capture + deep verify, bench_pipeline)
#      vs `cp` + `sha256sum`.
# Goals: inspect >= 10x faster than Erlang's fold; capture + verify no slower
# than cp + sha256sum; inspect peak memory < 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${RECORDS:-1000000}
mib=${MIB:-1024}
runs=${RUNS:-5}
scripts/install-test-deps.sh >/dev/null
if [ ! -x /usr/bin/time ]; then apt-get install -y -qq --no-install-recommends time >/dev/null; fi
cargo build --release -q
cargo build --release -q -p tablesafe-engine --example bench_pipeline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tool=tests/erlang/dets_tool.escript
mkdir -p "$work/data" "$work/backups"
echo "making a set of $records objects and a table of about $mib MiB with Erlang ..."
escript "$tool" bulk "$work/data/objects.dets" "$records"
escript "$tool" big "$work/data/large.dets" "$mib"

for t in objects large; do
    table="$work/data/$t.dets"
    cat "$table" > /dev/null  # warm page cache for every side
    out=$(python3 bench/paired.py "$runs" \
        "inspect=target/release/tablesafe inspect --json $table" \
        "erlang=escript $tool fold $table" \
        "cat=cat $table > /dev/null")
    ours_kib=$(/usr/bin/time -f %M target/release/tablesafe inspect --json "$table" 2>&1 >/dev/null)
    python3 - "$t" "$out" "$ours_kib" "$(stat -c %s "$table")" <<'PY'
import json, sys
name, r, kib, size = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
report = json.loads(r["inspect"]["stdout"])
fold = json.loads(r["erlang"]["stdout"].strip().splitlines()[-1])
assert report["status"] == "ok", report
assert report["records"] == fold["objects"], (report["records"], fold["objects"])
erl = fold["micros"] / 1e6
ours = r["inspect"]["median"]
print(f"\n{name}: {report['records']:,} objects, {size / 2**20:.1f} MiB; medians of {len(r['cat']['times'])} alternated runs")
print(f"{'':38}{'seconds':>10}")
print(f"{'tablesafe inspect (whole process)':38}{ours:>10.3f}")
print(f"{'erlang open_file + foldl (in the VM)':38}{erl:>10.3f}")
print(f"{'erlang escript (whole process)':38}{r['erlang']['median']:>10.3f}")
print(f"{'cat':38}{r['cat']['median']:>10.3f}")
print(f"inspect vs Erlang's fold: {erl / ours:.1f}x faster (goal >= 10x); vs cat: {ours / r['cat']['median']:.1f}x cat's time")
print(f"inspect peak memory: {kib / 1024:.1f} MiB (goal < 64 MiB)")
PY
done

table="$work/data/large.dets"
out=$(python3 bench/paired.py "$runs" \
    "pipeline=target/release/examples/bench_pipeline $table $work/backups 1" \
    "cp_sha=cp $table $work/backups/cp-copy && sync $work/backups/cp-copy && sha256sum $work/backups/cp-copy >/dev/null && rm $work/backups/cp-copy")
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
runs = [json.loads(l) for l in r["pipeline"]["stdout"].splitlines() if l.startswith("{")]
p, c = r["pipeline"]["median"], r["cp_sha"]["median"]
print(f"\nbackup of the large table, medians of {len(r['cp_sha']['times'])} alternated runs")
print(f"{'':38}{'seconds':>10}{'x cp+sha':>10}")
print(f"{'cp + sync + sha256sum':38}{c:>10.3f}{1:>10.2f}")
print(f"{'capture + deep verify (whole process)':38}{p:>10.3f}{p / c:>10.2f}   (goal <= 1.0)")
last = runs[-1]
print(f"  last run's stages: capture {last['capture_s']:.3f} s, verify {last['verify_s']:.3f} s")
PY
