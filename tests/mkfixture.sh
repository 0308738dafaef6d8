#!/usr/bin/env bash
# v2vfs test helper: make a VMDK of a given subformat from a raw image.
#
# Usage: mkfixture.sh SUBFORMAT RAW OUT [EXTRA-ARGS...]
#
# qemu-img subformats (qemu-img convert -f raw -O vmdk -o subformat=X):
#   monolithicSparse, monolithicFlat, twoGbMaxExtentSparse,
#   twoGbMaxExtentFlat, streamOptimized
#   OUT is the descriptor (with the data embedded for monolithicSparse and
#   streamOptimized); extent files are written beside it with qemu's names
#   (OUT-flat.vmdk, OUT-s001.vmdk, OUT-f001.vmdk, ... without .vmdk in OUT).
#   EXTRA-ARGS are extra qemu-img -o options, e.g. "zeroed_grain=on".
#
# mkstream.py layouts (streamOptimized files qemu-img cannot write):
#   ovftool    GD_AT_END, GT after each range, GD, footer, EOS
#   nofooter   grains + EOS marker, no GT/GD/footer
#   truncated  grains only (no EOS either)
#   gdoffset   real gdOffset, GD/GTs preallocated (open-vmdk vmdk-convert)
#   progress   ovftool + PROGRESS markers every 16 grains
#   zeroed     ovftool + zeroed-grain GTEs (flag 0x4, GTE 1)
#   level0     ovftool with stored (level 0) deflate: size > grain
#   EXTRA-ARGS are extra mkstream.py options, e.g. --corrupt-bomb.

set -e

me=${0##*/}
usage ()
{
    echo "usage: $me SUBFORMAT RAW OUT [EXTRA-ARGS...]" >&2
    echo "  SUBFORMAT: monolithicSparse monolithicFlat twoGbMaxExtentSparse" >&2
    echo "             twoGbMaxExtentFlat streamOptimized ovftool nofooter" >&2
    echo "             truncated gdoffset progress zeroed level0" >&2
    exit 2
}

[ $# -ge 3 ] || usage
sub=$1 raw=$2 out=$3
shift 3

case "$sub" in
    monolithicSparse|monolithicFlat|twoGbMaxExtentSparse|\
    twoGbMaxExtentFlat|streamOptimized|\
    ovftool|nofooter|truncated|gdoffset|progress|zeroed|level0) ;;
    *) echo "$me: unknown subformat: $sub" >&2; usage ;;
esac
if [ ! -f "$raw" ]; then
    echo "$me: $raw: not a regular file" >&2
    exit 1
fi

mkstream=${MKSTREAM:-$(dirname "$0")/mkstream.py}

case "$sub" in
    monolithicSparse|monolithicFlat|twoGbMaxExtentSparse|\
    twoGbMaxExtentFlat|streamOptimized)
        opts=subformat=$sub
        for o in "$@"; do opts=$opts,$o; done
        exec qemu-img convert -q -f raw -O vmdk -o "$opts" "$raw" "$out"
        ;;
    ovftool)   exec python3 "$mkstream" "$@" "$raw" "$out" ;;
    nofooter)  exec python3 "$mkstream" --layout nofooter "$@" "$raw" "$out" ;;
    truncated) exec python3 "$mkstream" --layout truncated "$@" "$raw" "$out" ;;
    gdoffset)  exec python3 "$mkstream" --layout gdoffset "$@" "$raw" "$out" ;;
    progress)  exec python3 "$mkstream" --progress "$@" "$raw" "$out" ;;
    zeroed)    exec python3 "$mkstream" --zeroed-gte "$@" "$raw" "$out" ;;
    level0)    exec python3 "$mkstream" --level0 "$@" "$raw" "$out" ;;
esac
