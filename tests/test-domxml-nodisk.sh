#!/usr/bin/env bash
# A VM with no disks (exports of VMs with virtualization-based security
# often come so) mounts with its domain.xml and an empty disks/:
#   1. an OVF with no DiskSection, alone in its directory
#      (tests/domxml/vsphere8-win2022-vbs-nodisk.ovf);
#   2. the same OVF alone in an OVA, with --overlay, mounted twice (the
#      second mount resumes the overlay);
#   3. a .vmx whose only disk is not present
#      (tests/domxml/vmx-win2022-vbs-nodisk.vmx).
# Each time disks/ is empty, the descriptor is at the top, domain.xml
# passes virt-xml-validate, names no disk and keeps the rest of the VM
# (nested virtualization, the IOMMU, secure boot, the OVF's vTPM), and
# the source does not change.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires virt-xml-validate tar
requires_fuse

d=$(tmpdir)
cd "$d"

# check_vm MNT DESCRIPTOR REGEX...: MNT holds DESCRIPTOR and an empty
# disks/, and its domain.xml is valid, has no disk and matches each REGEX.
check_vm ()
{
    local mnt=$1 desc=$2
    shift 2
    [ "$(view_listing "$mnt")" = "disks $desc " ] ||
        fail "$mnt holds '$(view_listing "$mnt")', want 'disks $desc '"
    [ -d "$mnt/disks" ] && [ -z "$(ls -A "$mnt/disks")" ] ||
        fail "$mnt/disks is not an empty directory: '$(ls -A "$mnt/disks")'"
    virt-xml-validate "$mnt/domain.xml" domain > validate.out 2>&1 ||
        fail "$mnt/domain.xml: $(cat validate.out)"
    if grep -q '<disk type="file" device="disk">' "$mnt/domain.xml"; then
        fail "$mnt/domain.xml names a disk:"$'\n'"$(cat "$mnt/domain.xml")"
    fi
    expect_lines "$mnt/domain.xml" '<name>win2022-vbs</name>' \
        '<cpu mode="host-passthrough">' '<iommu model="intel">' \
        '<loader secure="yes"/>' '<stimer state="on"/>' "$@"
}

# 1. An OVF alone.
mkdir ovf
cp "$tests_srcdir/domxml/vsphere8-win2022-vbs-nodisk.ovf" ovf/vbs.ovf
sums=$(tree_sums ovf)
v2vfs_mount ovf/vbs.ovf "$d/mnt1"
check_vm mnt1 vbs.ovf '<tpm model="tpm-crb">'
cmp ovf/vbs.ovf mnt1/vbs.ovf || fail "vbs.ovf differs from the original"
v2vfs_unmount "$d/mnt1"
echo "ovf: no disks, empty disks/, domain.xml valid with its TPM and IOMMU"

# 2. The OVF in an OVA, with an overlay, twice.
mkdir ova
tar --format=ustar -C ovf -cf ova/vbs.ova vbs.ovf
sums_ova=$(tree_sums ova)
for i in 1 2; do
    v2vfs_mount --overlay "$d/ovl" ova/vbs.ova "$d/mnt2"
    check_vm mnt2 vbs.ovf '<tpm model="tpm-crb">'
    v2vfs_unmount "$d/mnt2"
done
[ "$(tree_sums ova)" = "$sums_ova" ] || fail "the OVA changed"
echo "ova with --overlay: mounts, and mounts again on the same overlay"

# 3. A .vmx whose disk is not present.
mkdir vmx
cp "$tests_srcdir/domxml/vmx-win2022-vbs-nodisk.vmx" vmx/vbs.vmx
sums_vmx=$(tree_sums vmx)
v2vfs_mount vmx/vbs.vmx "$d/mnt3"
check_vm mnt3 vbs.vmx
if grep -q '<tpm' mnt3/domain.xml; then
    fail "the .vmx has no vTPM, but domain.xml has a TPM"
fi
v2vfs_unmount "$d/mnt3"
[ "$(tree_sums ovf)" = "$sums" ] && [ "$(tree_sums vmx)" = "$sums_vmx" ] ||
    fail "a source changed"
echo "vmx: no disk present, empty disks/, domain.xml valid"
