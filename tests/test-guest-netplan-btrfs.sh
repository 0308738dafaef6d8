#!/usr/bin/env bash
# The btrfs guest with netplan and NetworkManager (scripts/mkguest
# netplan-btrfs: root on the subvolume @rootfs of /dev/sda1, named so in
# fstab and on GRUB's lines, a pvscsi-only initramfs; NetworkManager's
# keyfile for interface-name=ens160 with 192.168.50.10/24; netplan naming
# the NIC with 00:50:56:3a:00:32 ens192 by match/set-name), end to end:
#   1. unfixed, on virtio-blk, it does not boot: its initramfs gives up;
#   2. v2vfs-fix: virtio in the initramfs, fstab and GRUB by UUID, ens160
#      kept on its MAC (NetworkManager's keyfile names it), netplan's
#      ens192 left to netplan; the JSON report lists them;
#   3. v2vfs-boot boots the mount's domain.xml through libvirt: root the
#      btrfs subvolume, ens160 up with its static address and ens192 up by
#      DHCP, each with its VMware MAC;
#   4. a second run changes nothing; the OVA's sha256 is unchanged.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
source "$tests_srcdir/guests.sh"
guest_requires
mac1=00:50:56:3a:00:31
mac2=00:50:56:3a:00:32
guest_mount netplan-btrfs

# 1.
guest_unfixed_on_virtio bios 'Gave up waiting for root|ALERT!' 900

# 2.
guest_fix
expect_lines fix.out \
    '^    /etc/fstab  *line 1: /dev/sda1 -> UUID=' \
    '^    /boot/initrd.img-[^ ]*  *regenerated: it holds virtio_blk now$' \
    "^    /etc/systemd/network/10-v2vfs-ens160.link  *created: NIC ens160 keeps its name as virtio-net (MAC $mac1)\$" \
    "^    NIC name: ens192: the guest's configuration binds it to its MAC, $mac2\$"
! grep -q 10-v2vfs-ens192.link fix.out || fail "netplan's ens192 got a .link file of the fix"
guest_report_changes /etc/fstab '/boot/initrd.img-.*' /etc/systemd/network/10-v2vfs-ens160.link
uuid=$(sed -n 's/^  Root:      .* (UUID=\(.*\))$/\1/p' fix.out)
[ -n "$uuid" ] || fail "the report names no root UUID"

# 3.
guest_boot
guest_marker_has 'root=/dev/vda1\[/@rootfs\]' "cmdline-root=UUID=$uuid" \
    "nic=ens160/$mac1/192.168.50.10/24" vmtools=absent
guest_nic_up ens160 "$mac1" '192\.168\.50\.10/24'
guest_nic_up ens192 "$mac2" '10\.0\.2\.[0-9]+/24'
echo "booted on virtio-blk: $marker"

# 4.
guest_second_run
guest_unmount
