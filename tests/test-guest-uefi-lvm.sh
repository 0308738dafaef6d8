#!/usr/bin/env bash
# The UEFI + GPT + LVM guest (scripts/mkguest uefi-lvm: the ESP holds only
# EFI/debian/, root and swap on LVM with resume=, /boot and the ESP named
# /dev/sda2 and /dev/sda1 in fstab, a pvscsi-only initramfs), end to end:
#   1. unfixed, on virtio-blk under OVMF with a new variable store (a new
#      KVM VM's), it does not boot: no boot entry, no fallback loader;
#   2. v2vfs-fix: the fallback loader EFI/BOOT/BOOTX64.EFI on the ESP,
#      virtio in the initramfs, fstab by UUID; the JSON report lists them;
#   3. v2vfs-boot boots the mount's domain.xml (firmware efi) under OVMF
#      through libvirt: the marker shows root on LVM, /boot and /boot/efi
#      mounted, swap on, ens192 up with 00:50:56:3a:00:11 and an address;
#   4. a second run changes nothing; the OVA's sha256 is unchanged.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
source "$tests_srcdir/guests.sh"
guest_requires
[ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "no /usr/share/OVMF/OVMF_CODE_4M.fd (Debian's ovmf)"
mac=00:50:56:3a:00:11
guest_mount uefi-lvm

# 1.
guest_unfixed_on_virtio efi 'No bootable option|failed to load Boot|Shell>' 600

# 2.
guest_fix
expect_lines fix.out \
    '^    /boot/efi/EFI/BOOT/BOOTX64.EFI ' \
    '^    /etc/initramfs-tools/modules  *added virtio_blk ' \
    '^    /etc/fstab  *line 2: /dev/sda2 -> UUID=' \
    '^    /etc/fstab  *line 3: /dev/sda1 -> UUID=' \
    "^    /etc/systemd/network/10-v2vfs-ens192.link  *created: NIC ens192 keeps its name as virtio-net (MAC $mac)\$"
guest_report_changes /etc/fstab '/boot/initrd.img-.*' '/boot/efi/EFI/BOOT/BOOTX64.EFI'
grep -q '<os firmware="efi">' mnt/domain.xml || fail "domain.xml is not UEFI: $(cat mnt/domain.xml)"

# 3.
guest_boot
guest_marker_has root=/dev/mapper/vmvg-root cmdline-root=/dev/mapper/vmvg-root \
    "nic=ens192/$mac/*" vmtools=absent 'mounted=/,/boot,/boot/efi' 'swap=/dev/dm-*'
guest_nic_up ens192 "$mac" '10\.0\.2\.[0-9]+/24'
echo "booted under OVMF on virtio-blk: $marker"

# 4.
guest_second_run
guest_unmount
