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

# listing DIR: DIR's entries in readdir order, space-terminated, leaving out
# the views that are not this test's business (domain.xml, NAME.qcow2).
listing ()
{
    ls -AU -- "$1" | { grep -v -x -e domain.xml -e '.*\.qcow2' || true; } |
        tr '\n' ' '
}

seekmap=$tests_srcdir/seek-map.py
d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/plain.vmdk"
qemu-img map --output=json -f vmdk "$d/plain.vmdk" |
    python3 "$seekmap" --qemu-map > "$d/expected.map"
data=$(awk '{ n += $2 - $1 } END { print n + 0 }' "$d/expected.map")

for v in gdoffset progress zeroed level0 trailing; do
    case $v in
        trailing) "$MKFIXTURE" ovftool "$d/disk.raw" "$d/$v.vmdk" \
                               --trailing-zeros 512 ;;
        *)        "$MKFIXTURE" $v "$d/disk.raw" "$d/$v.vmdk" ;;
    esac
    v2vfs_mount "$d/$v.vmdk" "$d/mnt-$v"
    view=$d/mnt-$v/disks/$v.raw

    got=$(listing "$d/mnt-$v/disks")
    [ "$got" = "$v.raw " ] || fail "$v: disks/ holds '$got', expected '$v.raw '"
    got=$(stat -c %s "$view")
    [ "$got" -eq "$size" ] || fail "$v: st_size is $got, expected $size"

    [ $v = trailing ] || qemu_compare vmdk "$d/$v.vmdk" raw "$view"
    qemu_compare raw "$d/disk.raw" raw "$view"

    python3 "$seekmap" "$view" > "$d/$v.map"
    diff -u "$d/expected.map" "$d/$v.map" >&2 ||
        fail "$v: SEEK_DATA/SEEK_HOLE runs differ from qemu-img map"
    alloc=$(( $(stat -c %b "$view") * 512 ))
    echo "$v: st_blocks*512 = $alloc, data runs = $data, size = $size"
    [ "$alloc" -gt 0 ] && [ "$alloc" -lt $(( size / 64 )) ] ||
        fail "$v: st_blocks*512 = $alloc does not show a sparse disk"
    [ "$alloc" -ge "$data" ] && [ "$alloc" -lt $(( data + 65536 )) ] ||
        fail "$v: st_blocks*512 = $alloc, but $data bytes are allocated"
done
