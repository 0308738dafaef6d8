#!/usr/bin/env bash
# v2vfs-fix on a phony VMware guest (tests/mkphony.sh: the files a fix
# reads and edits, no bootable system), through a real mount and a real
# libguestfs appliance:
#   1. a mount without --overlay is refused with one exact line;
#   2. --dry-run lists what would change and changes nothing: no overlay
#      byte, no report, domain.xml still SATA;
#   3. the fix: exit 0; every edit is in the guest exactly as expected
#      (fstab, GRUB's default, grub.cfg, menu.lst, device.map, modprobe,
#      the module list, xorg.conf, the persistent-net rule, a .link file
#      per NIC by MAC, /.autorelabel), VMware's tarball tools are gone
#      after their uninstaller failed; the JSON report says what changed;
#      domain.xml switches to virtio at once and validates;
#   4. a second run has nothing left to do and changes no guest file;
#   5. after a remount domain.xml is still virtio; --discard-overlay takes
#      the report with the writes, and domain.xml is SATA again; a report
#      that is not one makes the mount fail with one exact line;
#   6. a guest whose kernel has no virtio_blk is refused before any
#      change: one exact error line, exit 1, the overlay's disk untouched,
#      a failed run in the report, domain.xml still SATA;
#   7. the UEFI guest with dracut (mkphony.sh efi-dracut): the fallback
#      loader EFI/BOOT/BOOTX64.EFI is the guest's shim, with its GRUB,
#      MokManager and grub.cfg beside it; a dracut drop-in adds the virtio
#      drivers and the initramfs is rebuilt with them and read back; the
#      BLS entry and the 1024-byte grubenv name root by UUID; fstab names
#      the ESP by its vfat UUID; a second run has nothing to do;
#   8. the OVAs' sha256 never change.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img guestfish sfdisk mkfs.ext4 mkswap mkfs.vfat mcopy busybox python3 virt-xml-validate getfattr flock
requires_fuse
use_libguestfs
fix=$tests_builddir/../guestfix/v2vfs-fix
[ -x "$fix" ] || fail "$fix is not built"

d=$(tmpdir)
cd "$d"
mkdir ok bad efi
"$tests_srcdir/mkphony.sh" ok
"$tests_srcdir/mkphony.sh" bad novirtio
"$tests_srcdir/mkphony.sh" efi efi-dracut
sums=$(sha256sum ok/phony.ova bad/phony.ova efi/phony.ova)
raw=$d/mnt/disks/phony-disk1.raw

# guest_files: the files the fix edits, as the guest has them now.
guest_files ()
{
    guestfish --ro --format=raw -a "$raw" -m /dev/sda1 <<'GF'
echo "== /etc/fstab"
cat /etc/fstab
echo "== /etc/default/grub"
cat /etc/default/grub
echo "== /boot/grub/grub.cfg"
cat /boot/grub/grub.cfg
echo "== /boot/grub/menu.lst"
cat /boot/grub/menu.lst
echo "== /boot/grub/device.map"
cat /boot/grub/device.map
echo "== /etc/modprobe.d/vmware.conf"
cat /etc/modprobe.d/vmware.conf
echo "== /etc/modules"
cat /etc/modules
echo "== /etc/X11/xorg.conf"
cat /etc/X11/xorg.conf
echo "== /etc/udev/rules.d/70-persistent-net.rules"
cat /etc/udev/rules.d/70-persistent-net.rules
echo "== /etc/systemd/network"
ls /etc/systemd/network
echo "== 10-v2vfs-eth0.link"
cat /etc/systemd/network/10-v2vfs-eth0.link
echo "== 10-v2vfs-ens224.link"
cat /etc/systemd/network/10-v2vfs-ens224.link
echo "== what is left of VMware Tools"
exists /etc/vmware-tools
exists /usr/lib/vmware-tools
exists /usr/bin/vmware-toolbox-cmd
exists /usr/bin/vmware-uninstall-tools.pl
exists /etc/init.d/vmware-tools
exists /etc/rc2.d/S02vmware-tools
exists /etc/systemd/system/vmware-tools.service
echo "== /.autorelabel"
exists /.autorelabel
GF
}

# 1. No overlay.
v2vfs_mount ok/phony.ova mnt
expect_fail_exact "v2vfs-fix: $d/mnt: the mount has no overlay: v2vfs-fix writes its changes only into one; mount again with v2vfs --overlay DIR (or look first with --dry-run)" \
    "$fix" "$d/mnt"
v2vfs_unmount mnt
echo "no overlay: refused"

# 2. A dry run.
v2vfs_mount --overlay "$d/ovl" ok/phony.ova mnt
before=$(tree_sums ovl)
"$fix" --dry-run mnt > dry.out 2> dry.err || fail "dry run: $(cat dry.err)"
grep -qx 'phony: what v2vfs-fix would change (dry run)' dry.out || fail "dry run: $(cat dry.out)"
grep -q '^    /etc/fstab  *line 2: /dev/sda1 -> UUID=11111111-2222-3333-4444-555555555555$' dry.out ||
    fail "dry run does not list the fstab change: $(cat dry.out)"
[ "$(tree_sums ovl)" = "$before" ] || fail "the dry run wrote to the overlay"
[ ! -e ovl/guestfix.json ] || fail "the dry run wrote a report"
grep -q 'bus="sata"' mnt/domain.xml || fail "domain.xml changed on a dry run"
echo "dry run: $(grep -c '^    /' dry.out) changes listed, overlay unchanged"

# 3. The fix.
report=$(getfattr --only-values -n user.v2vfs.fix-report mnt/domain.xml)
[ "$report" = "$d/ovl/guestfix.json" ] || fail "domain.xml's report attribute is '$report'"
"$fix" mnt > fix.out 2> fix.err || fail "v2vfs-fix failed: $(cat fix.out fix.err)"
cat fix.out
grep -q '\] report written to '"$d"'/ovl/guestfix.json$' fix.err || fail "no report line: $(cat fix.err)"
guest_files > files.got
cat > files.want <<'EOF'
== /etc/fstab
# /etc/fstab: static file system information.
UUID=11111111-2222-3333-4444-555555555555 / ext4 errors=remount-ro 0 1
UUID=22222222-3333-4444-5555-666666666666 none swap sw 0 0
/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0

== /etc/default/grub
GRUB_DEFAULT=0
GRUB_DISABLE_LINUX_UUID=false
GRUB_CMDLINE_LINUX="console=ttyS0 resume=UUID=22222222-3333-4444-5555-666666666666"

== /boot/grub/grub.cfg
menuentry 'Debian GNU/Linux' {
	linux	/boot/vmlinuz-6.1.0-99-amd64 root=UUID=11111111-2222-3333-4444-555555555555 ro console=ttyS0 resume=UUID=22222222-3333-4444-5555-666666666666
	initrd	/boot/initrd.img-6.1.0-99-amd64
}

== /boot/grub/menu.lst
# kopt=root=UUID=11111111-2222-3333-4444-555555555555 ro
title Debian
root (hd0,0)
kernel /boot/vmlinuz-6.1.0-99-amd64 root=UUID=11111111-2222-3333-4444-555555555555 ro

== /boot/grub/device.map
(hd0)	/dev/vda

== /etc/modprobe.d/vmware.conf
alias eth0 virtio_net
alias scsi_hostadapter virtio_blk

== /etc/modules
# modules to load at boot
loop
# v2vfs-fix (a VMware driver): vmw_balloon

== /etc/X11/xorg.conf
Section "Device"
	Identifier "VMware SVGA"
	Driver "modesetting"
EndSection

== /etc/udev/rules.d/70-persistent-net.rules
# generated by udev
# v2vfs-fix (named by a .link file now): SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:3a:00:02", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"

== /etc/systemd/network
10-v2vfs-ens224.link
10-v2vfs-eth0.link
== 10-v2vfs-eth0.link
# Written by v2vfs-fix: this NIC keeps the name it had on VMware
# now that it is virtio-net, so its configuration still applies.
[Match]
MACAddress=00:50:56:3a:00:02

[Link]
Name=eth0

== 10-v2vfs-ens224.link
# Written by v2vfs-fix: this NIC keeps the name it had on VMware
# now that it is virtio-net, so its configuration still applies.
[Match]
MACAddress=00:50:56:3a:00:01

[Link]
Name=ens224

== what is left of VMware Tools
false
false
false
false
false
false
false
== /.autorelabel
true
EOF
diff -u files.want files.got >&2 || fail "the guest's files differ from what the fix should write"
python3 - ovl/guestfix.json <<'EOF' || fail "the JSON report is not what the run did"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["format"] == "v2vfs-fix report 1" and j["vm"] == "phony", j
assert j["result"] == {"disk_bus": "virtio", "nic_model": "virtio"}, j["result"]
assert len(j["runs"]) == 1, j["runs"]
run = j["runs"][0]
assert run["status"] == "fixed" and run["os"]["distro"] == "debian", run
assert run["os"]["root_name"] == "UUID=11111111-2222-3333-4444-555555555555", run["os"]
assert run["os"]["kernels"] == ["6.1.0-99-amd64"], run["os"]
files = {c["file"] for c in run["changes"]}
for f in ["/etc/fstab", "/etc/default/grub", "/boot/grub/grub.cfg", "/boot/grub/menu.lst",
          "/boot/grub/device.map", "/etc/modprobe.d/vmware.conf", "/etc/modules",
          "/etc/X11/xorg.conf", "/etc/udev/rules.d/70-persistent-net.rules",
          "/etc/systemd/network/10-v2vfs-eth0.link",
          "/etc/systemd/network/10-v2vfs-ens224.link", "/.autorelabel"]:
    assert f in files, (f, sorted(files))
removed = {r["name"] for r in run["removed"]}
assert "/usr/bin/vmware-toolbox-cmd" in removed and "/etc/vmware-tools/" in removed, removed
assert any("vmware-uninstall-tools.pl failed" in w for w in run["warnings"]), run["warnings"]
assert run["result"] == j["result"]
print("report: %d changes in %d files, %d removed, %d skipped, %d warnings" %
      (len(run["changes"]), len(files), len(run["removed"]), len(run["skipped"]),
       len(run["warnings"])))
EOF
[ "$(grep -c 'bus="virtio"' mnt/domain.xml)" -eq 1 ] &&
    [ "$(grep -c '<model type="virtio"/>' mnt/domain.xml)" -eq 2 ] ||
    fail "domain.xml is not virtio after the fix: $(cat mnt/domain.xml)"
virt-xml-validate mnt/domain.xml domain > /dev/null || fail "the fixed domain.xml does not validate"
cp mnt/domain.xml domain.fixed
echo "fixed: guest files as expected, domain.xml virtio-blk and virtio-net"

# 4. Again: nothing left to do.
"$fix" mnt > fix2.out 2> fix2.err || fail "second run: $(cat fix2.out fix2.err)"
grep -qx 'phony: nothing left to do, the guest is already fixed' fix2.out ||
    fail "the second run did something: $(cat fix2.out)"
guest_files > files.again
diff -u files.got files.again >&2 || fail "the second run changed guest files"
cmp -s domain.fixed mnt/domain.xml || fail "the second run changed domain.xml"
python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["runs"]; assert [x["status"] for x in r] == ["fixed", "nothing to do"] and r[1]["changes"] == [] and r[1]["removed"] == [], r' \
    ovl/guestfix.json || fail "the report does not show two runs"
echo "second run: nothing left to do"

# 5. Remount, then discard.
v2vfs_unmount mnt
v2vfs_mount --overlay "$d/ovl" ok/phony.ova mnt
cmp -s domain.fixed mnt/domain.xml || fail "domain.xml is not virtio after a remount"
v2vfs_unmount mnt
"$V2VFS" --overlay "$d/ovl" --discard-overlay --yes > discard.out
[ ! -e ovl/guestfix.json ] || fail "--discard-overlay left the report"
v2vfs_mount --overlay "$d/ovl" ok/phony.ova mnt
grep -q 'bus="sata"' mnt/domain.xml || fail "domain.xml is not SATA after the discard"
v2vfs_unmount mnt
echo "remount: still virtio; $(cat discard.out); domain.xml SATA again"

# A report that is not one: the mount refuses it, naming the file and the
# offset, and mounts nothing.
printf '{"format": "v2vfs-fix report 1", "result": {"disk_bus": "ide", "nic_model": "virtio"}}\n' \
    > ovl/guestfix.json
expect_refused "v2vfs: $d/ovl/guestfix.json: result.disk_bus is \"ide\", not \"virtio\", \"virtio-scsi\" or \"sata\"" \
    "$d/mnt" ok timeout 60 "$V2VFS" --overlay "$d/ovl" ok/phony.ova "$d/mnt"
printf '{"format": "v2vfs-fix report 1", "result": {' > ovl/guestfix.json
expect_refused "v2vfs: $d/ovl/guestfix.json: JSON at offset 44: expected a key" \
    "$d/mnt" ok timeout 60 "$V2VFS" --overlay "$d/ovl" ok/phony.ova "$d/mnt"
rm ovl/guestfix.json
echo "a broken report: the mount is refused"

# 6. A kernel without virtio_blk.
v2vfs_mount --overlay "$d/ovl2" bad/phony.ova mnt
disk_before=$(tree_sums ovl2)
r=0
"$fix" mnt > bad.out 2> bad.err || r=$?
[ "$r" -eq 1 ] || fail "v2vfs-fix exited $r on a kernel without virtio"
msg="kernel 6.1.0-99-amd64 has no virtio_blk driver (neither a module nor built in): it cannot boot from a virtio disk, so nothing was changed"
[ "$(tail -n 1 bad.err)" = "v2vfs-fix: $msg" ] || fail "error line: $(tail -n 1 bad.err)"
grep -qxF "  Error:     $msg" bad.out || fail "the report does not say why: $(cat bad.out)"
[ "$(tree_sums ovl2 | grep -v guestfix.json)" = "$disk_before" ] ||
    fail "a refused fix changed the overlay's disk"
python3 -c 'import json,sys; j = json.load(open(sys.argv[1])); assert j["result"] == {"disk_bus": "sata", "nic_model": "e1000"} and j["runs"][0]["status"] == "failed", j' \
    ovl2/guestfix.json || fail "the report of the refused fix"
grep -q 'bus="sata"' mnt/domain.xml || fail "domain.xml changed on a refused fix"
v2vfs_unmount mnt
echo "no virtio_blk: refused, nothing changed"

# 7. UEFI and dracut.
v2vfs_mount --overlay "$d/ovl3" efi/phony.ova mnt
grep -q '<os firmware="efi">' mnt/domain.xml || fail "the UEFI guest's domain.xml is not UEFI"
"$fix" mnt > efi.out 2> efi.err || fail "v2vfs-fix on the UEFI guest: $(cat efi.out efi.err)"
expect_lines efi.out \
    '^    /boot/efi/EFI/BOOT/BOOTX64.EFI  *copied from /boot/efi/EFI/debian/shimx64.efi$' \
    '^    /boot/efi/EFI/BOOT/grubx64.efi  *copied from /boot/efi/EFI/debian/grubx64.efi$' \
    '^    /etc/dracut.conf.d/v2vfs-virtio.conf  *created: add_drivers for a virtio root disk$' \
    '^    /boot/initramfs-6.1.0-99-amd64.img  *regenerated: it holds virtio_blk now$' \
    '^    /boot/grub/grubenv  *line 2: root=/dev/sda2 -> root=UUID=' \
    '^  Result:    disks on virtio-blk, NICs virtio-net$'
guestfish --ro --format=raw -a "$raw" -i <<'GF' > efi.got
echo "== EFI/BOOT"
ls /boot/efi/EFI/BOOT
cat /boot/efi/EFI/BOOT/BOOTX64.EFI
cat /boot/efi/EFI/BOOT/grubx64.efi
echo "== /etc/dracut.conf.d/v2vfs-virtio.conf"
cat /etc/dracut.conf.d/v2vfs-virtio.conf
echo "== /boot/initramfs-6.1.0-99-amd64.img"
cat /boot/initramfs-6.1.0-99-amd64.img
echo "== /boot/loader/entries/phony.conf"
cat /boot/loader/entries/phony.conf
echo "== grubenv"
filesize /boot/grub/grubenv
head-n 2 /boot/grub/grubenv
echo "== fstab"
cat /etc/fstab
GF
cat > efi.want <<'EOF'
== EFI/BOOT
BOOTX64.EFI
grub.cfg
grubx64.efi
mmx64.efi
the guest's shimx64

the guest's grubx64

== /etc/dracut.conf.d/v2vfs-virtio.conf
# Written by v2vfs-fix: the drivers of a virtio root disk.
add_drivers+=" virtio_pci virtio_blk virtio_scsi "

== /boot/initramfs-6.1.0-99-amd64.img
usr/lib/modules/6.1.0-99-amd64/kernel/drivers/scsi/vmw_pvscsi.ko.xz
usr/lib/modules/6.1.0-99-amd64/kernel/drivers/virtio_pci.ko.xz
usr/lib/modules/6.1.0-99-amd64/kernel/drivers/virtio_blk.ko.xz
usr/lib/modules/6.1.0-99-amd64/kernel/drivers/virtio_scsi.ko.xz

== /boot/loader/entries/phony.conf
title Phony
linux /vmlinuz-6.1.0-99-amd64
options root=UUID=11111111-2222-3333-4444-555555555555 ro resume=UUID=22222222-3333-4444-5555-666666666666

== grubenv
1024
# GRUB Environment Block
kernelopts=root=UUID=11111111-2222-3333-4444-555555555555 ro 
== fstab
# /etc/fstab: static file system information.
UUID=11111111-2222-3333-4444-555555555555 / ext4 errors=remount-ro 0 1
UUID=22222222-3333-4444-5555-666666666666 none swap sw 0 0
/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0
UUID=3333-AAAA /boot/efi vfat umask=0077 0 1

EOF
diff -u efi.want efi.got >&2 || fail "the UEFI guest's files differ from what the fix should write"
"$fix" mnt > efi2.out 2> efi2.err || fail "second run on the UEFI guest: $(cat efi2.out efi2.err)"
grep -qx 'phony: nothing left to do, the guest is already fixed' efi2.out ||
    fail "the second run on the UEFI guest did something: $(cat efi2.out)"
v2vfs_unmount mnt
echo "UEFI and dracut: fallback loader, dracut drop-in and initramfs, BLS and grubenv; then nothing left to do"

[ "$(sha256sum ok/phony.ova bad/phony.ova efi/phony.ova)" = "$sums" ] || fail "an OVA changed"
echo "the OVAs' sha256 are unchanged"
