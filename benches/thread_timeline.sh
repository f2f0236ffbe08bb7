#!/usr/bin/env bash
# CPU samples per thread per time bin of one pdns-build run: shows which
# threads work in each phase and where a core sits idle. At F samples a
# second, a bin of W seconds holds at most F*W samples per thread and
# F*W*nproc in all (the "total" column).
#
# Usage: benches/thread_timeline.sh INPUT [BIN_SECONDS] [FREQUENCY]
# PDNS_BUILD=/path/to/pdns-build times that binary instead of building
# this checkout's.
# Needs: cargo, perf.
set -euo pipefail
cd "$(dirname "$0")/.."
INPUT=$(realpath "$1")
W=${2:-0.1}
F=${3:-999}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/pdns-timeline.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
[ -n "${PDNS_BUILD:-}" ] || cargo build --release -q -p pdns-build
perf record -q -F "$F" -o "$OUT/perf.data" "${PDNS_BUILD:-target/release/pdns-build}" build --quiet -o "$OUT/out.pdns" "$INPUT"
perf script -i "$OUT/perf.data" -F comm,time 2>/dev/null | awk -v W="$W" '
    { t = $NF; sub(":", "", t); c = $1; if (s == "") s = t
      b = int((t - s) / W); n[b, c]++; if (b > last) last = b
      if (!(c in seen)) { seen[c] = 1; names[++k] = c } }
    END {
        printf "%6s", "t (s)"; for (i = 1; i <= k; i++) printf " %15s", substr(names[i], 1, 15); printf " %6s\n", "total"
        for (b = 0; b <= last; b++) {
            printf "%6.2f", b * W; tot = 0
            for (i = 1; i <= k; i++) { printf " %15d", n[b, names[i]]; tot += n[b, names[i]] }
            printf " %6d\n", tot
        }
    }'
