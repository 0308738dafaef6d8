#!/usr/bin/env bash
# disks/NAME.raw of a qemu-img monolithicSparse VMDK (one hosted sparse
# extent, uncompressed grains) of 1 GiB + 7 sectors.
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from; qemu-img map of the VMDK for the allocation
# that SEEK_DATA/SEEK_HOLE and st_blocks must reflect.
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
"$MKFIXTURE" monolithicSparse "$d/disk.raw" "$d/disk.vmdk"
v2vfs_mount "$d/disk.vmdk" "$d/mnt"
view=$d/mnt/disks/disk.raw

got=$(listing "$d/mnt/disks")
[ "$got" = "disk.raw " ] || fail "disks/ holds '$got', expected 'disk.raw '"
got=$(stat -c %s "$view")
[ "$got" -eq "$size" ] || fail "st_size is $got, expected $size"

qemu_compare vmdk "$d/disk.vmdk" raw "$view"
qemu_compare raw "$d/disk.raw" raw "$view"

# SEEK_DATA/SEEK_HOLE walk exactly the runs qemu-img map calls data.
qemu-img map --output=json -f vmdk "$d/disk.vmdk" |
    python3 "$seekmap" --qemu-map > "$d/expected.map"
python3 "$seekmap" "$view" > "$d/actual.map"
diff -u "$d/expected.map" "$d/actual.map" >&2 ||
    fail "SEEK_DATA/SEEK_HOLE runs of the view differ from qemu-img map"

# st_blocks counts those runs: nonzero, far below the size, at least the
# data, and at most the data rounded up to whole 64 KiB grains (the last
# grain is partial).
data=$(awk '{ n += $2 - $1 } END { print n + 0 }' "$d/expected.map")
alloc=$(( $(stat -c %b "$view") * 512 ))
echo "allocated: st_blocks*512 = $alloc, data runs = $data, size = $size"
[ "$alloc" -gt 0 ] && [ "$alloc" -lt $(( size / 64 )) ] ||
    fail "st_blocks*512 = $alloc does not show a sparse disk of $size bytes"
[ "$alloc" -ge "$data" ] && [ "$alloc" -lt $(( data + 65536 )) ] ||
    fail "st_blocks*512 = $alloc, but $data bytes are allocated"
