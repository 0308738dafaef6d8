#!/usr/bin/env bash
# Bad grain tables: a monolithicSparse VMDK cut in the middle of its
# grain tables or of its grains, a stream whose first grain table entry
# points at the end of the file (mkstream --corrupt-gte-past-eof), and a
# qemu-img monolithicSparse with one entry patched to a huge sector.
#
# The tables are read at mount (mount cost is O(metadata)), so each must
# be refused before mounting: exit 1, exactly one error line naming the
# file, the table entry and the offset, nothing left mounted, and every
# fixture file byte for byte as it was.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img timeout sha256sum dd od truncate
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

make_raw_fixture disk.raw $(( 64 << 20 ))
"$MKFIXTURE" monolithicSparse disk.raw good.vmdk

# Where qemu-img put the tables (FORMATS.md A.1, A.3): rgdOffset at 48,
# gdOffset at 56, overHead at 64; each GD entry is a GT's sector.
rgd=$(peek good.vmdk 48 8)
gd=$(peek good.vmdk 56 8)
overhead=$(peek good.vmdk 64 8)
gt0=$(peek good.vmdk $(( gd * 512 )) 4)
rgt0=$(peek good.vmdk $(( rgd * 512 )) 4)
[ "$gt0" -gt 0 ] && [ "$gt0" -lt "$overhead" ] ||
    fail "unexpected qemu-img layout: GT 0 at sector $gt0, overHead $overhead"

# Cut 1000 bytes into the first grain table (a download that stopped
# there): the grains, which start at overHead, are all gone.
cut=$(( gt0 * 512 + 1000 ))
cp good.vmdk src/cut-gt.vmdk
truncate -s "$cut" src/cut-gt.vmdk
v2vfs_refused "v2vfs: src/cut-gt.vmdk: sparse header at offset 0: overHead $overhead sectors is past the end of the file ($(( cut / 512 )) sectors)" \
    src/cut-gt.vmdk

# Cut 36 KiB into the first 64 KiB grain (grain 0, data in the fixture,
# so GT 0 entry 0 = overHead): the tables are whole, grain 0 is not.
cut=$(( overhead * 512 + 36864 ))
[ "$(peek good.vmdk $(( gt0 * 512 )) 4)" -eq "$overhead" ] ||
    fail "unexpected qemu-img layout: grain 0 is not at overHead"
cp good.vmdk src/cut-grain.vmdk
truncate -s "$cut" src/cut-grain.vmdk
v2vfs_refused "v2vfs: src/cut-grain.vmdk: grain table 0 entry 0: grain 0 at offset $(( overhead * 512 )) (65536 bytes) extends past the end of the file ($cut bytes)" \
    src/cut-grain.vmdk

# mkstream: the first allocated GTE (grain 0) points at the end of the
# file.
"$MKFIXTURE" ovftool disk.raw src/gte-eof.vmdk --corrupt-gte-past-eof
size=$(stat -c %s src/gte-eof.vmdk)
v2vfs_refused "v2vfs: src/gte-eof.vmdk: grain table 0 entry 0: grain 0 at offset $size (14 bytes) extends past the end of the file ($size bytes)" \
    src/gte-eof.vmdk

# qemu-img file, GT 0 entry 5 (grain 5 holds data) set to sector
# 0xFFFFFFF0 in the table and in its redundant copy, so that it does not
# matter which copy a reader trusts.
cp good.vmdk src/gte-huge.vmdk
poke src/gte-huge.vmdk $(( gt0 * 512 + 5 * 4 )) 4 0xFFFFFFF0
poke src/gte-huge.vmdk $(( rgt0 * 512 + 5 * 4 )) 4 0xFFFFFFF0
size=$(stat -c %s src/gte-huge.vmdk)
v2vfs_refused "v2vfs: src/gte-huge.vmdk: grain table 0 entry 5: grain 5 at offset $(( 0xFFFFFFF0 * 512 )) (65536 bytes) extends past the end of the file ($size bytes)" \
    src/gte-huge.vmdk
