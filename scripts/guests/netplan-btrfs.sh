# shellcheck shell=bash
# vmware-netplan-btrfs: Debian 12 on ESXi with a btrfs root and two NICs,
# one configured by netplan and one by NetworkManager:
#   - the root is the subvolume @rootfs of a btrfs on /dev/sda1, named
#     /dev/sda1 in /etc/fstab and (GRUB_DISABLE_LINUX_UUID) on GRUB's lines;
#   - an initramfs with MODULES=list of VMware's drivers only: no virtio;
#   - NetworkManager: a keyfile for interface-name=ens160 with the static
#     address 192.168.50.10/24 (the first VmxNet3, 00:50:56:3a:00:31);
#   - netplan, networkd renderer: the second VmxNet3 (00:50:56:3a:00:32)
#     matched by macaddress and named ens192 by set-name, DHCP.
# Unfixed on virtio, the initramfs gives up waiting for /dev/sda1; fixed,
# ens160 must keep its name for NetworkManager's keyfile to apply.
# shellcheck disable=SC2034

guest_name=vmware-netplan-btrfs
guest_packages=(grub-pc btrfs-progs netplan.io network-manager)
guest_firmware=bios
guest_controller=pvscsi
guest_macs=(00:50:56:3a:00:31 00:50:56:3a:00:32)
guest_gib=3

guest_configure ()
{
    echo '/dev/sda1 / btrfs defaults,subvol=@rootfs 0 0' > "$root/etc/fstab"
    initramfs_modules_list vmw_pvscsi mptspi ahci sd_mod btrfs
    grub_defaults GRUB_DISABLE_LINUX_UUID=true
    printf '%s\n' '[connection]' 'id=ens160' \
        'uuid=4f8e2a61-7d3b-4c5e-9a1f-0b2c3d4e5f60' 'type=ethernet' \
        'interface-name=ens160' '' '[ipv4]' 'method=manual' \
        'address1=192.168.50.10/24' '' '[ipv6]' 'method=ignore' \
        > "$root/etc/NetworkManager/system-connections/ens160.nmconnection"
    chmod 600 "$root/etc/NetworkManager/system-connections/ens160.nmconnection"
    # NetworkManager leaves netplan's NIC alone, and makes no connection
    # of its own for it.
    printf '%s\n' '[main]' 'no-auto-default=*' '' '[keyfile]' \
        'unmanaged-devices=interface-name:ens192' \
        > "$root/etc/NetworkManager/conf.d/10-netplan-nic.conf"
    printf '%s\n' 'network:' '  version: 2' '  renderer: networkd' \
        '  ethernets:' '    uplink:' '      match:' \
        '        macaddress: "00:50:56:3a:00:32"' '      set-name: ens192' \
        '      dhcp4: true' > "$root/etc/netplan/50-vmware.yaml"
    chmod 600 "$root/etc/netplan/50-vmware.yaml"
}

guest_disk ()
{
    printf '%s\n' 'part-init /dev/sda mbr' 'part-add /dev/sda p 2048 -1' \
        'part-set-bootable /dev/sda 1 true' \
        'mkfs btrfs /dev/sda1' 'mount /dev/sda1 /' \
        'btrfs-subvolume-create /@rootfs' 'umount /' \
        'mount-options subvol=@rootfs /dev/sda1 /' \
        "tar-in $work/root.tar / xattrs:true" \
        'command "update-initramfs -u -k all"' \
        "$(grub_bios 1 /dev/sda1)"
}

guest_check ()
{
    grub_cfg_names /dev/sda1:/:subvol=@rootfs /boot/grub/grub.cfg 'root=/dev/sda1' 'rootflags=subvol=@rootfs'
}
