#!/usr/bin/env bash
# v2vfs-boot --accel tcg starts a domain.xml that asks for what TCG
# cannot do: the Hyper-V enlightenments vpindex, synic and stimer of a
# Windows guest, and nested virtualization (<cpu mode='host-passthrough'>).
# The guest is tests/mkbootdisk.py's boot sector in an OVA whose OVF
# says Windows Server 2022, BIOS, nestedHVEnabled and flags.vvtdEnabled
# (so the domain has an IOMMU with interrupt remapping, and QEMU's I/O
# APIC, too), mounted with -o allow_other (qemu runs as libvirt-qemu).
#   1. domain.xml asks for all of it and passes virt-xml-validate;
#   2. the reason for the next step, from libvirt and QEMU themselves:
#      domain.xml as type qemu does not start, libvirt refusing
#      host-passthrough; without that, QEMU refuses vpindex;
#   3. v2vfs-boot --accel tcg drops those and boots the guest to its
#      readiness line (the IOMMU and the other enlightenments stay), and
#      tears it down: no domain left.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires libvirtd virtlogd virsh qemu-system-x86_64 qemu-img python3 tar virt-xml-validate
requires_fuse
boot=$tests_builddir/../fs/v2vfs-boot
[ -x "$boot" ] || fail "$boot is not built"
requires_root "qemu:///system"

d=$(tmpdir)
marker="V2VFS-BOOT-OK under TCG"
virsh=(virsh -q -c qemu:///system)
use_libvirtd

cd "$d"
python3 "$tests_srcdir/mkbootdisk.py" boot.raw $(( 64 << 20 )) "$marker"
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized boot.raw hv-disk1.vmdk
one_disk_ovf hv-disk1.vmdk "" hv |
    sed -e 's|<Envelope |<Envelope xmlns:vmw="http://www.vmware.com/schema/ovf" |' \
        -e 's|<VirtualHardwareSection>|<OperatingSystemSection ovf:id="1" vmw:osType="windows2019srvNext_64Guest"><Info>OS</Info></OperatingSystemSection>&|' \
        -e 's|</VirtualHardwareSection>|<vmw:Config vmw:key="nestedHVEnabled" vmw:value="true"/><vmw:Config vmw:key="flags.vvtdEnabled" vmw:value="true"/>&|' \
        > hv.ovf
tar --format=ustar -cf hv.ova hv.ovf hv-disk1.vmdk
chmod 0755 "$d"
v2vfs_mount -o allow_other hv.ova "$d/mnt"

# 1. What domain.xml asks for.
virt-xml-validate mnt/domain.xml domain > validate.out 2>&1 ||
    fail "domain.xml: $(cat validate.out)"
expect_lines mnt/domain.xml '<vpindex state="on"/>' '<synic state="on"/>' \
    '<stimer state="on"/>' '<timer name="hypervclock" present="yes"/>' \
    '<cpu mode="host-passthrough">' '<iommu model="intel">' \
    '<ioapic driver="qemu"/>' '<clock offset="localtime">'

# 2. As it is, TCG does not start it.
drop_hv ()
{
    "${virsh[@]}" destroy hv > /dev/null 2>&1
}
cleanup_fn drop_hv
sed 's|<domain type="kvm">|<domain type="qemu">|' mnt/domain.xml > hv-tcg.xml
if "${virsh[@]}" create hv-tcg.xml > create.out 2>&1; then
    fail "libvirt started host-passthrough under TCG: the drop is not needed"
fi
grep -q "host-passthrough" create.out || fail "virsh create: $(cat create.out)"
sed 's|<cpu mode="host-passthrough">|<cpu>|' hv-tcg.xml > hv-tcg-cpu.xml
if "${virsh[@]}" create hv-tcg-cpu.xml > create.out 2>&1; then
    fail "QEMU started Hyper-V vpindex under TCG: the drop is not needed"
fi
grep -q "VP_INDEX" create.out || fail "virsh create: $(cat create.out)"
echo "as written for KVM, TCG refuses it: libvirt host-passthrough, QEMU VP_INDEX"

# 3. v2vfs-boot under TCG.
"$boot" --accel tcg --ready "^V2VFS-BOOT-OK" --timeout 300 \
    --shutdown-timeout 3 mnt | tee boot.out
grep -q "^v2vfs-boot: hv-v2vfs-boot-[0-9]* is up after [0-9.]* s: \"$marker\"\$" boot.out ||
    fail "v2vfs-boot did not report the readiness line"
grep -q "^v2vfs-boot: hv-v2vfs-boot-[0-9]* is gone\$" boot.out || fail "no teardown reported"
if "${virsh[@]}" list --all --name | grep -q "^hv"; then
    fail "a domain is left: $("${virsh[@]}" list --all)"
fi
echo "v2vfs-boot --accel tcg: booted without vpindex, synic, stimer and host-passthrough"
