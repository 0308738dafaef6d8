#!/usr/bin/env bash
# A real boot through a stock libvirtd (qemu:///system, default
# qemu.conf; started here when it is not running, and stopped again).
# The guest is a boot sector that prints a line on the serial console
# (tests/mkbootdisk.py), in a streamOptimized VMDK inside an OVA, mounted
# with -o allow_other (qemu runs as libvirt-qemu) and an overlay.
#   1. domain.xml as the mount shows it is defined and started (type
#      qemu where KVM runs no guest); virsh domblklist shows the
#      mount's disks/NAME.raw; the console log shows the line; the domain
#      is destroyed and undefined.
#   2. v2vfs-boot starts it as a transient domain over a throwaway qcow2
#      layer, sees the readiness line, and tears it down: no domain is
#      left, no layer is left, and the overlay DIR is unchanged.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires libvirtd virtlogd virsh qemu-system-x86_64 qemu-img python3 tar
requires_fuse
boot=$tests_builddir/../fs/v2vfs-boot
[ -x "$boot" ] || fail "$boot is not built"
requires_root "qemu:///system"

d=$(tmpdir)
marker="V2VFS-BOOT-OK from the raw view"
virsh=(virsh -q -c qemu:///system)
use_libvirtd

cd "$d"
tiny_boot_ova "$marker"
chmod 0755 "$d"
v2vfs_mount -o allow_other --owner libvirt-qemu --overlay "$d/ovl" tiny.ova "$d/mnt"
ovl_before=$(tree_sums ovl)

# 1. domain.xml itself.
sed -e 's|<domain type="kvm">|<domain type="qemu">|' \
    -e "s|<serial type=\"pty\">|<serial type=\"pty\"><log file=\"$d/serial.log\"/>|" \
    mnt/domain.xml > tiny-qemu.xml
if kvm_works; then
    sed "s|<serial type=\"pty\">|<serial type=\"pty\"><log file=\"$d/serial.log\"/>|" \
        mnt/domain.xml > tiny-qemu.xml
fi
drop_tiny ()
{
    "${virsh[@]}" destroy tiny > /dev/null 2>&1
    "${virsh[@]}" undefine tiny > /dev/null 2>&1
}
cleanup_fn drop_tiny
"${virsh[@]}" define tiny-qemu.xml > /dev/null
"${virsh[@]}" start tiny > /dev/null
"${virsh[@]}" domblklist tiny | tee domblklist
grep -q "sda *$d/mnt/disks/tiny-disk1.raw\$" domblklist ||
    fail "virsh domblklist does not show the mount's disk"
for (( i = 0; i < 600; i++ )); do
    grep -q "$marker" serial.log 2>/dev/null && break
    sleep 0.1
done
grep -q "$marker" serial.log || fail "the guest never printed its line: $(cat serial.log)"
echo "domain.xml booted under libvirt: the console printed '$marker'"
"${virsh[@]}" destroy tiny > /dev/null
"${virsh[@]}" undefine tiny > /dev/null

# 2. v2vfs-boot.
"$boot" --accel "$(boot_accel)" --ready "^V2VFS-BOOT-OK" --timeout 300 \
    --shutdown-timeout 3 mnt | tee boot.out
grep -q "^v2vfs-boot: tiny-v2vfs-boot-[0-9]* is up after [0-9.]* s: \"$marker\"\$" boot.out ||
    fail "v2vfs-boot did not report the readiness line"
grep -q "^v2vfs-boot: tiny-v2vfs-boot-[0-9]* is gone\$" boot.out || fail "no teardown reported"
# Only its own domain: other tests boot the tiny VM at the same time.
dom=$(sed -n 's/^v2vfs-boot: started \(.*\) (transient).*/\1/p' boot.out)
[ -n "$dom" ] || fail "v2vfs-boot did not name its domain"
! "${virsh[@]}" list --all --name | grep -xF "$dom" > /dev/null || fail "$dom is left: $("${virsh[@]}" list --all)"
layers=$(sed -n 's/.*layers in \(.*\)$/\1/p' boot.out)
[ -n "$layers" ] && [ ! -e "$layers" ] || fail "the layers are left in $layers"
[ "$(tree_sums ovl)" = "$ovl_before" ] || fail "the test boot changed the overlay"
echo "v2vfs-boot: ready line seen, domain gone, layers gone, overlay unchanged"
