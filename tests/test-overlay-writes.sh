#!/usr/bin/env bash
# --overlay DIR makes disks/NAME.raw writable.  On a twoGbMaxExtentSparse
# VMDK (4 GiB + 7 sectors, two extent files), a fixed list of unaligned
# writes and discards (tests/overlay-ops.py) crosses 4 KiB blocks, 64 KiB
# grains, 1 MiB lock regions, the 2 GiB extent boundary and the disk's
# partial last block.  The same list applied to a raw copy of the source
# is the reference:
#   - the view compares identical with it, before and after a remount
#     with the same DIR, and the qcow2 view stays a valid image of it;
#   - a discard gives space back: st_blocks drops;
#   - the disk keeps its size: truncate and writes past the end fail;
#   - the source files' sha256 never changes.
# Oracles: qemu-img compare and check; sha256sum; stat.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 sha256sum truncate
requires_fuse

d=$(tmpdir)
size=$(( (4 << 30) + 7 * 512 ))
make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" twoGbMaxExtentSparse "$d/disk.raw" "$d/disk.vmdk"
mv "$d/disk.raw" "$d/ref.raw"
sums=$(tree_sums "$d"/disk*.vmdk)
ops=$tests_srcdir/overlay-ops.py
view=$d/mnt/disks/disk.raw

v2vfs_mount --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt"
[ -w "$view" ] || fail "disks/disk.raw is not writable with --overlay"
python3 "$ops" apply "$view" "$size"
python3 "$ops" apply "$d/ref.raw" "$size"
qemu_compare raw "$view" raw "$d/ref.raw"
check_qcow2_view written "$d/mnt" disk raw "$d/ref.raw"

# A discard of 3 MiB of the fixture's data area frees it.
before=$(stat -c %b "$view")
fallocate --punch-hole --keep-size -o $(( 8 << 20 )) -l $(( 3 << 20 )) "$view"
fallocate --punch-hole --keep-size -o $(( 8 << 20 )) -l $(( 3 << 20 )) "$d/ref.raw"
after=$(stat -c %b "$view")
echo "st_blocks before and after a 3 MiB discard: $before, $after"
[ $(( (before - after) * 512 )) -ge $(( 2 << 20 )) ] ||
    fail "a 3 MiB discard freed $(( (before - after) * 512 )) bytes"

# The qcow2 view follows the disk.  A reader that holds the view open
# (and cached by the kernel) sees a write that changes only content, and
# across a write that changes the layout it keeps reading the layout it
# opened, so what it reads is still a consistent image.
python3 - "$d/mnt/disks/disk.qcow2" "$view" "$d/held.qcow2" <<'PY' ||
import os, sys
view, raw, out = sys.argv[1:]
fd = os.open(raw, os.O_WRONLY)
with open(view, "rb") as f:
    before = f.read()
    os.pwrite(fd, b"fresh", 12345)                 # content only
    f.seek(0)
    after = f.read()
    if b"fresh" not in after or len(after) != len(before):
        sys.exit("a content change does not show through an open view")
    os.pwrite(fd, b"new layout" * 1000, 3 << 30)   # into a hole
    f.seek(0)
    held = f.read()
    if len(held) != len(before):
        sys.exit("an open view changed size: %d to %d" % (len(before), len(held)))
    open(out, "wb").write(held)
os.close(fd)
PY
    fail "the qcow2 view held open across writes"
printf 'fresh' | dd of="$d/ref.raw" bs=1 seek=12345 conv=notrunc status=none
printf 'new layout%.0s' $(seq 1000) |
    dd of="$d/ref.raw" bs=1M seek=3072 conv=notrunc status=none
out=$(qemu-img check "$d/held.qcow2" 2>&1) || fail "a view held open across a write: $out"
echo "a view held open across a layout change reads as a clean image" \
     "($(stat -c %s "$d/held.qcow2") bytes)"
check_qcow2_view reopened "$d/mnt" disk raw "$d/ref.raw"

# SEEK_DATA/SEEK_HOLE show the merged disk: every hole of the view reads
# as zeros in the reference (only where the reference has data need it be
# read), the write into a hole at 1 GiB is data, and the 3 MiB discard at
# 8 MiB is a hole.
python3 "$tests_srcdir/seek-map.py" "$view" > "$d/view.map"
python3 "$tests_srcdir/seek-map.py" "$d/ref.raw" > "$d/ref.map"
python3 - "$d/view.map" "$d/ref.map" "$d/ref.raw" <<'PY' ||
import sys
runs = lambda f: [tuple(map(int, l.split())) for l in open(f)]
view, ref = runs(sys.argv[1]), runs(sys.argv[2])
inside = lambda a, b: any(s <= a and b <= e for s, e in view)
with open(sys.argv[3], "rb") as f:
    for a, b in ref:                      # reference data ...
        p = a
        for s, e in view + [(b, b)]:      # ... in the view's holes
            lo, hi = max(p, a), min(s, b)
            if lo < hi:
                f.seek(lo)
                if f.read(hi - lo).strip(b"\0"):
                    sys.exit("the view has a hole at %d..%d, where the "
                             "disk holds data" % (lo, hi))
            p = max(p, e)
if not inside((1 << 30) + 4096, (1 << 30) + 8192):
    sys.exit("the write at 1 GiB + 4 KiB is not data")
if any(s < 11 << 20 and e > 8 << 20 for s, e in view):
    sys.exit("the discarded 8..11 MiB is not a hole")
print("the view's %d data runs hold all its nonzero bytes" % len(view))
PY
    fail "the view's SEEK_DATA/SEEK_HOLE runs are wrong"

# The disk keeps its size.
if truncate -s 0 "$view" 2>"$d/err"; then fail "truncate of the view succeeded"; fi
grep -q "Operation not permitted" "$d/err" || fail "truncate: $(cat "$d/err")"
python3 - "$view" "$size" <<'PY' || fail "a write past the end did not fail with ENOSPC"
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.pwrite(fd, b"x", int(sys.argv[2]))
except OSError as e:
    sys.exit(0 if e.errno == errno.ENOSPC else 1)
sys.exit(1)
PY
[ "$(stat -c %s "$view")" -eq "$size" ] || fail "the view's size changed"

v2vfs_unmount "$d/mnt"
v2vfs_mount --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt"
qemu_compare raw "$view" raw "$d/ref.raw"
check_qcow2_view remounted "$d/mnt" disk raw "$d/ref.raw"
echo "after a remount the view still compares identical with the reference"
v2vfs_unmount "$d/mnt"

[ "$(tree_sums "$d"/disk*.vmdk)" = "$sums" ] || fail "the source changed"
echo "source sha256 unchanged: $(sha256sum "$d"/disk*.vmdk | cut -c1-16 | tr '\n' ' ')"
du -sh "$d/ovl"
