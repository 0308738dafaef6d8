#!/usr/bin/env bash
# v2vfs-fix on the phony Windows Server 2019 (tests/mkwinphony.sh) with the
# fake virtio-win (tests/mkvirtiowin.sh), through real mounts and a real
# libguestfs appliance; the fixed disk is read back through the mount by
# guestfish and its hives by hivexregedit, neither of them ours:
#   1. with the tree as --virtio-win DIR: exit 0; the viostor service in
#      the current control set (ControlSet002; ControlSet001 untouched),
#      its CriticalDeviceDatabase and DriverDatabase entries, the .sys in
#      System32\drivers, the staged packages on DevicePath, the RunOnce
#      entry and the first-boot scripts with their actions (the static IP
#      among them), the hives' backups; domain.xml on virtio, localtime,
#      the Hyper-V enlightenments;
#   2. a second run has nothing left to do: the hives' bytes are the same;
#   3. the ISO as --virtio-win gives the same registry and files;
#   4. a tree without a storage driver is refused before any change (exit
#      1, one exact line, overlay untouched, domain.xml SATA); with
#      --allow-unfixed the rest is done, and domain.xml says sata and e1000;
#      a driver without a 2k19 directory comes from 2k16, as the report says;
#   5. with vioscsi but no viostor, the disks go on virtio-scsi;
#   6. a hibernated guest is refused with one exact line, nothing written
#      to the overlay's disk; so is a disk whose volume is BitLocker's;
#   7. the OVAs' sha256 never change.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img guestfish sfdisk hivexregedit genisoimage python3 virt-xml-validate
requires_fuse
use_libguestfs
fix=$tests_builddir/../guestfix/v2vfs-fix
[ -x "$fix" ] || fail "$fix is not built"

d=$(tmpdir)
cd "$d"
mkdir def hib vw
"$tests_srcdir/mkwinphony.sh" def
"$tests_srcdir/mkwinphony.sh" hib hibernated
"$tests_srcdir/mkvirtiowin.sh" vw
sums=$(sha256sum def/winphony.ova hib/winphony.ova)
fb='/Program Files/v2vfs/firstboot'

# pull MNT OUT [hives]: the hives and the files the fix writes (only the
# hives with "hives"), read back through MNT's raw view.
pull ()
{
    local files=
    mkdir -p "$2"
    [ "${3:-}" = hives ] || files="download /Windows/System32/drivers/viostor.sys $2/viostor.sys
download \"$fb/firstboot.cmd\" $2/firstboot.cmd
download \"$fb/actions/40-ip-0050563a0010.cmd\" $2/ip.cmd
download \"$fb/actions/30-vmware-tools.cmd\" $2/tools.cmd
download /Windows/System32/config/SYSTEM.v2vfs-orig $2/SYSTEM.orig"
    guestfish --ro --format=raw -a "$1/disks/winphony-disk1.raw" -m /dev/sda2 <<GF
download /Windows/System32/config/SYSTEM $2/SYSTEM
download /Windows/System32/config/SOFTWARE $2/SOFTWARE
$files
GF
    guestfish --ro --format=raw -a "$1/disks/winphony-disk1.raw" -m /dev/sda2 \
        find / > "$2/files"
}
# refused MSG CMD...: CMD exits 1, its last line on stderr is
# "v2vfs-fix: MSG", and its report says MSG.
refused ()
{
    local msg=$1 r=0
    shift
    "$@" > refused.out 2> refused.err || r=$?
    [ "$r" -eq 1 ] || fail "$* exited $r, not 1: $(cat refused.out refused.err)"
    [ "$(tail -n 1 refused.err)" = "v2vfs-fix: $msg" ] ||
        fail "error line: $(tail -n 1 refused.err)"$'\n'"wanted: v2vfs-fix: $msg"
    grep -qxF "  Error:     $msg" refused.out || fail "the report does not say why: $(cat refused.out)"
}
# has_lines FILE LINE...: FILE has each LINE, exactly.
has_lines ()
{
    local file=$1 l
    shift
    for l in "$@"; do
        grep -qxF -e "$l" "$file" || fail "$file has no line '$l':"$'\n'"$(cat "$file")"
    done
}
# reg HIVE KEY: the key and its subkeys, as text.
reg ()
{
    hivexregedit --export --unsafe-printable-strings "$1" "$2"
}

# 1. The fix, with the tree.
v2vfs_mount --overlay "$d/ovl" def/winphony.ova mnt
grep -q 'bus="sata"' mnt/domain.xml || fail "domain.xml is not on SATA before the fix"
pull mnt pre hives
"$fix" --virtio-win "$d/vw/virtio-win" mnt > fix.out 2> fix.err ||
    fail "v2vfs-fix failed: $(cat fix.out fix.err)"
cat fix.out
has_lines fix.out \
    'winphony: fixed' \
    '  Guest:     Windows Server 2019 Standard (windows 10.0 build 17763, x86_64)' \
    '  Windows:   C:\Windows, edition ServerStandard, control set ControlSet002' \
    "    viostor    $d/vw/virtio-win/viostor/2k19/amd64" \
    "    qemu-ga    $d/vw/virtio-win/guest-agent/qemu-ga-x86_64.msi" \
    '    40-ip-0050563a0010.cmd: give the NIC 00:50:56:3a:00:10 the static IP of VMware'"'"'s {7c3e9a51-2b4d-4f68-9e0a-5d1c8b2f6a43}: 192.168.10.20/255.255.255.0 gateway 192.168.10.1, DNS 192.168.10.53,192.168.10.54, IPv6 DNS 2001:db8:10::53' \
    '  Result:    disks on virtio-blk, NICs virtio-net'
pull mnt one
reg one/SYSTEM '\ControlSet002\Services\viostor' > viostor.reg
cat > viostor.want <<'EOF'
Windows Registry Editor Version 5.00

[\ControlSet002\Services\viostor]
"ErrorControl"=dword:00000001
"Group"=str(1):"SCSI miniport"
"ImagePath"=str(2):"system32\drivers\viostor.sys"
"Start"=dword:00000000
"Type"=dword:00000001

[\ControlSet002\Services\viostor\Parameters]
"BusType"=dword:00000001

[\ControlSet002\Services\viostor\Parameters\PnpInterface]
"5"=dword:00000001

EOF
diff -u viostor.want viostor.reg || fail "the viostor service in ControlSet002"
cat viostor.reg
! reg one/SYSTEM '\ControlSet001\Services\viostor' > /dev/null 2>&1 ||
    fail "ControlSet001, not in use, was edited"
reg one/SYSTEM '\ControlSet002\Control\CriticalDeviceDatabase' > cdd.reg
for id in 'VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' 'VEN_1AF4&DEV_1001&REV_00' \
          'VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01' 'VEN_1AF4&DEV_1042&REV_01'; do
    grep -A2 -xF "[\\ControlSet002\\Control\\CriticalDeviceDatabase\\PCI#$id]" cdd.reg |
        tr '\n' ' ' | grep -qF '"ClassGUID"=str(1):"{4D36E97B-E325-11CE-BFC1-08002BE10318}" "Service"=str(1):"viostor"' ||
        fail "no CriticalDeviceDatabase entry for $id: $(cat cdd.reg)"
    reg one/SYSTEM "\\DriverDatabase\\DeviceIds\\PCI\\$id" | grep -qxF '"v2vfs-viostor.inf"=hex(3):01,ff,00,00' ||
        fail "no DriverDatabase entry for $id"
done
echo "CriticalDeviceDatabase and DriverDatabase: $(grep -c '^\[.*PCI#' cdd.reg) IDs each for viostor"
reg one/SOFTWARE '\Microsoft\Windows\CurrentVersion' > cv.reg
grep -qxF '"DevicePath"=str(2):"%SystemRoot%\inf;%SystemRoot%\Drivers\VirtIO"' cv.reg ||
    fail "DevicePath: $(grep DevicePath cv.reg)"
grep -qxF '"!v2vfs-firstboot"=str(1):"\"C:\Windows\System32\cmd.exe\" /c \"C:\Program Files\v2vfs\firstboot\firstboot.cmd\""' cv.reg ||
    fail "no RunOnce entry: $(grep -A3 RunOnce cv.reg)"
cmp one/viostor.sys vw/virtio-win/viostor/2k19/amd64/viostor.sys ||
    fail "System32\\drivers\\viostor.sys is not virtio-win's"
cmp one/SYSTEM.orig pre/SYSTEM || fail "SYSTEM.v2vfs-orig is not the hive as it was"
for f in viostor/viostor.inf viostor/viostor.cat viostor/viostor.sys NetKVM/netkvm.inf \
         Balloon/balloon.inf vioscsi/vioscsi.inf vioserial/vioser.inf; do
    grep -qxF "Windows/Drivers/VirtIO/$f" one/files || fail "$f is not staged"
done
for f in firstboot.cmd qemu-ga-x86_64.msi actions/10-drivers.cmd actions/20-guest-agent.cmd \
         actions/30-vmware-tools.cmd actions/40-ip-0050563a0010.cmd; do
    grep -qxF "Program Files/v2vfs/firstboot/$f" one/files || fail "first boot: no $f"
done
tr -d '\r' < one/ip.cmd > ip.got
cat > ip.want <<'EOF'
@echo off
rem v2vfs: the static IP configuration of VMware's NIC {7c3e9a51-2b4d-4f68-9e0a-5d1c8b2f6a43} (00:50:56:3a:00:10),
rem for the NIC that has its MAC now.  Its driver may take a while.
set "NIC="
for /l %%i in (1,1,60) do if not defined NIC (
  for /f "tokens=1,3 delims=," %%a in ('getmac /fo csv /nh /v') do if /i "%%~b"=="00-50-56-3A-00-10" set "NIC=%%~a"
  if not defined NIC ping -n 3 127.0.0.1 >nul
)
if not defined NIC (echo no NIC has the MAC 00-50-56-3A-00-10& exit /b 1)
netsh interface ipv4 set address name="%NIC%" source=static address=192.168.10.20 mask=255.255.255.0 gateway=192.168.10.1
netsh interface ipv4 set dnsservers name="%NIC%" source=static address=192.168.10.53 register=primary
netsh interface ipv4 add dnsservers name="%NIC%" address=192.168.10.54 index=2
netsh interface ipv6 set dnsservers name="%NIC%" source=static address=2001:db8:10::53 register=primary
exit /b 0
EOF
diff -u ip.want ip.got || fail "the static IP action"
grep -q $'\r$' one/ip.cmd || fail "the scripts do not end their lines in CRLF"
tr -d '\r' < one/tools.cmd | grep -qxF 'msiexec /x {A3F6B7C2-4D81-4E9F-B0C5-7E2D9A1F3C64} /qn /norestart' ||
    fail "VMware Tools: $(cat one/tools.cmd)"
echo "first boot: $(ls -1 one | wc -l) files read back; actions: $(grep -c '^Program Files/v2vfs/firstboot/actions/' one/files)"
for want in 'bus="virtio"' '<model type="virtio"/>' '<clock offset="localtime"' \
            '<relaxed state="on"/>' '<vapic state="on"/>' '<spinlocks state="on" retries="8191"/>' \
            '<vpindex state="on"/>' '<synic state="on"/>' '<stimer state="on"/>' \
            '<timer name="hypervclock" present="yes"/>'; do
    grep -qF "$want" mnt/domain.xml || fail "domain.xml has no $want: $(cat mnt/domain.xml)"
done
virt-xml-validate mnt/domain.xml domain > /dev/null || fail "domain.xml does not validate"
python3 - "$d/ovl/guestfix.json" <<'PY' || fail "the JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
run = r["runs"][-1]
assert r["result"] == {"disk_bus": "virtio", "nic_model": "virtio"}, r["result"]
assert run["os"]["controlset"] == "ControlSet002", run["os"]
assert [x["driver"] for x in run["drivers"]] == ["Balloon", "NetKVM", "vioscsi", "vioserial", "viostor", "qemu-ga"], run["drivers"]
assert [x["action"] for x in run["firstboot"]] == ["10-drivers.cmd", "20-guest-agent.cmd", "30-vmware-tools.cmd", "40-ip-0050563a0010.cmd"], run["firstboot"]
keys = [c["file"] for c in run["changes"]]
assert "HKLM\\SYSTEM\\ControlSet002\\Services\\viostor" in keys, keys
PY
echo "fixed: $(grep -c '^    [/H]' fix.out) changes; domain.xml: virtio, localtime, Hyper-V"

# 2. Again: nothing to do, the hives' bytes unchanged.
"$fix" --virtio-win "$d/vw/virtio-win" mnt > fix2.out 2> fix2.err ||
    fail "the second run failed: $(cat fix2.out fix2.err)"
grep -qx 'winphony: nothing left to do, the guest is already fixed' fix2.out ||
    fail "the second run changed something: $(cat fix2.out)"
pull mnt two
cmp one/SYSTEM two/SYSTEM && cmp one/SOFTWARE two/SOFTWARE || fail "the second run changed a hive"
echo "second run: nothing left to do; SYSTEM $(sha256sum < two/SYSTEM | cut -c1-16) and SOFTWARE $(sha256sum < two/SOFTWARE | cut -c1-16) unchanged"
v2vfs_unmount mnt

# 3. The ISO.
v2vfs_mount --overlay "$d/ovl-iso" def/winphony.ova mnt
"$fix" --virtio-win "$d/vw/virtio-win.iso" mnt > iso.out 2> iso.err ||
    fail "v2vfs-fix with the ISO failed: $(cat iso.out iso.err)"
grep -qxF "    viostor    $d/vw/virtio-win.iso/viostor/2k19/amd64" iso.out || fail "ISO: $(cat iso.out)"
pull mnt iso
for k in '\ControlSet002' '\DriverDatabase'; do
    diff <(reg one/SYSTEM "$k") <(reg iso/SYSTEM "$k") > /dev/null || fail "ISO: SYSTEM$k differs from the tree's"
done
diff <(reg one/SOFTWARE '\Microsoft') <(reg iso/SOFTWARE '\Microsoft') > /dev/null ||
    fail "ISO: SOFTWARE differs from the tree's"
diff one/files iso/files > /dev/null && cmp one/viostor.sys iso/viostor.sys || fail "ISO: the files differ"
echo "ISO: the same registry and files as with the tree"
v2vfs_unmount mnt

# 4. No storage driver.
cp -a vw/virtio-win nostor
rm -rf nostor/viostor nostor/vioscsi nostor/NetKVM/2k19
v2vfs_mount --overlay "$d/ovl-no" def/winphony.ova mnt
before=$(tree_sums ovl-no)
refused "no virtio storage driver (viostor or vioscsi) for Windows Server 2019 Standard (2k19, amd64) in $d/nostor: the guest could not boot from a virtio disk, so nothing was changed; give --virtio-win a virtio-win tree or ISO that has one, or --allow-unfixed to keep SATA and e1000" \
    "$fix" --virtio-win "$d/nostor" mnt
[ "$(tree_sums ovl-no | grep -v guestfix.json)" = "$before" ] ||
    fail "the refused run wrote to the overlay's disk"
grep -q 'bus="sata"' mnt/domain.xml || fail "domain.xml is not SATA after a refusal"
"$fix" --allow-unfixed --virtio-win "$d/nostor" mnt > unfixed.out 2> unfixed.err ||
    fail "--allow-unfixed failed: $(cat unfixed.out unfixed.err)"
grep -qxF '    virtio: no virtio storage driver for Windows Server 2019 Standard (2k19, amd64): the disks stay on SATA and the NICs on e1000 (--allow-unfixed)' unfixed.out ||
    fail "--allow-unfixed: $(cat unfixed.out)"
grep -qx '  Result:    disks on SATA, NICs e1000' unfixed.out || fail "--allow-unfixed: $(cat unfixed.out)"
has_lines unfixed.out "    NetKVM     $d/nostor/NetKVM/2k16/amd64 (no 2k19 directory: the nearest older one)"
grep -q 'bus="sata"' mnt/domain.xml && grep -q '<model type="e1000"/>' mnt/domain.xml ||
    fail "--allow-unfixed: domain.xml is not sata and e1000"
echo "no storage driver: refused, overlay untouched; --allow-unfixed: sata and e1000; NetKVM from 2k16 for want of 2k19"
v2vfs_unmount mnt

# 5. vioscsi without viostor: the disks go on virtio-scsi.
cp -a vw/virtio-win scsionly
rm -rf scsionly/viostor
v2vfs_mount --overlay "$d/ovl-scsi" def/winphony.ova mnt
"$fix" --virtio-win "$d/scsionly" mnt > scsi.out 2> scsi.err ||
    fail "v2vfs-fix with vioscsi only failed: $(cat scsi.out scsi.err)"
has_lines scsi.out '  Result:    disks on virtio-scsi, NICs virtio-net'
pull mnt scsi hives
reg scsi/SYSTEM '\ControlSet002\Services\vioscsi' | grep -qxF '"Start"=dword:00000000' ||
    fail "no boot-start vioscsi service"
grep -q '<controller type="scsi" model="virtio-scsi"' mnt/domain.xml &&
    grep -q 'bus="scsi"' mnt/domain.xml || fail "domain.xml is not on virtio-scsi: $(cat mnt/domain.xml)"
virt-xml-validate mnt/domain.xml domain > /dev/null || fail "domain.xml (virtio-scsi) does not validate"
echo "vioscsi only: the disks on virtio-scsi, vioscsi a boot-start service"
v2vfs_unmount mnt

# 6. Hibernated.
v2vfs_mount --overlay "$d/ovl-hib" hib/winphony.ova mnt
before=$(tree_sums ovl-hib)
refused 'Fast Startup is on (HiberbootEnabled=1) and C:\hiberfil.sys exists: Windows may have shut down into hibernation, and writing to its disks is unsafe, so nothing was changed; in the guest, turn Fast Startup off (powercfg /h off), shut it down and export it again' \
    "$fix" --virtio-win "$d/vw/virtio-win" mnt
[ "$(tree_sums ovl-hib | grep -v guestfix.json)" = "$before" ] ||
    fail "the refused run wrote to the overlay's disk"
echo "hibernated: refused, nothing written to the overlay's disk"
v2vfs_unmount mnt

# 7. A BitLocker volume: a disk whose one partition has BitLocker's
# header and FVE metadata blocks, which blkid (in the appliance) names
# BitLocker.  Inspection finds no OS on it; the fix says why.
python3 - <<'PY'
import struct
disk = bytearray(16 << 20)
part = 1 << 20
disk[446:462] = struct.pack('<B3sB3sII', 0, b'\0\0\0', 0x07, b'\0\0\0', 2048, 14 * 2048)
disk[510:512] = b'\x55\xaa'
hdr = bytearray(512)
hdr[0:11] = b'\xeb\x58\x90-FVE-FS-'
hdr[11:14] = struct.pack('<HB', 512, 8)
for i, off in enumerate((0x100000, 0x180000, 0x200000)):
    hdr[176 + 8 * i:184 + 8 * i] = struct.pack('<Q', off)
    disk[part + off:part + off + 12] = b'-FVE-FS-' + struct.pack('<HH', 64, 2)
hdr[510:512] = b'\x55\xaa'
disk[part:part + 512] = hdr
open('bitlocker.raw', 'wb').write(disk)
PY
qemu-img convert -f raw -O vmdk bitlocker.raw bitlocker.vmdk
v2vfs_mount --overlay "$d/ovl-bl" bitlocker.vmdk mnt
refused '/dev/sda1 is BitLocker-encrypted: v2vfs-fix cannot read or write it, so nothing was changed; turn BitLocker off in the guest (manage-bde -off C:) and export it again' \
    "$fix" --virtio-win "$d/vw/virtio-win" mnt
echo "BitLocker: refused"
v2vfs_unmount mnt

[ "$(sha256sum def/winphony.ova hib/winphony.ova)" = "$sums" ] || fail "an OVA changed"
echo "the OVAs are unchanged: $(cut -c1-16 <<<"$sums" | tr '\n' ' ')"
