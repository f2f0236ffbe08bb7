#!/usr/bin/env bash
# Instructions executed by one `pdns-build build` run, counted by
# valgrind's callgrind: unlike wall time on a shared machine, the same
# binary and input give the same count (to a few parts in a thousand:
# the threads' interleaving moves some work), so two binaries can be
# compared on a small input in one pass. Prints each binary's total, the
# functions that differ most (self instructions), and whether the
# archives are the same bytes.
#
# Usage: benches/instructions.sh INPUT [OLD_PDNS_BUILD]
# Needs: cargo, valgrind (callgrind_annotate). Under callgrind a build
# runs 50-100 times slower: use about 300 k COF lines or a capture of
# 200 k responses (`gencap small.pcap 200000 42`).
set -euo pipefail
cd "$(dirname "$0")/.."
INPUT=$(realpath "$1")
OLD=${2:-}
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 2; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/pdns-instructions.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
cargo build --release -q -p pdns-build
NEW=$PWD/target/release/pdns-build

count() {
    local name=$1 bin=$2
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.cg" \
        "$bin" build --quiet -o "$OUT/$name.pdns" "$INPUT" 2> "$OUT/$name.err" ||
        { cat "$OUT/$name.err" >&2; exit 1; }
    callgrind_annotate "$OUT/$name.cg" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }' > "$OUT/$name.total"
    # Self instructions by function, summed over the files the compiler
    # inlined them from.
    callgrind_annotate --threshold=100 --auto=no "$OUT/$name.cg" 2>/dev/null |
        awk '/file:function/ { go = 1; next }
             go && NF == 0 && seen { exit }
             go && $1 ~ /^[0-9,]+$/ && $2 ~ /%\)$|^\(/ {
                 seen = 1
                 n = $1; gsub(",", "", n)
                 f = $0
                 sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", f)
                 sub(/^[^:]*:/, "", f)
                 sub(/ \[[^]]*\]$/, "", f)
                 # Assembly without symbols (BLAKE3) moves between builds.
                 if (f ~ /^0x[0-9a-f]+$/) f = "(code without a symbol)"
                 s[f] += n
             }
             END { for (f in s) print s[f] "\t" f }' > "$OUT/$name.funcs"
    printf '%-12s %15s instructions\n' "$name" "$(cat "$OUT/$name.total")"
}

echo "input: $INPUT ($(stat -c %s "$INPUT") bytes)"
count new "$NEW"
if [ -n "$OLD" ]; then
    count old "$OLD"
    awk -v n="$(cat "$OUT/new.total")" -v o="$(cat "$OUT/old.total")" \
        'BEGIN { printf "new/old: %.4f\n", n / o }'
    echo "functions that differ most (old -> new, self instructions):"
    awk -F'\t' 'NR == FNR { old[$2] = $1; next } { new[$2] = $1 }
        END {
            for (f in old) all[f] = 1
            for (f in new) all[f] = 1
            for (f in all) { d = new[f] - old[f]; printf "%d\t%d\t%d\t%s\n", (d < 0 ? -d : d), old[f], new[f], f }
        }' "$OUT/old.funcs" "$OUT/new.funcs" |
        sort -rn | awk -F'\t' 'NR <= 15 { printf "  %13d -> %13d  %s\n", $2, $3, substr($4, 1, 100) }'
    cmp -s "$OUT/new.pdns" "$OUT/old.pdns" && echo "archives identical" || echo "archives DIFFER"
else
    echo "functions with the most self instructions:"
    sort -rn "$OUT/new.funcs" | awk -F'\t' 'NR <= 15 { printf "  %13d  %s\n", $1, substr($2, 1, 100) }'
fi
