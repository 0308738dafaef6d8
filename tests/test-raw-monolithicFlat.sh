#!/usr/bin/env bash
# disks/NAME.raw of a qemu-img monolithicFlat VMDK (a descriptor and one
# -flat.vmdk extent file) of 1 GiB + 7 sectors.
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from; the extent files' own SEEK_DATA/SEEK_HOLE
# runs for the allocation the view's seek map and st_blocks must show.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" monolithicFlat "$d/disk.raw" "$d/disk.vmdk"
[ -f "$d/disk-flat.vmdk" ] || fail "qemu-img wrote no disk-flat.vmdk"
check_raw_view "$d" "$size" flat
