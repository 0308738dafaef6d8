#!/usr/bin/env bash
# The phony Windows guests and the fake virtio-win tree that the Windows
# fix's tests use (tests/mkwinphony.sh, tests/mkvirtiowin.sh) are what
# they claim to be:
#   1. each kind of guest (Server 2019, hibernated, Windows 11) mounts as
#      an OVA, and libguestfs inspection through the mount's raw views (one
#      appliance for the three) reports Windows with the right product
#      name, variant, version, architecture, system root, host name and
#      control set (ControlSet002, not 001), C: on /dev/sda2, and VMware
#      Tools among the applications;
#   2. the hives read back from the disk hold the static IP of the vmxnet3
#      NIC, VMware's services and pvscsi as the boot driver in the current
#      control set; the hibernated guest has Fast Startup on and a
#      hiberfil.sys that begins with "HIBR";
#   3. the virtio-win ISO has the volume id, and every driver's .inf, .cat
#      and .sys for every OS directory, with no 2k25.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img guestfish sfdisk hivexregedit genisoimage isoinfo python3
requires_fuse
use_libguestfs

d=$(tmpdir)
cd "$d"
mkdir def hib w11 iso
"$tests_srcdir/mkwinphony.sh" def
"$tests_srcdir/mkwinphony.sh" hib hibernated
"$tests_srcdir/mkwinphony.sh" w11 win11
"$tests_srcdir/mkvirtiowin.sh" iso
v2vfs_mount def/winphony.ova "$d/m-def"
v2vfs_mount hib/winphony.ova "$d/m-hib"
v2vfs_mount w11/winphony.ova "$d/m-w11"
grep -q 'vmw:osType="windows2019srv_64Guest"' m-def/winphony.ovf ||
    fail "the OVF does not say windows2019srv_64Guest"
grep -q 'vmw:osType="windows11_64Guest"' m-w11/winphony.ovf ||
    fail "the win11 OVF does not say windows11_64Guest"
grep -q '<mac address="00:50:56:3a:00:10"/>' m-def/domain.xml ||
    fail "domain.xml has no NIC 00:50:56:3a:00:10"

# 1. Inspection, and the hives and hiberfil.sys's header read back.
got=$(guestfish --ro --format=raw -a m-def/disks/winphony-disk1.raw \
          -a m-hib/disks/winphony-disk1.raw -a m-w11/disks/winphony-disk1.raw <<EOF
run
inspect-os
echo == def
inspect-get-type /dev/sda2
inspect-get-distro /dev/sda2
inspect-get-product-name /dev/sda2
inspect-get-product-variant /dev/sda2
inspect-get-major-version /dev/sda2
inspect-get-minor-version /dev/sda2
inspect-get-arch /dev/sda2
inspect-get-windows-systemroot /dev/sda2
inspect-get-windows-current-control-set /dev/sda2
inspect-get-hostname /dev/sda2
inspect-get-drive-mappings /dev/sda2
mount-ro /dev/sda2 /
inspect-list-applications /dev/sda2
download /Windows/System32/config/SYSTEM "$d/SYSTEM"
umount /
echo == hibernated
inspect-get-product-name /dev/sdb2
inspect-get-windows-current-control-set /dev/sdb2
mount-ro /dev/sdb2 /
pread /hiberfil.sys 4 0
echo
download /Windows/System32/config/SYSTEM "$d/SYSTEM-hib"
umount /
echo == win11
inspect-get-product-name /dev/sdc2
inspect-get-product-variant /dev/sdc2
inspect-get-major-version /dev/sdc2
inspect-get-minor-version /dev/sdc2
mount-ro /dev/sdc2 /
download /Windows/System32/config/SOFTWARE "$d/SOFTWARE-w11"
EOF
) || fail "guestfish failed"
got=$(grep -v -e '^  app_\(epoch\|release\|arch\|url\|source_package\|summary\|description\|trans_path\):' \
          <<< "$got")
expected='/dev/sda2
/dev/sdb2
/dev/sdc2
== def
windows
windows
Windows Server 2019 Standard
Server
10
0
x86_64
/Windows
ControlSet002
winphony
C: /dev/sda2
[0] = {
  app_name: {A3F6B7C2-4D81-4E9F-B0C5-7E2D9A1F3C64}
  app_display_name: VMware Tools
  app_version: 12.3.5.22544099
  app_install_path: C:\Program Files\VMware\VMware Tools\
  app_publisher: VMware, Inc.
}
== hibernated
Windows Server 2019 Standard
ControlSet002
HIBR
== win11
Windows 10 Pro
Client
10
0'
[ "$got" = "$expected" ] || fail "inspection says:
$got
--- expected:
$expected"

# 2. The registry.  reg_multi STR...: STR... as hivexregedit exports a
# REG_MULTI_SZ.
reg_multi ()
{
    python3 -c 'import sys; print("hex(7):" + ",".join("%02x" % b for b in ("\0".join(sys.argv[1:]) + "\0\0").encode("utf-16-le")))' "$@"
}
sys_export ()
{
    hivexregedit --export --unsafe-printable-strings --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$1" "$2"
}
# has_lines TEXT LINE...: TEXT holds each LINE.
has_lines ()
{
    local text=$1 l
    shift
    for l in "$@"; do
        grep -q -x -F -e "$l" <<< "$text" || fail "no line '$l' in:
$text"
    done
}
iface='\ControlSet002\Services\Tcpip\Parameters\Interfaces\{7c3e9a51-2b4d-4f68-9e0a-5d1c8b2f6a43}'
has_lines "$(sys_export SYSTEM "$iface")" \
    '"EnableDHCP"=dword:00000000' \
    "\"IPAddress\"=$(reg_multi 192.168.10.20)" \
    "\"SubnetMask\"=$(reg_multi 255.255.255.0)" \
    "\"DefaultGateway\"=$(reg_multi 192.168.10.1)" \
    '"NameServer"=str(1):"192.168.10.53,192.168.10.54"'
has_lines "$(sys_export SYSTEM '\ControlSet002\Services\pvscsi')" \
    '"Start"=dword:00000000' '"Type"=dword:00000001' '"Group"=str(1):"SCSI miniport"' \
    '"ImagePath"=str(2):"system32\drivers\pvscsi.sys"'
for s in vmci vsock vm3dmp vmmouse vmhgfs vmxnet3ndis6 VMTools; do
    sys_export SYSTEM "\\ControlSet002\\Services\\$s" | grep -q '^"ImagePath"=' ||
        fail "no service $s in ControlSet002"
done
has_lines "$(sys_export SYSTEM '\ControlSet001\Services\Tcpip\Parameters')" \
    '"Hostname"=str(1):"oldname"'
has_lines "$(sys_export SYSTEM '\ControlSet002\Control\Session Manager\Power')" \
    '"HiberbootEnabled"=dword:00000000'
has_lines "$(sys_export SYSTEM-hib '\ControlSet002\Control\Session Manager\Power')" \
    '"HiberbootEnabled"=dword:00000001'
has_lines "$(hivexregedit --export --unsafe-printable-strings --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' \
                 SOFTWARE-w11 '\Microsoft\Windows NT\CurrentVersion')" \
    '"CurrentBuild"=str(1):"22631"' '"InstallationType"=str(1):"Client"' \
    '"CurrentMajorVersionNumber"=dword:0000000a'

# 3. The virtio-win ISO.
isoinfo -d -i iso/virtio-win.iso | grep -q -x 'Volume id: virtio-win-0.1.240' ||
    fail "the ISO's volume id is not virtio-win-0.1.240"
listing=$(isoinfo -J -f -i iso/virtio-win.iso)
for drv in viostor/viostor vioscsi/vioscsi NetKVM/netkvm Balloon/balloon vioserial/vioser; do
    for os in w7 w10 w11 2k16 2k19 2k22; do
        for ext in inf cat sys; do
            has_lines "$listing" "/${drv%/*}/$os/amd64/${drv#*/}.$ext"
        done
    done
done
has_lines "$listing" /guest-agent/qemu-ga-x86_64.msi
! grep -q 2k25 <<< "$listing" || fail "the ISO has a 2k25 directory"
isoinfo -J -x '/NetKVM/2k19/amd64/netkvm.inf' -i iso/virtio-win.iso |
    grep -q -F 'PCI\VEN_1AF4&DEV_1041' || fail "netkvm.inf on the ISO has no PCI\\VEN_1AF4&DEV_1041"
