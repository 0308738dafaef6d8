#!/usr/bin/env bash
# Run one libFuzzer harness for a while and print one line about it.
#
#   run-fuzz.sh BUILD NAME SECONDS [DICT...]
#
# runs BUILD/fuzz-NAME for SECONDS on a copy of tests/fuzz/corpus/NAME,
# in BUILD/run/NAME (emptied first), with the dictionaries DICT joined
# into one, and prints
#
#   fuzz-NAME  EXECS exec/s  cov EDGES  corpus UNITS  no crash
#
# or, instead of "no crash", the file libFuzzer saved (crash-, leak-,
# timeout- or oom-), followed by the end of its report.  Exits non-zero
# when the harness failed.  fuzz.mk calls it (`make fuzz`).
#
# Memory: one allocation may be at most MALLOC_MB, and the process may
# grow to RSS_MB; beyond either, libFuzzer reports an out-of-memory and
# saves the input.  The largest allocation the formats' named caps allow
# is a VMDK's grain table pointers: 2^25 of them, 256 MiB (vmdk.c,
# MAX_GD_ENTRIES); MALLOC_MB is twice that, so what it catches is sized
# by a number nothing checked.  One input may take TIMEOUT seconds of
# wall time (libFuzzer's clock), which on a busy 2-core machine is a few
# seconds of CPU: the slowest inputs within the caps, a stream of 2^25
# one-entry grain tables (vmdk.c walks and frees a pointer per table),
# take 3 s of CPU under ASan.  A loop that does not end still fails.
set -euo pipefail

MALLOC_MB=512
RSS_MB=2048
TIMEOUT=30

build=$1 name=$2 seconds=$3
shift 3
fuzzdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$build/run/$name

rm -rf "$work"
mkdir -p "$work/corpus"
if [ -d "$fuzzdir/corpus/$name" ]; then
    cp -R "$fuzzdir/corpus/$name/." "$work/corpus/"
fi
opts=(-max_total_time="$seconds" -timeout="$TIMEOUT"
      -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$MALLOC_MB"
      -print_final_stats=1 -artifact_prefix="$work/")
if [ $# -gt 0 ]; then
    cat "$@" > "$work/dict"
    opts+=(-dict="$work/dict")
fi

rc=0
UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz-$name" "${opts[@]}" "$work/corpus" > "$work/log" 2>&1 || rc=$?

# libFuzzer's status lines end with "cov: N ft: N corp: N/SIZE ...", and
# -print_final_stats adds "stat::average_exec_per_sec: N".
execs=$(awk '/^stat::average_exec_per_sec:/ { v = $2 } END { print v + 0 }' \
            "$work/log")
cov=$(awk '{ for (i = 1; i < NF; i++) if ($i == "cov:") v = $(i + 1) }
           END { print v == "" ? "?" : v }' "$work/log")
corpus=$(awk '{ for (i = 1; i < NF; i++) if ($i == "corp:") { v = $(i + 1) } }
              END { sub (/\/.*/, "", v); print v == "" ? "?" : v }' "$work/log")
artifact=$(find "$work" -maxdepth 1 -type f \
               \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
                  -o -name 'oom-*' \) -print | head -n 1)

if [ "$rc" -eq 0 ] && [ -z "$artifact" ]; then
    status="no crash"
else
    status="FAILED: ${artifact:-exit status $rc} (log: $work/log)"
fi
printf '%-16s %7s exec/s  cov %5s  corpus %5s  %s\n' "fuzz-$name" "$execs" \
       "$cov" "$corpus" "$status"
if [ "$status" != "no crash" ]; then
    # The report: from the first sanitizer or libFuzzer error line on.
    awk '/^==[0-9]+==|^fuzz: |runtime error:|^ERROR: libFuzzer/ { on = 1 }
         on && n < 60 { print "    " $0; n++ }' "$work/log"
    exit 1
fi
