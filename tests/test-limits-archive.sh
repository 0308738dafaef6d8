#!/usr/bin/env bash
# The named limits of the OVA reader (formats/input-limits.h), each at
# the limit and one past it: at the limit the OVA mounts and its disk
# reads; one past, v2vfs refuses it with exactly one line naming the OVA,
# the header or file and its offset, and mounts nothing.
#   - LIMIT_TAR_MEMBERS: 100000 members (an OVF, its disk, empty files);
#   - LIMIT_TAR_META_BYTES: a pax header of 1 MiB;
#   - LIMIT_CHUNKS: a disk in 65536 chunks (ovftool's NAME.000000000 ...).
# And a tar of a million members is refused at member 100001, long before
# its end (its time and memory are shown, not asserted: the machine is
# shared).  The tars are written by tests/mktar.py, from the ustar
# specification.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir build src mnt

make_raw_fixture disk.raw $(( 8 << 20 ))
"$MKFIXTURE" ovftool disk.raw build/disk1.vmdk
one_disk_ovf disk1.vmdk > build/vm.ovf
mktar () { python3 -B "$tests_srcdir/mktar.py" "$@"; }

# mounts OVA: it mounts and its disk reads as disk.raw.
mounts ()
{
    v2vfs_mount "$1" mnt
    qemu_compare raw mnt/disks/disk1.raw raw disk.raw
    v2vfs_unmount mnt
}

# --- LIMIT_TAR_MEMBERS: 100000 -------------------------------------------
# The OVF and the disk, then empty members: the offset of the header of
# member K (from 1) is that of the third plus (K - 3) * 512.
mktar src/members-cap.ova --fill $(( 100000 - 2 )) build/vm.ovf build/disk1.vmdk
mounts src/members-cap.ova
third=$(( 512 + $(stat -c %s build/vm.ovf | awk '{ print int(($1 + 511) / 512) * 512 }') \
        + 512 + $(stat -c %s build/disk1.vmdk | awk '{ print int(($1 + 511) / 512) * 512 }') ))
mktar src/members-past.ova --fill $(( 100001 - 2 )) build/vm.ovf build/disk1.vmdk
v2vfs_refused "v2vfs: src/members-past.ova: tar header at offset $(( third + (100001 - 3) * 512 )): more than 100000 members" \
    src/members-past.ova
echo "tar members: 100000 mount, 100001 refused"

# A million members: the same refusal, at the same offset.
mktar src/million.ova --fill $(( 1000000 - 2 )) build/vm.ovf build/disk1.vmdk
echo "million.ova: $(stat -c %s src/million.ova) bytes"
v2vfs_refused "v2vfs: src/million.ova: tar header at offset $(( third + (100001 - 3) * 512 )): more than 100000 members" \
    src/million.ova
show_cost "$V2VFS" src/million.ova mnt
rm src/million.ova

# --- LIMIT_TAR_META_BYTES: a pax header of 1 MiB -------------------------
mktar src/pax-cap.ova --pax $(( 1 << 20 )) build/vm.ovf build/disk1.vmdk
mounts src/pax-cap.ova
mktar src/pax-past.ova --pax $(( (1 << 20) + 1 )) build/vm.ovf build/disk1.vmdk
v2vfs_refused "v2vfs: src/pax-past.ova: tar header at offset 0: pax header of 1048577 bytes is over the 1048576-byte limit" \
    src/pax-past.ova
echo "pax header: 1048576 bytes mount, 1048577 refused"

# --- LIMIT_CHUNKS: 65536 -------------------------------------------------
mktar src/chunks-cap.ova --chunks 65536 build/vm.ovf build/disk1.vmdk
mounts src/chunks-cap.ova
mktar src/chunks-past.ova --chunks 65537 build/vm.ovf build/disk1.vmdk
v2vfs_refused "v2vfs: src/chunks-past.ova:vm.ovf: File 'file1' at line 4: href 'disk1.vmdk': more than 65536 chunks" \
    src/chunks-past.ova
echo "chunks: 65536 mount, 65537 refused"
