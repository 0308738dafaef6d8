#!/usr/bin/env bash
# The named limits of the sparse extent reader (formats/input-limits.h),
# each at the limit and one past it.  The files are hosted sparse extents
# written here from the VMDK specification's header layout (no qemu-img
# option sets a grain size or a table size): a header, an embedded
# descriptor, a grain directory, its tables and grains of known data.
# At the limit the file mounts and its disk reads as the writer's own raw
# image; one past, v2vfs refuses it with exactly one line and mounts
# nothing.
#   - LIMIT_GRAIN_SECTORS: 2048-sector (1 MiB) grains (4096: see
#     test-bad-vmdk-header.sh);
#   - LIMIT_GTES_PER_GT: 4096 entries a table, and 8192;
#   - LIMIT_GRAIN_TABLES: a grain directory of 2^25 entries (a 1 PiB disk
#     of 128-sector grains, the directory 128 MiB of holes), and 2^25 + 1;
#   - LIMIT_DESCRIPTOR_BYTES: an embedded descriptor of 2048 sectors, and
#     2049.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 cmp
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

# sparse OUT RAW CAPACITY GRAIN GTES DESC_SECTORS [EMPTY]: write the
# extent OUT (and, unless EMPTY, RAW: what its disk holds).  Every
# fifth grain holds data, unless EMPTY: then the directory is all holes.
sparse ()
{
    python3 - "$@" <<'PY'
import struct, sys
out, raw, cap, grain, gtes, desc_sectors = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
empty = len(sys.argv) > 7
S = 512
n_gts = -(-cap // (grain * gtes))
desc = ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
        'createType="monolithicSparse"\n\nRW %d SPARSE "%s"\n\n'
        'ddb.adapterType = "ide"\n' % (cap, out.split("/")[-1])).encode()
gd = 1 + desc_sectors
gd_sectors = -(-n_gts * 4 // S)
gt0 = gd + gd_sectors
gt_sectors = -(-gtes * 4 // S)
overhead = gt0 + (0 if empty else n_gts * gt_sectors)
overhead = -(-overhead // grain) * grain
header = struct.pack("<4sIIQQQQIQQQB4sH", b"KDMV", 1, 1, cap, grain, 1,
                     desc_sectors, gtes, 0, gd, overhead, 0, b"\n \r\n", 0)
with open(out, "wb") as f:
    f.write(header.ljust(S, b"\0"))
    f.write(desc.ljust(desc_sectors * S, b"\0"))
    if empty:
        f.truncate(overhead * S)
        sys.exit(0)
    f.write(b"".join(struct.pack("<I", gt0 + i * gt_sectors) for i in range(n_gts)).ljust(gd_sectors * S, b"\0"))
    n_grains = -(-cap // grain)
    data = [g for g in range(n_grains) if g % 5 == 0]
    where = {g: overhead + k * grain for k, g in enumerate(data)}
    for i in range(n_gts):
        t = [where.get(i * gtes + j, 0) for j in range(gtes)]
        f.write(struct.pack("<%dI" % gtes, *t).ljust(gt_sectors * S, b"\0"))
    f.truncate(overhead * S)
    f.seek(overhead * S)
    with open(raw, "wb") as r:
        r.truncate(cap * S)
        for g in data:
            n = min(grain, cap - g * grain) * S
            chunk = bytes([(g * 7 + 1) & 255]) * n
            f.write(chunk.ljust(grain * S, b"\0"))
            r.seek(g * grain * S)
            r.write(chunk)
PY
}

# mounts NAME: src/NAME.vmdk mounts and reads as NAME.raw.
mounts ()
{
    v2vfs_mount "src/$1.vmdk" mnt
    cmp "mnt/disks/$1.raw" "$1.raw" || fail "$1: the disk does not read back"
    v2vfs_unmount mnt
}

# --- LIMIT_GRAIN_SECTORS: 2048 -------------------------------------------
sparse src/grain-cap.vmdk grain-cap.raw $(( 40 * 2048 + 100 )) 2048 512 20
mounts grain-cap
echo "grain size: 2048 sectors mount (4096: test-bad-vmdk-header.sh)"

# --- LIMIT_GTES_PER_GT: 4096 ---------------------------------------------
sparse src/gtes-cap.vmdk gtes-cap.raw $(( 3 * 4096 * 8 )) 8 4096 20
mounts gtes-cap
sparse src/gtes-past.vmdk gtes-past.raw $(( 3 * 8192 * 8 )) 8 8192 20
v2vfs_refused "v2vfs: src/gtes-past.vmdk: sparse header at offset 0: 8192 entries per grain table is not a power of 2 up to 4096" \
    src/gtes-past.vmdk
echo "grain table entries: 4096 mount, 8192 refused"

# --- LIMIT_GRAIN_TABLES: 2^25 --------------------------------------------
sparse src/tables-cap.vmdk - $(( 1 << 41 )) 128 512 20 empty
v2vfs_mount src/tables-cap.vmdk mnt
[ "$(stat -c %s mnt/disks/tables-cap.raw)" -eq $(( 1 << 50 )) ] ||
    fail "tables-cap.raw has size $(stat -c %s mnt/disks/tables-cap.raw)"
cmp -n 4096 <(dd if=mnt/disks/tables-cap.raw bs=4096 skip=$(( (1 << 38) - 1 )) count=1 status=none) /dev/zero ||
    fail "the last 4 KiB of tables-cap.raw are not zeros"
v2vfs_unmount mnt
sparse src/tables-past.vmdk - $(( (1 << 25) * 512 * 8 + 1 )) 8 512 20 empty
v2vfs_refused "v2vfs: src/tables-past.vmdk: sparse header at offset 0: grain directory of 33554433 entries is over the limit of 33554432" \
    src/tables-past.vmdk
echo "grain tables: 2^25 mount, 2^25 + 1 refused"

# --- LIMIT_DESCRIPTOR_BYTES, embedded: 2048 sectors ----------------------
sparse src/desc-cap.vmdk desc-cap.raw $(( 10 * 128 )) 128 512 2048
mounts desc-cap
sparse src/desc-past.vmdk desc-past.raw $(( 10 * 128 )) 128 512 2049
v2vfs_refused "v2vfs: src/desc-past.vmdk: sparse header at offset 0: embedded descriptor of 2049 sectors is over the limit of 2048 sectors" \
    src/desc-past.vmdk
echo "embedded descriptor: 2048 sectors mount, 2049 refused"
