#!/usr/bin/env bash
# Side-by-side comparison on one synthetic corpus, in one run (the machines
# are noisy, so everything is measured together):
#
#   1. generate N entries as sorted COF JSON lines (pdns-gen);
#   2. build an archive from those lines (pdns-cof2archive: parse + write,
#      no external sort since the lines are sorted) and, for reference,
#      straight from the generator (pdns-gen --format archive);
#   3. `zstd -19 -T2` of the sorted lines;
#   4. SQLite with indexes on rrname and rdata, loaded with the sqlite3 CLI
#      (JSON lines imported into a temporary table, fields extracted with
#      ->>, then the two indexes);
#   5. if the workspace's own tools build (TOOLS=1, the default):
#      `pdns-build build` from the same COF lines (the real end-to-end
#      path: parse, normalize, external sort, aggregate, write);
#   6. one question as a whole process, for a name and an IP: pdns-lookup
#      (this crate's minimal client), `pdns query` (step 5; the default
#      build and the `cargo dist` static-pie build of x86-64 Linux), sqlite3 and
#      /bin/true (the spawn cost), run round-robin RUNS times so noise hits
#      all alike, medians reported; zstdgrep GREP_RUNS times;
#   7. SQLite in process (Python's sqlite3 module, as in DESIGN.md's
#      figure) for 1000 names, if python3 has sqlite3.
#
# Usage: benches/compare.sh [N]            (default 10000000)
# Environment: SEED (42), ZSTD_LEVEL (19), RUNS (41), GREP_RUNS (3),
#   SQLITE_ENTRIES (N: load only the first M lines into SQLite if set),
#   TOOLS (1), OUT (target/bench-data/compare-N).
#   QUERIES_ONLY=1 reruns steps 6 and 7 on the files a previous run left
#   in OUT (sizes and build times are then not measured again).
#
# Needs: cargo, zstd, zstdgrep, sqlite3 (>= 3.38 for ->>), awk; GNU time
# at /usr/bin/time for peak memory (optional); python3 (optional).
set -euo pipefail
# shellcheck source=benches/sqlite_load.sh
. "$(dirname "$0")/sqlite_load.sh"

N=${1:-10000000}
SEED=${SEED:-42}
ZSTD_LEVEL=${ZSTD_LEVEL:-19}
RUNS=${RUNS:-41}
GREP_RUNS=${GREP_RUNS:-3}
SQLITE_ENTRIES=${SQLITE_ENTRIES:-$N}
TOOLS=${TOOLS:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/target/bench-data/compare-$N}
BIN=$ROOT/target/release
mkdir -p "$OUT"
cd "$ROOT"

COF=$OUT/entries.jsonl
ARC=$OUT/from-cof.pdns
DIRECT=$OUT/direct.pdns
BUILT=$OUT/pdns-build.pdns
ZST=$COF.zst
DB=$OUT/entries.sqlite

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Runs a command; prints "seconds peak_rss_kib" (rss 0 without GNU time)
# as its only standard output (the command's goes to standard error).
timed() {
    local f
    f=$(mktemp)
    local s=$EPOCHREALTIME
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$f" "$@" >&2
    else
        "$@" >&2
        echo 0 >"$f"
    fi
    local e=$EPOCHREALTIME
    awk -v s="$s" -v e="$e" -v m="$(tail -1 "$f")" 'BEGIN { printf "%.3f %d\n", e - s, m }'
    rm -f "$f"
}

# race RUNS FN... : runs the shell functions round-robin RUNS times (output
# discarded) and prints their median wall times in milliseconds, one line.
race() {
    local runs=$1
    shift
    local dir i f s e
    dir=$(mktemp -d)
    for ((i = 0; i < runs; i++)); do
        for f in "$@"; do
            s=$EPOCHREALTIME
            "$f" >/dev/null 2>&1 || true
            e=$EPOCHREALTIME
            awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }' >>"$dir/$f"
        done
    done
    for f in "$@"; do
        sort -n "$dir/$f" | awk '{ v[NR] = $1 } END { printf "%.2f ", v[int((NR + 1) / 2)] }'
    done
    echo
    rm -rf "$dir"
}

size() { stat -c %s "$1"; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
row_time() { printf '| %-58s | %12s s | %10s /s |\n' "$1" "$2" "$3"; }
row_size() { printf '| %-58s | %14s | %12s B |\n' "$1" "$2" "$3"; }
row_ms() { printf '| %-58s | %11s ms | %9s rows |\n' "$1" "$2" "$3"; }
row_kib() { printf '| %-58s | %10s KiB | %14s |\n' "$1" "$2" ""; }

# The questions: the name on the middle line, and the first A record
# after it.
question_name() { sed -n "$(($1 / 2))p" "$COF" | sed -E 's/^\{"rrname":"([^"]*)".*/\1/'; }
question_ip() {
    awk -v s="$(($1 / 2))" 'NR >= s && /"rrtype":"A",/ { print; exit }' "$COF" |
        sed -E 's/.*"rdata":"([^"]*)".*/\1/'
}

log "building release binaries"
cargo build --release -p pdns-benches --bins >&2
have_tools=0
if [ "$TOOLS" = 1 ]; then
    if cargo build --release -p pdns-build -p pdns >&2; then
        have_tools=1
    else
        log "pdns-build / pdns did not build: their steps are skipped"
    fi
fi
# The deployment build (`cargo dist`, .cargo/config.toml: static-pie on
# x86-64 Linux), timed beside the default dynamically linked one.
have_dist=0
DIST=$ROOT/target/x86_64-unknown-linux-gnu/release
if [ "$have_tools" = 1 ] && [ "$(uname -m)-$(uname -s)" = x86_64-Linux ]; then
    if cargo dist -p pdns >&2; then
        have_dist=1
    else
        log "cargo dist did not build: the static pdns rows are skipped"
    fi
fi

table=$OUT/table.txt
: >"$table"
if [ "${QUERIES_ONLY:-0}" != 1 ]; then
    log "1. generating $N entries as sorted COF JSON lines"
    read -r t_gen _ < <(timed "$BIN/pdns-gen" --entries "$N" --seed "$SEED" --format cof -o "$COF")

    log "2. building an archive from the COF lines (pdns-cof2archive)"
    read -r t_build m_build < <(timed "$BIN/pdns-cof2archive" "$COF" "$ARC")
    log "   and straight from the generator (pdns-gen --format archive)"
    read -r t_direct m_direct < <(timed "$BIN/pdns-gen" --entries "$N" --seed "$SEED" --format archive -o "$DIRECT")

    log "3. zstd -$ZSTD_LEVEL -T2 of the sorted lines (slow at level 19)"
    read -r t_zstd _ < <(timed zstd -q -f "-$ZSTD_LEVEL" -T2 "$COF" -o "$ZST")

    log "4. loading $SQLITE_ENTRIES entries into SQLite (indexes on rrname and rdata)"
    rm -f "$DB"
    SRC=$COF
    if [ "$SQLITE_ENTRIES" -lt "$N" ]; then
        SRC=$OUT/sqlite-subset.jsonl
        head -n "$SQLITE_ENTRIES" "$COF" >"$SRC"
    fi
    sqlite_load_sql "$SRC" >"$OUT/load.sql"
    read -r t_sql _ < <(timed sqlite3 "$DB" ".read $OUT/load.sql")
    rm -f "$OUT/sqlite-subset.jsonl"

    if [ "$have_tools" = 1 ]; then
        log "5. pdns-build build from the COF lines"
        read -r t_pb m_pb < <(timed "$BIN/pdns-build" build -q --format cof --memory 1G -o "$BUILT" "$COF")
    fi

    {
        row_time "generate COF lines (pdns-gen)" "$t_gen" "$(rate "$N" "$t_gen")"
        row_time "build archive from COF lines (pdns-cof2archive)" "$t_build" "$(rate "$N" "$t_build")"
        row_kib "  peak RSS of that build" "$m_build"
        row_time "generate + write archive (pdns-gen --format archive)" "$t_direct" "$(rate "$N" "$t_direct")"
        row_kib "  peak RSS (generator threads included)" "$m_direct"
        if [ "$have_tools" = 1 ]; then
            row_time "pdns-build build --format cof --memory 1G (end to end)" "$t_pb" "$(rate "$N" "$t_pb")"
            row_kib "  peak RSS of that build" "$m_pb"
        fi
        row_time "zstd -$ZSTD_LEVEL -T2 of the COF lines" "$t_zstd" "$(rate "$N" "$t_zstd")"
        row_time "SQLite load + 2 indexes ($SQLITE_ENTRIES entries, sqlite3 CLI)" "$t_sql" "$(rate "$SQLITE_ENTRIES" "$t_sql")"
        row_size "COF JSON lines, bytes" "$(size "$COF")" "$(per "$(size "$COF")" "$N")"
        row_size "zstd -$ZSTD_LEVEL of the COF lines, bytes" "$(size "$ZST")" "$(per "$(size "$ZST")" "$N")"
        row_size "archive (pdns-cof2archive), bytes" "$(size "$ARC")" "$(per "$(size "$ARC")" "$N")"
        row_size "archive (pdns-gen --format archive), bytes" "$(size "$DIRECT")" "$(per "$(size "$DIRECT")" "$N")"
        if [ "$have_tools" = 1 ]; then
            row_size "archive (pdns-build build), bytes" "$(size "$BUILT")" "$(per "$(size "$BUILT")" "$N")"
        fi
        row_size "SQLite with indexes, bytes" "$(size "$DB")" "$(per "$(size "$DB")" "$SQLITE_ENTRIES")"
    } >>"$table"
fi

NAME=$(question_name "$N")
IP=$(question_ip "$N")
SQLNAME=$NAME
if [ "$SQLITE_ENTRIES" -lt "$N" ]; then
    SQLNAME=$(question_name "$SQLITE_ENTRIES")
fi
log "6. one question per process: name $NAME, IP $IP"
q_lookup_name() { "$BIN/pdns-lookup" "$ARC" "$NAME"; }
q_lookup_ip() { "$BIN/pdns-lookup" "$ARC" "$IP"; }
q_pdns_name() { "$BIN/pdns" query -a "$BUILT" --format json "$NAME"; }
q_pdns_ip() { "$BIN/pdns" query -a "$BUILT" --format json "$IP"; }
q_dist_name() { "$DIST/pdns" query -a "$BUILT" --format json "$NAME"; }
q_dist_ip() { "$DIST/pdns" query -a "$BUILT" --format json "$IP"; }
q_sql_name() { sqlite3 "$DB" "SELECT * FROM pdns WHERE rrname = '$SQLNAME';"; }
q_sql_ip() { sqlite3 "$DB" "SELECT * FROM pdns WHERE rdata = '$IP';"; }
q_grep_name() { zstdgrep -F "{\"rrname\":\"$NAME\"," "$ZST"; }
q_true() { /bin/true; }
fns=(q_lookup_name q_lookup_ip q_sql_name q_sql_ip q_true)
if [ "$have_tools" = 1 ] && [ -f "$BUILT" ]; then
    fns+=(q_pdns_name q_pdns_ip)
    if [ "$have_dist" = 1 ]; then
        fns+=(q_dist_name q_dist_ip)
    fi
fi
read -r -a ms < <(race "$RUNS" "${fns[@]}")
read -r ms_grep < <(race "$GREP_RUNS" q_grep_name)
rows() { "$1" | wc -l; }
{
    row_ms "name: pdns-lookup process (median of $RUNS)" "${ms[0]}" "$(rows q_lookup_name)"
    if [ "${#ms[@]}" -gt 5 ]; then
        row_ms "name: pdns query --format json process" "${ms[5]}" "$(rows q_pdns_name)"
    fi
    if [ "${#ms[@]}" -gt 7 ]; then
        row_ms "name: pdns query, cargo dist (static-pie) build" "${ms[7]}" "$(rows q_dist_name)"
    fi
    row_ms "name: sqlite3 process" "${ms[2]}" "$(rows q_sql_name)"
    row_ms "name: zstdgrep (median of $GREP_RUNS)" "$ms_grep" "$(rows q_grep_name)"
    row_ms "IP: pdns-lookup process" "${ms[1]}" "$(rows q_lookup_ip)"
    if [ "${#ms[@]}" -gt 5 ]; then
        row_ms "IP: pdns query --format json process" "${ms[6]}" "$(rows q_pdns_ip)"
    fi
    if [ "${#ms[@]}" -gt 7 ]; then
        row_ms "IP: pdns query, cargo dist (static-pie) build" "${ms[8]}" "$(rows q_dist_ip)"
    fi
    row_ms "IP: sqlite3 process" "${ms[3]}" "$(rows q_sql_ip)"
    row_ms "/bin/true process (spawn cost)" "${ms[4]}" "0"
} >>"$table"

py_line="(python3 with sqlite3 not available)"
if python3 -c 'import sqlite3' 2>/dev/null; then
    log "7. SQLite in process (python3 sqlite3), 1000 names"
    py_line=$(python3 - "$DB" "$COF" "$SQLITE_ENTRIES" <<'EOF'
import json, sqlite3, sys, time
db, cof, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
step = max(1, n // 1000)
names = []
with open(cof) as f:
    for i, line in enumerate(f):
        if i >= n:
            break
        if i % step == 0:
            names.append(json.loads(line)["rrname"])
con = sqlite3.connect(db)
q = "SELECT * FROM pdns WHERE rrname = ?"
for nm in names:
    con.execute(q, (nm,)).fetchall()
ts = []
for nm in names:
    s = time.perf_counter()
    rows = con.execute(q, (nm,)).fetchall()
    ts.append(time.perf_counter() - s)
    assert rows
ts.sort()
print(f"{len(ts)} names, p50 {ts[len(ts) // 2] * 1e6:.1f} us, p90 {ts[int(len(ts) * 0.9)] * 1e6:.1f} us")
EOF
)
fi

{
    echo
    echo "compare.sh: N=$N seed=$SEED, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%FT%TZ)"
    if [ "${QUERIES_ONLY:-0}" = 1 ]; then
        echo "(QUERIES_ONLY: steps 1-5 not rerun; files from the previous run in $OUT)"
    fi
    echo
    printf '| %-58s | %14s | %14s |\n' "what" "value" "per entry/rate"
    printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})"
    cat "$table"
    echo
    echo "SQLite in process: $py_line"
    echo "name: $NAME   IP: $IP"
} | tee "$OUT/summary.txt"
