#!/usr/bin/env bash
# disks/NAME.raw of a qemu-img twoGbMaxExtentFlat VMDK (a descriptor and
# three extent files: 2 GiB, 2 GiB, 7 sectors) of 4 GiB + 7 sectors, with
# data across both extent boundaries (2 GiB and 4 GiB).
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img
requires_fuse

d=$(tmpdir)
size=$(( (4 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" twoGbMaxExtentFlat "$d/disk.raw" "$d/disk.vmdk"
for x in f001 f002 f003; do
    [ -f "$d/disk-$x.vmdk" ] || fail "qemu-img wrote no disk-$x.vmdk"
done
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
