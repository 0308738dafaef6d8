#!/usr/bin/env bash
# A streamOptimized VMDK with no footer has its grain map rebuilt from the
# grain markers, and each marker may name a grain table of its own: 2 KiB
# of memory for 512 bytes of file.  A crafted 32 MiB file once took the
# open to 971 MiB.  Tables may add up to the file's size and no more, the
# bound that tables read from a grain directory have too.
#
# Fixtures (tests/mkstream.py's header and markers): M grain markers, one
# per 32 MiB of disk so each needs its own table, each holding a deflated
# grain of zeros, then EOS, then zero padding to a chosen file size.
#   - at the cap: the M tables take exactly the file's size: it mounts,
#     and a grain reads back as zeros;
#   - one sector past it: refused with one line naming the marker;
#   - the 32 MiB spray: refused the same way, long before its end.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 cmp
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

# spray FILE MARKERS SIZE: write the fixture; print the offset of the
# marker whose table would pass SIZE (or -1).
spray ()
{
    python3 -B - "$tests_srcdir" "$@" <<'PY'
import sys, zlib
sys.path.insert(0, sys.argv[1])
from mkstream import (FLAG_COMPRESSED, FLAG_MARKERS, FLAG_NL_DETECT,
                      GD_AT_END, GTES_PER_GT, MARKER_EOS, SECTOR,
                      grain_marker, make_descriptor, make_header,
                      metadata_marker, pad_to_sector)
path, m, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
grain = 128
per_gt = GTES_PER_GT * grain           # sectors one table covers
capacity = m * per_gt
desc = pad_to_sector(make_descriptor(capacity, "0" * 32))
overhead = 1 + len(desc) // SECTOR
out = [make_header(capacity, grain, 1, len(desc) // SECTOR, GD_AT_END,
                   overhead, FLAG_NL_DETECT | FLAG_COMPRESSED | FLAG_MARKERS),
       desc]
payload = zlib.compress(bytes(grain * SECTOR))
marker = grain_marker(0, payload)
assert len(marker) == SECTOR
bad, tables = -1, 0
for k in range(m):
    tables += GTES_PER_GT * 4
    if tables > size and bad < 0:
        bad = (overhead + k) * SECTOR
    out.append(grain_marker(k * per_gt, payload))
out.append(metadata_marker(0, MARKER_EOS))
data = b"".join(out)
assert len(data) <= size, "the markers do not fit in the size asked for"
with open(path, "wb") as f:
    f.write(data + bytes(size - len(data)))
print(bad)
PY
}

# At the cap: 64 tables of 2 KiB in a file of 128 KiB.
[ "$(spray src/cap.vmdk 64 $(( 64 * 2048 )))" = -1 ] || fail "cap fixture"
v2vfs_mount src/cap.vmdk mnt
view=mnt/disks/cap.raw
[ "$(stat -c %s "$view")" -eq $(( 64 * 512 * 128 * 512 )) ] ||
    fail "cap.raw has size $(stat -c %s "$view")"
# The last marker's grain, at 63 x 32 MiB: zeros, read through the map.
cmp -n 65536 <(dd if="$view" bs=1M skip=$(( 63 * 32 )) count=1 status=none) /dev/zero ||
    fail "the grain of the last marker does not read as zeros"
v2vfs_unmount mnt
echo "at the cap: 64 tables in 128 KiB mount, the last grain reads"

# One sector less: the 64th table is one too many.
off=$(spray src/past.vmdk 64 $(( 64 * 2048 - 512 )))
v2vfs_refused "v2vfs: src/past.vmdk: grain marker at offset $off: the grain tables its markers need add up to more than the file size" \
    src/past.vmdk
echo "past the cap by one sector: refused at offset $off"

# The spray of the report: a marker in nearly every sector of 32 MiB.
off=$(spray src/spray.vmdk 65528 $(( 32 << 20 )))
v2vfs_refused "v2vfs: src/spray.vmdk: grain marker at offset $off: the grain tables its markers need add up to more than the file size" \
    src/spray.vmdk
echo "32 MiB marker spray: refused at offset $off"
