#!/usr/bin/env bash
# ESXi snapshot chains (issue 15): a flat base (createType "vmfs" or
# "monolithicFlat") under COWD (vmfsSparse) and SEsparse deltas, written
# by tests/mkdelta.py from a spec of writes, in several patterns: COWD
# with 1-sector grains and with larger ones, SEsparse, mixed chains,
# grains at the capacity and grain-table boundaries, holes, zeroed and
# unmapped grains over data, and an empty delta.
#
# Oracles: qemu-img (which reads both delta formats) and tests/deltaref.py
# (a reader written from FORMATS.md) must agree on every chain, byte for
# byte and extent for extent, and with mkdelta.py's own model: that
# catches a broken writer.  Then the mount of the top descriptor must show
# deltaref.py's merged disk in NAME.raw, a NAME.qcow2 that qemu-img check
# passes and that reads the same, and deltaref.py's changed extents in
# NAME.changed.  Last, a chain whose parent hints are absolute ESXi paths
# (/vmfs/volumes/...) mounts from the files beside each child, and v2vfs
# says so on stderr.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 cmp
requires_fuse

d=$(tmpdir)
cd "$d"

# 64 MiB + 7 sectors: not a multiple of an SEsparse grain (8 sectors), of
# a 128-sector COWD grain, nor of any grain table's coverage (COWD 4096
# grains, SEsparse 16 MiB).
S=64M+7s

# chain LABEL SEED SIZE TOKENS...: write the chain into LABEL/, check it
# against qemu-img and deltaref.py, mount its top and check the views.
chain ()
{
    local label=$1 seed=$2 size=$3 top deltas name
    shift 3
    deltas=$(printf '%s\n' "$@" | grep -c '^delta=')
    top=$(mkdelta --seed "$seed" --size "$size" --raw "$label/model.raw" \
                  "$label" disk "$@")
    check_chain_oracles "$label" "$top" "$deltas" "$label/model.raw"
    name=$(basename "$top" .vmdk)
    v2vfs_mount "$top" "$d/$label/mnt"
    check_chain_views "$label" "$label/mnt" "$name" "$top.ref.raw" \
        "$top.ref.changed"
    v2vfs_unmount "$d/$label/mnt"
    echo "$label: views checked"
}

# COWD with 1-sector grains (what ESXi writes): unaligned data, a write
# across a grain table's 2 MiB coverage, zeros over base data (COWD has no
# zeroed-grain state: these are allocated grains of zeros), a far
# grain table with holes between, the last sector.
chain cowd1 11 "$S" \
    base=vmfs data@0:2M data@8M:1M data@-64K:64K \
    delta=cowd data@4K+3:1000 data@2096152:2000 zero@8M+4K:12K \
    data@40M+512:300 data@-1s:1s

# COWD with 64 KiB grains: sub-grain writes copy the rest of their grain
# from the base; the last grain is 7 sectors long.
chain cowd128 12 "$S" \
    base=flat data@0:1M data@8M:2M data@-100K:100K \
    delta=cowd grain=128 data@100K+7:10K zero@8M:128K zerodata@9M:64K \
    data@-1s:1s data@-70K:3

# SEsparse: sub-grain data, zeroed (nibble 2) and unmapped (nibble 1)
# grains over base data, a zero range that covers grains only in part
# (zero data), a write across the 16 MiB coverage of a grain table, the
# last (7-sector) grain.
chain sesparse 13 "$S" \
    base=vmfs data@0:2M data@8M:1M data@16M:1M data@-64K:64K \
    delta=sesparse data@5000:3000 zero@8M:64K unmap@8M+128K:64K \
    zero@100:200 data@16775168:4K data@60M:4K data@-1s:1s

# Mixed: base -> COWD -> SEsparse, the SEsparse level zeroing and
# unmapping what the COWD level wrote and writing over part of it.
chain mixed 14 "$S" \
    base=vmfs data@0:4M data@-1M:1M \
    delta=cowd data@1M:1M data@3M+1:5000 data@-3s:3s \
    delta=sesparse zero@1M:256K unmap@1M+512K:4K data@1M+300K:10 \
    data@3M:4K data@-2s:1s

# Boundaries: 48 MiB + 3 sectors, so the last SEsparse grain and the last
# grain of a 4-sector COWD are 3 sectors; writes end exactly at the
# capacity, straddle grain tables (COWD grain 4: 8 MiB coverage) and
# cover the first sector.
chain boundary 15 48M+3s \
    base=flat data@0:1s data@-3s:3s \
    delta=sesparse data@-3s:3s data@16M:1s data@16777215:2 \
    delta=cowd grain=4 data@-1s:1s data@8M:2K data@8388607:2 data@0:1 \
    delta=sesparse zero@32M:16M data@-4K:1K

# Holes: a base with nothing written, an empty COWD delta, then an
# SEsparse delta with a few grains far apart (grain directory entries of
# 0 between them).
chain holes 16 "$S" \
    base=vmfs \
    delta=cowd \
    delta=sesparse data@0:1 data@20M:4K data@50M+4K:4K zero@63M:4K

# Zeroed grains over data, then data over the zeroed grains: the COWD
# grain written over a zeroed SEsparse grain holds zeros around the
# write, not the base's data.
chain zeroed 17 "$S" \
    base=vmfs data@0:8M \
    delta=sesparse zero@0:1M unmap@1M:1M zero@2M+4K:4K \
    delta=cowd grain=8 data@512K+100:1000 data@1M+4K+1:1 data@2M+4K:512

# ESXi absolute parent hints (/vmfs/volumes/<uuid>/disk/PARENT.vmdk, no
# such file here): the parents are found beside each child.  qemu-img
# cannot follow such hints; deltaref.py must read the chain as mkdelta.py
# made it.
mkdelta --seed 18 --size "$S" --raw esxi/model.raw --esxi-hint esxi disk \
    base=vmfs data@0:1M delta=cowd data@4K:4K delta=sesparse data@8K:4K \
    > /dev/null
grep -q '^parentFileNameHint="/vmfs/volumes/.*/disk/disk-000001.vmdk"$' \
    esxi/disk-000002.vmdk || fail "esxi: the top's hint is not absolute"
deltaref raw esxi/disk-000002.vmdk esxi/ref.raw ||
    fail "esxi: deltaref.py does not read the chain"
cmp esxi/model.raw esxi/ref.raw || fail "esxi: deltaref.py and mkdelta.py differ"
# In the foreground (v2vfs_start), so that all of v2vfs's stderr is in
# the log.
v2vfs_start esxi/log esxi/disk-000002.vmdk "$d/esxi/mnt"
cmp esxi/mnt/disks/disk-000002.raw esxi/ref.raw || fail "esxi: the raw view differs"
v2vfs_stop "$d/esxi/mnt" "$v2vfs_pid" || fail "esxi: v2vfs exited with status $?"
cat esxi/log
grep -q -F "/vmfs/volumes/" esxi/log ||
    fail "esxi: v2vfs said nothing about the absolute hint on stderr"
echo "esxi: absolute hints fall back to the files beside the children"
