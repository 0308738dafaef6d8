#!/usr/bin/env bash
# gzip'd disks inside an OVA (ovf:compression="gzip", as ovftool
# --compress writes them), and whole OVAs gzip'd (vm.ova.gz, vm.tgz),
# served in place through the checkpoint index:
#   stream  qemu-img streamOptimized, gzip'd as stream.vmdk.gz (a double
#           compression)
#   sparse  qemu-img monolithicSparse, gzip'd under its plain name
#           sparse.vmdk (ovftool's habit): the only one served before
#           its end is known, the index growing in the background
#   ovft    an ovftool-style stream, gzip'd as three members and zero
#           padding
# (A stream may be read up to its end, so it is inflated to the end at
# mount.)
# Oracles: qemu-img compare of each raw and qcow2 view against the raw
# image and the uncompressed VMDK; gzip -t and zcat for the fixtures.
# Then: the index is saved in --index-dir (or the overlay DIR) and loaded
# by the next mount, a damaged index file is ignored, the manifest of a
# gzip'd OVA checks out (--verify), and truncated or corrupt gzip data is
# refused at mount or fails reads with EIO.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 tar gzip
requires_fuse

d=$(tmpdir)
size=$(( 256 << 20 ))

make_raw_fixture "$d/disk.raw" "$size"
python3 - "$d/disk.raw" <<'EOF' || fail "cannot add data to the raw image"
import os, random, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
r = random.Random(17)
os.pwrite(fd, r.randbytes(24 << 20), (100 << 20) + 4096)
os.pwrite(fd, b"end of the disk\n" * 256, (256 << 20) - 8192)
os.close(fd)
EOF
"$MKFIXTURE" streamOptimized "$d/disk.raw" "$d/stream.vmdk"
"$MKFIXTURE" monolithicSparse "$d/disk.raw" "$d/sparse.vmdk"
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/ovft.vmdk"

mkdir "$d/pack"
gzip -c "$d/stream.vmdk" > "$d/pack/stream.vmdk.gz"
gzip -c "$d/sparse.vmdk" > "$d/pack/sparse.vmdk"
third=$(( $(stat -c %s "$d/ovft.vmdk") / 3 ))
{
    dd if="$d/ovft.vmdk" iflag=count_bytes count="$third" status=none | gzip -1
    dd if="$d/ovft.vmdk" iflag=skip_bytes,count_bytes skip="$third" \
       count="$third" status=none | gzip -9
    dd if="$d/ovft.vmdk" iflag=skip_bytes skip=$(( 2 * third )) status=none | gzip
    dd if=/dev/zero bs=1000 count=1 status=none
} > "$d/pack/ovft.vmdk.gz"
zcat "$d/pack/ovft.vmdk.gz" 2>/dev/null | cmp - "$d/ovft.vmdk" ||
    fail "the three-member gzip does not inflate to ovft.vmdk"

# gz_ovf COMPRESSION: the OVF of the three disks.
gz_ovf ()
{
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:id="file1" ovf:href="stream.vmdk.gz" ovf:compression="$1"/>
    <File ovf:id="file2" ovf:href="sparse.vmdk" ovf:compression="$1"/>
    <File ovf:id="file3" ovf:href="ovft.vmdk.gz" ovf:compression="$1"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="$size"/>
    <Disk ovf:diskId="vmdisk2" ovf:fileRef="file2" ovf:capacity="$size"/>
    <Disk ovf:diskId="vmdisk3" ovf:fileRef="file3" ovf:capacity="$size"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <Name>vm</Name>
  </VirtualSystem>
</Envelope>
EOF
}
gz_ovf gzip > "$d/pack/vm.ovf"
# The manifest covers the stored bytes: the gzip'd files as they are.
(cd "$d/pack" && sha256sum --tag vm.ovf stream.vmdk.gz sparse.vmdk ovft.vmdk.gz > vm.mf &&
     tar --format=ustar -cf ../vm.ova vm.ovf vm.mf stream.vmdk.gz sparse.vmdk ovft.vmdk.gz) ||
    fail "tar failed"
gzip -c "$d/vm.ova" > "$d/vm.ova.gz"
cp "$d/vm.ova.gz" "$d/vm.tgz"

# check MNT WHAT: every disk reads as the raw image and as its VMDK, in
# both views.
check ()
{
    local mnt=$1 what=$2 got disk
    got=$(view_listing "$mnt/disks")
    [ "$got" = "stream.raw stream.qcow2 sparse.raw sparse.qcow2 ovft.raw ovft.qcow2 " ] ||
        fail "$what: disks/ holds '$got'"
    for disk in stream sparse ovft; do
        got=$(stat -c %s "$mnt/disks/$disk.raw")
        [ "$got" -eq "$size" ] || fail "$what: $disk.raw st_size is $got"
        qemu_compare raw "$d/disk.raw" raw "$mnt/disks/$disk.raw"
        qemu_compare raw "$d/disk.raw" qcow2 "$mnt/disks/$disk.qcow2"
        qemu_compare vmdk "$d/$disk.vmdk" qcow2 "$mnt/disks/$disk.qcow2"
    done
    echo "$what: the three disks read as disk.raw in both views"
}

# wait_indexes DIR N: DIR holds N saved indexes (the background passes end).
wait_indexes ()
{
    local i n
    for i in $(seq 600); do
        n=$(find "$1" -name 'gzindex-*' | wc -l)
        [ "$n" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "$1 holds $n gzip indexes after 60 s, expected $2"
}

# 1. The OVA of gzip'd members: first mount builds and saves, the second loads.
v2vfs_mount --index-dir "$d/idx" "$d/vm.ova" "$d/mnt" 2> "$d/log1"
cat "$d/log1"
expect_lines "$d/log1" \
    "^v2vfs: $d/vm.ova:stream.vmdk.gz: gzip index built while opening ([0-9]* checkpoints, every 1024 KiB); kept in $d/idx$" \
    "^v2vfs: $d/vm.ova:sparse.vmdk: gzip index being built in the background (1 checkpoint so far, every 1024 KiB); kept in $d/idx$" \
    "^v2vfs: $d/vm.ova:ovft.vmdk.gz: gzip index built while opening ([0-9]* checkpoints, every 1024 KiB); kept in $d/idx$"
check "$d/mnt" "gzip'd members"
wait_indexes "$d/idx" 3
v2vfs_unmount "$d/mnt"

v2vfs_mount --index-dir "$d/idx" "$d/vm.ova" "$d/mnt" 2> "$d/log2"
cat "$d/log2"
[ "$(grep -c 'gzip index loaded ([0-9]* checkpoints, every 1024 KiB)$' "$d/log2")" -eq 3 ] ||
    fail "the second mount did not load the three indexes"
check "$d/mnt" "gzip'd members, indexes loaded"
v2vfs_unmount "$d/mnt"

# A damaged index file is not trusted: the index is built again.
f=$(find "$d/idx" -name 'gzindex-*' -size +100k | head -n 1)
printf 'X' | dd of="$f" bs=1 seek=5000 conv=notrunc status=none
v2vfs_mount --index-dir "$d/idx" "$d/vm.ova" "$d/mnt" 2> "$d/log3"
[ "$(grep -c 'gzip index loaded' "$d/log3")" -eq 2 ] ||
    fail "a damaged index was loaded:"$'\n'"$(cat "$d/log3")"
check "$d/mnt" "gzip'd members, one index damaged"
v2vfs_unmount "$d/mnt"

# 2. vm.ova.gz and vm.tgz: the archive inflated once at mount, then served
# through its index; with --overlay, the indexes go to the overlay DIR.
# The manifest inside is checked against the members as the tar holds them.
for ova in vm.ova.gz vm.tgz; do
    v2vfs_mount --verify --overlay "$d/ovl-$ova" "$d/$ova" "$d/mnt" 2> "$d/log-$ova"
    expect_lines "$d/log-$ova" \
        "^v2vfs: $d/$ova: gzip index built while opening ([0-9]* checkpoints, every 1024 KiB); kept in $d/ovl-$ova$" \
        "^v2vfs: $d/$ova:sparse.vmdk: gzip index being built in the background"
    cmp "$d/pack/vm.ovf" "$d/mnt/vm.ovf" || fail "$ova: vm.ovf differs"
    check "$d/mnt" "$ova"
    for i in $(seq 600); do
        IFS= read -r line < "$d/mnt/verify.status"
        case $line in pending:*) sleep 0.1 ;; *) break ;; esac
    done
    [ "$line" = "ok: 4 files match vm.mf" ] ||
        fail "$ova: verify.status says '$line'"
    wait_indexes "$d/ovl-$ova" 4
    v2vfs_unmount "$d/mnt"
done

# 3. Bad input.  A compression other than gzip is refused.
mkdir -p "$d/bad/src" "$d/bad/mnt"
cd "$d/bad"
gz_ovf bzip2 > src/vm.ovf
cp "$d/pack/stream.vmdk.gz" "$d/pack/sparse.vmdk" "$d/pack/ovft.vmdk.gz" src/
v2vfs_refused "v2vfs: src/vm.ovf: File 'file1' at line 5: compression 'bzip2' is not supported (only gzip and identity)" src/vm.ovf

# A truncated gzip'd stream (inflated at mount) is refused with the
# compressed offset where it ends.
gz_ovf gzip > src/vm.ovf
cut=$(( $(stat -c %s "$d/pack/ovft.vmdk.gz") / 2 ))
head -c "$cut" "$d/pack/ovft.vmdk.gz" > src/ovft.vmdk.gz
msg=$("$V2VFS" src/vm.ovf mnt 2>&1) && fail "a truncated gzip stream mounted"
assert_not_mounted mnt
case $msg in
    "v2vfs: src/ovft.vmdk.gz: gzip data at compressed offset $cut (output offset "*"): the file ends inside a member (truncated?)") ;;
    *) fail "truncated gzip: unexpected message: $msg" ;;
esac

# A corrupt member behind a served prefix: the mount works (the sparse
# file's map is at its start), the background pass meets the bad CRC, and
# from then on reads fail with EIO and a log line.
cp "$d/pack/ovft.vmdk.gz" src/
python3 - src/sparse.vmdk <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-8, 2)                      # the CRC-32 of the member's trailer
    b = f.read(1)
    f.seek(-8, 2)
    f.write(bytes([b[0] ^ 0xff]))
EOF
"$V2VFS" -f src/vm.ovf mnt 2> log-corrupt &
cleanup_fn v2vfs_unmount "$PWD/mnt"
for i in $(seq 300); do is_mounted mnt && break; sleep 0.1; done
for i in $(seq 600); do
    grep -q 'incorrect data check' log-corrupt && break
    dd if=mnt/disks/sparse.raw of=/dev/null bs=1M count=1 status=none 2>/dev/null || break
    sleep 0.1
done
err=$(dd if=mnt/disks/sparse.raw of=/dev/null bs=1M count=1 2>&1) &&
    fail "a read of the corrupt member succeeded"
case $err in *"Input/output error"*) ;; *) fail "corrupt member: $err" ;; esac
qemu_compare raw "$d/disk.raw" raw mnt/disks/ovft.raw
v2vfs_unmount mnt
wait
expect_lines log-corrupt \
    "src/sparse.vmdk: gzip data at compressed offset [0-9]* (output offset [0-9]*): incorrect data check"
echo "PASS"
