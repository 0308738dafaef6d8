#!/usr/bin/env bash
# The test guest before any fix (scripts/mkguest: a Debian 12 that grew
# up on VMware, as an OVA), served by a v2vfs mount:
#   - under qemu (TCG) on a pvscsi controller, as on ESXi, it boots from
#     the mount's raw view, prints its marker with root=/dev/sda1, and
#     powers off;
#   - on virtio-blk it does not boot: its initramfs has no virtio driver
#     and gives up on /dev/sda1.
# qemu writes to a throwaway snapshot (snapshot=on); the OVA's sha256 does
# not change.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-system-x86_64 debootstrap guestfish sha256sum
requires_fuse
requires_root "building the guest"
use_libguestfs

ova=$("$tests_srcdir/../scripts/mkguest") || fail "scripts/mkguest failed"
sum=$(sha_of "$ova")
d=$(tmpdir)
v2vfs_mount "$ova" "$d/mnt"
disk=$d/mnt/disks/vmware-debian12-disk1.raw
qemu_pid=

stop_qemu () { [ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null; qemu_pid=; }
cleanup_fn stop_qemu

# boot LOG DEVICE-ARGS...: start qemu on the view, serial to LOG.
boot ()
{
    local log=$1
    shift
    qemu-system-x86_64 -machine q35,accel=tcg -m 1024 -nodefaults \
        -display none -no-reboot -serial "file:$log" \
        -drive "file=$disk,format=raw,if=none,id=d0,snapshot=on" "$@" &
    qemu_pid=$!
}

# wait_for LOG REGEX SECONDS: until LOG matches or qemu exits.
wait_for ()
{
    local i
    for (( i = 0; i < $3 * 2; i++ )); do
        grep -q -E "$2" "$1" 2>/dev/null && return 0
        kill -0 "$qemu_pid" 2>/dev/null || break
        sleep 0.5
    done
    grep -q -E "$2" "$1" 2>/dev/null
}

# 1. pvscsi, as on ESXi: the marker, then a power-off.
t0=$(date +%s)
boot "$d/pvscsi.log" -device pvscsi,id=pv -device scsi-hd,drive=d0,bus=pv.0
wait_for "$d/pvscsi.log" 'V2VFS-GUEST-MARKER' 900 ||
    fail "no marker on pvscsi: $(tail -n 20 "$d/pvscsi.log")"
grep -q 'V2VFS-GUEST-MARKER root=/dev/sda1' "$d/pvscsi.log" ||
    fail "the marker names another root: $(grep V2VFS-GUEST-MARKER "$d/pvscsi.log")"
wait "$qemu_pid" || true
qemu_pid=
echo "pvscsi: booted from the raw view in $(( $(date +%s) - t0 )) s:" \
     "$(grep -o 'V2VFS-GUEST-MARKER.*' "$d/pvscsi.log" | tr -d '\r')"

# 2. virtio-blk: the initramfs cannot find /dev/sda1.
t0=$(date +%s)
boot "$d/virtio.log" -device virtio-blk-pci,drive=d0
wait_for "$d/virtio.log" 'Gave up waiting for root|ALERT!|V2VFS-GUEST-MARKER' 900 ||
    fail "virtio-blk: neither a marker nor the initramfs giving up: $(tail -n 20 "$d/virtio.log")"
stop_qemu
if grep -q 'V2VFS-GUEST-MARKER' "$d/virtio.log"; then
    fail "the unfixed guest booted on virtio-blk"
fi
echo "virtio-blk: no boot after $(( $(date +%s) - t0 )) s:" \
     "$(grep -o -E 'Gave up waiting for root.*|ALERT!.*' "$d/virtio.log" | head -n 1 | tr -d '\r')"

v2vfs_unmount "$d/mnt"
[ "$(sha_of "$ova")" = "$sum" ] || fail "the OVA changed"
echo "the OVA's sha256 is unchanged: $sum"
