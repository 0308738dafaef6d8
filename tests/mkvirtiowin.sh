#!/usr/bin/env bash
# Make a fake virtio-win driver tree and ISO for the Windows fix's tests:
#
#   mkvirtiowin.sh DIR   ->  DIR/virtio-win/  and  DIR/virtio-win.iso
#
# Laid out like Red Hat's virtio-win ISO (the directory and file names,
# and their case, are the real ones):
#   viostor/OS/amd64/viostor.{inf,cat,sys}     virtio-blk    1AF4:1001, 1AF4:1042
#   vioscsi/OS/amd64/vioscsi.{inf,cat,sys}     virtio-scsi   1AF4:1004, 1AF4:1048
#   NetKVM/OS/amd64/netkvm.{inf,cat,sys}       virtio-net    1AF4:1000, 1AF4:1041
#   Balloon/OS/amd64/balloon.{inf,cat,sys}     virtio-balloon 1AF4:1002, 1AF4:1045
#   vioserial/OS/amd64/vioser.{inf,cat,sys}    virtio-serial 1AF4:1003, 1AF4:1043
#   guest-agent/qemu-ga-x86_64.msi
# for OS in w7 w10 w11 2k16 2k19 2k22.  There is deliberately no 2k25 (nor
# 2k8R2, w8, w8.1, 2k12, 2k12R2), so that a Windows Server 2025 guest has
# to fall back to 2k22, and no x86 or ARM64 directories.
# The ISO: genisoimage with Joliet and Rock Ridge, volume id
# "virtio-win-0.1.240", as the real one is labelled.
#
# What is fake: every .sys and .cat is a few placeholder bytes (no code, no
# signature); the .msi is a placeholder; each .inf is short but well
# formed ([Version] with Signature, Class, ClassGuid, Provider, DriverVer
# and CatalogFile; the device's PCI hardware IDs; CopyFiles and
# AddService), written here rather than taken from the real drivers, and
# DriverVer is the same for every OS.  The real ISO has many more drivers
# (viorng, vioinput, qxldod, viofs ...) and files (.pdb, the guest tools
# installers), which no test needs.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: mkvirtiowin.sh DIR" >&2; exit 2; }
dir=$1
tree=$dir/virtio-win
rm -rf "$tree" "$dir/virtio-win.iso"
mkdir -p "$tree/guest-agent"

# inf DIR NAME CLASS CLASSGUID LEGACY_ID MODERN_ID LEGACY_SUBSYS DESC START GROUP:
# DIR/NAME.inf, CRLF line ends as Windows has them.
inf ()
{
    local d=$1 n=$2 class=$3 guid=$4 dev1=$5 dev2=$6 sub=$7 desc=$8 start=$9 group=${10}
    # shellcheck disable=SC2016 # "$WINDOWS NT$" is INF text
    {
        printf '%s\n' "; $n.inf: a fake virtio-win driver package for the v2vfs tests" \
            '' '[Version]' 'Signature = "$WINDOWS NT$"' "Class = $class" "ClassGuid = $guid" \
            'Provider = %VENDOR%' 'DriverVer = 08/23/2023,100.94.104.24000' \
            "CatalogFile = $n.cat" 'PnpLockdown = 1' '' \
            '[DestinationDirs]' 'DefaultDestDir = 12' '' \
            '[SourceDisksNames]' '1 = %DiskId1%,,,""' '' \
            '[SourceDisksFiles]' "$n.sys = 1,," '' \
            '[Manufacturer]' '%VENDOR% = Standard,NTamd64' '' \
            '[Standard.NTamd64]' \
            "%$n.DeviceDesc% = ${n}_inst, PCI\\VEN_1AF4&DEV_$dev1&SUBSYS_${sub}1AF4&REV_00" \
            "%$n.DeviceDesc% = ${n}_inst, PCI\\VEN_1AF4&DEV_$dev2&SUBSYS_11001AF4&REV_01" '' \
            "[${n}_inst]" "CopyFiles = ${n}_files" '' \
            "[${n}_files]" "$n.sys,,,2" '' \
            "[${n}_inst.Services]" "AddService = $n, 0x00000002, ${n}_service" '' \
            "[${n}_service]" "DisplayName = %$n.SVCDESC%" 'ServiceType = 1' \
            "StartType = $start" 'ErrorControl = 1' "ServiceBinary = %12%\\$n.sys"
        [ -z "$group" ] || printf '%s\n' "LoadOrderGroup = $group"
        printf '%s\n' '' '[Strings]' 'VENDOR = "Red Hat, Inc."' 'DiskId1 = "VirtIO Driver Disk"' \
            "$n.DeviceDesc = \"$desc\"" "$n.SVCDESC = \"$desc Service\""
    } | sed 's/$/\r/' > "$d/$n.inf"
}

# driver DIRNAME FILE CLASS CLASSGUID LEGACY_ID MODERN_ID SUBSYS DESC START GROUP
driver ()
{
    local os d
    for os in w7 w10 w11 2k16 2k19 2k22; do
        d=$tree/$1/$os/amd64
        mkdir -p "$d"
        inf "$d" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}"
        printf 'fake %s.sys for %s amd64 (v2vfs tests)\n' "$2" "$os" > "$d/$2.sys"
        printf 'fake %s.cat for %s amd64 (v2vfs tests)\n' "$2" "$os" > "$d/$2.cat"
    done
}
scsi='{4D36E97B-E325-11CE-BFC1-08002BE10318}'
net='{4D36E972-E325-11CE-BFC1-08002BE10318}'
system='{4D36E97D-E325-11CE-BFC1-08002BE10318}'
driver viostor viostor SCSIAdapter "$scsi" 1001 1042 0002 "Red Hat VirtIO SCSI controller" 0 "SCSI miniport"
driver vioscsi vioscsi SCSIAdapter "$scsi" 1004 1048 0008 "Red Hat VirtIO SCSI pass-through controller" 0 "SCSI miniport"
driver NetKVM netkvm Net "$net" 1000 1041 0001 "Red Hat VirtIO Ethernet Adapter" 3 "NDIS"
driver Balloon balloon System "$system" 1002 1045 0005 "VirtIO Balloon Driver" 3 ""
driver vioserial vioser System "$system" 1003 1043 0003 "VirtIO Serial Driver" 3 ""
echo "fake qemu-ga-x86_64.msi (v2vfs tests)" > "$tree/guest-agent/qemu-ga-x86_64.msi"

genisoimage -quiet -J -R -V virtio-win-0.1.240 -o "$dir/virtio-win.iso" "$tree"
