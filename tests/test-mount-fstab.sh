#!/usr/bin/env bash
# v2vfs as a mount helper, the way admins and systemd mount FUSE file
# systems: mount(8) runs mount.fuse3, which runs
# `v2vfs SOURCE MOUNTPOINT -o OPTIONS`.
#   1. `mount -t fuse.v2vfs vm.ova MNT -o overlay=DIR`: a writable mount;
#      a write through the raw view; `umount`.
#   2. The fstab line of the manual page (read from a file of the test's,
#      `mount -T FILE MNT`, so /etc/fstab is left alone):
#        SRC MNT fuse.v2vfs ro,allow_other,overlay=DIR,owner=libvirt-qemu 0 0
#      a read-only mount owned by libvirt-qemu that shows the write of 1
#      and refuses new ones; the raw view compares identical with a copy
#      of the source carrying that write; `umount`.
#   3. `-o network_map=...` reaches domain.xml, as --network-map does.
#   4. An unknown -o option: one clear line, a non-zero exit, no mount.
# mount(8) runs its helpers with a fixed PATH (/usr/local/sbin:...:/bin),
# so the test runs in a private mount namespace of its own, where a
# directory holding this build's v2vfs is bound over /usr/local/sbin:
# nothing is installed on the machine and no mount is seen outside.  The
# namespace is the host's slave, not private: a private copy would keep
# every other test's FUSE mount (and its daemon) alive until this test
# ends, where the host's unmounts must reach it.
set -euo pipefail
if [ -z "${V2VFS_FSTAB_NS:-}" ]; then
    # (functions.sh is sourced inside the namespace, where its traps run;
    # its skip by hand here.)
    why=
    command -v unshare > /dev/null || why="unshare not found"
    [ "$(id -u)" -eq 0 ] || why="mount(8) with a helper needs root"
    if [ -n "$why" ]; then
        echo "SKIP: $why" >&2
        exit 77
    fi
    V2VFS_FSTAB_NS=1 exec unshare --mount --propagation slave "$0" "$@"
fi
source "$(dirname "$0")/functions.sh"
requires mount umount mount.fuse3 findmnt qemu-img python3 tar
requires_fuse
getent passwd libvirt-qemu > /dev/null ||
    skip "no libvirt-qemu user (libvirt-daemon-system)"

d=$(tmpdir)
cd "$d"
mkdir bin mnt
ln -s "$V2VFS" bin/v2vfs
mount --bind bin /usr/local/sbin

size=$(( 64 << 20 ))
make_raw_fixture disk.raw "$size"
"$MKFIXTURE" streamOptimized disk.raw vm-disk1.vmdk
one_disk_ovf vm-disk1.vmdk > vm.ovf
tar --format=ustar -cf vm.ova vm.ovf vm-disk1.vmdk
sums=$(tree_sums vm.ova)

# umount MNT, then wait for the daemon to let go of DIR: it flushes and
# exits after the unmount, not with it.
umount_and_wait ()
{
    umount "$1"
    assert_not_mounted "$1"
    flock -w 120 "$2" true || fail "$2 is still locked after umount"
}

# 1. mount -t, writable.
mount -t fuse.v2vfs vm.ova mnt -o overlay=ovl
cleanup_fn v2vfs_unmount "$d/mnt"
findmnt -no FSTYPE,OPTIONS mnt | tee findmnt.out
grep -q '^fuse.v2vfs rw,' findmnt.out || fail "not a writable fuse.v2vfs mount"
printf 'written through mount -t fuse.v2vfs' |
    dd of=mnt/disks/vm-disk1.raw bs=1 seek=3000000 conv=notrunc,fsync status=none
printf 'written through mount -t fuse.v2vfs' |
    dd of=disk.raw bs=1 seek=3000000 conv=notrunc status=none
umount_and_wait mnt ovl
echo "mount -t fuse.v2vfs -o overlay=ovl: mounted rw, written, unmounted with umount"

# 2. The fstab line.
printf '%s %s fuse.v2vfs ro,allow_other,overlay=%s,owner=libvirt-qemu 0 0\n' \
    "$d/vm.ova" "$d/mnt" "$d/ovl" > fstab
cat fstab
mount -T fstab "$d/mnt"
findmnt -no FSTYPE,OPTIONS mnt | tee findmnt.out
grep -q '^fuse.v2vfs ro,' findmnt.out || fail "the fstab mount is not read-only"
grep -q 'allow_other' findmnt.out || fail "the fstab mount has no allow_other"
owner=$(stat -c %U mnt/disks/vm-disk1.raw)
[ "$owner" = libvirt-qemu ] || fail "disks/vm-disk1.raw belongs to $owner"
qemu_compare raw disk.raw raw mnt/disks/vm-disk1.raw
if err=$(printf x | dd of=mnt/disks/vm-disk1.raw conv=notrunc status=none 2>&1); then
    fail "a write to the read-only fstab mount succeeded"
fi
case $err in
    *"Read-only file system"*) ;;
    *) fail "a write to the read-only mount failed with: $err" ;;
esac
umount_and_wait mnt ovl
echo "fstab line: mounted ro, owned by $owner, the earlier write is there, unmounted with umount"

# 3. network_map= through mount -o.
mkdir vm
cp "$tests_srcdir/domxml/vmx-efi-pvscsi-3nics.vmx" vm/app.vmx
qemu-img create -q -f vmdk -o subformat=monolithicSparse vm/app.vmdk 8M
qemu-img create -q -f vmdk -o subformat=monolithicSparse vm/app-data.vmdk 8M
qemu-img create -q -f vmdk -o subformat=monolithicSparse vm/app-logs.vmdk 8M
mount -t fuse.v2vfs vm/app.vmx mnt -o 'network_map=VM Network=br0'
grep -q "<source bridge=\"br0\"/>" mnt/domain.xml ||
    fail "-o network_map did not reach domain.xml"
umount mnt
assert_not_mounted mnt
echo "mount -o network_map=: domain.xml puts the NIC on bridge br0"

# 4. An unknown option.
r=0
mount -t fuse.v2vfs vm.ova mnt -o overlay=ovl,overlya=x 2> err || r=$?
cat err
[ "$r" -ne 0 ] || fail "an unknown -o option was accepted"
grep -qx "v2vfs: -o overlya=x: unknown option (v2vfs's own are overlay=DIR, owner=USER\[:GROUP\], network_map=NET=TARGET, ignore_cid, index_dir=DIR and verify\[=strict\]; see v2vfs(1) for the FUSE ones)" err ||
    fail "no clear error for an unknown option"
assert_not_mounted mnt
[ "$(tree_sums vm.ova)" = "$sums" ] || fail "the OVA changed"
echo "unknown option: refused with one line, nothing mounted; the OVA is unchanged"
