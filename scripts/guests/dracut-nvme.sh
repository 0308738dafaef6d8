# shellcheck shell=bash
# vmware-dracut-nvme: Debian 12 with dracut, as a RHEL 9 guest runs on
# ESXi's NVMe controller:
#   - dracut, not initramfs-tools, hostonly (as RHEL makes it): built where
#     the disk was on another controller, it has no virtio_blk;
#   - /boot on /dev/nvme0n1p1, the root on /dev/nvme0n1p2, both ext4 and
#     named so in /etc/fstab, on GRUB's kernel lines (root=) and in GRUB's
#     device.map;
#   - LVM with RHEL 9's devices file: use_devicesfile = 1 and
#     /etc/lvm/devices/system.devices listing the PV (/dev/nvme0n1p3, which
#     holds data/srv on /srv) by the NVMe namespace's WWID; on virtio the
#     ID is another, LVM ignores the PV and /srv never comes;
#   - ifupdown configuring ens192 by DHCP; the OVF has an NVMe controller
#     and a VmxNet3 NIC, 00:50:56:3a:00:21.
# Unfixed on virtio, dracut waits for /dev/nvme0n1p2 until it gives up.
# shellcheck disable=SC2034

guest_name=vmware-dracut-nvme
guest_packages=(grub-pc dracut lvm2 ifupdown isc-dhcp-client)
guest_firmware=bios
guest_controller=nvme
guest_macs=(00:50:56:3a:00:21)
guest_gib=3

guest_configure ()
{
    printf '%s\n' '/dev/nvme0n1p2 / ext4 errors=remount-ro 0 1' \
        '/dev/nvme0n1p1 /boot ext4 defaults 0 2' \
        '/dev/data/srv /srv ext4 defaults 0 2' > "$root/etc/fstab"
    mkdir -p "$root/srv"
    ifupdown_dhcp ens192
    printf '%s\n' '# As RHEL makes it: only what this machine boots with.' \
        'hostonly="yes"' 'hostonly_cmdline="no"' \
        'add_drivers+=" nvme vmw_pvscsi "' > "$root/etc/dracut.conf.d/10-vmware.conf"
    sed -i 's/^\([[:space:]]*\)# use_devicesfile = 0$/\1use_devicesfile = 1/' "$root/etc/lvm/lvm.conf"
    grep -q '^[[:space:]]*use_devicesfile = 1$' "$root/etc/lvm/lvm.conf" ||
        die "lvm.conf has no use_devicesfile line to enable"
    mkdir -p "$root/boot/grub"
    printf '%s\n' '(hd0) /dev/nvme0n1' > "$root/boot/grub/device.map"
    grub_defaults GRUB_DISABLE_LINUX_UUID=true
}

# MBR: /boot 256 MiB, the root, and 128 MiB of LVM at the end; GRUB's
# lines get the NVMe names.
guest_disk ()
{
    printf '%s\n' 'part-init /dev/sda mbr' \
        'part-add /dev/sda p 2048 526335' 'part-add /dev/sda p 526336 6029311' \
        'part-add /dev/sda p 6029312 -1' 'part-set-bootable /dev/sda 1 true' \
        'mkfs ext4 /dev/sda1' 'mkfs ext4 /dev/sda2' \
        'pvcreate /dev/sda3' 'vgcreate data /dev/sda3' 'lvcreate-free srv data 100' \
        'mkfs ext4 /dev/data/srv' \
        'mount /dev/sda2 /' 'mkdir /boot' 'mount /dev/sda1 /boot' \
        "tar-in $work/root.tar / xattrs:true" \
        'command "dracut --force --regenerate-all"' \
        "$(grub_bios 2 /dev/nvme0n1p2)"
}

# The devices file, as lvmdevices writes it on the VM: the PV by the NVMe
# namespace's WWID and name.  (Debian has no lvmdevices link, and `lvm
# lvmdevices` in the appliance's chroot finds no devices at times.)
guest_after_disk ()
{
    local pvid
    pvid=$(guestfish --ro --format=raw -a "$work/disk.raw" run : pvuuid /dev/sda3) ||
        die "cannot read the PV's UUID"
    printf '%s\n' '# LVM uses devices listed in this file.' \
        '# Created by LVM command lvmdevices pid 1042 at Tue Mar  5 10:12:44 2024' \
        'VERSION=1.1.1' \
        "IDTYPE=sys_wwid IDNAME=eui.6000c29f3a2b4c5d8e9f00112233aabb DEVNAME=/dev/nvme0n1p3 PVID=${pvid//-/} PART=3" \
        > "$work/system.devices"
    guestfish --format=raw -a "$work/disk.raw" -m /dev/sda2 \
        mkdir-p /etc/lvm/devices : upload "$work/system.devices" /etc/lvm/devices/system.devices ||
        die "cannot write the devices file"
}

guest_check ()
{
    local devs
    grub_cfg_names /dev/sda1 /grub/grub.cfg 'root=/dev/nvme0n1p2'
    devs=$(guestfish --ro --format=raw -a "$work/disk.raw" -m /dev/sda2 \
               cat /etc/lvm/devices/system.devices) || die "no devices file"
    grep -q 'IDTYPE=sys_wwid IDNAME=eui.6000c29f3a2b4c5d8e9f00112233aabb DEVNAME=/dev/nvme0n1p3 PVID=' <<<"$devs" ||
        die "the devices file does not list the PV by its NVMe ID: $devs"
}
