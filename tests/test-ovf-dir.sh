#!/usr/bin/env bash
# An OVF mounted from a directory: the descriptor, a .mf and the disks beside
# it.
#   1. Two disks, a monolithicSparse one and a streamOptimized one, listed in
#      References in one order and in the DiskSection in the other: the
#      mount shows vm.ovf and vm.mf at the top (byte-identical), the
#      manifest's verify.status (test-verify.sh checks it), and the disks
#      in DiskSection order.
#   2. A disk whose OVF capacity (2, in "byte * 2^30" units) is larger than
#      its VMDK (1 GiB + 7 sectors): the view is the OVF capacity and its
#      tail reads as zeros.
#
# Oracles: qemu-img compare of each view against its VMDK and its raw image
# (for 2, qemu-img compare also checks the larger image's extra area reads
# as zeros); cmp of explicit reads around the VMDK's end and of the last MiB.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 sha256sum cmp
requires_fuse

d=$(tmpdir)
size_a=$(( (1 << 30) + 7 * 512 ))
size_b=$(( (512 << 20) + 3 * 512 ))

make_raw_fixture "$d/alpha.raw" "$size_a" 11
make_raw_fixture "$d/beta.raw" "$size_b" 12
mkdir "$d/dir"
"$MKFIXTURE" monolithicSparse "$d/alpha.raw" "$d/dir/alpha.vmdk"
"$MKFIXTURE" streamOptimized "$d/beta.raw" "$d/dir/beta.vmdk"

cat > "$d/dir/vm.ovf" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:id="file-a" ovf:href="alpha.vmdk"/>
    <File ovf:id="file-b" ovf:href="beta.vmdk"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="disk-b" ovf:fileRef="file-b" ovf:capacity="$size_b"/>
    <Disk ovf:diskId="disk-a" ovf:fileRef="file-a" ovf:capacity="$size_a"
          ovf:capacityAllocationUnits="byte"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <Name>vm</Name>
  </VirtualSystem>
</Envelope>
EOF
(cd "$d/dir" && sha256sum --tag vm.ovf alpha.vmdk beta.vmdk > vm.mf) ||
    fail "sha256sum failed"

# 1. Two disks, descriptor and manifest.
mnt=$d/mnt
v2vfs_mount "$d/dir/vm.ovf" "$mnt"
# Directory order as readdir returns it (ls -U: unsorted).
got=$(view_listing "$mnt")
[ "$got" = "disks vm.ovf vm.mf verify.status " ] ||
    fail "top level holds '$got', expected 'disks vm.ovf vm.mf verify.status '"
cmp "$d/dir/vm.ovf" "$mnt/vm.ovf" || fail "vm.ovf differs from the original"
cmp "$d/dir/vm.mf" "$mnt/vm.mf" || fail "vm.mf differs from the original"
got=$(view_listing "$mnt/disks")
[ "$got" = "beta.raw beta.qcow2 alpha.raw alpha.qcow2 " ] ||
    fail "disks/ holds '$got', expected DiskSection order" \
         "'beta.raw beta.qcow2 alpha.raw alpha.qcow2 '"
for disk in alpha beta; do
    view=$mnt/disks/$disk.raw
    case $disk in alpha) want=$size_a ;; beta) want=$size_b ;; esac
    got=$(stat -c %s "$view")
    [ "$got" -eq "$want" ] || fail "$disk.raw st_size is $got, expected $want"
    qemu_compare vmdk "$d/dir/$disk.vmdk" raw "$view"
    qemu_compare raw "$d/$disk.raw" raw "$view"
    check_qcow2_view $disk "$mnt" $disk vmdk "$d/dir/$disk.vmdk"
done
v2vfs_unmount "$mnt"

# 2. OVF capacity beyond the VMDK.
mkdir "$d/big"
ln "$d/dir/alpha.vmdk" "$d/big/alpha.vmdk"
cat > "$d/big/big.ovf" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:id="file-a" ovf:href="alpha.vmdk"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="disk-a" ovf:fileRef="file-a" ovf:capacity="2"
          ovf:capacityAllocationUnits="byte * 2^30"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <Name>vm</Name>
  </VirtualSystem>
</Envelope>
EOF
cap=$(( 2 << 30 ))
mnt=$d/mnt-big
v2vfs_mount "$d/big/big.ovf" "$mnt"
view=$mnt/disks/alpha.raw
got=$(stat -c %s "$view")
[ "$got" -eq "$cap" ] || fail "capacity: st_size is $got, expected $cap"

# qemu-img compare of images of different sizes warns, then checks that the
# larger one's extra area reads as zeros.
for fmt in vmdk raw; do
    case $fmt in vmdk) src=$d/big/alpha.vmdk ;; raw) src=$d/alpha.raw ;; esac
    r=0
    out=$(qemu-img compare -f $fmt "$src" -F raw "$view" 2>&1) || r=$?
    [ "$r" -eq 0 ] && [ "$out" = "Warning: Image size mismatch!
Images are identical." ] ||
        fail "capacity: qemu-img compare -f $fmt $src -F raw $view (status $r): $out"
done

# The added tail is a hole: no data after the VMDK's end.
got=$(python3 "$tests_srcdir/seek-map.py" "$view" data "$size_a" \
                                                 hole $(( size_a - 1 )) | tr '\n' ,)
want="data $size_a ENXIO,hole $(( size_a - 1 )) $size_a,"
[ "$got" = "$want" ] ||
    fail "capacity: lseek from the VMDK's end gave '$got', expected '$want'"

# Explicit reads across the VMDK's end and of the view's last MiB: the head
# is the VMDK's last 64 KiB, the rest zeros.
dd if="$d/alpha.raw" of="$d/head.bin" bs=512 skip=$(( size_a / 512 - 128 )) \
   count=128 status=none
head -c $(( 1 << 20 )) /dev/zero >> "$d/head.bin"
dd if="$view" of="$d/edge.bin" bs=512 skip=$(( size_a / 512 - 128 )) \
   count=$(( 128 + 2048 )) status=none || fail "capacity: read across the VMDK's end failed"
cmp "$d/head.bin" "$d/edge.bin" ||
    fail "capacity: bytes around the VMDK's end differ from VMDK data + zeros"
tail -c $(( 1 << 20 )) "$view" > "$d/tail.bin" ||
    fail "capacity: reading the last MiB failed"
cmp "$d/tail.bin" <(head -c $(( 1 << 20 )) /dev/zero) ||
    fail "capacity: the last MiB of the view is not zeros"
