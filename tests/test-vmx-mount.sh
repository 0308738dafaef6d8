#!/usr/bin/env bash
# A .vmx as the source: v2vfs serves the VMDKs it names (SCSI, then SATA,
# by controller and unit; the CD-ROM and the disk that is not present are
# left out), and domain.xml names them by their absolute paths in the
# mount, in that order.  Each view compares identical with its VMDK, and
# domain.xml passes virt-xml-validate.
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
