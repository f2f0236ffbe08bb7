#!/usr/bin/env bash
# Wall-clock time from starting `pdns ARCHIVE` in a terminal to its first
# frame (the overview), measured from outside in a private tmux server:
# process start, mmap open, META, terminal setup and the first draw.
# tmux's own screen polling adds a few milliseconds, so these are upper
# bounds.
#
#   benches/tui_first_frame.sh ARCHIVE [RUNS] [PDNS_BINARY]
set -euo pipefail
archive=${1:?usage: $0 ARCHIVE [RUNS] [PDNS_BINARY]}
runs=${2:-5}
bin=${3:-target/release/pdns}
sock="pdns-ff-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
for i in $(seq 1 "$runs"); do
  tmux -L "$sock" -f /dev/null new-session -d -s ff -x 120 -y 40 "sleep 60"
  start=$(date +%s%N)
  tmux -L "$sock" respawn-pane -k -t ff "PDNS_TUI_CONFIG=/dev/null $bin $archive"
  until tmux -L "$sock" capture-pane -p -t ff | grep -q 'Archives ('; do :; done
  end=$(date +%s%N)
  echo "run $i: $(( (end - start) / 1000000 )) ms to the first frame"
  tmux -L "$sock" kill-server
  sleep 0.3
done
