#!/usr/bin/env bash
# Many writers and readers at once on one disk, as qemu runs them: fio
# with 8 parallel jobs of random reads and writes (4 KiB to 64 KiB,
# direct I/O, each job in its own 16 MiB of the disk) over
# disks/disk.raw, with crc32c verification of every block written.  Then
# the qcow2 view is still a valid image of the disk, both survive a
# remount, and the source's sha256 is unchanged.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires fio qemu-img sha256sum
requires_fuse

d=$(tmpdir)
make_vmdk_fixture monolithicSparse "$d/disk.vmdk" $(( 256 << 20 ))
sum=$(sha_of "$d/disk.vmdk")
view=$d/mnt/disks/disk.raw

v2vfs_mount --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt"
# The same job twice: to write and verify, and after a remount (fio's
# offsets repeat with its default seed) to verify only.
fio_job ()
{
    (cd "$d" && fio --name=overlay --filename="$view" --rw=randrw --bsrange=4k-64k \
        --numjobs=8 --size=16m --offset_increment=16m --ioengine=psync \
        --direct=1 --verify=crc32c --do_verify=1 --verify_fatal=1 \
        --fallocate=none --verify_state_save=0 --group_reporting "$@")
}
fio_job --output="$d/fio.out" || { cat "$d/fio.out" >&2; fail "fio failed"; }
grep -E "err= *0" "$d/fio.out" | head -n 1
grep -E "^ *(READ|WRITE):" "$d/fio.out"
grep -q -E "err= *0" "$d/fio.out" || fail "fio reported errors: $(cat "$d/fio.out")"
check_qcow2_view fio "$d/mnt" disk
sha_raw=$(sha_of "$view")
v2vfs_unmount "$d/mnt"

v2vfs_mount --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt"
[ "$(sha_of "$view")" = "$sha_raw" ] || fail "the disk changed across a remount"
fio_job --verify_only=1 --output="$d/fio2.out" ||
    { cat "$d/fio2.out" >&2; fail "fio verification after a remount failed"; }
echo "fio: 8 jobs verified, and verified again after a remount"
v2vfs_unmount "$d/mnt"
[ "$(sha_of "$d/disk.vmdk")" = "$sum" ] || fail "the source changed"
echo "source sha256 unchanged"
