#!/usr/bin/env bash
# v2vfs-fix on a phony guest of an NVMe VM with LVM's devices file
# (tests/mkphony.sh nvme-lvm), through a real mount and a real libguestfs
# appliance:
#   1. the guest's names /dev/nvme0n1pN, which libguestfs's inspection
#      does not resolve, still mount, and become UUID= in fstab, GRUB's
#      default, grub.cfg, menu.lst, the BLS entry, grubenv and
#      /etc/kernel/cmdline; device.map's (hd0) /dev/nvme0n1 is /dev/vda;
#   2. LVM: the devices file is removed, lvm.conf's filters on /dev/sd*
#      name /dev/vd*, and the initramfs is rebuilt for them although the
#      kernel has the virtio drivers built in: the stand-in dracut ran
#      once, with the expected arguments, and its "initramfs" holds the
#      new lvm.conf and no devices file;
#   3. the kernel is found by /usr/lib/modules/VERSION/vmlinuz alone;
#   4. the report times each part of the run, in order: the appliance's
#      launch, inspection, the read-only pass that plans, each step;
#   5. a second run has nothing left to do;
#   6. the OVA's sha256 never changes.
# Each file is read back and compared with the exact text written here.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img guestfish sfdisk mkfs.ext4 mkswap mkfs.vfat mcopy busybox python3 flock
requires_fuse
use_libguestfs
fix=$tests_builddir/../guestfix/v2vfs-fix
[ -x "$fix" ] || fail "$fix is not built"

d=$(tmpdir)
cd "$d"
mkdir nvme
"$tests_srcdir/mkphony.sh" nvme nvme-lvm
sum=$(sha256sum nvme/phony.ova)
raw=$d/mnt/disks/phony-disk1.raw

v2vfs_mount --overlay "$d/ovl" nvme/phony.ova mnt
grep -q '<os firmware="efi">' mnt/domain.xml || fail "the NVMe guest's domain.xml is not UEFI"
"$fix" mnt > fix.out 2> fix.err || fail "v2vfs-fix failed: $(cat fix.out fix.err)"
cat fix.out
expect_lines fix.out \
    '^  Kernels:   6.1.0-99-amd64$' \
    '^    /etc/lvm/devices/system.devices  *removed: its device IDs were VMware'"'"'s; LVM scans all devices$' \
    '^    /etc/lvm/lvm.conf  *line 4: filter "a|^/dev/sda.\*|" -> "a|^/dev/vda.\*|" (the disks are virtio now)$' \
    '^    /etc/lvm/lvm.conf  *line 6: global_filter "r|^/dev/sdb|" -> "r|^/dev/vdb|" (the disks are virtio now)$' \
    '^    /boot/initramfs-6.1.0-99-amd64.img  *regenerated: it holds the new LVM configuration$' \
    '^    /boot/grub/device.map  *line 1: (hd0) /dev/nvme0n1 -> /dev/vda$' \
    '^    /etc/fstab  *line 5: /dev/nvme0n1p1 -> UUID=3333-AAAA$' \
    '^  Result:    disks on virtio-blk, NICs virtio-net$'

# guest_files: every file the storage and boot steps edit, as it is now.
guest_files ()
{
    guestfish --ro --format=raw -a "$raw" -i <<'GF'
echo "== /etc/fstab"
cat /etc/fstab
echo "== /etc/lvm/lvm.conf"
cat /etc/lvm/lvm.conf
echo "== /etc/lvm/devices"
ls /etc/lvm/devices
echo "== /boot/initramfs-6.1.0-99-amd64.img"
cat /boot/initramfs-6.1.0-99-amd64.img
echo "== /var/log/phony-dracut.argv"
cat /var/log/phony-dracut.argv
echo "== /etc/default/grub"
cat /etc/default/grub
echo "== /boot/grub/grub.cfg"
cat /boot/grub/grub.cfg
echo "== /boot/grub/menu.lst"
cat /boot/grub/menu.lst
echo "== /boot/loader/entries/phony.conf"
cat /boot/loader/entries/phony.conf
echo "== /etc/kernel/cmdline"
cat /etc/kernel/cmdline
echo "== /boot/grub/grubenv"
filesize /boot/grub/grubenv
head-n 2 /boot/grub/grubenv
echo "== /boot/grub/device.map"
cat /boot/grub/device.map
GF
}
guest_files > files.got
cat > files.want <<'EOF'
== /etc/fstab
# /etc/fstab: static file system information.
UUID=11111111-2222-3333-4444-555555555555 / ext4 errors=remount-ro 0 1
UUID=22222222-3333-4444-5555-666666666666 none swap sw 0 0
/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0
UUID=3333-AAAA /boot/efi vfat umask=0077 0 1

== /etc/lvm/lvm.conf
# phony lvm.conf
devices {
	# filter = [ "a|.*|" ]
	filter = [ "a|^/dev/vda.*|", "r|.*|" ]
	global_filter = [
		"r|^/dev/vdb|",
		"a|.*|" ]
}

== /etc/lvm/devices
== /boot/initramfs-6.1.0-99-amd64.img
usr/lib/modules/6.1.0-99-amd64/kernel/drivers/scsi/vmw_pvscsi.ko.xz
etc/lvm/lvm.conf:	# filter = [ "a|.*|" ]
etc/lvm/lvm.conf:	filter = [ "a|^/dev/vda.*|", "r|.*|" ]
etc/lvm/lvm.conf:	global_filter = [

== /var/log/phony-dracut.argv
dracut -f /boot/initramfs-6.1.0-99-amd64.img 6.1.0-99-amd64

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

== /boot/loader/entries/phony.conf
title Phony
linux /vmlinuz-6.1.0-99-amd64
options root=UUID=11111111-2222-3333-4444-555555555555 ro resume=UUID=22222222-3333-4444-5555-666666666666

== /etc/kernel/cmdline
root=UUID=11111111-2222-3333-4444-555555555555 ro resume=UUID=22222222-3333-4444-5555-666666666666 rd.lvm.lv=phony/root

== /boot/grub/grubenv
1024
# GRUB Environment Block
kernelopts=root=UUID=11111111-2222-3333-4444-555555555555 ro 
== /boot/grub/device.map
(hd0)	/dev/vda

EOF
diff -u files.want files.got >&2 || fail "the NVMe guest's files differ from what the fix should write"
python3 - ovl/guestfix.json <<'EOF' || fail "the JSON report is not what the run did"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][-1]
assert run["status"] == "fixed" and run["os"]["kernels"] == ["6.1.0-99-amd64"], run
files = {c["file"] for c in run["changes"]}
for f in ["/etc/lvm/devices/system.devices", "/etc/lvm/lvm.conf", "/etc/fstab",
          "/boot/initramfs-6.1.0-99-amd64.img", "/boot/loader/entries/phony.conf",
          "/etc/kernel/cmdline", "/boot/grub/grubenv", "/boot/grub/device.map"]:
    assert f in files, (f, sorted(files))
names = [s["name"] for s in run["steps"]]
assert names == ["launch", "inspection", "plan", "packages", "tarball-tools", "leftovers",
                 "network", "storage", "initramfs", "bootloader-config", "boot-loader",
                 "selinux", "fstrim", "shutdown"], names
assert all(isinstance(s["seconds"], float) and s["seconds"] >= 0 for s in run["steps"]), run["steps"]
assert sum(s["seconds"] for s in run["steps"]) <= run["seconds"] + 0.5, run
EOF
echo "fixed: NVMe names, LVM's devices file and filters, the initramfs rebuilt for them"

"$fix" mnt > fix2.out 2> fix2.err || fail "second run: $(cat fix2.out fix2.err)"
grep -qx 'phony: nothing left to do, the guest is already fixed' fix2.out ||
    fail "the second run did something: $(cat fix2.out)"
guest_files > files.again
diff -u files.got files.again >&2 || fail "the second run changed guest files"
python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))["runs"][-1]["steps"]; n = [x["name"] for x in s]; assert n[:2] == ["launch", "inspection"] and "plan" not in n and n[-2:] == ["selinux", "shutdown"], n' \
    ovl/guestfix.json || fail "the second run's steps"
v2vfs_unmount mnt
echo "second run: nothing left to do"

[ "$(sha256sum nvme/phony.ova)" = "$sum" ] || fail "the OVA changed"
echo "the OVA's sha256 is unchanged"
