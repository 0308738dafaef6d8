#!/usr/bin/env bash
# Manifest verification: v2vfs --verify and --verify=strict, and
# v2vfs-verify MOUNTPOINT, on OVAs of an OVF and two 8 MiB disks made by
# qemu-img (disk1 monolithicSparse, disk2 streamOptimized), whose .mf is
# written by sha1sum/sha256sum/sha512sum in ovftool's form
# (`SHA1(x)= h`) or in coreutils' --tag form (`SHA256 (x) = h`):
#   1. good, ovftool SHA1, mounted without --verify: verify.status says
#      verification was not requested; v2vfs-verify starts it, exits 0 and
#      prints "ok"; the state's xattr reads "ok";
#   2. good, --tag form with CRLF, SHA256 and one SHA512 line, and a
#      .cert: --verify checks it in the background; the .cert is shown,
#      said to be unchecked, and the daemon logs the result;
#   3. the same files as an OVF directory, with -o verify; and an OVA
#      whose disk2 is gzip'd (ovf:compression="gzip"): its line is the
#      compressed member's digest;
#   4. one byte of disk1's grain data flipped after the manifest was
#      written: v2vfs-verify on a mount without --verify exits 1 naming
#      disk1.vmdk, and disk1 still reads (with the flipped byte); with
#      --verify=strict both views of disk1 fail with EIO and a log line
#      naming the disk and the file, while disk2 reads as its source;
#      and a read of disk1 before the pass reaches it leaves nothing in
#      the kernel's cache that would be served after;
#   5. a line for a file the OVA lacks and a member with no line: both
#      named, exit 1;
#   6. a malformed line: the mount works and serves the disks; the status
#      is an error naming the .mf and the line (exit 2); with
#      -o verify=strict nothing is covered, so disk1 is refused;
#   7. no manifest: --verify is refused before mounting, and
#      v2vfs-verify exits 2 on such a mount and on a directory that is no
#      mount; --verify=lax is refused;
#   8. LIMIT_MANIFEST_BYTES: a manifest of 16 MiB checks; one byte more is
#      an error in the status, and the mount still works;
#   9. an unmount in the middle of a pass over a 16 GiB sparse file: the
#      daemon cancels it, joins its thread and exits 0 promptly.
# Each status is compared whole, and its st_size with its length.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 tar sha1sum sha256sum sha512sum getfattr dd cmp truncate gzip
requires_fuse

d=$(tmpdir)
cd "$d"
real=$(pwd -P)
VERIFY=$(dirname "$V2VFS")/v2vfs-verify
[ -x "$VERIFY" ] || fail "v2vfs-verify is not built: $VERIFY"
size=$(( 8 << 20 ))
cert='vm.cert: not checked (v2vfs verifies no signature or certificate)'
bad_sha1='disk1.vmdk: does not match its SHA1 digest'

make_raw_fixture disk1.raw "$size" 1
make_raw_fixture disk2.raw "$size" 2
mkdir good
"$MKFIXTURE" monolithicSparse disk1.raw good/disk1.vmdk
"$MKFIXTURE" streamOptimized disk2.raw good/disk2.vmdk

# vm_ovf [HREF...]: an OVF of two 8 MiB disks held in disk1.vmdk and
# disk2.vmdk, with a File for each HREF besides.
vm_ovf ()
{
    local href
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:id="file1" ovf:href="disk1.vmdk"/>
    <File ovf:id="file2" ovf:href="disk2.vmdk"/>
EOF
    for href in "$@"; do
        echo "    <File ovf:id=\"$href\" ovf:href=\"$href\"/>"
    done
    cat <<EOF
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
    <Disk ovf:capacity="$size" ovf:diskId="vmdisk1" ovf:fileRef="file1"/>
    <Disk ovf:capacity="$size" ovf:diskId="vmdisk2" ovf:fileRef="file2"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <Name>vm</Name>
  </VirtualSystem>
</Envelope>
EOF
}

# ovftool_mf ALGO FILE...: ovftool's lines, "ALGO(FILE)= HEX".
ovftool_mf ()
{
    local algo=$1 f sum
    shift
    for f in "$@"; do
        sum=$("${algo,,}sum" -- "$f") || fail "${algo,,}sum $f failed"
        printf '%s(%s)= %s\n' "$algo" "$f" "${sum%% *}"
    done
}

# pack DIR OVA MEMBER...: OVA holds DIR's MEMBERs, in that order.
pack ()
{
    (cd "$1" && tar --format=ustar -cf "$d/$2" "${@:3}") || fail "tar $2 failed"
}

# expect_status LABEL MNT LINE...: MNT/verify.status is exactly the
# LINEs, and its st_size is their length.
expect_status ()
{
    local label=$1 file=$2/verify.status
    shift 2
    printf '%s\n' "$@" > want.status
    cat "$file" > got.status || fail "$label: cannot read $file"
    diff -u want.status got.status >&2 || fail "$label: verify.status differs"
    [ "$(stat -c %s "$file")" -eq "$(stat -c %s want.status)" ] ||
        fail "$label: verify.status's st_size is $(stat -c %s "$file")," \
             "its text $(stat -c %s want.status) bytes"
}

# wait_verified MNT: wait until MNT/verify.status is no longer pending
# (a deadline poll: 8 MiB disks take a fraction of a second).
wait_verified ()
{
    local i line
    for (( i = 0; i < 1200; i++ )); do
        IFS= read -r line < "$1/verify.status" || fail "cannot read $1/verify.status"
        case $line in
            pending:*) sleep 0.1 ;;
            *) return 0 ;;
        esac
    done
    fail "$1/verify.status still says '$line' after 120 s"
}

# verify_says MNT STATUS LINE...: v2vfs-verify MNT exits with STATUS
# and prints exactly the LINEs, and nothing on stderr.
verify_says ()
{
    local mnt=$1 want=$2 r=0
    shift 2
    printf '%s\n' "$@" > want.out
    "$VERIFY" "$mnt" > got.out 2> got.err || r=$?
    [ "$r" -eq "$want" ] ||
        fail "v2vfs-verify $mnt exited with $r, expected $want: $(cat got.err got.out)"
    diff -u want.out got.out >&2 || fail "v2vfs-verify $mnt printed another text"
    [ ! -s got.err ] || fail "v2vfs-verify $mnt wrote to stderr: $(cat got.err)"
}

# refused_read LABEL FILE: reading FILE fails with EIO.
refused_read ()
{
    local out
    if out=$(dd if="$2" of=/dev/null bs=1M 2>&1); then
        fail "$1: $2 reads"
    fi
    [[ $out == *"Input/output error"* ]] || fail "$1: dd of $2 failed otherwise: $out"
}

(cd good && vm_ovf > vm.ovf && ovftool_mf SHA1 vm.ovf disk1.vmdk disk2.vmdk > vm.mf)

# 1. Not requested, then v2vfs-verify.
pack good good.ova vm.ovf vm.mf disk1.vmdk disk2.vmdk
v2vfs_mount good.ova mnt1
expect_status "1, not requested" mnt1 \
    "not requested: run v2vfs-verify $real/mnt1, or mount with --verify"
verify_says mnt1 0 "ok: 3 files match vm.mf"
expect_status "1, v2vfs-verify" mnt1 "ok: 3 files match vm.mf"
got=$(getfattr --only-values -n user.v2vfs.verify mnt1/verify.status)
[ "$got" = ok ] || fail "1: user.v2vfs.verify reads '$got'"
v2vfs_unmount mnt1

# 2. The --tag form, CRLF, SHA256 and SHA512; a certificate.
mkdir tagged
cp good/vm.ovf good/disk1.vmdk good/disk2.vmdk tagged/
(cd tagged && { sha256sum --tag vm.ovf disk1.vmdk && sha512sum --tag disk2.vmdk; } |
     sed 's/$/\r/' > vm.mf) || fail "sha256sum --tag failed"
grep -q $'^SHA512 (disk2.vmdk) = [0-9a-f]\\{128\\}\r$' tagged/vm.mf ||
    fail "2: no SHA512 line in --tag form: $(cat tagged/vm.mf)"
printf 'SHA256(vm.mf)= 00\n-----BEGIN CERTIFICATE-----\n' > tagged/vm.cert
pack tagged tagged.ova vm.ovf vm.mf vm.cert disk1.vmdk disk2.vmdk
v2vfs_start log2 --verify tagged.ova mnt2
wait_verified mnt2
expect_status "2, --verify" mnt2 "ok: 3 files match vm.mf" "$cert"
cmp tagged/vm.cert mnt2/vm.cert || fail "2: vm.cert differs"
v2vfs_stop mnt2 "$v2vfs_pid" || fail "2: the daemon exited with $?"
expect_lines log2 "^v2vfs: verify.status: ok: 3 files match vm.mf$" \
    "^v2vfs: verify.status: $cert$"
no_sanitizer_report log2

# 3. An OVF directory, -o verify.
v2vfs_mount -o verify tagged/vm.ovf mnt3
wait_verified mnt3
expect_status "3, OVF directory" mnt3 "ok: 3 files match vm.mf" "$cert"
v2vfs_unmount mnt3

mkdir gzipped
cp good/disk1.vmdk gzipped/
gzip -c good/disk2.vmdk > gzipped/disk2.vmdk.gz
sed 's|ovf:href="disk2.vmdk"|ovf:href="disk2.vmdk.gz" ovf:compression="gzip"|' \
    good/vm.ovf > gzipped/vm.ovf
(cd gzipped && ovftool_mf SHA256 vm.ovf disk1.vmdk disk2.vmdk.gz > vm.mf)
pack gzipped gzipped.ova vm.ovf vm.mf disk1.vmdk disk2.vmdk.gz
v2vfs_mount gzipped.ova mnt3g
qemu_compare raw mnt3g/disks/disk2.raw raw disk2.raw
verify_says mnt3g 0 "ok: 3 files match vm.mf"
v2vfs_unmount mnt3g

# 4. A flipped byte in disk1's last grain.
mkdir bad
cp good/vm.ovf good/vm.mf good/disk1.vmdk good/disk2.vmdk bad/
at=$(( $(stat -c %s bad/disk1.vmdk) - 100 ))
poke bad/disk1.vmdk "$at" 1 $(( $(peek bad/disk1.vmdk "$at" 1) ^ 0xff ))
pack bad bad.ova vm.ovf vm.mf disk1.vmdk disk2.vmdk
v2vfs_mount bad.ova mnt4
verify_says mnt4 1 "mismatch: 1 problem with vm.mf" "$bad_sha1"
dd if=mnt4/disks/disk1.raw of=/dev/null bs=1M status=none ||
    fail "4: disk1.raw does not read without --verify=strict"
! cmp -s mnt4/disks/disk1.raw disk1.raw || fail "4: the flipped byte is not in disk1's data"
v2vfs_unmount mnt4

v2vfs_start log4 --verify=strict bad.ova mnt4s
wait_verified mnt4s
expect_status "4, strict" mnt4s "mismatch: 1 problem with vm.mf" "$bad_sha1"
refused_read "4, strict" mnt4s/disks/disk1.raw
refused_read "4, strict" mnt4s/disks/disk1.qcow2
qemu_compare raw mnt4s/disks/disk2.raw raw disk2.raw
qemu_compare qcow2 mnt4s/disks/disk2.qcow2 raw disk2.raw
v2vfs_stop mnt4s "$v2vfs_pid" || fail "4: the daemon exited with $?"
expect_lines log4 "^v2vfs: disks/disk1.raw: read refused by --verify=strict: disk1.vmdk does not match its SHA1 digest in vm.mf$" \
    "^v2vfs: disks/disk1.qcow2: read refused by --verify=strict: disk1.vmdk does not match its SHA1 digest in vm.mf$"
! grep -q 'disk2' log4 || fail "4: disk2 was refused: $(cat log4)"
no_sanitizer_report log4

# A read before the pass finds disk1 bad (it hashes a 1 GiB file first)
# fills the kernel's cache of disk1.raw, which must not serve it after.
mkdir late
cp bad/disk1.vmdk bad/disk2.vmdk late/
truncate -s 1G late/big.iso
(cd late && vm_ovf big.iso > vm.ovf && ovftool_mf SHA1 big.iso vm.ovf > vm.mf)
grep disk good/vm.mf >> late/vm.mf
v2vfs_start log4l --verify=strict late/vm.ovf mnt4l
dd if=mnt4l/disks/disk1.raw of=/dev/null bs=1M status=none ||
    fail "4, late: the pass reached disk1 before the first read"
IFS= read -r line < mnt4l/verify.status
[[ $line == pending:* ]] || fail "4, late: the pass ended before the first read was done"
wait_verified mnt4l
expect_status "4, late" mnt4l "mismatch: 1 problem with vm.mf" "$bad_sha1"
refused_read "4, late" mnt4l/disks/disk1.raw
v2vfs_stop mnt4l "$v2vfs_pid" || fail "4, late: the daemon exited with $?"
no_sanitizer_report log4l

# 5. A line for a file the OVA lacks, a member with no line.
mkdir missing
cp good/vm.ovf good/disk1.vmdk good/disk2.vmdk missing/
echo notes > missing/notes.txt
(cd missing && { ovftool_mf SHA256 vm.ovf disk1.vmdk disk2.vmdk &&
                 echo "SHA256(gone.iso)= $(printf '%064d' 0)"; } > vm.mf)
pack missing missing.ova vm.ovf vm.mf disk1.vmdk disk2.vmdk notes.txt
v2vfs_mount missing.ova mnt5
verify_says mnt5 1 "mismatch: 2 problems with vm.mf" \
    "gone.iso: missing: vm.mf lists it, the package does not hold it" \
    "notes.txt: not listed in vm.mf"
v2vfs_unmount mnt5

# 6. A malformed line.
mkdir malformed
cp good/vm.ovf good/disk1.vmdk good/disk2.vmdk malformed/
(cd malformed && { ovftool_mf SHA1 vm.ovf && echo garbage &&
                   ovftool_mf SHA1 disk1.vmdk disk2.vmdk; } > vm.mf)
pack malformed malformed.ova vm.ovf vm.mf disk1.vmdk disk2.vmdk
v2vfs_mount malformed.ova mnt6
qemu_compare raw mnt6/disks/disk1.raw raw disk1.raw
verify_says mnt6 2 "error: vm.mf: line 2: not a digest line (ALGO(FILE)= HEX): 'garbage'"
v2vfs_unmount mnt6
v2vfs_start log6 -o verify=strict malformed.ova mnt6s
wait_verified mnt6s
refused_read "6, strict" mnt6s/disks/disk1.raw
v2vfs_stop mnt6s "$v2vfs_pid" || fail "6: the daemon exited with $?"
expect_lines log6 "^v2vfs: disks/disk1.raw: read refused by --verify=strict: disk1.vmdk is not covered: vm.mf does not parse$"

# 7. No manifest.
pack good plain.ova vm.ovf disk1.vmdk disk2.vmdk
mkdir mnt7
expect_refused "v2vfs: --verify: plain.ova has no manifest (.mf) to check against" \
    "$d/mnt7" good timeout 60 "$V2VFS" --verify plain.ova mnt7
expect_fail_exact "v2vfs: verify=lax: the only value verify takes is strict" \
    "$V2VFS" --verify=lax good.ova mnt7
v2vfs_mount plain.ova mnt7
[ ! -e mnt7/verify.status ] || fail "7: a verify.status without a manifest"
r=0
"$VERIFY" mnt7 > got.out 2> got.err || r=$?
[ "$r" -eq 2 ] && [ ! -s got.out ] &&
    [ "$(cat got.err)" = "v2vfs-verify: mnt7: the export has no manifest (.mf): there is nothing to check its files against" ] ||
    fail "7: v2vfs-verify on a mount with no manifest: $r: $(cat got.err got.out)"
v2vfs_unmount mnt7
r=0
"$VERIFY" good > got.out 2> got.err || r=$?
[ "$r" -eq 2 ] && [ "$(cat got.err)" = "v2vfs-verify: good: not a v2vfs mount" ] ||
    fail "7: v2vfs-verify on a directory: $r: $(cat got.err got.out)"

# 8. LIMIT_MANIFEST_BYTES, padded with blanks on the last line.
for over in 0 1; do
    mkdir limit$over
    cp good/vm.ovf good/vm.mf good/disk1.vmdk good/disk2.vmdk limit$over/
    truncate -s $(( (16 << 20) + over )) limit$over/vm.mf
    python3 -c 'import sys; f = open(sys.argv[1], "r+b"); n = f.seek(0, 2); f.seek(0); d = f.read().rstrip(b"\0"); f.seek(len(d)); f.write(b" " * (n - len(d)))' \
        limit$over/vm.mf
    pack limit$over limit$over.ova vm.ovf vm.mf disk1.vmdk disk2.vmdk
    v2vfs_mount limit$over.ova mnt8
    qemu_compare raw mnt8/disks/disk2.raw raw disk2.raw
    if [ "$over" = 0 ]; then
        verify_says mnt8 0 "ok: 3 files match vm.mf"
    else
        verify_says mnt8 2 "error: limit1.ova:vm.mf: manifest is 16777217 bytes, over the 16777216-byte limit"
    fi
    v2vfs_unmount mnt8
done

# 9. An unmount in the middle of a pass.
mkdir big
cp good/disk1.vmdk good/disk2.vmdk big/
truncate -s 16G big/big.iso
(cd big && vm_ovf big.iso > vm.ovf &&
     { ovftool_mf SHA1 vm.ovf disk1.vmdk disk2.vmdk &&
       echo "SHA1(big.iso)= $(printf '%040d' 0)"; } > vm.mf)
total=$(( $(stat -c %s big/vm.ovf) + $(stat -c %s big/disk1.vmdk) +
          $(stat -c %s big/disk2.vmdk) + (16 << 30) ))
v2vfs_start log9 --verify big/vm.ovf mnt9
for (( i = 0; i < 1200; i++ )); do
    IFS= read -r line < mnt9/verify.status
    # (0 of 0 while the sizes are taken)
    [[ $line =~ ^pending:\ ([0-9]+)\ of\ ($total|0)\ bytes\ hashed\ \(([0-9]+)%\)$ ]] ||
        fail "9: verify.status begins '$line'"
    [ "${BASH_REMATCH[1]}" -eq 0 ] || break
    sleep 0.1
done
echo "9: unmounting at '$line'"
start=$SECONDS
v2vfs_stop mnt9 "$v2vfs_pid" || fail "9: the daemon exited with $?"
echo "9: the daemon exited $(( SECONDS - start )) s after the unmount"
[ $(( SECONDS - start )) -lt 10 ] || fail "9: the daemon took $(( SECONDS - start )) s to exit"
! grep -q 'verify.status' log9 || fail "9: the pass was not cancelled: $(cat log9)"
no_sanitizer_report log9
