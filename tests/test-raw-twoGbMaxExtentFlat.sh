#!/usr/bin/env bash
# disks/NAME.raw of a qemu-img twoGbMaxExtentFlat VMDK (a descriptor and
# three extent files: 2 GiB, 2 GiB, 7 sectors) of 4 GiB + 7 sectors, with
# data across both extent boundaries (2 GiB and 4 GiB).
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from; the extent files' own SEEK_DATA/SEEK_HOLE
# runs for the allocation the view's seek map and st_blocks must show.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3
requires_fuse

d=$(tmpdir)
size=$(( (4 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" twoGbMaxExtentFlat "$d/disk.raw" "$d/disk.vmdk"
for x in f001 f002 f003; do
    [ -f "$d/disk-$x.vmdk" ] || fail "qemu-img wrote no disk-$x.vmdk"
done
check_raw_view "$d" "$size" flat
