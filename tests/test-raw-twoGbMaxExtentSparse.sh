#!/usr/bin/env bash
# disks/NAME.raw of a qemu-img twoGbMaxExtentSparse VMDK (a descriptor and
# three hosted sparse extent files: 2 GiB, 2 GiB, 7 sectors) of
# 4 GiB + 7 sectors, with data across both extent boundaries (2 GiB and
# 4 GiB).
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from; qemu-img map of the VMDK for the allocation
# that SEEK_DATA/SEEK_HOLE and st_blocks must reflect.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3
requires_fuse

d=$(tmpdir)
size=$(( (4 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" twoGbMaxExtentSparse "$d/disk.raw" "$d/disk.vmdk"
for x in s001 s002 s003; do
    [ -f "$d/disk-$x.vmdk" ] || fail "qemu-img wrote no disk-$x.vmdk"
done
check_raw_view "$d" "$size"
