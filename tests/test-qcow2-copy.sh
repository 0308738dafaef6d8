#!/usr/bin/env bash
# What a user does with disks/NAME.qcow2, on an ovftool-style stream VMDK
# (1 GiB + 7 sectors, a few MiB of data):
#   - cp gives a standalone qcow2: qemu-img check is clean, it compares
#     identical with the VMDK, and its du is at most the VMDK's data plus
#     the qcow2 metadata;
#   - two mounts give byte-identical views (and the copy is the same bytes);
#   - the view serves as a backing file: an overlay made on it with
#     qemu-img create -b reads as the raw view, and qemu-img info
#     --backing-chain walks to it.
# Oracles: qemu-img check, compare, map and info; sha256sum; du.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img cp du sha256sum
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))
make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/disk.vmdk"

v2vfs_mount "$d/disk.vmdk" "$d/mnt1"
view=$d/mnt1/disks/disk.qcow2

# 1. cp.
cp "$view" "$d/copy.qcow2"
out=$(qemu-img check "$d/copy.qcow2" 2>&1) ||
    fail "qemu-img check of the copy: $out"
grep -q -x "No errors were found on the image." <<<"$out" ||
    fail "qemu-img check of the copy: $out"
qemu_compare qcow2 "$d/copy.qcow2" vmdk "$d/disk.vmdk"
data=$(qemu_data_map "$d/disk.vmdk" | awk '{ n += $2 - $1 } END { print n }')
du=$(( $(du -B1 "$d/copy.qcow2" | cut -f1) ))
meta=$(( $(stat -c %b "$view") * 512 - data ))
echo "copy: du $du bytes; the VMDK holds $data bytes of data;" \
     "the view's metadata is $meta bytes; file size $(stat -c %s "$d/copy.qcow2")"
# cp leaves a hole wherever the view has one, and also where it reads a
# block of zeros: the fixture's 1 MiB of written zeros may go.
[ "$du" -ge $(( data - (1 << 20) )) ] && [ "$du" -le $(( data + meta )) ] ||
    fail "du of the copy is $du bytes: not the $data bytes of data plus" \
         "$meta of metadata"

# 2. Determinism: a second mount, and the copy, have the same bytes.
sum1=$(sha_of "$view")
v2vfs_unmount "$d/mnt1"
v2vfs_mount "$d/disk.vmdk" "$d/mnt2"
view=$d/mnt2/disks/disk.qcow2
sum2=$(sha_of "$view")
echo "sha256: first mount $sum1, second mount $sum2"
[ "$sum1" = "$sum2" ] || fail "two mounts give different qcow2 views"
[ "$(sha_of "$d/copy.qcow2")" = "$sum1" ] || fail "the copy differs from the view"

# 3. A backing file.
qemu-img create -q -f qcow2 -b "$view" -F qcow2 "$d/top.qcow2"
qemu-img info --backing-chain "$d/top.qcow2" > "$d/chain"
grep -c -x "file format: qcow2" "$d/chain" | grep -q -x 2 &&
    grep -q -x "image: $view" "$d/chain" &&
    grep -q -x "backing file: $view" "$d/chain" ||
    { cat "$d/chain" >&2; fail "qemu-img info --backing-chain does not show the view"; }
qemu_compare qcow2 "$d/top.qcow2" raw "$d/mnt2/disks/disk.raw"
echo "top.qcow2 backed by the view compares identical with disk.raw"
