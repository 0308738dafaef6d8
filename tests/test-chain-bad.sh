#!/usr/bin/env bash
# Bad snapshot chains: each is refused before mounting (exit 1, exactly
# one error line naming the file, the object and what is wrong, nothing
# left mounted), and v2vfs-sync refuses the same, and a target that does
# not fit:
#   - a parentCID that is not the parent's CID (and --ignore-cid, which
#     mounts it), a parent that is missing, a hint that escapes the
#     source directory, a parentCID with no hint;
#   - loops (a child its own parent; two children each other's), and the
#     depth limit: 255 layers mount, 256 are refused;
#   - an SEsparse delta whose journal is dirty; corrupt COWD and SEsparse
#     headers and grain table entries; a COWD extent opened by itself;
#   - v2vfs-sync: a target of another size than the disk (a delta larger
#     than the base copy), a target that is a file of the chain, a VMDK
#     that is no delta, a --base that is not in the chain.
# An absolute ESXi hint is not an error: the parent is looked for beside
# the child, and v2vfs says so; nor is a parent without a descriptor
# (no CID to check).
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 sed sha256sum
requires_fuse
sync=$tests_builddir/../fs/v2vfs-sync
[ -x "$sync" ] || fail "$sync is not built"

d=$(tmpdir)
cd "$d"
mkdir src mnt
# Text descriptors (twoGbMaxExtentSparse), which sed can edit.
qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse src/base.vmdk 16M
qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse -b base.vmdk \
    -F vmdk src/child.vmdk
cid=$(sed -n 's/^CID=//p' src/base.vmdk)

# hint NEW NAME: a copy of child.vmdk whose parentFileNameHint is NEW.
hint ()
{
    sed "s|^parentFileNameHint=.*|parentFileNameHint=\"$1\"|" src/child.vmdk > "src/$2"
}

sed 's/^parentCID=.*/parentCID=0badc0de/' src/child.vmdk > src/cid.vmdk
v2vfs_refused "v2vfs: src/cid.vmdk: descriptor: parentCID 0badc0de does not match CID $cid of its parent src/base.vmdk (--ignore-cid opens the chain anyway)" \
    src/cid.vmdk
for opt in --ignore-cid "-o ignore_cid"; do
    # shellcheck disable=SC2086 # the -o spelling is two words
    v2vfs_mount $opt src/cid.vmdk mnt
    qemu_compare raw mnt/disks/cid.raw vmdk src/base.vmdk
    v2vfs_unmount mnt
done

hint gone.vmdk missing.vmdk
v2vfs_refused "v2vfs: src/missing.vmdk: descriptor: parentFileNameHint 'gone.vmdk': no such file in src" \
    src/missing.vmdk
hint ../base.vmdk escape.vmdk
v2vfs_refused "v2vfs: src/escape.vmdk: descriptor: parentFileNameHint '../base.vmdk' escapes the source directory" \
    src/escape.vmdk
sed '/^parentFileNameHint=/d' src/child.vmdk > src/nohint.vmdk
v2vfs_refused "v2vfs: src/nohint.vmdk: descriptor: parentCID $(sed -n 's/^parentCID=//p' src/child.vmdk) but no parentFileNameHint names the parent" \
    src/nohint.vmdk

hint self.vmdk self.vmdk
v2vfs_refused "v2vfs: src/self.vmdk: descriptor: parentFileNameHint 'self.vmdk': a loop: self.vmdk is already in the chain" \
    src/self.vmdk
hint loop-b.vmdk loop-a.vmdk
hint loop-a.vmdk loop-b.vmdk
v2vfs_refused "v2vfs: src/loop-b.vmdk: descriptor: parentFileNameHint 'loop-a.vmdk': a loop: loop-a.vmdk is already in the chain" \
    src/loop-a.vmdk

# The depth limit: layer K names layer K-1 as its parent; each is a
# ZERO extent, so a chain of hundreds costs kilobytes.
python3 - <<'EOF'
for k in range(257):
    with open("src/deep-%03d.vmdk" % k, "w") as f:
        f.write('# Disk DescriptorFile\nversion=1\nCID=%08x\n' % (k + 1))
        if k == 0:
            f.write('parentCID=ffffffff\n')
        else:
            f.write('parentCID=%08x\nparentFileNameHint="deep-%03d.vmdk"\n' % (k, k - 1))
        f.write('createType="monolithicSparse"\nRW 32768 ZERO\n')
EOF
v2vfs_mount src/deep-254.vmdk mnt
[ "$(head -c 100 mnt/disks/deep-254.changed)" = '[{ "start": 0, "length": 16777216, "depth": 0, "present": true, "zero": true, "data": false}]' ] ||
    fail "255 layers: deep-254.changed is $(cat mnt/disks/deep-254.changed)"
v2vfs_unmount mnt
v2vfs_refused "v2vfs: src/deep-001.vmdk: descriptor: parentFileNameHint 'deep-000.vmdk': the chain is deeper than 255 layers" \
    src/deep-255.vmdk

# A sparse parent without an embedded descriptor has no CID: nothing to
# check, the chain mounts.
mkdir src/nodesc
qemu-img create -q -f vmdk src/nodesc/base.vmdk 16M
qemu-img create -q -f vmdk -b base.vmdk -F vmdk src/nodesc/child.vmdk
poke src/nodesc/base.vmdk 28 8 0                    # descriptorOffset
poke src/nodesc/base.vmdk 36 8 0                    # descriptorSize
v2vfs_mount src/nodesc/child.vmdk mnt
qemu_compare raw mnt/disks/child.raw vmdk src/nodesc/child.vmdk
v2vfs_unmount mnt

# An absolute hint from ESXi: the same name beside the child.
hint /vmfs/volumes/5f1e0c2a-7d6b9e10/vm/base.vmdk esxi.vmdk
"$V2VFS" src/esxi.vmdk mnt 2> err || fail "an absolute hint: $(cat err)"
cleanup_fn v2vfs_unmount mnt
[ "$(cat err)" = "v2vfs: src/esxi.vmdk: parentFileNameHint '/vmfs/volumes/5f1e0c2a-7d6b9e10/vm/base.vmdk' is a path on the VMware host: using 'base.vmdk' beside it" ] ||
    fail "an absolute hint: v2vfs said: $(cat err)"
v2vfs_unmount mnt

# A dirty SEsparse journal (tests/mkdelta.py writes ESXi deltas).
python3 "$tests_srcdir/mkdelta.py" --dirty-journal src/dirty disk base=vmfs \
    data@0:1M delta=sesparse data@4K:4K > /dev/null
v2vfs_refused "v2vfs: src/dirty/disk-000001-sesparse.vmdk: SEsparse volatile header at offset 512: the journal is dirty (replay_journal 1): the delta was not closed cleanly; let VMware replay it (power the VM on and off, or consolidate) first" \
    src/dirty/disk-000001.vmdk

# Corrupt deltas: each field checked names its file, object and offset.
python3 "$tests_srcdir/mkdelta.py" src/cowd disk base=vmfs data@0:1M \
    delta=cowd data@0:4K > /dev/null
poke src/cowd/disk-000001-delta.vmdk 16 4 3             # grainSize
v2vfs_refused "v2vfs: src/cowd/disk-000001-delta.vmdk: COWD header at offset 0: grain size 3 sectors is not a power of 2 up to 2048" \
    src/cowd/disk-000001.vmdk
v2vfs_refused "v2vfs: src/cowd/disk-000001-delta.vmdk: header at offset 0: a COWD (vmfsSparse) snapshot extent, which holds only the changes: open the descriptor that names it" \
    src/cowd/disk-000001-delta.vmdk
python3 "$tests_srcdir/mkdelta.py" --compact src/se disk base=vmfs data@0:1M \
    delta=sesparse data@0:4K > /dev/null
se=src/se/disk-000001-sesparse.vmdk
gte=$(( $(peek "$se" 144 8) * 512 ))     # grain 0's entry: the first table's first
cp "$se" se.orig
poke "$se" "$gte" 8 $(( 0x5 << 60 ))
v2vfs_refused "v2vfs: $se: SEsparse grain table 0 entry 0 at offset $gte: unknown entry 0x5000000000000000" \
    src/se/disk-000001.vmdk
poke "$se" "$gte" 8 $(( (0x3 << 60) | 0xfff ))
v2vfs_refused "v2vfs: $se: SEsparse grain table 0 entry 0 at offset $gte: grain 0 is cluster 16773120, past the grains' region (1 clusters)" \
    src/se/disk-000001.vmdk
cp se.orig "$se"
poke "$se" 24 8 16                                         # grain size
v2vfs_refused "v2vfs: $se: SEsparse header at offset 24: grain size 16 and grain table size 64 sectors (only 8 and 64 exist)" \
    src/se/disk-000001.vmdk

# v2vfs-sync.
qemu-img convert -O raw src/base.vmdk base.raw
truncate -s 8M small.raw
expect_fail_exact "v2vfs-sync: small.raw: holds 8388608 bytes, but the disk of src/child.vmdk is 16777216 bytes: a target must be a copy of the base disk, of the same size" \
    "$sync" src/child.vmdk small.raw
# A delta larger than its base, and so than the base's copy (ESXi grows a
# disk only without snapshots, but a file may say anything).
python3 "$tests_srcdir/mkdelta.py" src/big disk base=vmfs data@0:1M \
    delta=cowd size=65M data@4K:4K > /dev/null
qemu-img convert -O raw src/big/disk.vmdk big.raw
expect_fail_exact "v2vfs-sync: big.raw: holds 67108864 bytes, but the disk of src/big/disk-000001.vmdk is 68157440 bytes: a target must be a copy of the base disk, of the same size" \
    "$sync" src/big/disk-000001.vmdk big.raw
expect_fail_exact "v2vfs-sync: src/child-s001.vmdk: is a file of the chain itself, which is never written" \
    "$sync" src/child.vmdk src/child-s001.vmdk
expect_fail_exact "v2vfs-sync: src/base.vmdk: not a snapshot delta (its descriptor names no parent): there is nothing to apply" \
    "$sync" src/base.vmdk base.raw
expect_fail_exact "v2vfs-sync: --base src/cid.vmdk: not a file of the chain of src/child.vmdk" \
    "$sync" --base src/cid.vmdk src/child.vmdk base.raw
expect_fail_exact "v2vfs-sync: src/cid.vmdk: descriptor: parentCID 0badc0de does not match CID $cid of its parent src/base.vmdk (--ignore-cid opens the chain anyway)" \
    "$sync" src/cid.vmdk base.raw
echo "every bad chain refused with its one line"
