#!/usr/bin/env bash
# domain.xml in a mount.
#   - A .vmx as the source: v2vfs serves the VMDKs it names (SCSI, then
#     SATA, by controller and unit; the CD-ROM and the disk that is not
#     present are left out), and domain.xml names them by their absolute
#     paths in the mount, in that order.  Each view compares identical
#     with its VMDK, and domain.xml passes virt-xml-validate.
#   - An OVF with a VirtualSystemCollection of two VMs (a real vApp
#     export, tests/samples/ovf/06-*): each VM has NAME/domain.xml naming
#     its own disk.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img qemu-io virt-xml-validate
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir vm
cp "$tests_srcdir/domxml/vmx-efi-pvscsi-3nics.vmx" vm/app.vmx
qemu-img create -q -f vmdk -o subformat=monolithicSparse vm/app.vmdk 64M
qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse vm/app-data.vmdk 32M
qemu-img create -q -f vmdk -o subformat=monolithicFlat vm/app-logs.vmdk 16M
for f in app app-data app-logs; do
    qemu-io -f vmdk -c "write -P 0x42 1M 1M" "vm/$f.vmdk" > /dev/null
done
sums=$(tree_sums vm)
v2vfs_mount vm/app.vmx "$d/mnt"
got=$(view_listing mnt/disks)
[ "$got" = "app.raw app.qcow2 app-data.raw app-data.qcow2 app-logs.raw app-logs.qcow2 " ] ||
    fail "disks/ holds '$got'"
for f in app app-data app-logs; do
    qemu_compare vmdk "vm/$f.vmdk" raw "mnt/disks/$f.raw"
done
virt-xml-validate mnt/domain.xml domain
files=$(sed -n 's|.*<source file="\([^"]*\)">.*|\1|p' mnt/domain.xml | tr '\n' ' ')
[ "$files" = "$d/mnt/disks/app.raw $d/mnt/disks/app-data.raw $d/mnt/disks/app-logs.raw " ] ||
    fail "domain.xml names the disks '$files'"
grep -q '<name>app &quot;prod&quot; 01</name>' mnt/domain.xml || fail "domain.xml: wrong name"
[ -e mnt/app.vmx ] || fail "the .vmx is not shown at the top of the mount"
v2vfs_unmount "$d/mnt"
[ "$(tree_sums vm)" = "$sums" ] || fail "the source changed"
echo "vmx: 3 disks in SCSI-then-SATA order, views identical, domain.xml valid"

mkdir vapp
cp "$tests_srcdir/samples/ovf/06-ovftool35-vapp-2vms-collection.ovf" vapp/vapp.ovf
for n in 1 2; do
    qemu-img create -q -f vmdk -o subformat=streamOptimized \
        "vapp/vApp_with_2vms-disk$n.vmdk" 16M
done
v2vfs_mount vapp/vapp.ovf "$d/mnt2"
dirs=$(find mnt2 -name domain.xml | sort | tr '\n' ' ')
echo "collection: $dirs"
[ "$(echo "$dirs" | wc -w)" -eq 2 ] && [ ! -e mnt2/domain.xml ] ||
    fail "a two-VM collection shows '$dirs'"
for x in $dirs; do
    virt-xml-validate "$x" domain > /dev/null || fail "$x does not validate"
    vm=$(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$x")
    [ "$(basename "$(dirname "$x")")" = "$vm" ] || fail "$x holds the VM '$vm'"
    [ "$(grep -c '<source file=' "$x")" -eq 1 ] || fail "$x has not one disk"
    src=$(sed -n 's|.*<source file="\([^"]*\)">.*|\1|p' "$x")
    [ -f "$src" ] || fail "$x names $src, which the mount does not have"
done
[ "$(grep -h '<source file=' $dirs | sort -u | wc -l)" -eq 2 ] ||
    fail "the two VMs share a disk"
echo "collection: one domain.xml per VM, each with its own disk"
