#!/usr/bin/env bash
# v2vfs-boot --domain-xml FILE -a TARGET through a stock libvirtd
# (qemu:///system; started here when it is not running, and stopped
# again): the copy of a disk on the target storage boots, and stays as it
# was.  The guest is tests/mkbootdisk.py's boot sector in an OVA, mounted
# read-only with -o allow_other (no overlay), its disk copied with
# qemu-img convert to target.raw and to target.qcow2.  For each:
#   v2vfs-boot --domain-xml mnt/domain.xml -a TARGET sees the readiness
#   line, tears the domain down (none left, the layers gone), and the
#   target's sha256 is what it was.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires libvirtd virtlogd virsh qemu-system-x86_64 qemu-img python3 tar
requires_fuse
boot=$tests_builddir/../fs/v2vfs-boot
[ -x "$boot" ] || fail "$boot is not built"
requires_root "qemu:///system"

d=$(tmpdir)
marker="V2VFS-BOOT-OK from the target"
virsh=(virsh -q -c qemu:///system)
use_libvirtd

cd "$d"
tiny_boot_ova "$marker"
chmod 0755 "$d"
v2vfs_mount -o allow_other tiny.ova "$d/mnt"
qemu-img convert -f raw -O raw mnt/disks/tiny-disk1.raw target.raw
qemu-img convert -f raw -O qcow2 mnt/disks/tiny-disk1.raw target.qcow2

for t in target.raw target.qcow2; do
    sum=$(sha_of "$t")
    "$boot" --accel "$(boot_accel)" --ready "^V2VFS-BOOT-OK" --timeout 300 \
        --shutdown-timeout 3 --domain-xml mnt/domain.xml -a "$t" | tee "boot-$t.out"
    grep -q "^v2vfs-boot: tiny-v2vfs-boot-[0-9]* is up after [0-9.]* s: \"$marker\"\$" "boot-$t.out" ||
        fail "v2vfs-boot -a $t did not report the readiness line"
    grep -q "^v2vfs-boot: tiny-v2vfs-boot-[0-9]* is gone\$" "boot-$t.out" || fail "no teardown reported"
    # Only its own domain: other tests boot the tiny VM at the same time.
    dom=$(sed -n 's/^v2vfs-boot: started \(.*\) (transient).*/\1/p' "boot-$t.out")
    [ -n "$dom" ] || fail "v2vfs-boot did not name its domain"
    ! "${virsh[@]}" list --all --name | grep -xF "$dom" > /dev/null || fail "$dom is left: $("${virsh[@]}" list --all)"
    layers=$(sed -n 's/.*layers in \(.*\)$/\1/p' "boot-$t.out")
    [ -n "$layers" ] && [ ! -e "$layers" ] || fail "the layers are left in $layers"
    [ "$(sha_of "$t")" = "$sum" ] || fail "the test boot changed $t"
    echo "v2vfs-boot -a $t: ready line seen, domain gone, layers gone, $t unchanged"
done
