#!/usr/bin/env bash
# SEEK_DATA / SEEK_HOLE on disks/NAME.raw, against a layout written here
# with data at known grain-aligned and unaligned places (1 GiB + 7 sectors,
# 64 KiB grains).  Writing non-zero bytes [X, Y) allocates grains
# floor(X/64K) .. ceil(Y/64K) - 1; all-zero grains are not stored by
# qemu-img (not even when written explicitly), so they are holes.
#
# Each layout is served from a monolithicSparse VMDK (uncompressed grains,
# every grain table present), a qemu-img streamOptimized one (deflated
# grains) and an ovftool-style stream (grain tables only where there is
# data, so SEEK_DATA skips whole missing tables); all must give the exact
# data/hole runs listed below.  Layout "tail" ends with data in the
# last, partial grain; layout "notail" has nothing after 700 MiB, so
# SEEK_DATA there must fail with ENXIO.
#
# Then copies that rely on SEEK_DATA: cp --sparse=always and qemu-img
# convert -O raw must give the raw image's bytes (qemu-img compare) in a
# sparse file holding about the layout's data: du within 5% of the layout's
# non-zero 4 KiB blocks, which is what both write (they skip zero blocks
# inside allocated grains too).
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 cp du
requires_fuse

seekmap=$tests_srcdir/seek-map.py
# The interpreter itself: python3 may be a version-manager shim that costs
# half a second a call, and this test calls it ten times.
py=$(python3 -c 'import sys; print(sys.executable)') || fail "python3 does not run"
d=$(tmpdir)
K=65536 M=$(( 1 << 20 ))
size=$(( (1 << 30) + 7 * 512 ))

# mklayout RAW tail|notail: write the layout; print the number of bytes in
# the 4 KiB blocks that hold non-zero data.
mklayout ()
{
    "$py" - "$1" "$size" "$2" <<'EOF' || fail "cannot write the layout $1"
import os, random, sys
path, size, variant = sys.argv[1], int(sys.argv[2]), sys.argv[3]
K, M = 64 << 10, 1 << 20
rng = random.Random(7)
writes = [
    (0, 1),                    # one byte at 0
    (M, 2 * K),                # two whole grains
    (3 * M - 100, 200),        # across a grain boundary, unaligned
    (5 * M + 1000, 1000),      # inside one grain, unaligned
    (32 * M - K, 2 * K),       # across the first grain table (32 MiB)
    (40 * M, 3 * K),           # three grains; the middle one zeroed below
    (50 * M + 60000, 5546),    # unaligned, ends 10 bytes into the next grain
    (100 * M, 4 * M),          # a long aligned run
    (200 * M, 10),             # two writes in adjacent grains
    (200 * M + K + 5, 1),
    (260 * M, 1),              # alone, in the 9th grain table (GT 8)
    (700 * M + 12345, 1),      # alone, far out
]
if variant == "tail":
    writes.append((size - 100, 100))     # the last, partial grain
zeroed = (40 * M + K, K)                 # explicit zeros: a hole again

fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.ftruncate(fd, size)
blocks = set()
for off, n in writes:
    os.pwrite(fd, rng.randbytes(n).replace(b"\0", b"\1"), off)
    blocks.update(range(off // 4096, (off + n + 4095) // 4096))
os.pwrite(fd, bytes(zeroed[1]), zeroed[0])
blocks -= set(range(zeroed[0] // 4096, (zeroed[0] + zeroed[1]) // 4096))
os.close(fd)
print(len(blocks) * 4096)
EOF
}

# The expected runs, "DATA_START HOLE_START", by hand from the layout.
cat > "$d/notail.expected" <<EOF
0 $K
$M $(( M + 2 * K ))
$(( 3 * M - K )) $(( 3 * M + K ))
$(( 5 * M )) $(( 5 * M + K ))
$(( 32 * M - K )) $(( 32 * M + K ))
$(( 40 * M )) $(( 40 * M + K ))
$(( 40 * M + 2 * K )) $(( 40 * M + 3 * K ))
$(( 50 * M )) $(( 50 * M + 2 * K ))
$(( 100 * M )) $(( 104 * M ))
$(( 200 * M )) $(( 200 * M + 2 * K ))
$(( 260 * M )) $(( 260 * M + K ))
$(( 700 * M )) $(( 700 * M + K ))
EOF
{ cat "$d/notail.expected"; echo "$(( 1 << 30 )) $size"; } > "$d/tail.expected"

# Single lseek answers, "data|hole OFFSET RESULT": inside runs, at their
# edges, in the zeroed grain, and at and past the end of the data.
cat > "$d/common.seeks" <<EOF
data 0 0
data 1 1
hole 1 $K
data $K $M
data $(( M + 2 * K - 1 )) $(( M + 2 * K - 1 ))
hole $(( M + 2 * K - 1 )) $(( M + 2 * K ))
hole $(( M + 2 * K )) $(( M + 2 * K ))
data $(( 40 * M + K )) $(( 40 * M + 2 * K ))
hole $(( 40 * M + K )) $(( 40 * M + K ))
hole $(( 200 * M + K )) $(( 200 * M + 2 * K ))
data $(( 200 * M + 2 * K )) $(( 260 * M ))
data $size ENXIO
hole $size ENXIO
EOF
{ cat "$d/common.seeks"; cat <<EOF; } > "$d/tail.seeks"
data $(( 700 * M + K )) $(( 1 << 30 ))
data $(( size - 1 )) $(( size - 1 ))
hole $(( size - 1 )) $size
EOF
{ cat "$d/common.seeks"; cat <<EOF; } > "$d/notail.seeks"
data $(( 700 * M + K )) ENXIO
hole $(( 700 * M + K )) $(( 700 * M + K ))
data $(( size - 1 )) ENXIO
hole $(( size - 1 )) $(( size - 1 ))
EOF

for layout in tail notail; do
    data4k=$(mklayout "$d/$layout.raw" $layout)
    for sub in monolithicSparse streamOptimized ovftool; do
        name=$layout-$sub
        "$MKFIXTURE" $sub "$d/$layout.raw" "$d/$name.vmdk"
        v2vfs_mount "$d/$name.vmdk" "$d/mnt-$name"
        view=$d/mnt-$name/disks/$name.raw

        "$py" "$seekmap" "$view" > "$d/$name.map"
        diff -u "$d/$layout.expected" "$d/$name.map" >&2 ||
            fail "$name: SEEK_DATA/SEEK_HOLE runs differ from the layout"

        # shellcheck disable=SC2046  # "data|hole OFFSET" pairs as arguments
        "$py" "$seekmap" "$view" $(cut -d' ' -f1,2 "$d/$layout.seeks") \
                > "$d/$name.seeks" || fail "$name: seek-map.py failed"
        diff -u "$d/$layout.seeks" "$d/$name.seeks" >&2 ||
            fail "$name: lseek answers differ from the layout"

        # st_blocks: the runs, the last partial grain counted whole or not.
        runs=$(awk '{ n += $2 - $1 } END { print n + 0 }' "$d/$layout.expected")
        alloc=$(( $(stat -c %b "$view") * 512 ))
        echo "$name: st_blocks*512 = $alloc, data runs = $runs"
        [ "$alloc" -ge "$runs" ] && [ "$alloc" -lt $(( runs + K )) ] ||
            fail "$name: st_blocks*512 = $alloc, but the runs hold $runs bytes"

        # Copies that skip holes by SEEK_DATA read the same bytes and write
        # about the layout's data.  (qemu-img compare of the two local files
        # checks every byte, and in 0.1 s where cmp of 1 GiB takes 2-4.)
        cp --sparse=always "$view" "$d/$name.cp" || fail "$name: cp failed"
        qemu-img convert -f raw -O raw "$view" "$d/$name.conv" ||
            fail "$name: qemu-img convert failed"
        for copy in cp conv; do
            qemu_compare raw "$d/$layout.raw" raw "$d/$name.$copy"
            du=$(du -B1 "$d/$name.$copy" | cut -f1)
            echo "$name: $copy output: du $du bytes, layout data $data4k" \
                 "bytes (4 KiB blocks)"
            [ $(( du * 100 )) -ge $(( data4k * 95 )) ] &&
                [ $(( du * 100 )) -le $(( data4k * 105 )) ] ||
                fail "$name: the $copy output occupies $du bytes," \
                     "expected $data4k +-5%"
            rm -f "$d/$name.$copy"
        done
        v2vfs_unmount "$d/mnt-$name"
    done
done
