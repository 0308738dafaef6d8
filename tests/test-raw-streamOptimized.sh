#!/usr/bin/env bash
# disks/NAME.raw of a qemu-img streamOptimized VMDK (one stream-optimized
# sparse extent, deflated grains, footer) of 1 GiB + 7 sectors.
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from; qemu-img map of the VMDK for the allocation
# that SEEK_DATA/SEEK_HOLE and st_blocks must reflect.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" streamOptimized "$d/disk.raw" "$d/disk.vmdk"
check_raw_view "$d" "$size"
