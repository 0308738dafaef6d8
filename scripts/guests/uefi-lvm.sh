# shellcheck shell=bash
# vmware-uefi-lvm: Debian 12 as it ran on ESXi with UEFI, GPT and LVM:
#   - the ESP (/dev/sda1, vfat, on /boot/efi) holds only EFI/debian/: GRUB
#     was installed with its boot entry in VMware's NVRAM, which a new KVM
#     VM does not have, and no fallback EFI/BOOT/BOOTX64.EFI;
#   - a separate /boot (/dev/sda2, ext4); root and swap on LVM (vmvg/root,
#     vmvg/swap), resume= on the kernel command line and in
#     initramfs-tools' resume file;
#   - /etc/fstab names /boot and /boot/efi /dev/sda2 and /dev/sda1;
#   - an initramfs with MODULES=list of VMware's drivers only: no virtio;
#   - ifupdown configuring ens192 by DHCP; the OVF says firmware efi, with
#     a pvscsi controller and a VmxNet3 NIC, 00:50:56:3a:00:11.
# Unfixed on virtio, OVMF finds no boot entry and no fallback loader.
# shellcheck disable=SC2034

guest_name=vmware-uefi-lvm
guest_packages=(grub-efi-amd64 lvm2 ifupdown isc-dhcp-client)
guest_firmware=efi
guest_controller=pvscsi
guest_macs=(00:50:56:3a:00:11)
guest_gib=3
guest_cmdline='resume=/dev/mapper/vmvg-swap'

guest_configure ()
{
    printf '%s\n' '/dev/mapper/vmvg-root / ext4 errors=remount-ro 0 1' \
        '/dev/sda2 /boot ext4 defaults 0 2' \
        '/dev/sda1 /boot/efi vfat umask=0077 0 1' \
        '/dev/mapper/vmvg-swap none swap sw 0 0' > "$root/etc/fstab"
    echo 'RESUME=/dev/mapper/vmvg-swap' > "$root/etc/initramfs-tools/conf.d/resume"
    ifupdown_dhcp ens192
    initramfs_modules_list vmw_pvscsi mptspi ahci sd_mod ext4 dm_mod
    grub_defaults
    # The ESP is mounted over it in the appliance: vfat takes no owner.
    rmdir "$root/boot/efi" 2> /dev/null || true
}

# GPT: a 64 MiB ESP, a 256 MiB /boot, LVM on the rest.
guest_disk ()
{
    printf '%s\n' 'part-init /dev/sda gpt' \
        'part-add /dev/sda p 2048 133119' 'part-add /dev/sda p 133120 657407' \
        'part-add /dev/sda p 657408 -34' \
        'part-set-gpt-type /dev/sda 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B' \
        'part-set-gpt-type /dev/sda 3 E6D6D379-F507-44C2-A23C-238F2A3DF928' \
        'mkfs vfat /dev/sda1' 'mkfs ext4 /dev/sda2' \
        'pvcreate /dev/sda3' 'vgcreate vmvg /dev/sda3' \
        'lvcreate swap vmvg 256' 'lvcreate-free root vmvg 100' \
        'mkfs ext4 /dev/vmvg/root' 'mkswap /dev/vmvg/swap' \
        'mount /dev/vmvg/root /' 'mkdir /boot' 'mount /dev/sda2 /boot' \
        'mkdir /boot/efi' 'mount /dev/sda1 /boot/efi' \
        "tar-in $work/root.tar / xattrs:true" \
        'command "update-initramfs -u -k all"' \
        'command "grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian --no-nvram"' \
        'command "update-grub"'
}

guest_check ()
{
    local esp
    grub_cfg_names /dev/sda2 /grub/grub.cfg 'root=/dev/mapper/vmvg-root' 'resume=/dev/mapper/vmvg-swap'
    esp=$(guestfish --ro --format=raw -a "$work/disk.raw" -m /dev/sda1 find /) ||
        die "cannot list the ESP"
    grep -qx 'EFI/debian/grubx64.efi' <<<"$esp" || die "the ESP has no EFI/debian/grubx64.efi: $esp"
    ! grep -qi '^EFI/BOOT' <<<"$esp" || die "the ESP has a fallback loader: $esp"
}
