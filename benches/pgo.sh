#!/usr/bin/env bash
# A profile-guided (PGO) release build of pdns-build, for the machines it
# is deployed to: an instrumented build runs the jobs an operator runs
# (a build from COF lines, a build with --base, a merge, a build from the
# bundled captures, verify) on data generated here, and the compiler then
# lays the binary out for what those runs did. On the 10 M-line benchmark
# it does 7-8 % fewer instructions and builds 4-10 % faster (BENCHMARKS.md,
# sessions 17 and 18); the archives it writes are byte for byte the same.
#
# Usage: benches/pgo.sh [TARGET_DIR]   (default target/pgo)
# PGO_RUSTFLAGS adds flags to both builds, e.g. "-C target-cpu=x86-64-v3"
# for a fleet whose CPUs all have AVX2 (the default runs on any x86-64).
# Output: TARGET_DIR/release/pdns-build
# Needs: cargo, shuf, and the llvm-profdata of rustc's own LLVM
# (`rustup component add llvm-tools`, or LLVM_PROFDATA=/path/to/it).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-target/pgo}")
PROFDATA=${LLVM_PROFDATA:-}
if [ -z "$PROFDATA" ]; then
    for p in "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-profdata; do
        [ -x "$p" ] && PROFDATA=$p
    done
fi
if [ -z "$PROFDATA" ] || [ ! -x "$PROFDATA" ]; then
    echo "pgo.sh: llvm-profdata not found; run 'rustup component add llvm-tools' or set LLVM_PROFDATA" >&2
    exit 2
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/pdns-pgo.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "pgo.sh: training data" >&2
cargo build --release -q -p pdns-benches --bin pdns-gen
target/release/pdns-gen -n 2M -s 7 -f cof -o "$W/gen-a.jsonl"
target/release/pdns-gen -n 1M -s 8 -f cof -o "$W/gen-b.jsonl"
# Not seed 42, the benchmark corpus's (BENCHMARKS.md), so the build the
# benchmarks time was not trained on the lines they time.
# Shuffled, as exports arrive; a fixed random source keeps it repeatable.
shuf --random-source=<(yes) "$W/gen-a.jsonl" > "$W/a.jsonl"
shuf --random-source=<(yes) "$W/gen-b.jsonl" > "$W/b.jsonl"
rm "$W/gen-a.jsonl" "$W/gen-b.jsonl"

echo "pgo.sh: instrumented build and training runs" >&2
RUSTFLAGS="-Cprofile-generate=$W/profiles ${PGO_RUSTFLAGS:-}" \
    cargo build --release -q -p pdns-build --target-dir "$W/instrumented"
G="$W/instrumented/release/pdns-build"
"$G" build -q -o "$W/a.pdns" "$W/a.jsonl"
"$G" build -q -o "$W/b.pdns" "$W/b.jsonl"
"$G" build -q --base "$W/a.pdns" -o "$W/ab.pdns" "$W/b.jsonl"
"$G" merge -q -o "$W/merged.pdns" "$W/a.pdns" "$W/b.pdns"
# Some bundled captures are odd on purpose: exit 3 (published, with bad
# packets or files reported) is a training run like any other.
"$G" build -q -o "$W/captures.pdns" capture/tests/data/pcaps || [ $? -eq 3 ]
"$G" verify "$W/ab.pdns" > /dev/null
"$PROFDATA" merge -o "$W/merged.profdata" "$W/profiles"

echo "pgo.sh: optimized build" >&2
RUSTFLAGS="-Cprofile-use=$W/merged.profdata ${PGO_RUSTFLAGS:-}" \
    cargo build --release -q -p pdns-build --target-dir "$OUT"
echo "$OUT/release/pdns-build"
