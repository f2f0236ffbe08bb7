#!/usr/bin/env bash
# Whole-build timings side by side on the same COF JSON lines:
#   - pdns-build build (this checkout, release), the end-to-end path of
#     issue 3: parse, external sort, aggregate, write, publish;
#   - optionally an older pdns-build binary (OLD_PDNS_BUILD=path), for a
#     before/after ratio measured in the same run;
#   - sqlite3 loading the same lines into a table with indexes on rrname
#     and rdata (the alternative in DESIGN.md), as in compare.sh.
# The tools run one after the other, RUNS rounds interleaved, so drift in
# the machine's load hits all of them alike; every run is printed.
#
# Usage: benches/build_compare.sh COF_FILE [RUNS] [MEMORY]
# Needs: cargo, sqlite3 (>= 3.38), GNU time at /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/sqlite_load.sh
. benches/sqlite_load.sh
COF=$(realpath "$1")
RUNS=${2:-1}
MEMORY=${3:-1G}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/pdns-build-compare.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
cargo build --release -q -p pdns-build
NEW=$PWD/target/release/pdns-build
LINES=$(wc -l < "$COF")
echo "input: $COF, $LINES lines, $(stat -c %s "$COF") bytes; memory budget $MEMORY; $RUNS round(s)"
echo "nproc $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME OUTPUT CMD...: prints one result line
run() {
    local name=$1 out=$2
    shift 2
    rm -f "$out"
    /usr/bin/time -f '%e %M %U %S' -o "$OUT/time" "$@" > /dev/null 2> "$OUT/stderr" || {
        cat "$OUT/stderr" >&2
        return 1
    }
    read -r wall rss user sys < "$OUT/time"
    local size
    size=$(stat -c %s "$out")
    awk -v n="$name" -v w="$wall" -v r="$rss" -v u="$user" -v s="$sys" -v z="$size" -v l="$LINES" \
        'BEGIN { printf "| %-28s | %8.2f s | %9.0f /s | %7.1f s | %6.0f MB | %7.2f B |\n", n, w, l / w, u + s, r / 1024, z / l }'
}

sqlite_load_sql "$COF" > "$OUT/load.sql"

echo
echo "| tool | wall | input records/s | CPU (user+sys) | peak RSS | bytes/record |"
echo "| --- | --- | --- | --- | --- | --- |"
for _ in $(seq "$RUNS"); do
    run "pdns-build (this checkout)" "$OUT/new.pdns" "$NEW" build -q --memory "$MEMORY" -o "$OUT/new.pdns" "$COF"
    if [ -n "${OLD_PDNS_BUILD:-}" ]; then
        run "pdns-build (OLD_PDNS_BUILD)" "$OUT/old.pdns" "$OLD_PDNS_BUILD" build -q --memory "$MEMORY" -o "$OUT/old.pdns" "$COF"
    fi
    if command -v sqlite3 > /dev/null; then
        run "sqlite3 + 2 indexes" "$OUT/db.sqlite" sh -c "sqlite3 '$OUT/db.sqlite' < '$OUT/load.sql'"
    fi
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
