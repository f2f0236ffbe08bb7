#!/usr/bin/env bash
# Peak memory of `pdns-build build` under several --memory budgets, on the
# same input, with the sort's runs as the build logs them; every archive
# is compared byte for byte with the first budget's (the budget changes
# how the sort splits its work, never the result).
#
# Usage: benches/memory_bound.sh INPUT [BUDGET...]   (default: 64M 256M 1G)
# INPUT is anything `pdns-build build` reads (a COF file, a capture, a
# folder of small exports). Needs GNU time at /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
INPUT=$(realpath "$1")
shift
if [ $# -gt 0 ]; then BUDGETS=("$@"); else BUDGETS=(64M 256M 1G); fi
OUT=$(mktemp -d "${TMPDIR:-/tmp}/pdns-memory-bound.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
cargo build --release -q -p pdns-build
BIN=$PWD/target/release/pdns-build
echo "input: $INPUT; nproc $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| --memory | wall | peak RSS | peak RSS / budget | sort runs (log) | archive |"
echo "| --- | --- | --- | --- | --- | --- |"
first=
for b in "${BUDGETS[@]}"; do
    out="$OUT/$b.pdns"
    /usr/bin/time -f '%e %M' -o "$OUT/time" "$BIN" build --memory "$b" -o "$out" "$INPUT" 2> "$OUT/log" || {
        rc=$?
        # 3: published, with bad lines or files (the log says which).
        [ "$rc" -eq 3 ] || { cat "$OUT/log" >&2; exit "$rc"; }
    }
    read -r wall rss < "$OUT/time"
    runs=$(sed -n 's/^pdns-build: sort: \(.*\); [0-9]* MiB for the writer$/\1/p' "$OUT/log")
    bytes=$(numfmt --from=iec "${b%B}")
    if [ -z "$first" ]; then
        first=$out
        same="reference"
    elif cmp -s "$first" "$out"; then
        same="identical"
    else
        same="DIFFERENT"
    fi
    awk -v b="$b" -v w="$wall" -v r="$rss" -v x="$bytes" -v runs="$runs" -v s="$same" \
        'BEGIN { printf "| %s | %.2f s | %.0f MiB | %.2f | %s | %s |\n", b, w, r / 1024, r * 1024 / x, runs, s }'
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
