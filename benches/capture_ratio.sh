#!/usr/bin/env bash
# pdns-build against tshark on one capture, in alternating rounds: each
# round runs this checkout's pdns-build (and OLD_PDNS_BUILD, if set),
# then tshark extracting two fields, one after the other, so that each
# round's ratio compares runs a minute apart on a machine whose speed
# drifts. Prints every run, the ratio of each round (tshark wall time /
# pdns-build wall time, which GNU time gives to 10 ms) and the medians.
#
# Usage: benches/capture_ratio.sh CAPTURE [ROUNDS]
# Needs: cargo, tshark, GNU time at /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
CAP=$(realpath "$1")
ROUNDS=${2:-3}
command -v tshark >/dev/null || { echo "tshark not found (apt-get install tshark)" >&2; exit 2; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/pdns-capture-ratio.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
cargo build --release -q -p pdns-build
NEW=$PWD/target/release/pdns-build
echo "capture: $CAP, $(stat -c %s "$CAP") bytes; $ROUNDS round(s); nproc $(nproc); load $(cut -d' ' -f1-3 /proc/loadavg)"

# timed NAME CMD...: runs CMD (its output thrown away), prints and
# appends "NAME wall user sys maxrss_kb" to $OUT/times
timed() {
    local name=$1
    shift
    /usr/bin/time -o "$OUT/t" -f "$name %e %U %S %M" "$@" > /dev/null 2> "$OUT/err" ||
        { cat "$OUT/err" >&2; exit 1; }
    tee -a "$OUT/times" < "$OUT/t"
}

for r in $(seq "$ROUNDS"); do
    timed "pdns-build" "$NEW" build --quiet -o "$OUT/new.pdns" "$CAP"
    if [ -n "${OLD_PDNS_BUILD:-}" ]; then
        timed "old" "$OLD_PDNS_BUILD" build --quiet -o "$OUT/old.pdns" "$CAP"
    fi
    timed "tshark" tshark -r "$CAP" -T fields -e dns.qry.name -e dns.a
done
if [ -n "${OLD_PDNS_BUILD:-}" ]; then
    cmp -s "$OUT/new.pdns" "$OUT/old.pdns" && echo "archives identical" || echo "archives DIFFER"
fi
awk '
    { w[$1, ++n[$1]] = $2 }
    function median(a, m,   i, j, t, v) {
        for (i = 1; i <= m; i++) v[i] = a[i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    END {
        m = n["tshark"]
        printf "ratio per round:"
        for (i = 1; i <= m; i++) { d = w["pdns-build", i]; ratio[i] = w["tshark", i] / (d > 0 ? d : 0.01); printf " %.1f", ratio[i] }
        for (i = 1; i <= m; i++) { p[i] = w["pdns-build", i]; t[i] = w["tshark", i] }
        printf "\nmedian: pdns-build %.2f s, tshark %.2f s, ratio %.1fx\n", median(p, m), median(t, m), median(ratio, m)
    }' "$OUT/times"
