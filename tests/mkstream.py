#!/usr/bin/env python3
# v2vfs test helper: write streamOptimized VMDK files in layouts that
# qemu-img cannot produce (ovftool style with GD_AT_END and footer,
# truncated streams, PROGRESS markers, zeroed-grain GTEs, stored deflate
# blocks, vmdk-convert style preallocated GD/GTs) plus a few deliberately
# corrupt variants for negative tests.
#
# Usage: mkstream.py [options] INPUT.raw OUTPUT.vmdk   (see --help)
#
# Python 3 standard library only.  Output is deterministic for a given
# input and option set (CID / longContentID are derived from the data).

import argparse
import errno
import hashlib
import os
import struct
import sys
import zlib

SECTOR = 512
MAGIC = b"KDMV"
GD_AT_END = 0xFFFFFFFFFFFFFFFF
GTES_PER_GT = 512

FLAG_NL_DETECT = 0x00000001
FLAG_ZERO_GRAIN = 0x00000004
FLAG_COMPRESSED = 0x00010000
FLAG_MARKERS = 0x00020000

MARKER_EOS = 0
MARKER_GT = 1
MARKER_GD = 2
MARKER_FOOTER = 3
MARKER_PROGRESS = 4

BAD_CAPACITY = 0xFFFFFFFFFFFFFFF0

# The embedded descriptor name ovftool writes, deliberately not the real
# name of the output file.
DESC_EXTENT_NAME = "generated-stream.vmdk"


def die(msg):
    sys.stderr.write("mkstream.py: %s\n" % msg)
    sys.exit(2)


def ceil_div(a, b):
    return (a + b - 1) // b


def pad_to_sector(data):
    rem = len(data) % SECTOR
    if rem:
        data += bytes(SECTOR - rem)
    return data


def make_header(capacity, grain_sectors, desc_offset, desc_size, gd_offset,
                overhead, flags, version=3):
    hdr = struct.pack(
        "<4sIIQQQQIQQQB4sH",
        MAGIC,
        version,
        flags,
        capacity,
        grain_sectors,
        desc_offset,
        desc_size,
        GTES_PER_GT,
        0,              # rgdOffset
        gd_offset,
        overhead,
        0,              # uncleanShutdown
        b"\n \r\n",     # newline detector bytes 73..76
        1,              # compressAlgorithm: DEFLATE
    )
    assert len(hdr) == 79
    return hdr + bytes(SECTOR - len(hdr))


def metadata_marker(num_sectors, mtype):
    m = struct.pack("<QII", num_sectors, 0, mtype)
    return m + bytes(SECTOR - len(m))


def grain_marker(lba, payload):
    return pad_to_sector(struct.pack("<QI", lba, len(payload)) + payload)


def geometry(capacity):
    # What VMware writes for lsilogic disks: 64/32 up to 1 GiB, else 255/63.
    if capacity <= 64 * 32 * 1024:
        heads, sectors = 64, 32
    else:
        heads, sectors = 255, 63
    cyl = min(capacity // (heads * sectors), 65535)
    return cyl, heads, sectors


def make_descriptor(capacity, digest):
    # Mimic ovftool: trailing spaces on some lines, RDONLY extent with a
    # name that is not the real file name, NUL padding to a sector.
    cyl, heads, sectors = geometry(capacity)
    lines = [
        "# Disk DescriptorFile",
        "version=1 ",
        "CID=%s " % digest[:8],
        "parentCID=ffffffff ",
        'createType="streamOptimized" ',
        "",
        "# Extent description",
        'RDONLY %d SPARSE "%s"' % (capacity, DESC_EXTENT_NAME),
        "",
        "# The Disk Data Base ",
        "#DDB",
        "",
        'ddb.adapterType = "lsilogic"',
        'ddb.geometry.cylinders = "%d"' % cyl,
        'ddb.geometry.heads = "%d"' % heads,
        'ddb.geometry.sectors = "%d"' % sectors,
        'ddb.longContentID = "%s"' % digest[:32],
        'ddb.virtualHWVersion = "10"',
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def data_extents(fd, size):
    """Yield (start, end) byte ranges that may hold data (holes skipped)."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:
                return
            if e.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                yield (pos, size)
                return
            raise
        if start >= size:
            return
        try:
            end = os.lseek(fd, start, os.SEEK_HOLE)
        except OSError:
            end = size
        end = min(end, size)
        if end <= start:
            end = size
        yield (start, end)
        pos = end


def candidate_grains(fd, size, grain_bytes):
    """Sorted grain indexes that intersect a data extent of the input."""
    last = -1
    for start, end in data_extents(fd, size):
        first = max(start // grain_bytes, last + 1)
        for g in range(first, (end - 1) // grain_bytes + 1):
            yield g
            last = g


class Writer:
    def __init__(self, f):
        self.f = f
        self.sector = 0

    def write(self, data):
        assert len(data) % SECTOR == 0
        self.f.write(data)
        self.sector += len(data) // SECTOR

    def seek_sector(self, sector):
        self.f.seek(sector * SECTOR)
        self.sector = sector


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="mkstream.py",
        description="Write a streamOptimized VMDK from a raw image.")
    p.add_argument("--layout", default="ovftool",
                   choices=["ovftool", "nofooter", "truncated", "gdoffset"],
                   help="ovftool: GD_AT_END, GT after each range, GD, footer,"
                   " EOS (default); nofooter: grains + EOS only;"
                   " truncated: grains only; gdoffset: real gdOffset, GD/GTs"
                   " preallocated after the descriptor, grains, EOS")
    p.add_argument("--progress", action="store_true",
                   help="PROGRESS marker (type 4) after every 16 grains")
    p.add_argument("--zeroed-gte", action="store_true",
                   help="flag 0x4; zero grains in allocated GTs get GTE 1")
    p.add_argument("--level0", action="store_true",
                   help="deflate level 0 (stored blocks, size > grain)")
    p.add_argument("--trailing-zeros", type=int, default=0, metavar="N",
                   help="append N zero bytes after the end of the stream")
    p.add_argument("--grain-sectors", type=int, default=128, metavar="N",
                   help="grain size in sectors (power of 2, default 128)")
    p.add_argument("--overhead", type=int, default=128, metavar="N",
                   help="sectors before the first grain (default 128, as"
                   " VMware writes; at least the header and descriptor;"
                   " the gdoffset layout computes its own)")
    p.add_argument("--corrupt-gte-past-eof", action="store_true",
                   help="first allocated GTE points at end of file")
    p.add_argument("--corrupt-bomb", action="store_true",
                   help="first grain inflates to 2x grain size")
    p.add_argument("--corrupt-capacity", action="store_true",
                   help="header/footer capacity 0x%X" % BAD_CAPACITY)
    p.add_argument("input", metavar="INPUT.raw")
    p.add_argument("output", metavar="OUTPUT.vmdk")
    a = p.parse_args(argv)

    gs = a.grain_sectors
    if gs < 1 or gs > 0x200000 or gs & (gs - 1):
        p.error("--grain-sectors must be a power of 2 between 1 and 2097152")
    if a.trailing_zeros < 0:
        p.error("--trailing-zeros must be >= 0")
    if a.overhead < 0:
        p.error("--overhead must be >= 0")
    ncorrupt = sum([a.corrupt_gte_past_eof, a.corrupt_bomb,
                    a.corrupt_capacity])
    if ncorrupt > 1:
        p.error("only one --corrupt-* option at a time")
    if a.corrupt_gte_past_eof and a.layout in ("nofooter", "truncated"):
        p.error("--corrupt-gte-past-eof needs a layout with grain tables")
    if a.zeroed_gte and a.layout in ("nofooter", "truncated"):
        p.error("--zeroed-gte needs a layout with grain tables")
    return a


def main(argv):
    a = parse_args(argv)
    gs = a.grain_sectors
    grain_bytes = gs * SECTOR
    level = 0 if a.level0 else 1

    try:
        fd = os.open(a.input, os.O_RDONLY)
    except OSError as e:
        die("%s: %s" % (a.input, e.strerror))
    size = os.fstat(fd).st_size
    if size == 0:
        die("%s: empty input" % a.input)

    capacity = ceil_div(size, SECTOR)
    cap_bytes = capacity * SECTOR
    num_grains = ceil_div(capacity, gs)
    num_gts = ceil_div(num_grains, GTES_PER_GT)
    gd_sectors = ceil_div(num_gts * 4, SECTOR)
    gt_sectors = GTES_PER_GT * 4 // SECTOR

    flags = FLAG_NL_DETECT | FLAG_COMPRESSED | FLAG_MARKERS
    if a.zeroed_gte:
        flags |= FLAG_ZERO_GRAIN
    hdr_capacity = BAD_CAPACITY if a.corrupt_capacity else capacity

    # Descriptor length does not depend on the digest (fixed widths), so
    # lay out with a placeholder and rewrite it once the data is hashed.
    desc_len = len(make_descriptor(capacity, "0" * 32))
    if a.layout == "gdoffset":
        desc_size = 20
        desc_size = max(desc_size, ceil_div(desc_len, SECTOR))
        gd_offset = 1 + desc_size
        gt_base = gd_offset + gd_sectors
        overhead = gt_base + num_gts * gt_sectors
        hdr_gd = gd_offset
    else:
        desc_size = ceil_div(desc_len, SECTOR)
        overhead = max(a.overhead, 1 + desc_size)
        hdr_gd = GD_AT_END

    def header(gd):
        return make_header(hdr_capacity, gs, 1, desc_size, gd, overhead,
                           flags)

    digest = hashlib.sha256()
    digest.update(struct.pack("<QQ", capacity, gs))

    try:
        out = open(a.output, "wb")
    except OSError as e:
        die("%s: %s" % (a.output, e.strerror))

    with out:
        w = Writer(out)
        w.write(header(hdr_gd))
        w.write(bytes(desc_size * SECTOR))
        if overhead > w.sector:
            w.seek_sector(overhead)

        zero_grain = bytes(grain_bytes)
        gd = [0] * num_gts
        cur_gt = None          # index of the GT range being filled
        gt = None              # its GTEs
        grains_written = 0
        bomb_done = False
        corrupt_gte_loc = None  # (gt index, entry index)
        gts = {}               # gt index -> GTE list (gdoffset layout)

        def flush_gt():
            if cur_gt is None:
                return
            if a.zeroed_gte:
                first = cur_gt * GTES_PER_GT
                for j in range(GTES_PER_GT):
                    if first + j < num_grains and gt[j] == 0:
                        gt[j] = 1
            if a.layout == "ovftool":
                w.write(metadata_marker(gt_sectors, MARKER_GT))
                gd[cur_gt] = w.sector
                w.write(struct.pack("<%dI" % GTES_PER_GT, *gt))
            elif a.layout == "gdoffset":
                gts[cur_gt] = gt

        for g in candidate_grains(fd, size, grain_bytes):
            lba = g * gs
            glen = min(grain_bytes, cap_bytes - lba * SECTOR)
            data = os.pread(fd, glen, lba * SECTOR)
            if len(data) < glen:
                data += bytes(glen - len(data))
            if data == zero_grain[:glen]:
                continue
            t = g // GTES_PER_GT
            if t != cur_gt:
                flush_gt()
                cur_gt = t
                gt = [0] * GTES_PER_GT
            digest.update(struct.pack("<Q", lba))
            digest.update(data)
            if a.corrupt_bomb and not bomb_done:
                # The grain followed by a grain of zeros: it inflates to
                # twice the grain size, yet compresses to well under the
                # 2-grain cap on compressed sizes even when the grain is
                # incompressible, so readers get as far as inflating it.
                full = data + bytes(grain_bytes - len(data))
                payload = zlib.compress(full + bytes(grain_bytes), 9)
                bomb_done = True
            else:
                payload = zlib.compress(data, level)
            if corrupt_gte_loc is None:
                corrupt_gte_loc = (t, g % GTES_PER_GT)
            gt[g % GTES_PER_GT] = w.sector
            w.write(grain_marker(lba, payload))
            grains_written += 1
            if a.progress and grains_written % 16 == 0:
                w.write(metadata_marker(0, MARKER_PROGRESS))

        if a.layout == "ovftool":
            flush_gt()
            w.write(metadata_marker(gd_sectors, MARKER_GD))
            gd_start = w.sector
            w.write(pad_to_sector(struct.pack("<%dI" % num_gts, *gd)))
            w.write(metadata_marker(1, MARKER_FOOTER))
            w.write(header(gd_start))
            w.write(metadata_marker(0, MARKER_EOS))
        elif a.layout == "gdoffset":
            flush_gt()
            w.write(metadata_marker(0, MARKER_EOS))
        elif a.layout == "nofooter":
            w.write(metadata_marker(0, MARKER_EOS))
        end_sector = w.sector
        # First sector that starts at or after the end of the file.
        eof_sector = ceil_div(end_sector * SECTOR + a.trailing_zeros, SECTOR)

        if a.corrupt_gte_past_eof and corrupt_gte_loc is not None:
            t, j = corrupt_gte_loc
            if a.layout == "ovftool":
                out.seek((gd[t] * SECTOR) + j * 4)
                out.write(struct.pack("<I", eof_sector))
            else:
                gts[t][j] = eof_sector

        if a.layout == "gdoffset":
            # GD and every GT are preallocated; unused GTs stay all zero.
            gdv = [gt_base + t * gt_sectors for t in range(num_gts)]
            out.seek(gd_offset * SECTOR)
            out.write(pad_to_sector(struct.pack("<%dI" % num_gts, *gdv)))
            for t in range(num_gts):
                entries = gts.get(t, [0] * GTES_PER_GT)
                out.write(struct.pack("<%dI" % GTES_PER_GT, *entries))

        hexdigest = digest.hexdigest()
        out.seek(SECTOR)
        out.write(make_descriptor(capacity, hexdigest))

        out.seek(end_sector * SECTOR)
        if a.trailing_zeros:
            out.write(bytes(a.trailing_zeros))
        out.truncate()

    os.close(fd)
    if ((a.corrupt_gte_past_eof and corrupt_gte_loc is None) or
            (a.corrupt_bomb and not bomb_done)):
        os.unlink(a.output)
        die("--corrupt-*: input has no data grain to corrupt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
