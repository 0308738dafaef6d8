#!/usr/bin/env bash
# The dracut guest from VMware's NVMe controller (scripts/mkguest
# dracut-nvme: a hostonly dracut initramfs without virtio_blk, the root
# and /boot named /dev/nvme0n1p2 and /dev/nvme0n1p1 in fstab, on GRUB's
# kernel lines and in device.map, LVM's devices file listing the PV of
# /srv by its NVMe WWID), end to end:
#   1. unfixed, on virtio-blk, it does not boot: dracut's systemd waits
#      for /dev/nvme0n1p2 with no time limit (the test gives up after a
#      minute of it);
#   2. v2vfs-fix: the NVMe names become UUIDs (fstab, grub.cfg,
#      device.map), the devices file goes (LVM scans), dracut rebuilds
#      the initramfs with virtio; the JSON report lists them;
#   3. v2vfs-boot boots the mount's domain.xml through libvirt: root,
#      /boot and the LVM volume on /srv mounted, root=UUID=..., ens192 up
#      with 00:50:56:3a:00:21;
#   4. a second run changes nothing; the OVA's sha256 is unchanged.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
source "$tests_srcdir/guests.sh"
guest_requires
mac=00:50:56:3a:00:21
guest_mount dracut-nvme

# 1.
guest_unfixed_on_virtio bios 'Job dev-nvme0n1p2\.device/start running \([1-9]min' 900

# 2.
guest_fix
expect_lines fix.out \
    '^    /etc/fstab  *line 1: /dev/nvme0n1p2 -> UUID=' \
    '^    /etc/fstab  *line 2: /dev/nvme0n1p1 -> UUID=' \
    '^    /etc/lvm/devices/system.devices ' \
    '^    /boot/initrd.img-[^ ]*  *regenerated' \
    "^    /etc/systemd/network/10-v2vfs-ens192.link  *created: NIC ens192 keeps its name as virtio-net (MAC $mac)\$"
guest_report_changes /etc/fstab /etc/lvm/devices/system.devices '/boot/initrd.img-.*' \
    /boot/grub/grub.cfg /boot/grub/device.map
uuid=$(sed -n 's/^  Root:      \/dev\/sda2 (UUID=\(.*\))$/\1/p' fix.out)
[ -n "$uuid" ] || fail "the report names no root UUID"

# 3.
guest_boot
guest_marker_has root=/dev/vda2 "cmdline-root=UUID=$uuid" "nic=ens192/$mac/*" \
    vmtools=absent 'mounted=/,/boot,/srv'
guest_nic_up ens192 "$mac" '10\.0\.2\.[0-9]+/24'
echo "booted on virtio-blk: $marker"

# 4.
guest_second_run
guest_unmount
