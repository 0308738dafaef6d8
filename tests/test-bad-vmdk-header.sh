#!/usr/bin/env bash
# Bad sparse headers: a file shorter than one header sector, random bytes
# named .vmdk, a KDMV header with a bad version, bad grain sizes, and
# capacities that overflow or are zero.
#
# Each must be refused before mounting: exit 1, exactly one error line
# naming the file, the object and its offset, nothing left mounted, and
# every fixture file byte for byte as it was.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img timeout sha256sum dd
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

make_raw_fixture disk.raw $(( 64 << 20 ))
"$MKFIXTURE" monolithicSparse disk.raw good.vmdk

# A sparse header cut short: 300 bytes of a real one.
head -c 300 good.vmdk > src/short.vmdk
v2vfs_refused "v2vfs: src/short.vmdk: sparse header at offset 0: file is truncated (300 bytes)" \
    src/short.vmdk

# Random bytes named .vmdk (the fixture starts with 128 KiB of them):
# neither sparse magic nor descriptor text.
head -c 65536 disk.raw > src/x.vmdk
v2vfs_refused "v2vfs: src/x.vmdk: header at offset 0: not a VMDK (no sparse magic, and not a descriptor)" \
    src/x.vmdk

# KDMV header fields (FORMATS.md A.1): version at 4, capacity at 12,
# grainSize at 20.
cp good.vmdk src/version.vmdk
poke src/version.vmdk 4 4 7
v2vfs_refused "v2vfs: src/version.vmdk: sparse header at offset 0: unsupported version 7" \
    src/version.vmdk

cp good.vmdk src/grain100.vmdk
poke src/grain100.vmdk 20 8 100
v2vfs_refused "v2vfs: src/grain100.vmdk: sparse header at offset 0: grain size 100 sectors is not a power of 2 up to 2048" \
    src/grain100.vmdk

cp good.vmdk src/grain4096.vmdk
poke src/grain4096.vmdk 20 8 4096
v2vfs_refused "v2vfs: src/grain4096.vmdk: sparse header at offset 0: grain size 4096 sectors is not a power of 2 up to 2048" \
    src/grain4096.vmdk

# A stream whose header and footer claim 0xFFFFFFFFFFFFFFF0 sectors.
"$MKFIXTURE" ovftool disk.raw src/capacity.vmdk --corrupt-capacity
v2vfs_refused "v2vfs: src/capacity.vmdk: sparse header at offset 0: capacity 18446744073709551600 sectors overflows (the limit is 2199023255552 sectors, 1 PiB)" \
    src/capacity.vmdk

# Capacity 0 with grain tables that map 64 MiB.
cp good.vmdk src/capacity0.vmdk
poke src/capacity0.vmdk 12 8 0
v2vfs_refused "v2vfs: src/capacity0.vmdk: sparse header at offset 0: capacity is 0 sectors" \
    src/capacity0.vmdk
