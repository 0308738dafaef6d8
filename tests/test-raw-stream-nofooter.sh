#!/usr/bin/env bash
# disks/NAME.raw of streamOptimized VMDKs with no grain tables to trust, so
# v2vfs must rebuild the map from the grain markers (1 GiB + 7 sectors):
#   nofooter   grains + EOS marker, no GT/GD/footer (an interrupted export)
#   truncated  grains only, not even the EOS marker (a cut-off download)
#
# qemu-img cannot open either ("Invalid footer"), so the oracles are the raw
# image they were written from (qemu-img compare -f raw) and, for the
# allocation, qemu-img map of a complete ovftool-style stream of the same
# raw image.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/complete.vmdk"
qemu_data_map "$d/complete.vmdk" > "$d/expected.map"

for layout in nofooter truncated; do
    "$MKFIXTURE" $layout "$d/disk.raw" "$d/$layout.vmdk"
    v2vfs_mount "$d/$layout.vmdk" "$d/mnt-$layout"
    view=$d/mnt-$layout/disks/$layout.raw

    check_one_disk $layout "$d/mnt-$layout" $layout "$size"

    qemu_compare raw "$d/disk.raw" raw "$view"

    check_seek_and_blocks $layout "$view" "$size" "$d/expected.map"
    check_qcow2_view $layout "$d/mnt-$layout" $layout raw "$d/disk.raw"
done
