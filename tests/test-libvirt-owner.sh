#!/usr/bin/env bash
# The libvirt trap.  libvirt's qemu runs as libvirt-qemu and opens a
# domain's disks for writing, so a domain started from the domain.xml of
# a mount with --overlay and -o allow_other fails with "Permission
# denied" while the disks belong to root.  Through a stock libvirtd
# (started here when none runs, and stopped again):
#   1. --overlay -o allow_other, no --owner, as root: v2vfs says that the
#      disks belong to libvirt-qemu, they do, and `virsh create` of the
#      mount's domain.xml starts the domain.
#   2. The trap itself, with the old owner forced (--owner root): `virsh
#      create` fails with "Permission denied"; v2vfs-boot notes why and
#      what to do, and still boots the VM (its layers need only reads).
#   3. No allow_other: v2vfs-boot refuses with one line before it starts
#      anything, and leaves no domain and no layer behind.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires libvirtd virtlogd virsh qemu-system-x86_64 qemu-img python3 tar
requires_fuse
boot=$tests_builddir/../fs/v2vfs-boot
[ -x "$boot" ] || fail "$boot is not built"
requires_root "qemu:///system"

d=$(tmpdir)
marker="V2VFS-BOOT-OK through libvirt-qemu"
virsh=(virsh -q -c qemu:///system)
use_libvirtd

cd "$d"
tiny_boot_ova "$marker"
chmod 0755 "$d"
disk=$d/mnt/disks/tiny-disk1.raw

# virsh create of the mount's domain.xml (under TCG where KVM runs no
# guest), then destroy it again.
# The domain gets a name of this test's own: other tests boot the tiny VM
# beside it.
dom=tiny-owner-$$
drop_tiny () { "${virsh[@]}" destroy "$dom" > /dev/null 2>&1; }
cleanup_fn drop_tiny
create_domain ()
{
    sed -e "s|<name>tiny</name>|<name>$dom</name>|" mnt/domain.xml > dom.xml
    kvm_works || sed -i 's|<domain type="kvm">|<domain type="qemu">|' dom.xml
    "${virsh[@]}" create dom.xml
}

# 1.
v2vfs_mount -o allow_other --overlay "$d/ovl" tiny.ova "$d/mnt" 2> mount.err
cat mount.err
expect_lines mount.err "v2vfs: the disks belong to libvirt-qemu, libvirt's qemu user, so that a domain started from domain.xml can write them (--owner chooses another owner)"
[ "$(stat -c %U "$disk")" = libvirt-qemu ] || fail "the disk belongs to $(stat -c %U "$disk")"
create_domain > create.out 2>&1 || fail "virsh create failed: $(cat create.out)"
[ "$("${virsh[@]}" domstate "$dom")" = running ] || fail "the domain is not running"
drop_tiny
v2vfs_unmount "$d/mnt"
echo "no --owner: the disks belong to libvirt-qemu, and virsh create of domain.xml starts the domain"

# 2.
v2vfs_mount -o allow_other --owner root --overlay "$d/ovl" tiny.ova "$d/mnt"
if create_domain > create.out 2>&1; then
    fail "virsh create started a domain whose disks libvirt-qemu cannot write"
fi
cat create.out
grep -q "Could not open '$disk': Permission denied" create.out ||
    fail "virsh create failed, but not for the disk's permissions"
"$boot" --accel "$(boot_accel)" --ready "^V2VFS-BOOT-OK" --timeout 300 \
    --shutdown-timeout 3 mnt > boot.out 2> boot.err
cat boot.err
expect_lines boot.err "v2vfs-boot: note: $disk: libvirt-qemu cannot write this disk (it is owned by root with mode 0644). This test boot writes to throwaway layers and does not mind, but a domain started from domain.xml itself (virsh create) fails with \"Permission denied\": mount with --owner libvirt-qemu"
grep -q "^v2vfs-boot: tiny-v2vfs-boot-[0-9]* is up after [0-9.]* s: \"$marker\"\$" boot.out ||
    fail "v2vfs-boot did not boot the VM: $(cat boot.out)"
v2vfs_unmount "$d/mnt"
echo "--owner root: virsh create fails with Permission denied; v2vfs-boot says why and boots"

# 3.
v2vfs_mount --overlay "$d/ovl" tiny.ova "$d/mnt"
# Its layers would go under TMPDIR, and its domain would be named after
# its pid: neither may be left (other tests boot their own tiny VMs now).
mkdir layers
expect_fail_exact "v2vfs-boot: $disk: libvirt's qemu runs as libvirt-qemu, which cannot read this disk: the mount has no allow_other option, so FUSE lets no other user in; mount it with -o allow_other (and --owner libvirt-qemu with --overlay)" \
    sh -c 'echo $$ > boot.pid; exec env TMPDIR="$1/layers" "$2" --accel "$3" mnt' \
    sh "$d" "$boot" "$(boot_accel)"
[ -z "$(ls -A layers)" ] || fail "v2vfs-boot left a layer directory: $(ls layers)"
if "${virsh[@]}" domstate "tiny-v2vfs-boot-$(cat boot.pid)" > /dev/null 2>&1; then
    fail "v2vfs-boot left its domain tiny-v2vfs-boot-$(cat boot.pid)"
fi
echo "no allow_other: v2vfs-boot refuses with one line, starts nothing, leaves nothing"
