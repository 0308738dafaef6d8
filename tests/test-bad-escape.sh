#!/usr/bin/env bash
# Names that escape the source directory (DESIGN.md section 2: hrefs and
# extent files may not leave the source's directory, nor name devices):
# OVF hrefs "../x.vmdk" and "/etc/passwd", extent lines naming
# "/dev/sda" and "../../etc/shadow", a Disk's diskId "../victim", and
# symlinks inside the directory that point outside it.  (A device node
# inside the directory: test-bad-device.sh.)
#
# Every escaping name points at a file that exists and would mount, so
# only the refusal can make v2vfs fail.  Each must be refused before
# mounting: exit 1, exactly one error line naming the descriptor, the
# object and the bad name, nothing left mounted, and every fixture file
# byte for byte as it was.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img timeout sha256sum
requires_fuse

d=$(tmpdir)
# top/src is the source directory; top/ and etc/ are outside it.
mkdir -p "$d/top/src" "$d/etc" "$d/mnt"
cd "$d/top"

# refused MSG CMD...: CMD (a v2vfs run) fails with exactly MSG, leaves
# nothing mounted and writes to no fixture file.
refused ()
{
    local msg=$1
    shift
    expect_refused "$msg" "$d/mnt" "$d/top $d/etc" "$@"
}

# v2vfs SRC...: run v2vfs on SRC... with the test's mount point.
v2vfs ()
{
    timeout 60 "$V2VFS" "$@" "$d/mnt"
}

make_raw_fixture "$d/disk.raw" $(( 8 << 20 ))
"$MKFIXTURE" monolithicSparse "$d/disk.raw" x.vmdk
cp "$d/disk.raw" outside-flat.vmdk
cp "$d/disk.raw" "$d/etc/shadow"

# The same names, resolved inside the directory, mount: the fixtures
# are good and only the escape is wrong.
cp x.vmdk src/x.vmdk
one_disk_ovf x.vmdk > src/ok.ovf
flat_descriptor outside-flat.vmdk > src/ok.vmdk
cp outside-flat.vmdk src/outside-flat.vmdk
v2vfs_mount src/ok.ovf "$d/mnt"
v2vfs_unmount "$d/mnt"
v2vfs_mount src/ok.vmdk "$d/mnt"
v2vfs_unmount "$d/mnt"
rm src/x.vmdk src/outside-flat.vmdk

# OVF hrefs.
one_disk_ovf ../x.vmdk > src/parent.ovf
refused "v2vfs: src/parent.ovf: File 'file1' at line 4: href '../x.vmdk' escapes the source directory" \
    v2vfs src/parent.ovf
one_disk_ovf /etc/passwd > src/absolute.ovf
refused "v2vfs: src/absolute.ovf: File 'file1' at line 4: href '/etc/passwd' escapes the source directory (absolute path or device)" \
    v2vfs src/absolute.ovf

# A Disk with no fileRef is served under its diskId: disks/ID.raw and the
# overlay's ID.data and ID.map.  "../victim" once truncated victim.data
# beside the overlay to the disk's size and made victim.map there, and
# domain.xml pointed outside the mount.  It is refused like a bad href,
# and victim.data (under top/, which refused checks) stays as it was.
printf 'not to be touched\n' > victim.data
one_disk_ovf unused.vmdk |
    sed 's|ovf:diskId="vmdisk1" ovf:fileRef="file1"|ovf:diskId="../victim"|;
         s|ovf:/disk/vmdisk1|ovf:/disk/../victim|' > src/diskid.ovf
refused "v2vfs: src/diskid.ovf: Disk at line 8: ovf:diskId '../victim' contains a '/'" \
    v2vfs --overlay "$d/top/ovl" src/diskid.ovf
[ ! -e victim.map ] && [ ! -e "$d/top/ovl/victim.map" ] ||
    fail "a victim.map was made for the refused diskId"

# Extent lines.
flat_descriptor /dev/sda > src/dev-sda.vmdk
refused "v2vfs: src/dev-sda.vmdk: descriptor line 8: extent file '/dev/sda' escapes the source directory (absolute path or device)" \
    v2vfs src/dev-sda.vmdk
flat_descriptor ../../etc/shadow > src/shadow.vmdk
refused "v2vfs: src/shadow.vmdk: descriptor line 8: extent file '../../etc/shadow' escapes the source directory" \
    v2vfs src/shadow.vmdk

# Symlinks inside the directory to a file outside it, relative and
# absolute.
ln -s ../outside-flat.vmdk src/link-flat.vmdk
flat_descriptor link-flat.vmdk > src/link.vmdk
refused "v2vfs: src/link.vmdk: descriptor line 8: extent file 'link-flat.vmdk' escapes the source directory (through a symlink)" \
    v2vfs src/link.vmdk
ln -s "$d/top/outside-flat.vmdk" src/abslink-flat.vmdk
flat_descriptor abslink-flat.vmdk > src/abslink.vmdk
refused "v2vfs: src/abslink.vmdk: descriptor line 8: extent file 'abslink-flat.vmdk' escapes the source directory (through a symlink)" \
    v2vfs src/abslink.vmdk
