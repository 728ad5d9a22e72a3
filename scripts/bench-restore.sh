#!/usr/bin/env bash
# Benchmark of restores (issue 16), in one invocation, on a table of about MIB MiB
# (default 1100, i.e. 1.1 GiB) written by real Erlang and backed up by the release
# server:
#   1. `tablesafe restore TABLE --to PATH` (copy proved before, written, fsynced,
#      proved again from disk, renamed) vs `cp` + `sha256sum` of the backup file,
#      runs alternated; goal: restore within 2x of cp + sha256sum;
#   2. `tablesafe drill TABLE` on the same table without a node (level READER),
#      then with a real Erlang node that folds the restored file (level ERLANG).
# As root, the page cache is dropped (sync; drop_caches) before every measured
# step (CACHE=cold); otherwise, or with CACHE=warm, every step reads a warm cache.
# Exits non-zero on errors only, never on a goal not met.
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1100}
runs=${RUNS:-3}
if [ -z "${CACHE:-}" ]; then
    if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then CACHE=cold; else CACHE=warm; fi
fi
case $CACHE in
    cold) [ -w /proc/sys/vm/drop_caches ] || { echo "CACHE=cold needs root (drop_caches)" >&2; exit 2; } ;;
    warm) ;;
    *) echo "CACHE must be cold or warm" >&2; exit 2 ;;
esac
{ command -v escript && command -v erl; } >/dev/null || scripts/install-test-deps.sh >/dev/null
cargo build --release -q --bin tablesafe
bin=$PWD/target/release/tablesafe

work=$(mktemp -d)
server_pid=
node_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
cleanup() {
    stop_server
    if [ -n "$node_pid" ]; then
        kill -TERM "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

data=$work/data
backups=$work/backups
out=$work/out
mkdir -p "$data" "$backups" "$out"
token=bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
export TABLESAFE_ADMIN_TOKEN=$token TABLESAFE_TOKEN=$token

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
settle_cache() {
    if [ "$CACHE" = cold ]; then
        sync
        echo 3 > /proc/sys/vm/drop_caches
    else
        cat "$@" > /dev/null
    fi
}
# Waits until FILE has a line matching PATTERN, while process PID lives (at most SECONDS).
wait_for_line() {
    local file=$1 pattern=$2 pid=$3 seconds=$4 deadline
    deadline=$(( $(date +%s) + seconds ))
    until grep -q -- "$pattern" "$file" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "process $pid exited before \"$pattern\"; its output:" >&2
            cat "$file" >&2
            exit 1
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "no \"$pattern\" after ${seconds}s; output so far:" >&2
            cat "$file" >&2
            exit 1
        fi
        sleep 0.05
    done
}
# Starts the release server with config file $1, logging to $2; sets server_pid and url.
start_server() {
    local config=$1 log=$2 addr
    "$bin" serve --config "$config" --listen 127.0.0.1:0 --data-dir "$data" \
        --backup-dir "$backups" --schedule off 2>"$log" &
    server_pid=$!
    wait_for_line "$log" 'tablesafe listening' "$server_pid" 60
    addr=$(grep -m1 'tablesafe listening' "$log" | sed -n 's/.* addr=\([^ ]*\).*/\1/p')
    [ -n "$addr" ] || { echo "no addr in the listening line:" >&2; cat "$log" >&2; exit 1; }
    url=http://$addr
}

echo "making a table of about $mib MiB with Erlang ..."
escript tests/erlang/dets_tool.escript big "$data/big.dets" "$mib"
size=$(stat -c %s "$data/big.dets")

# Nothing runs in the server but what is measured: no schedule, scrub or drills of its own.
cat > "$work/reader.toml" <<'TOML'
[backup]
schedule = "off"
[verify]
scrub_interval = "off"
[drill]
schedule = "off"
TOML
start_server "$work/reader.toml" "$work/server-reader.log"
echo "server at $url (no Erlang node); backing up ..."
t0=$(now)
"$bin" backup --server "$url" --reason "bench-restore" > "$work/backup.txt" \
    || { cat "$work/backup.txt" >&2; exit 1; }
backup_s=$(since "$t0")
shopt -s nullglob
copies=("$backups"/big_*.dets)
shopt -u nullglob
[ ${#copies[@]} = 1 ] || { echo "expected one backup of big, found: ${copies[*]:-none}" >&2; exit 1; }
copy=${copies[0]}
[ "$(stat -c %s "$copy")" = "$size" ] || { echo "the backup's size differs from the table's" >&2; exit 1; }
echo "backup: $(basename "$copy") in $backup_s s"
echo "cache: $CACHE ($( [ "$CACHE" = cold ] && echo 'page cache dropped before every measured step' || echo 'every file read once before each step'))"

restore_times=()
cp_times=()
cp_sync_times=()
echo
printf '%-6s%14s%18s%25s\n' run restore "cp + sha256sum" "cp + sync + sha256sum"
for i in $(seq 1 "$runs"); do
    # (a) tablesafe restore: proved, written, fsynced, proved again, renamed.
    target=$out/big-$i.dets
    settle_cache "$copy"
    t0=$(now)
    "$bin" restore big --to "$target" --server "$url" --json > "$work/restore.json"
    r=$(since "$t0")
    python3 - "$work/restore.json" "$size" <<'PY'
import json, sys
reply = json.load(open(sys.argv[1]))
assert reply.get("restored") is True, reply
assert int(reply["plan"]["bytes"]) == int(sys.argv[2]), reply["plan"]
PY
    if [ "$i" = 1 ]; then cmp "$copy" "$target"; fi  # unmeasured: the bytes are the backup's
    rm -f "$target"

    # (b) baseline: cp + sha256sum of the same backup file into the same directory.
    base=$out/copy-$i.dets
    settle_cache "$copy"
    t0=$(now)
    cp "$copy" "$base" && sha256sum "$base" > /dev/null
    c=$(since "$t0")
    rm -f "$base"

    # (c) the same with the copy synced first, as the restore fsyncs its copy.
    settle_cache "$copy"
    t0=$(now)
    cp "$copy" "$base" && sync "$base" && sha256sum "$base" > /dev/null
    s=$(since "$t0")
    rm -f "$base"

    restore_times+=("$r"); cp_times+=("$c"); cp_sync_times+=("$s")
    printf '%-6s%14s%18s%25s\n' "$i" "$r" "$c" "$s"
done
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
restore_best=$(best "${restore_times[@]}")
cp_best=$(best "${cp_times[@]}")
cp_sync_best=$(best "${cp_sync_times[@]}")
printf '%-6s%14s%18s%25s\n' best "$restore_best" "$cp_best" "$cp_sync_best"
ratio=$(awk -v a="$restore_best" -v b="$cp_best" 'BEGIN { printf "%.2f", a / b }')
ratio_sync=$(awk -v a="$restore_best" -v b="$cp_sync_best" 'BEGIN { printf "%.2f", a / b }')
goal=$(awk -v r="$ratio" 'BEGIN { print (r <= 2.0) ? "met" : "NOT met" }')
echo "restore / (cp + sha256sum): ${ratio}x (goal <= 2x: $goal); / (cp + sync + sha256sum): ${ratio_sync}x"

# Drills: restore into the scratch directory and proof; times of the whole CLI call.
# Checks the JSON: passed, the level expected, the copy drilled.
drill_runs() {
    local level=$1 i t0 t
    drill_times=()
    for i in $(seq 1 "$runs"); do
        settle_cache "$copy"
        t0=$(now)
        "$bin" drill big --server "$url" --json > "$work/drill.json" \
            || { cat "$work/drill.json" >&2; exit 1; }
        t=$(since "$t0")
        python3 - "$work/drill.json" "$level" "$(basename "$copy")" <<'PY'
import json, sys
reply = json.load(open(sys.argv[1]))
tables = reply["tables"]
assert len(tables) == 1 and tables[0]["table"] == "big", reply
drill = tables[0]
assert drill.get("passed") is True, drill
assert drill.get("level") == sys.argv[2], (drill.get("level"), sys.argv[2], drill)
assert drill.get("backup") == sys.argv[3], drill
PY
        drill_times+=("$t")
        echo "  drill $i: $t s (${level#DRILL_LEVEL_}, passed)"
    done
}
echo
echo "drill of big without a node (level READER):"
drill_runs DRILL_LEVEL_READER
drill_reader=("${drill_times[@]}")
stop_server

cookie=bench$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
node=benchnode$$@localhost
printf '%s\n' "$cookie" > "$work/cookie"
chmod 600 "$work/cookie"
erl -sname "$node" -setcookie "$cookie" -noshell \
    -eval 'io:format("ready~n"), receive stop -> ok end.' > "$work/node.log" 2>&1 &
node_pid=$!
wait_for_line "$work/node.log" '^ready' "$node_pid" 60
cat > "$work/erlang.toml" <<TOML
[backup]
schedule = "off"
[verify]
scrub_interval = "off"
[drill]
schedule = "off"
[erlang]
node = "$node"
cookie_file = "$work/cookie"
TOML
start_server "$work/erlang.toml" "$work/server-erlang.log"
wait_for_line "$work/server-erlang.log" 'connected to the Erlang node' "$server_pid" 60
echo
echo "drill of big with the Erlang node $node (level ERLANG):"
drill_runs DRILL_LEVEL_ERLANG
drill_erlang=("${drill_times[@]}")
stop_server

reader_best=$(best "${drill_reader[@]}")
erlang_best=$(best "${drill_erlang[@]}")
echo
echo "summary: table big, $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 2^30 }') GiB, $mib objects of 1 MiB), best of $runs runs, $CACHE cache"
row() { printf '%-48s%10s%s\n' "$1" "$2" "${3:+  $3}"; }
row "" seconds
row "backup (capture + deep verify, one run)" "$backup_s" ""
row "cp + sha256sum" "$cp_best" "1.00x"
row "cp + sync + sha256sum" "$cp_sync_best" "$(awk -v a="$cp_sync_best" -v b="$cp_best" 'BEGIN { printf "%.2f", a / b }')x"
row "tablesafe restore (proof, copy, fsync, proof)" "$restore_best" "${ratio}x   goal <= 2x: $goal"
row "tablesafe drill, no node (READER)" "$reader_best" "$(awk -v a="$reader_best" -v b="$cp_best" 'BEGIN { printf "%.2f", a / b }')x"
row "tablesafe drill, Erlang node (ERLANG)" "$erlang_best" "$(awk -v a="$erlang_best" -v b="$cp_best" 'BEGIN { printf "%.2f", a / b }')x"
