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
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/complete.vmdk"
qemu-img map --output=json -f vmdk "$d/complete.vmdk" |
    python3 "$seekmap" --qemu-map > "$d/expected.map"
data=$(awk '{ n += $2 - $1 } END { print n + 0 }' "$d/expected.map")

for layout in nofooter truncated; do
    "$MKFIXTURE" $layout "$d/disk.raw" "$d/$layout.vmdk"
    v2vfs_mount "$d/$layout.vmdk" "$d/mnt-$layout"
    view=$d/mnt-$layout/disks/$layout.raw

    got=$(listing "$d/mnt-$layout/disks")
    [ "$got" = "$layout.raw " ] ||
        fail "$layout: disks/ holds '$got', expected '$layout.raw '"
    got=$(stat -c %s "$view")
    [ "$got" -eq "$size" ] || fail "$layout: st_size is $got, expected $size"

    qemu_compare raw "$d/disk.raw" raw "$view"

    python3 "$seekmap" "$view" > "$d/$layout.map"
    diff -u "$d/expected.map" "$d/$layout.map" >&2 ||
        fail "$layout: SEEK_DATA/SEEK_HOLE runs differ from qemu-img map" \
             "of the complete stream"
    alloc=$(( $(stat -c %b "$view") * 512 ))
    echo "$layout: st_blocks*512 = $alloc, data runs = $data, size = $size"
    [ "$alloc" -gt 0 ] && [ "$alloc" -lt $(( size / 64 )) ] ||
        fail "$layout: st_blocks*512 = $alloc does not show a sparse disk"
    [ "$alloc" -ge "$data" ] && [ "$alloc" -lt $(( data + 65536 )) ] ||
        fail "$layout: st_blocks*512 = $alloc, but $data bytes are allocated"
done
