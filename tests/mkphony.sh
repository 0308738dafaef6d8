#!/usr/bin/env bash
# Make a phony VMware Linux guest for the guest-fix tests, as an OVA:
#
#   mkphony.sh DIR [novirtio|efi-dracut|nvme-lvm|redhat|suse]  ->  DIR/phony.ova
#
# It is not a bootable system, only what v2vfs-fix reads and edits, made
# from text in seconds with no appliance (sfdisk, mkfs.ext4 -d, mkswap),
# the way libguestfs builds its phony guests:
#   - an MBR disk: /dev/sda1 ext4 root (UUID 11111111-...), /dev/sda2 swap
#     (UUID 22222222-...), and no boot code in the MBR;
#   - Debian 12 files; a kernel 6.1.0-99-amd64 with virtio_blk, virtio_pci
#     and virtio_net built in (modules.builtin), or with none of them
#     ("novirtio");
#   - every VMware-era leftover the fix handles: /dev/sdX names in fstab,
#     GRUB's default, grub.cfg, device.map and GRUB legacy's menu.lst;
#     GRUB_DISABLE_LINUX_UUID=true; modprobe aliases and a module list
#     naming VMware drivers; Driver "vmware" in xorg.conf; a persistent-net
#     rule for eth0; ifupdown config for eth0 and ens224; SELinux
#     permissive; VMware Tools from VMware's tarball (its locations
#     database, files, init script, unit, and an uninstaller that fails);
#   - a static busybox as /bin/sh, so commands can run in it.
# The OVF gives it a pvscsi disk and two VmxNet3 NICs, 00:50:56:3a:00:01
# and 00:50:56:3a:00:02 (the persistent-net rule names the second eth0).
#
# "efi-dracut" is the same guest booting by UEFI, the way a Red Hat-like
# guest does: a GPT disk with an EFI system partition (/dev/sda1, vfat
# 3333-AAAA, on /boot/efi, holding EFI/debian/{shimx64,grubx64,mmx64}.efi
# and grub.cfg but no EFI/BOOT/BOOTX64.EFI), root /dev/sda2, swap
# /dev/sda3; the virtio drivers are modules (modules.dep); the initramfs
# is dracut's (/boot/initramfs-VERSION.img without virtio), made by a
# stand-in dracut that lists the drivers dracut.conf.d adds, with a
# stand-in lsinitrd; a BLS entry and a 1024-byte grubenv name the root by
# device; the OVF says firmware efi.  The stand-in dracut appends its
# arguments to /var/log/phony-dracut.argv, and its "initramfs" lists
# what it copied of LVM's configuration: the devices file if there is
# one, and lvm.conf's filter lines.
#
# "nvme-lvm" is the UEFI guest of a RHEL 9-like VM on VMware's NVMe
# controller: the same partitions named /dev/nvme0n1p1, p2, p3 in
# fstab, GRUB's default, grub.cfg, menu.lst, the BLS entry, grubenv,
# /etc/kernel/cmdline and device.map ((hd0) /dev/nvme0n1); LVM's devices
# file /etc/lvm/devices/system.devices and an lvm.conf whose filter
# accepts only /dev/sda*; the virtio drivers built in, so only the LVM
# configuration makes dracut rebuild the initramfs; the kernel's modules
# and its image (vmlinuz) only in /usr/lib/modules/VERSION, as Fedora
# ships it; the OVF puts the disk on an NVMe controller.
#
# "redhat" is a RHEL 9 guest (os-release, /etc/redhat-release) on the
# MBR disk: GRUB 2 in /boot/grub2 (grub.cfg, grubenv, device.map), a BLS
# entry, no menu.lst; virtio drivers as modules, dracut's initramfs
# without them; stand-ins for grubby (it edits the BLS entries' options
# as grubby-bls does) and grub2-mkconfig (it writes a grub.cfg that reads
# the BLS entries); /etc/sysconfig/network-scripts/ifcfg-ens192 with
# HWADDR 00:50:56:3A:00:02 and no Debian network files; SELinux
# enforcing.  "suse" is a SLES 15 SP5 guest: GRUB 2 in /boot/grub2 and
# no command to regenerate it, no BLS; INITRD_MODULES="" in
# /etc/sysconfig/kernel; stand-ins for mkinitrd (its "initrd",
# /boot/initrd-VERSION, lists INITRD_MODULES) and dracut;
# /etc/sysconfig/network/ifcfg-eth0; no SELinux.  Every stand-in appends
# its command line to /var/log/phony-COMMAND.argv.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: mkphony.sh DIR [novirtio]" >&2; exit 2; }
dir=$1
kind=${2:-}
root=$dir/phony-root
kver=6.1.0-99-amd64
moddir=lib/modules
diskdev=/dev/sda
efi=no
case $kind in
    efi-dracut) rootdev=/dev/sda2 swapdev=/dev/sda3 espdev=/dev/sda1 efi=yes ;;
    nvme-lvm) rootdev=/dev/nvme0n1p2 swapdev=/dev/nvme0n1p3 espdev=/dev/nvme0n1p1 efi=yes
              diskdev=/dev/nvme0n1 moddir=usr/lib/modules ;;
    *) rootdev=/dev/sda1 swapdev=/dev/sda2 ;;
esac
case $kind in
    redhat) kver=5.14.0-362.8.1.el9_3.x86_64 ;;
    suse) kver=5.14.21-150500.55.39-default ;;
esac
rm -rf "$root"
mkdir -p "$root"/{bin,boot/grub,dev,etc/default,etc/modprobe.d,etc/network,etc/selinux} \
    "$root"/{etc/udev/rules.d,etc/X11,etc/vmware-tools,etc/init.d,etc/systemd/system} \
    "$root"/{$moddir/$kver,lib/systemd/network,usr/bin,usr/lib/vmware-tools/bin,proc,sys,tmp} \
    "$root"/{etc/rc2.d,etc/systemd/system/multi-user.target.wants,var/lib/dpkg,var/log}

cp /bin/busybox "$root/bin/busybox"
for t in sh ls cat rm sed grep; do ln -s busybox "$root/bin/$t"; done
printf '%s\n' 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"' 'NAME="Debian GNU/Linux"' \
    'VERSION_ID="12"' 'VERSION="12 (bookworm)"' 'ID=debian' > "$root/etc/os-release"
echo 12.7 > "$root/etc/debian_version"
echo phony > "$root/etc/hostname"
: > "$root/var/lib/dpkg/status"
printf '%s\n' '# /etc/fstab: static file system information.' \
    "$rootdev / ext4 errors=remount-ro 0 1" \
    "$swapdev none swap sw 0 0" \
    '/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0' > "$root/etc/fstab"
[ "$efi" = no ] || echo "$espdev /boot/efi vfat umask=0077 0 1" >> "$root/etc/fstab"

if [ "$kind" = nvme-lvm ]; then
    : > "$root/$moddir/$kver/vmlinuz"
else
    : > "$root/boot/vmlinuz-$kver"
fi
: > "$root/$moddir/$kver/modules.dep"
case $kind in
    novirtio)
        printf '%s\n' kernel/drivers/scsi/vmw_pvscsi.ko > "$root/$moddir/$kver/modules.builtin" ;;
    efi-dracut|nvme-lvm|redhat|suse)
        : > "$root/$moddir/$kver/modules.builtin"
        [ "$kind" != nvme-lvm ] ||
            printf '%s\n' kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_pci.ko \
                kernel/drivers/block/virtio_blk.ko kernel/drivers/net/virtio_net.ko \
                > "$root/$moddir/$kver/modules.builtin"
        [ "$kind" = nvme-lvm ] ||
        printf '%s\n' 'kernel/drivers/virtio/virtio.ko.xz:' \
            'kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio.ko.xz' \
            'kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko.xz' \
            'kernel/drivers/scsi/virtio_scsi.ko.xz: kernel/drivers/virtio/virtio.ko.xz' \
            'kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz' \
            > "$root/$moddir/$kver/modules.dep"
        mkdir -p "$root/etc/dracut.conf.d" "$root/boot/loader/entries" "$root/boot/efi"
        # dracut -f OUT KVER: an "initramfs" listing its drivers and
        # what it holds of LVM's configuration.
        printf '%s\n' '#!/bin/sh' 'echo "dracut $*" >> /var/log/phony-dracut.argv' \
            '[ "$1" = -f ] || exit 2' \
            '{ echo "usr/lib/modules/$3/kernel/drivers/scsi/vmw_pvscsi.ko.xz"' \
            '  for d in $(cat /etc/dracut.conf.d/*.conf 2>/dev/null | sed -n '"'"'s/^add_drivers+="\(.*\)"$/\1/p'"'"'); do' \
            '    echo "usr/lib/modules/$3/kernel/drivers/$d.ko.xz"' \
            '  done' \
            '  [ ! -e /etc/lvm/devices/system.devices ] || echo etc/lvm/devices/system.devices' \
            '  [ ! -e /etc/lvm/lvm.conf ] || grep filter /etc/lvm/lvm.conf | sed "s|^|etc/lvm/lvm.conf:|"' \
            '} > "$2"' > "$root/usr/bin/dracut"
        printf '%s\n' '#!/bin/sh' 'cat "$1"' > "$root/usr/bin/lsinitrd"
        chmod 755 "$root/usr/bin/dracut" "$root/usr/bin/lsinitrd"
        echo "usr/lib/modules/$kver/kernel/drivers/scsi/vmw_pvscsi.ko.xz" \
            > "$root/boot/initramfs-$kver.img"
        printf '%s\n' 'title Phony' "linux /vmlinuz-$kver" \
            "options root=$rootdev ro resume=$swapdev" > "$root/boot/loader/entries/phony.conf"
        { printf '%s\n' '# GRUB Environment Block' "kernelopts=root=$rootdev ro "; } |
            head -c 1024 > "$root/boot/grub/grubenv"
        head -c $(( 1024 - $(stat -c %s "$root/boot/grub/grubenv") )) /dev/zero | tr '\0' '#' \
            >> "$root/boot/grub/grubenv" ;;
    *)
        printf '%s\n' kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_pci.ko \
            kernel/drivers/block/virtio_blk.ko kernel/drivers/net/virtio_net.ko \
            > "$root/lib/modules/$kver/modules.builtin" ;;
esac
if [ "$kind" = nvme-lvm ]; then
    mkdir -p "$root/etc/lvm/devices" "$root/etc/kernel"
    printf '%s\n' '# LVM uses devices listed in this file.' \
        '# Created by LVM command vgimportdevices pid 1032 at Mon Mar  4 10:12:41 2024' \
        'VERSION=1.1.1' \
        'IDTYPE=sys_wwid IDNAME=eui.36a5d2c2e8b3f9ae000c296b7e1a4f21 DEVNAME=/dev/nvme0n1p2 PVID=Xw1Yf3dkVq0pL2mN8bR4sT6uV9wZ0aC1 PART=2' \
        > "$root/etc/lvm/devices/system.devices"
    printf '%s\n' '# phony lvm.conf' 'devices {' \
        '	# filter = [ "a|.*|" ]' \
        '	filter = [ "a|^/dev/sda.*|", "r|.*|" ]' \
        '	global_filter = [' '		"r|^/dev/sdb|",' '		"a|.*|" ]' '}' \
        > "$root/etc/lvm/lvm.conf"
    echo "root=$rootdev ro resume=$swapdev rd.lvm.lv=phony/root" > "$root/etc/kernel/cmdline"
    printf '%s\n' "usr/lib/modules/$kver/kernel/drivers/scsi/vmw_pvscsi.ko.xz" \
        etc/lvm/devices/system.devices \
        'etc/lvm/lvm.conf:	# filter = [ "a|.*|" ]' \
        'etc/lvm/lvm.conf:	filter = [ "a|^/dev/sda.*|", "r|.*|" ]' \
        'etc/lvm/lvm.conf:	global_filter = [' > "$root/boot/initramfs-$kver.img"
fi
printf '%s\n' GRUB_DEFAULT=0 GRUB_DISABLE_LINUX_UUID=true \
    "GRUB_CMDLINE_LINUX=\"console=ttyS0 resume=$swapdev\"" > "$root/etc/default/grub"
printf '%s\n' "menuentry 'Debian GNU/Linux' {" \
    "	linux	/boot/vmlinuz-$kver root=$rootdev ro console=ttyS0 resume=$swapdev" \
    "	initrd	/boot/initrd.img-$kver" '}' > "$root/boot/grub/grub.cfg"
printf '%s\n' "(hd0)	$diskdev" > "$root/boot/grub/device.map"
printf '%s\n' "# kopt=root=$rootdev ro" 'title Debian' 'root (hd0,0)' \
    "kernel /boot/vmlinuz-$kver root=$rootdev ro" > "$root/boot/grub/menu.lst"

printf '%s\n' 'alias eth0 vmxnet3' 'alias scsi_hostadapter vmw_pvscsi' \
    > "$root/etc/modprobe.d/vmware.conf"
printf '%s\n' '# modules to load at boot' loop vmw_balloon > "$root/etc/modules"
printf '%s\n' 'Section "Device"' '	Identifier "VMware SVGA"' '	Driver "vmware"' \
    'EndSection' > "$root/etc/X11/xorg.conf"
printf '%s\n' '# generated by udev' \
    'SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:3a:00:02", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"' \
    > "$root/etc/udev/rules.d/70-persistent-net.rules"
printf '%s\n' 'auto lo' 'iface lo inet loopback' 'auto eth0' 'iface eth0 inet dhcp' \
    'allow-hotplug ens224' 'iface ens224 inet dhcp' > "$root/etc/network/interfaces"
: > "$root/lib/systemd/network/99-default.link"
printf '%s\n' SELINUX=permissive SELINUXTYPE=targeted > "$root/etc/selinux/config"

# Red Hat and SUSE: their release files, GRUB 2 in /boot/grub2, and
# their family's network configuration instead of Debian's.
case $kind in
    redhat|suse)
        rm -rf "$root/etc/debian_version" "$root/var/lib/dpkg" "$root/etc/network" \
            "$root/etc/udev/rules.d/70-persistent-net.rules" "$root/boot/grub/menu.lst"
        mv "$root/boot/grub" "$root/boot/grub2" ;;
esac
case $kind in
    redhat)
        printf '%s\n' 'NAME="Red Hat Enterprise Linux"' 'VERSION="9.3 (Plow)"' 'ID="rhel"' \
            'ID_LIKE="fedora"' 'VERSION_ID="9.3"' \
            'PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"' > "$root/etc/os-release"
        echo 'Red Hat Enterprise Linux release 9.3 (Plow)' > "$root/etc/redhat-release"
        echo SELINUX=enforcing > "$root/etc/selinux/config"
        mkdir -p "$root/etc/sysconfig/network-scripts" "$root/usr/sbin"
        printf '%s\n' DEVICE=ens192 HWADDR=00:50:56:3A:00:02 BOOTPROTO=dhcp ONBOOT=yes \
            > "$root/etc/sysconfig/network-scripts/ifcfg-ens192"
        # grubby --update-kernel=ALL [--remove-args=...] [--args=...], on
        # the options line of every BLS entry, as grubby-bls does it: a
        # removed argument goes, an added one replaces its key's and goes
        # last.
        printf '%s\n' '#!/bin/sh' 'echo "grubby $*" >> /var/log/phony-grubby.argv' \
            'rm= add=' \
            'for a in "$@"; do' \
            '    case $a in' \
            '        --update-kernel=ALL) ;;' \
            '        --remove-args=*) rm=${a#--remove-args=} ;;' \
            '        --args=*) add=${a#--args=} ;;' \
            '        *) exit 2 ;;' \
            '    esac' \
            'done' \
            'for f in /boot/loader/entries/*.conf; do' \
            '    new=' \
            '    for o in $(sed -n "s/^options //p" "$f"); do' \
            '        for r in $rm; do [ "$o" != "$r" ] || continue 2; done' \
            '        for r in $add; do [ "${o%%=*}" != "${r%%=*}" ] || continue 2; done' \
            '        new="$new $o"' \
            '    done' \
            '    sed -i "s|^options .*|options$new${add:+ $add}|" "$f"' \
            'done' > "$root/usr/sbin/grubby"
        # grub2-mkconfig -o FILE: RHEL 9's grub.cfg names no kernel, it
        # reads the BLS entries.
        printf '%s\n' '#!/bin/sh' 'echo "grub2-mkconfig $*" >> /var/log/phony-grub2-mkconfig.argv' \
            '[ "$1" = -o ] || exit 2' \
            'printf "%s\n" "# the phony grub2-mkconfig" "insmod blscfg" "blscfg" > "$2"' \
            > "$root/usr/sbin/grub2-mkconfig"
        chmod 755 "$root/usr/sbin/grubby" "$root/usr/sbin/grub2-mkconfig" ;;
    suse)
        printf '%s\n' 'NAME="SLES"' 'VERSION="15-SP5"' 'VERSION_ID="15.5"' \
            'PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"' 'ID="sles"' \
            'ID_LIKE="suse"' > "$root/etc/os-release"
        rm -rf "$root/etc/selinux" "$root/boot/loader" "$root/boot/grub2/grubenv"
        mv "$root/boot/initramfs-$kver.img" "$root/boot/initrd-$kver"
        mkdir -p "$root/etc/sysconfig/network"
        printf '%s\n' "BOOTPROTO='dhcp'" "STARTMODE='auto'" \
            > "$root/etc/sysconfig/network/ifcfg-eth0"
        printf '%s\n' '## Path: System/Kernel' \
            '# The modules the initrd loads, as mkinitrd reads them.' 'INITRD_MODULES=""' \
            'DOMU_INITRD_MODULES="xennet xenblk"' > "$root/etc/sysconfig/kernel"
        # mkinitrd -k IMAGE -i INITRD (both in /boot): an "initrd" listing
        # INITRD_MODULES.
        printf '%s\n' '#!/bin/sh' 'echo "mkinitrd $*" >> /var/log/phony-mkinitrd.argv' \
            '[ "$1" = -k ] && [ "$3" = -i ] && [ $# = 4 ] || exit 2' \
            'kver=${2#vmlinuz-}' '. /etc/sysconfig/kernel' \
            '{ echo "usr/lib/modules/$kver/kernel/drivers/scsi/vmw_pvscsi.ko.xz"' \
            '  for d in $INITRD_MODULES; do echo "usr/lib/modules/$kver/kernel/drivers/$d.ko.xz"; done' \
            '} > "/boot/$4"' > "$root/usr/bin/mkinitrd"
        chmod 755 "$root/usr/bin/mkinitrd" ;;
esac

# VMware Tools as VMware's installer leaves them.
printf '%s\n' 'answer BINDIR /usr/bin' \
    'file /usr/bin/vmware-toolbox-cmd 1700000000' \
    'file /usr/lib/vmware-tools/bin/vmtoolsd 1700000000' \
    'file /usr/lib/vmware-tools/bin/vmware-old' \
    'remove_file /usr/lib/vmware-tools/bin/vmware-old' \
    'file /usr/bin/vmware-uninstall-tools.pl' \
    'directory /usr/lib/vmware-tools' > "$root/etc/vmware-tools/locations"
for f in usr/bin/vmware-toolbox-cmd usr/lib/vmware-tools/bin/vmtoolsd \
         usr/lib/vmware-tools/bin/vmware-old etc/init.d/vmware-tools; do
    echo "#!/bin/sh" > "$root/$f"
done
printf '%s\n' '#!/bin/sh' 'echo "vmware-uninstall-tools.pl: cannot find the installer database" >&2' \
    'exit 3' > "$root/usr/bin/vmware-uninstall-tools.pl"
chmod 755 "$root/usr/bin/vmware-uninstall-tools.pl"
ln -s ../init.d/vmware-tools "$root/etc/rc2.d/S02vmware-tools"
printf '%s\n' '[Service]' 'ExecStart=/usr/lib/vmware-tools/bin/vmtoolsd' \
    > "$root/etc/systemd/system/vmware-tools.service"
ln -s /etc/systemd/system/vmware-tools.service \
    "$root/etc/systemd/system/multi-user.target.wants/vmware-tools.service"

# The disk: 1 MiB of partition table and gap, then (UEFI: 32 MiB of EFI
# system partition), 120 MiB of root, 16 MiB of swap.
mib=$(( 1 << 20 ))
rm -f "$dir/root.img" "$dir/swap.img" "$dir/esp.img" "$dir/phony.raw"
mkfs.ext4 -q -F -L phony-root -U 11111111-2222-3333-4444-555555555555 \
    -d "$root" "$dir/root.img" 120M > /dev/null
truncate -s 16M "$dir/swap.img"
mkswap -U 22222222-3333-4444-5555-666666666666 "$dir/swap.img" > /dev/null 2>&1
if [ "$efi" = yes ]; then
    truncate -s 32M "$dir/esp.img"
    mkfs.vfat -i 3333AAAA -n ESP "$dir/esp.img" > /dev/null
    mmd -i "$dir/esp.img" ::/EFI ::/EFI/debian
    for f in shimx64.efi grubx64.efi mmx64.efi grub.cfg; do
        echo "the guest's ${f%.*}" > "$dir/$f"
        mcopy -i "$dir/esp.img" "$dir/$f" "::/EFI/debian/$f"
        rm "$dir/$f"
    done
    esp_mib=32 label=gpt root_type=L swap_type=S
    esp_line="start=2048, size=$(( 32 * 2048 )), type=U"
else
    esp_mib=0 label=dos root_type=83 swap_type=82 esp_line=
fi
truncate -s $(( (esp_mib + 138) * mib )) "$dir/phony.raw"
{
    echo "label: $label"
    [ -z "$esp_line" ] || echo "$esp_line"
    echo "start=$(( (1 + esp_mib) * 2048 )), size=$(( 120 * 2048 )), type=$root_type"
    echo "start=$(( (121 + esp_mib) * 2048 )), size=$(( 16 * 2048 )), type=$swap_type"
} | sfdisk -q "$dir/phony.raw"
[ -z "$esp_line" ] || dd if="$dir/esp.img" of="$dir/phony.raw" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$dir/root.img" of="$dir/phony.raw" bs=1M seek=$(( 1 + esp_mib )) conv=notrunc,sparse status=none
dd if="$dir/swap.img" of="$dir/phony.raw" bs=1M seek=$(( 121 + esp_mib )) conv=notrunc,sparse status=none
rm -rf "$root" "$dir/root.img" "$dir/swap.img" "$dir/esp.img"

qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$dir/phony.raw" \
    "$dir/phony-disk1.vmdk"
rm -f "$dir/phony.raw"
# nic_item N MAC: the OVF Item of VmxNet3 NIC N (InstanceID 4 + N).
nic_item ()
{
    printf '%s\n' '      <Item>' "        <rasd:Address>$2</rasd:Address>" \
        "        <rasd:ElementName>Network adapter $1</rasd:ElementName>" \
        "        <rasd:InstanceID>$(( 4 + $1 ))</rasd:InstanceID>" \
        '        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>' \
        '        <rasd:ResourceType>10</rasd:ResourceType>' '      </Item>'
}
firmware=bios
[ "$efi" = no ] || firmware=efi
ctrl_type=6 ctrl_sub=VirtualSCSI ctrl_name='SCSI controller 0'
[ "$kind" != nvme-lvm ] || ctrl_type=20 ctrl_sub=vmware.nvme.controller ctrl_name='NVME controller 0'
cat > "$dir/phony.ovf" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:id="file1" ovf:href="phony-disk1.vmdk"/>
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
    <Disk ovf:capacity="$(( esp_mib + 138 ))" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1"/>
  </DiskSection>
  <VirtualSystem ovf:id="phony">
    <Info>A virtual machine</Info>
    <Name>phony</Name>
    <VirtualHardwareSection>
      <Info>Virtual hardware</Info>
      <Item>
        <rasd:ElementName>$ctrl_name</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>$ctrl_sub</rasd:ResourceSubType>
        <rasd:ResourceType>$ctrl_type</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
$(nic_item 1 00:50:56:3a:00:01)
$(nic_item 2 00:50:56:3a:00:02)
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="$firmware"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
tar --format=ustar -C "$dir" -cf "$dir/phony.ova" phony.ovf phony-disk1.vmdk
rm -f "$dir/phony.ovf" "$dir/phony-disk1.vmdk"
