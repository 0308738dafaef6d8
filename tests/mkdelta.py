#!/usr/bin/env python3
# v2vfs test helper: write ESXi snapshot chains, which qemu-img cannot
# write: a flat base (createType "vmfs" with a VMFS extent, as ESXi keeps
# a disk, or "monolithicFlat") under one or more delta levels, each a
# COWD redo log (createType "vmfsSparse", FORMATS.md A.6) or an SEsparse
# file (createType "seSparse", A.7), each with its descriptor (A.5)
# holding CID, parentCID and parentFileNameHint.  Options make the bad
# chains of the negative tests.
#
# Usage: mkdelta.py [options] DIR NAME LEVEL-TOKENS...   (see --help)
#
# The chain is described by tokens, read left to right:
#   base=vmfs | base=flat        the base (first); its writes follow
#   delta=cowd | delta=sesparse  a new delta level on top of the last
#   grain=N                      COWD grain size in sectors (default 1)
#   size=BYTES                   this level's capacity (default: --size)
#   data@OFF:LEN                 seeded pseudo-random data
#   zero@OFF:LEN                 zeroed grains: SEsparse GTE nibble 2,
#                                COWD (no such state) allocated zeros
#   unmap@OFF:LEN                SEsparse nibble 1 (SCSI unmapped, reads
#                                zeros); COWD: allocated zeros
#   zerodata@OFF:LEN             allocated grains holding zero bytes
# OFF and LEN are sums (joined by +) of numbers with the suffixes s
# (sectors), K, M, G or none (bytes); a negative OFF counts from the end
# of the level's capacity ("data@-1s:1s" is the last sector,
# "data@2M+100:4K" 4 KiB from byte 2 MiB + 100).  A delta write that
# covers part of a grain copies the rest of the grain from the disk below
# (copy-on-write), as ESXi does; a zero or unmap range zeroes the grains
# it covers whole and writes zero data into the parts of grains it
# covers in part.
#
# Files: DIR/NAME.vmdk (+ NAME-flat.vmdk), DIR/NAME-000001.vmdk
# (+ NAME-000001-delta.vmdk or NAME-000001-sesparse.vmdk), and so on; the
# path of the top descriptor is printed.  --raw FILE also writes the
# merged disk as this writer's own model sees it.
#
# Python 3 standard library only; the output is a function of the
# arguments (data and CIDs come from --seed).  Shares no code with
# deltaref.py, the reader that checks it.

import argparse
import os
import random
import struct
import sys

SECTOR = 512

COWD_MAGIC = 0x44574F43            # "COWD"
COWD_GT_ENTRIES = 4096             # FORMATS.md A.6: fixed
COWD_HEADER_SECTORS = 4            # 2048 bytes

SE_CONST_MAGIC = 0x00000000CAFEBABE
SE_VOLATILE_MAGIC = 0x00000000CAFECAFE
SE_VERSION = 0x0000000200000001
SE_GRAIN = 8                       # sectors (4 KiB)
SE_GT_SECTORS = 64                 # 4096 u64 entries per grain table
SE_GT_ENTRIES = SE_GT_SECTORS * SECTOR // 8
SE_ALIGN = 2048                    # regions start on 1 MiB boundaries

ESXI_DIR = "/vmfs/volumes/5f1e6c2a-1d2b3c4d-5e6f-001122334455"


def die(msg):
    sys.stderr.write("mkdelta.py: %s\n" % msg)
    sys.exit(2)


def ceil_div(a, b):
    return -(-a // b)


def align(n, a):
    return ceil_div(n, a) * a


def parse_size(text):
    mult = {"s": SECTOR, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    total = 0
    for part in text.split("+"):
        if part and part[-1] in mult:
            total += int(part[:-1]) * mult[part[-1]]
        else:
            total += int(part)
    return total


# ---------------------------------------------------------------------
# The chain spec.

class Level:
    def __init__(self, kind, capacity):
        self.kind = kind               # vmfs, flat, cowd, sesparse
        self.capacity = capacity       # bytes
        self.grain = 1 if kind == "cowd" else SE_GRAIN
        self.writes = []               # (op, off, len)
        self.grains = {}               # grain index -> bytes | "zero" | "unmap"
        self.cid = 0
        self.desc = ""
        self.extent = ""


def parse_tokens(tokens, size):
    levels = []
    for tok in tokens:
        key, eq, val = tok.partition("=")
        if eq and key in ("base", "delta"):
            kinds = ("vmfs", "flat") if key == "base" else ("cowd", "sesparse")
            if val not in kinds:
                die("%s: must be one of %s" % (tok, ", ".join(kinds)))
            if (key == "base") != (not levels):
                die("%s: the base comes first, and once" % tok)
            levels.append(Level(val, size))
        elif not levels:
            die("%s: the first token must be base=vmfs or base=flat" % tok)
        elif eq and key == "grain":
            g = int(val)
            if levels[-1].kind != "cowd" or g < 1 or g & (g - 1):
                die("%s: a COWD grain is a power of 2 sectors" % tok)
            levels[-1].grain = g
        elif eq and key == "size":
            levels[-1].capacity = parse_size(val)
        elif "@" in tok:
            op, _, rng = tok.partition("@")
            if op not in ("data", "zero", "unmap", "zerodata"):
                die("%s: unknown write" % tok)
            cut = rng.find(":")
            if cut < 0:
                die("%s: a write is OP@OFF:LEN" % tok)
            levels[-1].writes.append((op, rng[:cut], parse_size(rng[cut + 1:])))
        else:
            die("%s: unknown token" % tok)
    if len(levels) < 2:
        die("a chain needs a base and at least one delta")
    for lv in levels:
        if lv.capacity <= 0 or lv.capacity % SECTOR:
            die("capacity %d is not a positive multiple of 512" % lv.capacity)
    return levels


# ---------------------------------------------------------------------
# Applying the writes: the merged disk is kept in memory, so that a
# partial-grain write can copy the rest of its grain from below.

def resolve(off_text, length, capacity, tok):
    off = parse_size(off_text.lstrip("-"))
    if off_text.startswith("-"):
        off = capacity - off
    if off < 0 or length <= 0 or off + length > capacity:
        die("%s: outside the capacity %d" % (tok, capacity))
    return off


def apply_writes(levels, seed):
    merged = bytearray(max(lv.capacity for lv in levels))
    levels[0].base_image = bytearray(levels[0].capacity)
    for n, lv in enumerate(levels):
        for i, (op, off_text, length) in enumerate(lv.writes):
            tok = "%s@%s:%d" % (op, off_text, length)
            off = resolve(off_text, length, lv.capacity, tok)
            if op == "data":
                rng = random.Random("%d:%d:%d" % (seed, n, i))
                data = rng.randbytes(length)
            else:
                data = bytes(length)
            if n == 0:
                merged[off:off + length] = data
                lv.base_image[off:off + length] = data
                lv.writes[i] = (op, off, length)
                continue
            gb = lv.grain * SECTOR
            g0, g1 = off // gb, ceil_div(off + length, gb)
            for g in range(g0, g1):
                gs, ge = g * gb, min((g + 1) * gb, lv.capacity)
                s, e = max(gs, off), min(ge, off + length)
                whole = s == gs and e == ge
                if op in ("zero", "unmap") and whole:
                    lv.grains[g] = op if lv.kind == "sesparse" else bytes(gb)
                    merged[gs:ge] = bytes(ge - gs)
                    continue
                cur = lv.grains.get(g)
                if isinstance(cur, bytes):
                    buf = bytearray(cur)
                elif cur is None:
                    buf = bytearray(merged[gs:ge]) + bytearray(gb - (ge - gs))
                else:
                    buf = bytearray(gb)
                buf[s - gs:e - gs] = data[s - off:e - off]
                lv.grains[g] = bytes(buf)
                merged[s:e] = data[s - off:e - off]
            lv.writes[i] = (op, off, length)
    return merged


# ---------------------------------------------------------------------
# Descriptors (FORMATS.md A.5), as ESXi writes them.

def descriptor(lv, parent_cid, parent_hint):
    create = {"vmfs": "vmfs", "flat": "monolithicFlat",
              "cowd": "vmfsSparse", "sesparse": "seSparse"}[lv.kind]
    etype = {"vmfs": "VMFS", "flat": "FLAT",
             "cowd": "VMFSSPARSE", "sesparse": "SESPARSE"}[lv.kind]
    sectors = lv.capacity // SECTOR
    extent = 'RW %d %s "%s"' % (sectors, etype, lv.extent)
    if lv.kind == "flat":
        extent += " 0"
    lines = ["# Disk DescriptorFile", "version=1", 'encoding="UTF-8"',
             "CID=%08x" % lv.cid, "parentCID=%08x" % parent_cid,
             'isNativeSnapshot="no"', 'createType="%s"' % create]
    if parent_hint is not None:
        lines.append('parentFileNameHint="%s"' % parent_hint)
    lines += ["", "# Extent description", extent, "",
              "# The Disk Data Base", "#DDB", ""]
    if lv.kind in ("vmfs", "flat"):
        heads, spt = (64, 32) if sectors <= 64 * 32 * 1024 else (255, 63)
        lines += ['ddb.adapterType = "lsilogic"',
                  'ddb.geometry.cylinders = "%d"'
                  % min(sectors // (heads * spt), 65535),
                  'ddb.geometry.heads = "%d"' % heads,
                  'ddb.geometry.sectors = "%d"' % spt,
                  'ddb.virtualHWVersion = "14"']
    if lv.kind == "sesparse":
        lines.append('ddb.grain = "8"')
    # VMware's longContentID ends in the CID.
    lines.append('ddb.longContentID = "%024x%08x"' % (lv.long_id, lv.cid))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------
# Extent files.

def write_flat(path, lv):
    """The base's flat extent: sparse, with its writes only."""
    with open(path, "wb") as f:
        f.truncate(lv.capacity)
        for _, off, length in lv.writes:
            f.seek(off)
            f.write(lv.base_image[off:off + length])


def write_cowd(path, lv, parent_name, order_rng):
    """COWD (FORMATS.md A.6): header (4 sectors), GD at sector 4, then GTs
    and grains in the order they are first needed, grains in a shuffled
    order so that file order is not disk order."""
    sectors = lv.capacity // SECTOR
    gt_cover = COWD_GT_ENTRIES * lv.grain
    n_gd = ceil_div(sectors, gt_cover)
    gd_sectors = ceil_div(n_gd * 4, SECTOR)
    gd = [0] * n_gd
    gts = {}
    free = COWD_HEADER_SECTORS + gd_sectors
    blobs = []                                    # (sector, bytes)
    order = sorted(lv.grains)
    order_rng.shuffle(order)
    for g in order:
        t = g // COWD_GT_ENTRIES
        if t not in gts:
            gts[t] = [0] * COWD_GT_ENTRIES
            gd[t] = free
            free += COWD_GT_ENTRIES * 4 // SECTOR
        gts[t][g % COWD_GT_ENTRIES] = free
        blobs.append((free, lv.grains[g]))
        free += lv.grain
    hdr = bytearray(2048)
    struct.pack_into("<IIIIIIII", hdr, 0, COWD_MAGIC, 1, 3, sectors,
                     lv.grain, COWD_HEADER_SECTORS, n_gd, free)
    name = parent_name.encode()[:1023]
    hdr[32:32 + len(name)] = name
    struct.pack_into("<I", hdr, 1056, 1)           # parentGeneration
    struct.pack_into("<I", hdr, 1060, 1)           # generation
    with open(path, "wb") as f:
        f.write(hdr)
        f.write(struct.pack("<%dI" % n_gd, *gd))
        for t, gt in gts.items():
            f.seek(gd[t] * SECTOR)
            f.write(struct.pack("<%dI" % COWD_GT_ENTRIES, *gt))
        for sector, data in blobs:
            f.seek(sector * SECTOR)
            f.write(data)
        f.truncate(free * SECTOR)


def se_gte_allocated(cluster):
    # The inverse of FORMATS.md A.7's rotation: the low 12 bits of the
    # cluster go to bits 48..59, the rest to bits 0..47.
    assert cluster < 1 << 60
    return (0x3 << 60) | ((cluster & 0xFFF) << 48) | (cluster >> 12)


def write_sesparse(path, lv, dirty, order_rng, compact=False):
    """SEsparse (FORMATS.md A.7): constant header, volatile header,
    journal header and journal, grain directory, grain tables, free
    bitmap, backmap, grains.  Grain tables and grains are placed in a
    shuffled order."""
    sectors = lv.capacity // SECTOR
    n_grains = ceil_div(sectors, SE_GRAIN)
    n_gt = ceil_div(n_grains, SE_GT_ENTRIES)
    gd_entries = align(n_gt, SECTOR // 8)
    used_gt = sorted({g // SE_GT_ENTRIES for g in lv.grains})
    order_rng.shuffle(used_gt)
    gt_slot = {t: i for i, t in enumerate(used_gt)}
    data_grains = sorted(g for g, v in lv.grains.items() if isinstance(v, bytes))
    order_rng.shuffle(data_grains)
    cluster = {g: i for i, g in enumerate(data_grains)}
    n_clusters = max(1, len(data_grains))

    regions = {}
    pos = 0
    for name, size in (("const", 1), ("volatile", 1), ("journal_header", 2)):
        regions[name] = (pos, size)
        pos += size
    for name, size in (("journal", 8 if compact else 2048),
                       ("grain_dir", gd_entries * 8 // SECTOR),
                       ("grain_tables", max(1, n_gt) * SE_GT_SECTORS),
                       ("free_bitmap", ceil_div(ceil_div(n_clusters, 8), SECTOR)),
                       ("backmap", ceil_div(n_clusters * 8, SECTOR)),
                       ("grains", n_clusters * SE_GRAIN)):
        pos = align(pos, 1 if compact else SE_ALIGN)
        regions[name] = (pos, size)
        pos += size

    hdr = struct.pack("<QQQQQQQQQQ", SE_CONST_MAGIC, SE_VERSION, sectors,
                      SE_GRAIN, SE_GT_SECTORS, 0, 0, 0, 0, 0)
    for name in ("volatile", "journal_header", "journal", "grain_dir",
                 "grain_tables", "free_bitmap", "backmap", "grains"):
        hdr += struct.pack("<QQ", *regions[name])
    hdr += bytes(SECTOR - len(hdr))
    vol = struct.pack("<QQQQ", SE_VOLATILE_MAGIC, len(used_gt), 1,
                      1 if dirty else 0)
    vol += bytes(SECTOR - len(vol))

    gd = [0] * gd_entries
    gts = {t: [0] * SE_GT_ENTRIES for t in used_gt}
    for t in used_gt:
        gd[t] = (0x10000000 << 32) | gt_slot[t]
    for g, v in lv.grains.items():
        t, j = divmod(g, SE_GT_ENTRIES)
        if v == "unmap":
            gts[t][j] = 0x1 << 60
        elif v == "zero":
            gts[t][j] = 0x2 << 60
        else:
            gts[t][j] = se_gte_allocated(cluster[g])
    bitmap = bytearray(regions["free_bitmap"][1] * SECTOR)
    backmap = [0] * n_clusters
    for g, c in cluster.items():
        bitmap[c // 8] |= 1 << (c % 8)
        backmap[c] = g

    with open(path, "wb") as f:
        f.write(hdr)
        f.write(vol)
        f.write(struct.pack("<QQ", 0x00000000CAFE0001, 0))   # journal header
        f.seek(regions["grain_dir"][0] * SECTOR)
        f.write(struct.pack("<%dQ" % gd_entries, *gd))
        base = regions["grain_tables"][0]
        for t, gt in gts.items():
            f.seek((base + gt_slot[t] * SE_GT_SECTORS) * SECTOR)
            f.write(struct.pack("<%dQ" % SE_GT_ENTRIES, *gt))
        f.seek(regions["free_bitmap"][0] * SECTOR)
        f.write(bitmap)
        f.seek(regions["backmap"][0] * SECTOR)
        f.write(struct.pack("<%dQ" % n_clusters, *backmap))
        base = regions["grains"][0]
        for g, c in cluster.items():
            f.seek((base + c * SE_GRAIN) * SECTOR)
            f.write(lv.grains[g])
        f.truncate(pos * SECTOR)


# ---------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="mkdelta.py",
        description="Write an ESXi snapshot chain (flat base, COWD and "
        "SEsparse deltas) from a spec of writes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="TOKENs, left to right: base=vmfs|flat, then its writes; "
        "delta=cowd|sesparse [grain=N] [size=BYTES], then its writes.\n"
        "Writes: data@OFF:LEN zero@OFF:LEN unmap@OFF:LEN zerodata@OFF:LEN "
        "(OFF < 0: from the end).\n"
        "A delta bigger than its base: size=BYTES on the delta.\n"
        "Example: mkdelta.py --size 64M+7s d disk base=vmfs data@0:1M "
        "delta=cowd data@4K:1000 zero@0:4K\n"
        "         delta=sesparse unmap@8K:8K data@-1s:1s")
    p.add_argument("--size", default="64M", help="capacity of every level "
                   "(bytes, suffixes s K M G joined by +; default 64M)")
    p.add_argument("--seed", type=int, default=1, help="pattern seed")
    p.add_argument("--compact", action="store_true",
                   help="SEsparse regions back to back and a small journal "
                        "(fuzz seeds), not 1 MiB aligned as ESXi has them")
    p.add_argument("--raw", metavar="FILE",
                   help="also write the merged disk as this writer sees it")
    bad = p.add_argument_group("bad chains, for the negative tests")
    bad.add_argument("--wrong-parent-cid", action="store_true",
                     help="the top's parentCID is not its parent's CID")
    bad.add_argument("--missing-parent", action="store_true",
                     help="the top's parentFileNameHint names NAME-gone.vmdk,"
                     " which does not exist")
    bad.add_argument("--esxi-hint", action="store_true",
                     help="every parentFileNameHint is an absolute ESXi path "
                     + ESXI_DIR + "/NAME/PARENT.vmdk (not a good chain's "
                     "error: readers fall back to PARENT.vmdk beside the child)")
    bad.add_argument("--loop", action="store_true",
                     help="the first delta names the top as its parent (CID "
                     "and hint), so the two name each other (needs 2 deltas)")
    bad.add_argument("--dirty-journal", action="store_true",
                     help="every SEsparse volatile header has replay_journal 1")
    p.add_argument("dir")
    p.add_argument("name")
    p.add_argument("tokens", nargs="+", metavar="TOKEN")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    levels = parse_tokens(args.tokens, parse_size(args.size))
    if args.loop and len(levels) < 3:
        die("--loop needs two deltas")
    if args.dirty_journal and not any(lv.kind == "sesparse" for lv in levels):
        die("--dirty-journal needs an SEsparse level")
    merged = apply_writes(levels, args.seed)

    os.makedirs(args.dir, exist_ok=True)
    cid_rng = random.Random("cid:%d" % args.seed)
    long_rng = random.Random("longContentID:%d" % args.seed)
    for n, lv in enumerate(levels):
        lv.cid = cid_rng.getrandbits(32) | 1
        lv.long_id = long_rng.getrandbits(96)
        if n == 0:
            lv.desc = "%s.vmdk" % args.name
            lv.extent = "%s-flat.vmdk" % args.name
        else:
            lv.desc = "%s-%06d.vmdk" % (args.name, n)
            lv.extent = "%s-%06d-%s.vmdk" % (
                args.name, n, "delta" if lv.kind == "cowd" else "sesparse")

    order_rng = random.Random("order:%d" % args.seed)
    top = len(levels) - 1
    for n, lv in enumerate(levels):
        path = os.path.join(args.dir, lv.extent)
        if n == 0:
            write_flat(path, lv)
            text = descriptor(lv, 0xFFFFFFFF, None)
        else:
            parent = levels[n - 1]
            pcid, hint = parent.cid, parent.desc
            if args.loop and n == 1:
                pcid, hint = levels[top].cid, levels[top].desc
            if n == top and args.wrong_parent_cid:
                pcid ^= 0x00010000
            if n == top and args.missing_parent:
                hint = "%s-gone.vmdk" % args.name
            if args.esxi_hint:
                hint = "%s/%s/%s" % (ESXI_DIR, args.name, hint)
            if lv.kind == "cowd":
                write_cowd(path, lv, hint, order_rng)
            else:
                write_sesparse(path, lv, args.dirty_journal, order_rng,
                               args.compact)
            text = descriptor(lv, pcid, hint)
        with open(os.path.join(args.dir, lv.desc), "w") as f:
            f.write(text)

    if args.raw:
        size = levels[top].capacity
        with open(args.raw, "wb") as f:
            f.truncate(size)
            f.write(merged[:size])
    print(os.path.join(args.dir, levels[top].desc))


if __name__ == "__main__":
    main(sys.argv[1:])
