#!/usr/bin/env bash
# Bad descriptor extents: a monolithicFlat descriptor whose -flat file
# was removed, a twoGbMaxExtentSparse set with one extent file missing,
# and extent lines whose sector count overflows (times 512, or past the
# 1 PiB cap on a disk).
#
# Each must be refused before mounting: exit 1, exactly one error line
# naming the descriptor, the line and the bad value, nothing left
# mounted, and every fixture file byte for byte as it was.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img timeout sha256sum truncate
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

# descriptor FILE EXTENT-LINE...: a monolithicFlat-style descriptor
# whose extent lines start at line 8.
descriptor ()
{
    local f=$1
    shift
    {
        printf '%s\n' '# Disk DescriptorFile' 'version=1' 'CID=3ebc653f' \
            'parentCID=ffffffff' 'createType="monolithicFlat"' '' \
            '# Extent description'
        printf '%s\n' "$@"
        printf '%s\n' '' '# The Disk Data Base' '#DDB' '' \
            'ddb.adapterType = "ide"'
    } > "$f"
}

make_raw_fixture disk.raw $(( 64 << 20 ))

# monolithicFlat without its -flat file.
mkdir src/flat
"$MKFIXTURE" monolithicFlat disk.raw src/flat/disk.vmdk
rm src/flat/disk-flat.vmdk
v2vfs_refused "v2vfs: src/flat/disk.vmdk: descriptor line 8: extent file 'disk-flat.vmdk': no such file in src/flat" \
    src/flat/disk.vmdk

# twoGbMaxExtentSparse of 2 GiB + 64 MiB: two extent files (qemu splits
# at 4194304 sectors); the second one is missing.
mkdir src/split
truncate -s $(( (2 << 30) + (64 << 20) )) big.raw
"$MKFIXTURE" twoGbMaxExtentSparse big.raw src/split/disk.vmdk
[ -f src/split/disk-s001.vmdk ] && [ -f src/split/disk-s002.vmdk ] ||
    fail "qemu-img did not write disk-s001.vmdk and disk-s002.vmdk"
rm src/split/disk-s002.vmdk
v2vfs_refused "v2vfs: src/split/disk.vmdk: descriptor line 9: extent file 'disk-s002.vmdk': no such file in src/split" \
    src/split/disk.vmdk

# 2^55 sectors: the byte count (2^64) overflows.  The flat file exists,
# so only the number is wrong.
cp disk.raw src/flat/disk-flat.vmdk
descriptor src/flat/times512.vmdk \
    'RW 36028797018963968 FLAT "disk-flat.vmdk" 0'
v2vfs_refused "v2vfs: src/flat/times512.vmdk: descriptor line 8: extent size 36028797018963968 sectors overflows (the limit is 2199023255552 sectors, 1 PiB)" \
    src/flat/times512.vmdk

# 2^55 - 1 sectors of ZERO: fits in 64 bits as bytes but is far past the
# 1 PiB cap.
descriptor src/flat/zero.vmdk 'RW 36028797018963967 ZERO'
v2vfs_refused "v2vfs: src/flat/zero.vmdk: descriptor line 8: extent size 36028797018963967 sectors overflows (the limit is 2199023255552 sectors, 1 PiB)" \
    src/flat/zero.vmdk
