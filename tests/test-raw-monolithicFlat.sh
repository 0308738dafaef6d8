#!/usr/bin/env bash
# disks/NAME.raw of a qemu-img monolithicFlat VMDK (a descriptor and one
# -flat.vmdk extent file) of 1 GiB + 7 sectors.
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" monolithicFlat "$d/disk.raw" "$d/disk.vmdk"
[ -f "$d/disk-flat.vmdk" ] || fail "qemu-img wrote no disk-flat.vmdk"
v2vfs_mount "$d/disk.vmdk" "$d/mnt"
view=$d/mnt/disks/disk.raw

# One disk, named after the descriptor (not the extent file).
check_one_disk disk "$d/mnt" disk "$size"
got=$(stat -c %b "$view")
[ "$got" -gt 0 ] || fail "st_blocks is 0"

# A flat extent is all data to v2vfs (no SEEK_HOLE), so the first compare
# reads every byte through FUSE; the second then reads the page cache.
qemu_compare raw "$d/disk.raw" raw "$view"
qemu_compare vmdk "$d/disk.vmdk" raw "$view"
