#!/usr/bin/env bash
# Hosted snapshot chains (issue 15) as qemu-img writes them: a base VMDK
# (monolithicSparse, twoGbMaxExtentSparse, then monolithicFlat) under two
# children made with "qemu-img create -f vmdk -b PARENT -F vmdk", each
# level written with qemu-io: data over data of lower levels, "write -z"
# over data (zeros written as data in child1; zeroed-grain GTEs in child2,
# made with zeroed_grain=on), unaligned sub-grain writes, and writes at
# the very end of a disk whose last grain is partial.
#
# Oracles: qemu-img.  The mount of the top child shows in NAME.raw what
# qemu-img convert reads from it (qemu-img compare, and cmp); NAME.qcow2
# passes qemu-img check and compares identical; NAME.changed holds the
# extents of qemu-img map's entries above the base (depth < 2), compared
# as merged (start, length, zero) ranges and then with their depths.
# tests/deltaref.py reads each chain too, and must agree with qemu-img.
# Last, a .vmx whose scsi0:0.fileName names the top child mounts the
# chain.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img qemu-io python3 cmp
requires_fuse

d=$(tmpdir)
cd "$d"

# 64 MiB + 7 sectors: the last 64 KiB grain holds 7 sectors.
size=$(( (64 << 20) + 7 * 512 ))

qio ()
{
    local f=$1
    shift
    qemu-io -f vmdk "${@/#/-c}" "$f" > /dev/null || fail "qemu-io $* $f failed"
}

# round SUBFORMAT: the chain on a base of SUBFORMAT, checked.
round ()
{
    local sub=$1 r=$1 top
    mkdir "$r"
    qemu-img create -q -f vmdk -o subformat="$sub" "$r/base.vmdk" "$size"
    qio "$r/base.vmdk" \
        "write -P 0x11 0 1M" \
        "write -P 0x12 8M 2M" \
        "write -P 0x13 $(( size - (128 << 10) )) 128K"
    # child1: plain grains (write -z falls back to writing zero data).
    qemu-img create -q -f vmdk -b base.vmdk -F vmdk "$r/child1.vmdk"
    qio "$r/child1.vmdk" \
        "write -P 0x21 512K 1M" \
        "write -P 0x22 3000 1000" \
        "write -z $(( (8 << 20) + (64 << 10) )) 128K" \
        "write -P 0x23 $(( size - 512 )) 512" \
        "write -P 0x24 40M 64K"
    # child2: zeroed-grain GTEs (GTE 1, flag 0x4) for whole zeroed grains.
    qemu-img create -q -f vmdk -o zeroed_grain=on -b child1.vmdk -F vmdk \
        "$r/child2.vmdk"
    qio "$r/child2.vmdk" \
        "write -P 0x31 $(( (700 << 10) + 5 )) 300" \
        "write -z 0 64K" \
        "write -z $(( (8 << 20) + (256 << 10) )) 512K" \
        "write -z $(( (1 << 20) + 100 )) 1000" \
        "write -P 0x32 $(( size - 3 * 512 )) 1024" \
        "write -z 40M 64K"
    top=$r/child2.vmdk
    grep -a -q '^parentFileNameHint="child1.vmdk"' "$top" ||
        fail "$r: qemu-img wrote no parent hint into $top"

    check_chain_oracles "$r" "$top" 2
    qemu-img convert -q -f vmdk -O raw "$top" "$r/qemu.raw"

    v2vfs_mount "$top" "$d/$r/mnt"
    qemu_compare raw "$r/mnt/disks/child2.raw" raw "$r/qemu.raw"
    check_chain_views "$r" "$r/mnt" child2 "$r/qemu.raw" "$top.ref.changed"

    # NAME.changed against qemu-img map itself: first the ranges and
    # their kinds, whatever the depth, then with the depths.
    deltaref qemu-changed --no-depth 2 "$top.qemu.map" > "$r/qemu.nodepth"
    deltaref normalize --no-depth "$r/mnt/disks/child2.changed" > "$r/got.nodepth"
    diff -u "$r/qemu.nodepth" "$r/got.nodepth" >&2 ||
        fail "$r: child2.changed has other ranges than qemu-img map"
    deltaref normalize "$r/mnt/disks/child2.changed" > "$r/got.depth"
    diff -u "$top.qemu.changed" "$r/got.depth" >&2 ||
        fail "$r: child2.changed has other depths than qemu-img map"
    # Something is zeroed in child2 over data below (the zeroed grain at
    # 0), and child1's zero data is data.
    grep -q -x '0 65536 0 zero' "$r/got.depth" ||
        fail "$r: the zeroed grain at 0 is not a zero extent of depth 0"
    grep -q -x "$(( (8 << 20) + (64 << 10) )) $(( 128 << 10 )) 1 data" "$r/got.depth" ||
        fail "$r: child1's written zeros are not data of depth 1"
    v2vfs_unmount "$d/$r/mnt"
    echo "$r: views and changed extents checked"
}

round monolithicSparse
round twoGbMaxExtentSparse
round monolithicFlat

# A .vmx naming the top child: the chain is its one disk.
cat > monolithicSparse/chain.vmx <<'EOF'
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "chain"
guestOS = "other-64"
memSize = "256"
numvcpus = "1"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsilogic"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "child2.vmdk"
EOF
v2vfs_mount monolithicSparse/chain.vmx "$d/vmx-mnt"
cmp vmx-mnt/disks/child2.raw monolithicSparse/qemu.raw ||
    fail "vmx: child2.raw differs from qemu-img convert of the chain"
[ -f vmx-mnt/disks/child2.changed ] || fail "vmx: no child2.changed"
v2vfs_unmount "$d/vmx-mnt"
echo "vmx: the chain named by scsi0:0.fileName mounts"
