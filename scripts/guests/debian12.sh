# shellcheck shell=bash
# vmware-debian12: Debian 12 as it ran on ESXi, BIOS and MBR:
#   - one ext4 root, /dev/sda1, named so in /etc/fstab and, through
#     GRUB_DISABLE_LINUX_UUID, on GRUB's kernel lines;
#   - an initramfs built with MODULES=list holding only vmw_pvscsi,
#     mptspi, ahci, sd_mod and ext4 (and what they depend on): no virtio;
#   - ifupdown configuring ens192 (vmxnet3's name on ESXi) by DHCP;
#   - a pvscsi controller and a VmxNet3 NIC, 00:50:56:3a:00:01, in the OVF.
# Unfixed, on virtio-blk its initramfs gives up waiting for /dev/sda1.
# Sourced by scripts/mkguest, which documents the variables and functions.
# shellcheck disable=SC2034

guest_name=vmware-debian12
guest_packages=(grub-pc ifupdown isc-dhcp-client)
guest_firmware=bios
guest_controller=pvscsi
guest_macs=(00:50:56:3a:00:01)
guest_gib=3

guest_configure ()
{
    echo '/dev/sda1 / ext4 errors=remount-ro 0 1' > "$root/etc/fstab"
    ifupdown_dhcp ens192
    initramfs_modules_list vmw_pvscsi mptspi ahci sd_mod ext4
    grub_defaults GRUB_DISABLE_LINUX_UUID=true
}

# The partition starts at 1 MiB, as installers put it: GRUB embeds its
# core image in the gap before it, and the 64 KiB gap of part-disk is too
# small for bookworm's GRUB ("embedding is not possible").
guest_disk ()
{
    printf '%s\n' 'part-init /dev/sda mbr' 'part-add /dev/sda p 2048 -1' \
        'part-set-bootable /dev/sda 1 true' \
        'mkfs ext4 /dev/sda1' 'mount /dev/sda1 /' \
        "tar-in $work/root.tar / xattrs:true" \
        'command "update-initramfs -u -k all"' \
        "$(grub_bios 1 /dev/sda1)"
}

guest_check ()
{
    grub_cfg_names /dev/sda1 /boot/grub/grub.cfg 'root=/dev/sda1'
}
