#!/usr/bin/env bash
# Make a phony VMware Windows guest for the Windows fix's tests, as an OVA:
#
#   mkwinphony.sh DIR [hibernated|win11]   ->  DIR/winphony.ova
#
# (holding winphony.ovf and the disk, winphony-disk1.vmdk, streamOptimized;
# a mount shows it as disks/winphony-disk1.raw).  It is not a bootable
# system and needs no Windows media: only what libguestfs inspection and
# v2vfs-fix read and edit, made from text in one libguestfs appliance run
# (mkntfs and ntfs-3g are in the appliance; there is no NTFS tool here):
#   - a 1 GiB MBR disk (sparse), disk signature 5eed2019:
#     /dev/sda1  100 MiB NTFS "System Reserved", active: bootmgr, Boot/BCD
#                (BCD is a copy of the minimal hive, as a BCD is a hive);
#     /dev/sda2  the rest, NTFS, C: (starts at 101 MiB; MountedDevices in
#                SYSTEM maps C: to it);
#   - on C:: Windows/System32/config/{SYSTEM,SOFTWARE}, made by merging
#     tests/windows/*.reg into copies of tests/windows/minimal-hive with
#     hivexregedit (see tests/windows/README.md for what the hives hold);
#     Windows/System32/cmd.exe (libguestfs takes a system root for one only
#     with system32/config and cmd.exe, and the architecture from cmd.exe:
#     so it is a minimal PE32+ x86-64 header); Windows/System32/drivers/
#     with pvscsi.sys, the VMware Tools drivers and a few of Windows' own
#     (minimal PE32+ native headers, no code); an empty
#     Windows/System32/DriverStore/FileRepository; Windows/inf/ with the
#     oemN.inf the registry names; Program Files/VMware/VMware Tools/ with
#     vmtoolsd.exe; Program Files (x86), ProgramData, Users, Windows/Temp.
# The OVF: vmw:osType windows2019srv_64Guest, BIOS firmware, 2 vCPUs,
# 4 GiB, the disk on a PVSCSI controller (VirtualSCSI), one VmxNet3 NIC
# with MAC 00:50:56:3a:00:10.
#
# KIND:
#   (none)      Windows Server 2019 Standard, build 17763 (system.reg and
#               software.reg);
#   hibernated  the same, hibernated: C:\hiberfil.sys begins with "HIBR"
#               (ntfs-3g refuses to mount it read-write), and
#               system-hibernated.reg turns Fast Startup on
#               (HiberbootEnabled = 1);
#   win11       Windows 11 Pro 23H2, build 22631, InstallationType Client
#               (software-win11.reg; ProductName says "Windows 10 Pro", as
#               on a real Windows 11); the OVF says windows11_64Guest.  It
#               keeps the BIOS and the MBR disk: a real Windows 11 wants
#               UEFI and a TPM, which this disk does not need to show.
#
# It takes about a minute (the appliance under TCG boots in ~25 s).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: mkwinphony.sh DIR [hibernated|win11]" >&2; exit 2; }
dir=$1
kind=${2:-}
case $kind in
    ''|hibernated|win11) ;;
    *) echo "mkwinphony.sh: unknown kind '$kind'" >&2; exit 2 ;;
esac
src=$(cd "$(dirname "$0")/windows" && pwd)
stage=$dir/winphony-stage
rm -rf "$stage"
mkdir -p "$stage"/c "$stage"/sysres

# The hives.
cp "$src/minimal-hive" "$stage/SYSTEM"
cp "$src/minimal-hive" "$stage/SOFTWARE"
chmod u+w "$stage/SYSTEM" "$stage/SOFTWARE"
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$stage/SYSTEM" "$src/system.reg"
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' "$stage/SOFTWARE" "$src/software.reg"
case $kind in
    hibernated)
        hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$stage/SYSTEM" \
            "$src/system-hibernated.reg" ;;
    win11)
        hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' "$stage/SOFTWARE" \
            "$src/software-win11.reg" ;;
esac

# The files of C: and of System Reserved.
c=$stage/c
mkdir -p "$c/Windows/System32/config" "$c/Windows/System32/drivers" \
    "$c/Windows/System32/DriverStore/FileRepository" "$c/Windows/inf" "$c/Windows/Temp" \
    "$c/Program Files/VMware/VMware Tools/VMware VGAuth" "$c/Program Files (x86)" \
    "$c/ProgramData" "$c/Users/Public" "$stage/sysres/Boot"
mv "$stage/SYSTEM" "$stage/SOFTWARE" "$c/Windows/System32/config/"
# pe FILE SUBSYSTEM: a PE32+ x86-64 header with no sections (3 console,
# 1 native, 2 GUI), then a line naming the file: enough for file(1), which
# libguestfs asks for cmd.exe's architecture.
pe ()
{
    python3 - "$1" "$2" <<'EOF'
import os, struct, sys
path, subsystem = sys.argv[1], int(sys.argv[2])
dos = bytearray(64)
dos[0:2] = b"MZ"
struct.pack_into("<I", dos, 60, 64)                 # e_lfanew
coff = struct.pack("<HHIIIHH", 0x8664, 0, 0, 0, 0, 240, 0x22)
opt = bytearray(240)
struct.pack_into("<H", opt, 0, 0x20b)               # PE32+
struct.pack_into("<H", opt, 68, subsystem)
note = ("phony %s (v2vfs tests)\n" % os.path.basename(path)).encode()
with open(path, "wb") as f:
    f.write(bytes(dos) + b"PE\0\0" + coff + bytes(opt) + note)
EOF
}
pe "$c/Windows/System32/cmd.exe" 3
pe "$c/Windows/System32/pnputil.exe" 3
pe "$c/Windows/System32/msiexec.exe" 2
for f in pvscsi vmci vsock vm3dmp vmmouse vmhgfs vmmemctl vmxnet3 disk storport \
         lsi_sas; do
    pe "$c/Windows/System32/drivers/$f.sys" 1
done
for f in vmtoolsd VMwareToolboxCmd; do
    pe "$c/Program Files/VMware/VMware Tools/$f.exe" 2
done
pe "$c/Program Files/VMware/VMware Tools/VMware VGAuth/VGAuthService.exe" 2
# inf_stub FILE CLASS GUID PROVIDER: the oemN.inf a driver was installed from.
inf_stub ()
{
    # shellcheck disable=SC2016 # "$WINDOWS NT$" is INF text
    printf '%s\r\n' '[Version]' 'Signature="$WINDOWS NT$"' "Class=$2" "ClassGuid=$3" \
        "Provider=$4" > "$1"
}
inf_stub "$c/Windows/inf/oem3.inf" SCSIAdapter '{4D36E97B-E325-11CE-BFC1-08002BE10318}' '"VMware, Inc."'
inf_stub "$c/Windows/inf/oem5.inf" Net '{4D36E972-E325-11CE-BFC1-08002BE10318}' '"VMware, Inc."'
inf_stub "$c/Windows/inf/oem6.inf" System '{4D36E97D-E325-11CE-BFC1-08002BE10318}' '"VMware, Inc."'
inf_stub "$c/Windows/inf/oem7.inf" Display '{4D36E968-E325-11CE-BFC1-08002BE10318}' '"VMware, Inc."'
inf_stub "$c/Windows/inf/oem8.inf" Mouse '{4D36E96F-E325-11CE-BFC1-08002BE10318}' '"VMware, Inc."'
inf_stub "$c/Windows/inf/machine.inf" System '{4D36E97D-E325-11CE-BFC1-08002BE10318}' '%MSFT%'
if [ "$kind" = hibernated ]; then
    # A hibernation file's header: "HIBR", then the rest of its first page.
    { printf HIBR; head -c $(( 65536 - 4 )) /dev/zero; } > "$c/hiberfil.sys"
fi
echo "phony bootmgr (v2vfs tests)" > "$stage/sysres/bootmgr"
cp "$src/minimal-hive" "$stage/sysres/Boot/BCD"
tar --format=gnu --owner=0 --group=0 --numeric-owner -C "$c" -cf "$stage/c.tar" .
tar --format=gnu --owner=0 --group=0 --numeric-owner -C "$stage/sysres" -cf "$stage/sysres.tar" .

# The disk: 1 MiB of MBR and gap, 100 MiB of System Reserved, then C:.
raw=$dir/winphony.raw
rm -f "$raw"
truncate -s 1G "$raw"
printf '%s\n' 'label: dos' 'label-id: 0x5eed2019' \
    'start=2048, size=204800, type=7, bootable' 'start=206848, type=7' |
    sfdisk -q "$raw"
guestfish --format=raw -a "$raw" <<EOF
run
mkfs ntfs /dev/sda1 "label:System Reserved"
mkfs ntfs /dev/sda2
mount /dev/sda1 /
tar-in "$stage/sysres.tar" /
umount /
mount /dev/sda2 /
tar-in "$stage/c.tar" /
umount /
EOF
rm -rf "$stage"
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$raw" "$dir/winphony-disk1.vmdk"
rm -f "$raw"

os_type=windows2019srv_64Guest os_desc="Microsoft Windows Server 2019 (64-bit)"
[ "$kind" != win11 ] || os_type=windows11_64Guest os_desc="Microsoft Windows 11 (64-bit)"
# v2vfs reads vmw:osType; the CIM ovf:id (1, "Other") is not read.
cat > "$dir/winphony.ovf" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:id="file1" ovf:href="winphony-disk1.vmdk"/>
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
    <Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1"/>
  </DiskSection>
  <VirtualSystem ovf:id="winphony">
    <Info>A virtual machine</Info>
    <Name>winphony</Name>
    <OperatingSystemSection ovf:id="1" vmw:osType="$os_type">
      <Info>The kind of installed guest operating system</Info>
      <Description>$os_desc</Description>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware</Info>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:ElementName>2 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>4096MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>4096</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>00:50:56:3a:00:10</rasd:Address>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="bios"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
tar --format=ustar -C "$dir" -cf "$dir/winphony.ova" winphony.ovf winphony-disk1.vmdk
rm -f "$dir/winphony.ovf" "$dir/winphony-disk1.vmdk"
