#!/usr/bin/env bash
# The cron jobs of README.md ("Running from cron"), tested by
# builder/tests/cli.rs (cron_script_*):
#
#   pdns-cron.sh nightly [DAY]     archive incoming/DAY/ (default: yesterday)
#                                  into nightly/DAY.pdns, then add it to
#                                  current.pdns (created the first night)
#   pdns-cron.sh monthly [MONTH]   merge nightly/MONTH-*.pdns (default: last
#                                  month) into monthly/MONTH.pdns, then delete
#                                  nightly files older than PDNS_KEEP_DAYS
#
# Environment: PDNS_ROOT (default /srv/pdns), PDNS_BUILD (default
# pdns-build; cron's PATH is short, so give a full path), PDNS_KEEP_DAYS
# (default 90). Logs go to $PDNS_ROOT/log/pdns-build.log, one JSON object
# a line (but for usage errors, which the argument parser writes as text,
# and the retention step's own failures).
#
# Exit: 0 done; 3 done, but some input lines or files were bad (both
# archives were still published, without them); anything else: a step
# failed and the archives after it were left as they were.
set -u
root=${PDNS_ROOT:-/srv/pdns}
build=${PDNS_BUILD:-pdns-build}
keep=${PDNS_KEEP_DAYS:-90}
log="$root/log/pdns-build.log"
mkdir -p "$root/nightly" "$root/monthly" "$root/log" || exit 1

# 0 and 3 both mean "published"; the worse of them is the job's exit.
status=0
step() {
    "$build" --log-format json "$@" 2>>"$log"
    local rc=$?
    case $rc in
        0) ;;
        3) status=3 ;;
        *) exit "$rc" ;;
    esac
}

case ${1:-} in
nightly)
    day=${2:-$(date -d yesterday +%F)}
    step build -o "$root/nightly/$day.pdns" "$root/incoming/$day/"
    if [ -e "$root/current.pdns" ]; then
        # Inputs current.pdns already ingested (a rerun) are skipped.
        step build --base "$root/current.pdns" -o "$root/current.pdns" "$root/incoming/$day/"
    else
        # The first night the running total is the day's archive, which
        # records its inputs as ingested as well.
        cp "$root/nightly/$day.pdns" "$root/current.pdns.new" &&
            mv "$root/current.pdns.new" "$root/current.pdns" || exit 1
    fi
    ;;
monthly)
    month=${2:-$(date -d "$(date +%Y-%m-15) -1 month" +%Y-%m)}
    shopt -s nullglob
    nights=("$root/nightly/$month"-*.pdns)
    if [ ${#nights[@]} -gt 0 ]; then
        step merge -o "$root/monthly/$month.pdns" "${nights[@]}"
    fi
    # Lock files (OUT.pdns.lock) stay beside their archives; they go with
    # them, and so do the temporaries of builds killed before they
    # published (.OUT.pdns.XXXXXX.tmp: a later build of the same output
    # removes its own, but a day's output is built again only by a rerun).
    if ! find "$root/nightly" \( -name '*.pdns' -o -name '*.pdns.lock' -o -name '.*.pdns.*.tmp' \) \
        -mtime +"$keep" -delete 2>>"$log"; then
        echo "pdns-cron.sh: retention: could not delete every old nightly file (see $log)" >&2
        exit 1
    fi
    ;;
*)
    echo "usage: pdns-cron.sh nightly [YYYY-MM-DD] | monthly [YYYY-MM]" >&2
    exit 2
    ;;
esac
exit "$status"
