#!/usr/bin/env bash
# disks/NAME.raw of the streamOptimized variants other producers write
# (mkstream.py, 1 GiB + 7 sectors each):
#   gdoffset   a real gdOffset with GD/GTs preallocated after the
#              descriptor (open-vmdk's vmdk-convert)
#   progress   ovftool layout with PROGRESS markers every 16 grains
#   zeroed     flag 0x4: all-zero grains inside allocated GTs have GTE 1
#   level0     stored (level 0) deflate: compressed size > grain size
#   trailing   ovftool layout + 512 zero bytes after the EOS marker, so the
#              footer is not where it should be and v2vfs must rebuild the
#              map from the markers
#
# Oracles: qemu-img compare against the VMDK (all but trailing, which qemu
# refuses: "Invalid footer") and against the raw image; qemu-img map of a
# plain ovftool-style stream of the same raw image for the allocation.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/plain.vmdk"
qemu_data_map "$d/plain.vmdk" > "$d/expected.map"

for v in gdoffset progress zeroed level0 trailing; do
    case $v in
        trailing) "$MKFIXTURE" ovftool "$d/disk.raw" "$d/$v.vmdk" \
                               --trailing-zeros 512 ;;
        *)        "$MKFIXTURE" $v "$d/disk.raw" "$d/$v.vmdk" ;;
    esac
    v2vfs_mount "$d/$v.vmdk" "$d/mnt-$v"
    view=$d/mnt-$v/disks/$v.raw

    check_one_disk $v "$d/mnt-$v" $v "$size"

    [ $v = trailing ] || qemu_compare vmdk "$d/$v.vmdk" raw "$view"
    qemu_compare raw "$d/disk.raw" raw "$view"

    check_seek_and_blocks $v "$view" "$size" "$d/expected.map"
    check_qcow2_view $v "$d/mnt-$v" $v raw "$d/disk.raw"
done
