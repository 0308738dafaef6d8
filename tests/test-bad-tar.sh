#!/usr/bin/env bash
# Broken OVA (tar) files: a corrupt checksum in the first header, an OVA
# cut in the middle of a member and in the middle of a header, garbage
# named .ova, and a pax header with a negative size.
#
# Each must be refused before mounting: exit 1, exactly one error line
# naming the OVA, the header and its offset, nothing left mounted, and
# every fixture file byte for byte as it was.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 tar timeout sha256sum dd truncate
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir build src mnt

make_raw_fixture disk.raw $(( 8 << 20 ))
"$MKFIXTURE" ovftool disk.raw build/disk1.vmdk
one_disk_ovf disk1.vmdk > build/vm.ovf
tar --format=ustar -C build -cf good.ova vm.ovf disk1.vmdk

# The OVA itself is good.
cp good.ova src/good.ova
v2vfs_mount src/good.ova "$d/mnt"
qemu_compare raw "$d/mnt/disks/disk1.raw" raw disk.raw
v2vfs_unmount "$d/mnt"

# Where the disk member's header is: after the OVF's header and data.
ovf_size=$(stat -c %s build/vm.ovf)
disk_size=$(stat -c %s build/disk1.vmdk)
hdr2=$(( 512 + (ovf_size + 511) / 512 * 512 ))

# The checksum field (148..155) of the first header.
cp good.ova src/checksum.ova
printf '7777777\0' | dd of=src/checksum.ova bs=1 seek=148 conv=notrunc status=none
v2vfs_refused "v2vfs: src/checksum.ova: tar header at offset 0: bad checksum (not a tar archive, or corrupt)" \
    src/checksum.ova

# Cut in the middle of the disk member's data.
cut=$(( hdr2 + 512 + disk_size / 2 ))
cp good.ova src/cut-member.ova
truncate -s "$cut" src/cut-member.ova
v2vfs_refused "v2vfs: src/cut-member.ova: tar header at offset $hdr2: member of $disk_size bytes extends past the end of the archive ($cut bytes)" \
    src/cut-member.ova

# Cut in the middle of the disk member's header.
cp good.ova src/cut-header.ova
truncate -s $(( hdr2 + 256 )) src/cut-header.ova
v2vfs_refused "v2vfs: src/cut-header.ova: tar header at offset $hdr2: archive is truncated" \
    src/cut-header.ova

# Random bytes named .ova (the fixture starts with 128 KiB of them).
head -c 65536 disk.raw > src/garbage.ova
v2vfs_refused "v2vfs: src/garbage.ova: tar header at offset 0: bad checksum (not a tar archive, or corrupt)" \
    src/garbage.ova

# A pax extended header (at offset 0, for vm.ovf) that says size=-5.
# GNU tar itself says "Extended header size=-5 is out of range".
tar --format=pax --pax-option='size:=-5' -C build -cf src/pax-size.ova \
    vm.ovf disk1.vmdk
v2vfs_refused "v2vfs: src/pax-size.ova: pax header at offset 0: bad size '-5'" \
    src/pax-size.ova
