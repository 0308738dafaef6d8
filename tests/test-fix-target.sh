#!/usr/bin/env bash
# The cutover workflow on copies of the phony guest's disk
# (tests/mkphony.sh), made from a read-only mount with qemu-img convert:
#   1. the arguments v2vfs-fix and v2vfs-boot refuse, each with one
#      exact line and nothing written: a count that is not the domain's,
#      --domain-xml without -a, -a without --domain-xml, -a with a
#      MOUNTPOINT, a target that does not exist, one disk given twice;
#   2. v2vfs-fix -a target.raw --domain-xml mnt/domain.xml --output-xml
#      t.xml: exit 0; the guest in target.raw is fixed as
#      test-fix-phony.sh's step 3 expects (fstab by UUID, the modprobe
#      aliases and the module list, device.map); t.xml validates and names
#      target.raw (absolute, raw) on virtio, the NICs virtio; a second
#      run has nothing to do and changes no byte of the target;
#   3. the same for target.qcow2, after a --dry-run that changes no byte
#      and writes no t.xml: qemu-img check is clean afterwards, t.xml says
#      qcow2;
#   4. v2vfs-boot --print-xml (no libvirt) puts the throwaway layers over
#      the targets: --domain-xml t.xml, and --domain-xml mnt/domain.xml
#      with -a, each backing format as detected; the layers are gone at
#      exit and the targets unchanged;
#   5. the OVA's and the mount's raw view's sha256 never change.
# tests/test-boot-target.sh boots a target for real.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img guestfish sfdisk mkfs.ext4 mkswap busybox python3 virt-xml-validate
requires_fuse
use_libguestfs
fix=$tests_builddir/../guestfix/v2vfs-fix
boot=$tests_builddir/../fs/v2vfs-boot
[ -x "$fix" ] || fail "$fix is not built"
[ -x "$boot" ] || fail "$boot is not built"

d=$(tmpdir)
cd "$d"
mkdir ok
"$tests_srcdir/mkphony.sh" ok
ova_sum=$(sha_of ok/phony.ova)
v2vfs_mount ok/phony.ova "$d/mnt"
view_sum=$(sha_of mnt/disks/phony-disk1.raw)
qemu-img convert -f raw -O raw mnt/disks/phony-disk1.raw target.raw
qemu-img convert -f raw -O qcow2 mnt/disks/phony-disk1.raw target.qcow2
raw_sum=$(sha_of target.raw)
qcow2_sum=$(sha_of target.qcow2)

# 1. Refused arguments.
expect_fail_exact "v2vfs-fix: mnt/domain.xml has 1 disk, but -a gave 2 targets" \
    "$fix" -a target.raw -a target.qcow2 --domain-xml mnt/domain.xml
expect_fail_exact "v2vfs-fix: --domain-xml goes with -a TARGET: a mount has its own domain.xml" \
    "$fix" --domain-xml mnt/domain.xml mnt
expect_fail_exact "v2vfs-fix: -a needs --domain-xml FILE, the mount's domain.xml: it names the VM, its firmware and its NICs' MACs" \
    "$fix" -a target.raw
expect_fail_exact "v2vfs-fix: -a fixes disks that are not a mount: give -a TARGET or a MOUNTPOINT, not both" \
    "$fix" -a target.raw --domain-xml mnt/domain.xml mnt
expect_fail_exact "v2vfs-fix: -a missing.raw: No such file or directory" \
    "$fix" -a missing.raw --domain-xml mnt/domain.xml
expect_fail_exact "v2vfs-fix: -a $d/ok/../target.raw: the same disk as -a target.raw" \
    "$fix" -a target.raw -a "$d/ok/../target.raw" --domain-xml mnt/domain.xml
expect_fail_exact "v2vfs-boot: mnt/domain.xml has 1 disk, but -a gave 2 targets" \
    "$boot" --print-xml --domain-xml mnt/domain.xml -a target.raw -a target.qcow2
expect_fail_exact "v2vfs-boot: -a needs --domain-xml FILE: the targets replace its disks" \
    "$boot" --print-xml -a target.raw mnt
expect_fail_exact "v2vfs-boot: --domain-xml FILE boots FILE: give it or a MOUNTPOINT, not both" \
    "$boot" --print-xml --domain-xml mnt/domain.xml mnt
expect_fail_exact "v2vfs-boot: -a missing.raw: No such file or directory" \
    "$boot" --print-xml --domain-xml mnt/domain.xml -a missing.raw
[ "$(sha_of target.raw)" = "$raw_sum" ] && [ "$(sha_of target.qcow2)" = "$qcow2_sum" ] ||
    fail "a refused run changed a target"
[ ! -e t.xml ] || fail "a refused run wrote t.xml"
echo "refused: a count mismatch, --domain-xml without -a, -a without --domain-xml, -a with a mount, a missing target, a disk twice"

# guest_files FORMAT IMAGE: the decisive files the fix edits.
guest_files ()
{
    guestfish --ro --format="$1" -a "$2" -m /dev/sda1 <<'GF'
echo "== /etc/fstab"
cat /etc/fstab
echo "== /etc/modprobe.d/vmware.conf"
cat /etc/modprobe.d/vmware.conf
echo "== /etc/modules"
cat /etc/modules
echo "== /boot/grub/device.map"
cat /boot/grub/device.map
GF
}
cat > files.want <<'EOF'
== /etc/fstab
# /etc/fstab: static file system information.
UUID=11111111-2222-3333-4444-555555555555 / ext4 errors=remount-ro 0 1
UUID=22222222-3333-4444-5555-666666666666 none swap sw 0 0
/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0

== /etc/modprobe.d/vmware.conf
alias eth0 virtio_net
alias scsi_hostadapter virtio_blk

== /etc/modules
# modules to load at boot
loop
# v2vfs-fix (a VMware driver): vmw_balloon

== /boot/grub/device.map
(hd0)	/dev/vda

EOF

# check_xml XML TARGET FORMAT: XML validates and boots TARGET (FORMAT) on
# virtio-blk, with virtio-net NICs.
check_xml ()
{
    virt-xml-validate "$1" domain > validate.out 2>&1 || fail "$1 does not validate: $(cat validate.out "$1")"
    python3 - "$@" <<'EOF' || fail "$1 is not the fixed targets' domain: $(cat "$1")"
import sys, xml.etree.ElementTree as ET
dom = ET.parse(sys.argv[1]).getroot()
disks = dom.findall("devices/disk[@device='disk']")
assert len(disks) == 1, disks
d = disks[0]
assert d.get("type") == "file", d.attrib
assert d.find("source").attrib == {"file": sys.argv[2]}, d.find("source").attrib
assert d.find("driver").get("type") == sys.argv[3], d.find("driver").attrib
assert d.find("target").attrib == {"dev": "vda", "bus": "virtio"}, d.find("target").attrib
assert d.find("backingStore") is None
models = [i.find("model").get("type") for i in dom.findall("devices/interface")]
assert models == ["virtio", "virtio"], models
assert dom.find("name").text == "phony"
EOF
}

# fix_target FORMAT IMAGE: steps 2 and 3.
fix_target ()
{
    local fmt=$1 img=$2 sum
    "$fix" -a "$img" --domain-xml mnt/domain.xml --output-xml t.xml \
        > "fix-$fmt.out" 2> "fix-$fmt.err" ||
        fail "v2vfs-fix -a $img: $(cat "fix-$fmt.out" "fix-$fmt.err")"
    expect_lines "fix-$fmt.out" '^phony: fixed$' \
        '^  Result:    disks on virtio-blk, NICs virtio-net$'
    grep -q "\] the fixed targets' domain written to t.xml\$" "fix-$fmt.err" ||
        fail "no line for t.xml: $(cat "fix-$fmt.err")"
    guest_files "$fmt" "$img" > "files-$fmt.got"
    diff -u files.want "files-$fmt.got" >&2 || fail "the guest in $img is not fixed as it should be"
    check_xml t.xml "$d/$img" "$fmt"
    cp t.xml "t-$fmt.xml"
    sum=$(sha_of "$img")
    "$fix" -a "$img" --domain-xml mnt/domain.xml --output-xml t.xml \
        > "fix2-$fmt.out" 2> "fix2-$fmt.err" ||
        fail "second run on $img: $(cat "fix2-$fmt.out" "fix2-$fmt.err")"
    grep -qx 'phony: nothing left to do, the guest is already fixed' "fix2-$fmt.out" ||
        fail "the second run on $img did something: $(cat "fix2-$fmt.out")"
    [ "$(sha_of "$img")" = "$sum" ] || fail "the second run changed $img"
    cmp -s t.xml "t-$fmt.xml" || fail "the second run wrote another t.xml"
    rm t.xml
}

# 2. target.raw.
fix_target raw target.raw
echo "target.raw: fixed in place, t.xml virtio on $d/target.raw; a second run changed nothing"

# 3. target.qcow2: a dry run first.
"$fix" --dry-run -a target.qcow2 --domain-xml mnt/domain.xml --output-xml t.xml \
    > dry.out 2> dry.err || fail "dry run: $(cat dry.out dry.err)"
grep -qx 'phony: what v2vfs-fix would change (dry run)' dry.out || fail "dry run: $(cat dry.out)"
grep -q '\] t.xml not written: a dry run$' dry.err || fail "dry run: $(cat dry.err)"
[ "$(sha_of target.qcow2)" = "$qcow2_sum" ] || fail "the dry run changed target.qcow2"
[ ! -e t.xml ] || fail "the dry run wrote t.xml"
fix_target qcow2 target.qcow2
qemu-img check -q target.qcow2 || fail "qemu-img check target.qcow2 after the fix"
echo "target.qcow2: a dry run changed nothing; fixed in place, qemu-img check clean, t.xml qcow2"

# 4. v2vfs-boot's test domain over the targets, without libvirt.
chmod 0755 "$d"
# check_layers XML TARGET FORMAT: XML's disk is a layer in /var/tmp,
# backed by TARGET (FORMAT), and the layer is gone.
check_layers ()
{
    python3 - "$@" <<'EOF' || fail "$1: the layers are not over the targets: $(cat "$1")"
import os, re, sys, xml.etree.ElementTree as ET
dom = ET.parse(sys.argv[1]).getroot()
disks = dom.findall("devices/disk[@device='disk']")
assert len(disks) == 1, disks
d = disks[0]
layer = d.find("source").get("file")
assert layer.startswith("/var/tmp/v2vfs-boot.") and not os.path.exists(layer), layer
assert d.find("driver").get("type") == "qcow2", d.find("driver").attrib
bs = d.find("backingStore")
assert bs.get("type") == "file" and bs.find("format").get("type") == sys.argv[3], ET.tostring(bs)
assert bs.find("source").get("file") == sys.argv[2], ET.tostring(bs)
assert re.fullmatch(r"phony-v2vfs-boot-[0-9]+", dom.find("name").text), dom.find("name").text
EOF
}
"$boot" --print-xml --domain-xml t-raw.xml > boot-raw.xml || fail "v2vfs-boot --print-xml --domain-xml t-raw.xml"
check_layers boot-raw.xml "$d/target.raw" raw
"$boot" --print-xml --domain-xml mnt/domain.xml -a target.qcow2 > boot-qcow2.xml ||
    fail "v2vfs-boot --print-xml --domain-xml mnt/domain.xml -a target.qcow2"
check_layers boot-qcow2.xml "$d/target.qcow2" qcow2
sum=$(sha_of target.raw)
"$boot" --print-xml --domain-xml t-qcow2.xml -a target.raw > boot-both.xml ||
    fail "v2vfs-boot --print-xml --domain-xml t-qcow2.xml -a target.raw"
check_layers boot-both.xml "$d/target.raw" raw
[ "$(sha_of target.raw)" = "$sum" ] || fail "v2vfs-boot changed target.raw"
echo "v2vfs-boot --print-xml: layers backed by the targets (raw, qcow2), gone at exit"

# 5. The source and the view.
[ "$(sha_of ok/phony.ova)" = "$ova_sum" ] || fail "the OVA changed"
[ "$(sha_of mnt/disks/phony-disk1.raw)" = "$view_sum" ] || fail "the mount's raw view changed"
echo "the OVA's and the raw view's sha256 are unchanged"
