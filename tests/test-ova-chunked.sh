#!/usr/bin/env bash
# Disks split into 10 MiB chunks the way ovftool does (DSP0243 chunkSize:
# NAME.vmdk.000000000, NAME.vmdk.000000001, ...; the OVF names NAME.vmdk),
# first inside an OVA (ustar, chunks in order), then beside an OVF in a
# directory.  Two disks of 1 GiB + 7 sectors with 24 MiB of incompressible
# data, so each splits into three chunks:
#   disk    qemu-img streamOptimized: deflated grains read across chunks
#   sparse  qemu-img monolithicSparse: its grains are not 64 KiB-aligned
#           in the file (the header and tables take 154 sectors), so some
#           straddle a chunk boundary
#
# Oracles: qemu-img compare of disks/NAME.raw against the unsplit VMDK and
# against the raw image.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 tar split
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))
chunk=$(( 10 << 20 ))

make_raw_fixture "$d/disk.raw" "$size"
python3 - "$d/disk.raw" <<'EOF' || fail "cannot add data to the raw image"
import os, random, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.pwrite(fd, random.Random(24).randbytes(24 << 20), (100 << 20) + 4096)
os.close(fd)
EOF
"$MKFIXTURE" streamOptimized "$d/disk.raw" "$d/disk.vmdk"
"$MKFIXTURE" monolithicSparse "$d/disk.raw" "$d/sparse.vmdk"

mkdir "$d/dir"
for disk in disk sparse; do
    split -b "$chunk" -d -a 9 "$d/$disk.vmdk" "$d/dir/$disk.vmdk."
    chunks=("$d/dir/$disk.vmdk."[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9])
    [ ${#chunks[@]} -ge 3 ] && [ -f "${chunks[2]}" ] ||
        fail "$disk.vmdk split into ${#chunks[@]} chunks, expected 3 or more"
done
cat > "$d/dir/vm.ovf" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:id="file1" ovf:href="disk.vmdk" ovf:size="$(stat -c %s "$d/disk.vmdk")" ovf:chunkSize="$chunk"/>
    <File ovf:id="file2" ovf:href="sparse.vmdk" ovf:size="$(stat -c %s "$d/sparse.vmdk")" ovf:chunkSize="$chunk"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="$size"/>
    <Disk ovf:diskId="vmdisk2" ovf:fileRef="file2" ovf:capacity="$size"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <Name>vm</Name>
  </VirtualSystem>
</Envelope>
EOF
(cd "$d/dir" && tar --format=ustar -cf ../vm.ova vm.ovf disk.vmdk.0* sparse.vmdk.0*) ||
    fail "tar failed"

# check MNT WHAT: the mount shows vm.ovf, disks/disk.raw and
# disks/sparse.raw, which read like the unsplit VMDKs.
check ()
{
    local mnt=$1 what=$2 got disk
    got=$(view_listing "$mnt")
    [ "$got" = "disks vm.ovf " ] ||
        fail "$what: top level holds '$got', expected 'disks vm.ovf '"
    cmp "$d/dir/vm.ovf" "$mnt/vm.ovf" || fail "$what: vm.ovf differs"
    got=$(view_listing "$mnt/disks")
    [ "$got" = "disk.raw disk.qcow2 sparse.raw sparse.qcow2 " ] ||
        fail "$what: disks/ holds '$got', expected 'disk.raw disk.qcow2" \
             "sparse.raw sparse.qcow2 '"
    for disk in disk sparse; do
        got=$(stat -c %s "$mnt/disks/$disk.raw")
        [ "$got" -eq "$size" ] ||
            fail "$what: $disk.raw st_size is $got, expected $size"
        qemu_compare vmdk "$d/$disk.vmdk" raw "$mnt/disks/$disk.raw"
        qemu_compare raw "$d/disk.raw" raw "$mnt/disks/$disk.raw"
        check_qcow2_view "$what $disk" "$mnt" $disk vmdk "$d/$disk.vmdk"
    done
}

v2vfs_mount "$d/vm.ova" "$d/mnt-ova"
check "$d/mnt-ova" "chunked OVA"
v2vfs_unmount "$d/mnt-ova"

v2vfs_mount "$d/dir/vm.ovf" "$d/mnt-ovf"
check "$d/mnt-ovf" "chunks beside the OVF"
