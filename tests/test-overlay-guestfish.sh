#!/usr/bin/env bash
# libguestfs on a writable mount: guestfish (format raw, the libguestfs
# appliance under qemu) partitions disks/disk.raw, makes an ext4 on it
# and writes a file; after an unmount and a remount with the same DIR a
# second guestfish edits the file; after another remount virt-cat reads
# both edits back.  The stream VMDK's sha256 never changes.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img guestfish virt-cat sha256sum
requires_fuse
use_libguestfs

d=$(tmpdir)
make_vmdk_fixture streamOptimized "$d/disk.vmdk" $(( 256 << 20 ))
sum=$(sha_of "$d/disk.vmdk")
view=$d/mnt/disks/disk.raw

v2vfs_mount --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt"
guestfish --format=raw -a "$view" <<'GF'
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1 label:v2vfs-test
mount /dev/sda1 /
mkdir /etc
write /etc/motd "made by guestfish through v2vfs\n"
GF
echo "guestfish: mkfs.ext4 and a file written; overlay: $(du -sh "$d/ovl" | cut -f1)"
v2vfs_unmount "$d/mnt"

v2vfs_mount --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt"
guestfish --format=raw -a "$view" -m /dev/sda1 <<'GF'
write-append /etc/motd "edited after a remount\n"
GF
v2vfs_unmount "$d/mnt"

v2vfs_mount --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt"
got=$(virt-cat --format=raw -a "$view" -m /dev/sda1 /etc/motd)
echo "virt-cat /etc/motd: $got"
[ "$got" = "made by guestfish through v2vfs
edited after a remount" ] || fail "virt-cat read back: $got"
check_qcow2_view guestfish "$d/mnt" disk
v2vfs_unmount "$d/mnt"
[ "$(sha_of "$d/disk.vmdk")" = "$sum" ] || fail "the source changed"
echo "source sha256 unchanged"
