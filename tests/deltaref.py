#!/usr/bin/env python3
# v2vfs test oracle: read a VMDK snapshot chain the slow, obvious way,
# from FORMATS.md alone, and write what a reader of the chain must show.
#
# Usage:
#   deltaref.py raw TOP.vmdk OUT.raw      the merged disk
#   deltaref.py changed TOP.vmdk [OUT]    the extents the deltas hold above
#                                         the base, as disks/NAME.changed
#                                         shows them (qemu-img map's JSON
#                                         shape, one object a line)
#   deltaref.py normalize [--no-depth] [--strict] FILE
#                                         a .changed list as "START LENGTH
#                                         DEPTH data|zero" lines, adjacent
#                                         entries of one kind merged (with
#                                         --no-depth: whatever the depth);
#                                         --strict fails unless FILE is
#                                         already sorted and merged
#   deltaref.py qemu-changed BASE_DEPTH FILE
#                                         the same from qemu-img map
#                                         --output=json of a chain: the
#                                         entries above depth BASE_DEPTH
# Options: --ignore-cid (do not check parentCID against the parent's CID).
#
# The merged disk: for each sector the topmost level that has it wins; an
# unallocated grain falls through to the level below; a zeroed grain
# (hosted sparse GTE 1 with flag 0x4, SEsparse nibbles 1 and 2) reads
# zeros and does not.  Depth 0 is the top delta; the base is the bottom
# level.
#
# Extents read: FLAT, VMFS, ZERO, SPARSE (hosted, uncompressed: A.1-A.3),
# VMFSSPARSE (COWD, A.6), SESPARSE (A.7).  Everything is checked against
# the file sizes, so that a bad writer fails here rather than producing a
# plausible disk.  This is an oracle for tests: it shares no code with
# tests/mkdelta.py (which writes the ESXi chains) nor with formats/.

import bisect
import json
import os
import struct
import sys

SECTOR = 512


class Bad(Exception):
    pass


def u32(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def u64(buf, off):
    return struct.unpack_from("<Q", buf, off)[0]


def read_at(path, off, n):
    with open(path, "rb") as f:
        f.seek(off)
        data = f.read(n)
    if len(data) != n:
        raise Bad("%s: %d bytes at %d: past the end of the file" % (path, n, off))
    return data


# ---------------------------------------------------------------------
# Runs: (start_sector, end_sector, kind, path, byte_offset), kind "data"
# or "zero" (path None).  A level's runs are sorted and disjoint; runs
# that continue each other (in the disk and in the file) are joined.

def add_run(runs, start, end, kind, path=None, off=0):
    if runs:
        s, e, k, p, o = runs[-1]
        if e == start and k == kind and p == path and \
                (kind == "zero" or o + (e - s) * SECTOR == off):
            runs[-1] = (s, end, k, p, o)
            return
    runs.append((start, end, kind, path, off))


def gt_runs(runs, base, capacity, grain, entries, file_size, path, what):
    """Runs of one grain-table-addressed extent: entries is a list of
    (first grain, list of (kind, byte offset or None)); kind None is an
    unallocated grain."""
    for g0, gtes in entries:
        for j, (kind, off) in enumerate(gtes):
            if kind is None:
                continue
            s = (g0 + j) * grain
            if s >= capacity:
                raise Bad("%s: %s grain %d lies past the capacity"
                          % (path, what, g0 + j))
            e = min(s + grain, capacity)
            if kind == "data" and off + (e - s) * SECTOR > file_size:
                raise Bad("%s: %s grain %d at byte %d: past the end of the "
                          "file" % (path, what, g0 + j, off))
            add_run(runs, base + s, base + e, kind, path if kind == "data"
                    else None, off or 0)


def read_hosted_sparse(path, base, sectors):
    hdr = read_at(path, 0, SECTOR)
    if hdr[:4] != b"KDMV":
        raise Bad("%s: no KDMV magic" % path)
    version, flags, capacity, grain = (u32(hdr, 4), u32(hdr, 8),
                                       u64(hdr, 12), u64(hdr, 20))
    n_gte, gd = u32(hdr, 44), u64(hdr, 56)
    if version not in (1, 2, 3) or flags & 0x10000 or u32(hdr, 77) & 0xFFFF:
        raise Bad("%s: only uncompressed hosted sparse is read" % path)
    if gd == 0xFFFFFFFFFFFFFFFF or grain == 0 or n_gte == 0:
        raise Bad("%s: bad header" % path)
    if capacity != sectors:
        raise Bad("%s: capacity %d, the descriptor says %d"
                  % (path, capacity, sectors))
    size = os.path.getsize(path)
    n_gd = -(-capacity // (grain * n_gte))
    gdv = struct.unpack("<%dI" % n_gd, read_at(path, gd * SECTOR, 4 * n_gd))
    entries = []
    for i, gt in enumerate(gdv):
        if gt == 0:
            continue
        vals = struct.unpack("<%dI" % n_gte,
                             read_at(path, gt * SECTOR, 4 * n_gte))
        gtes = []
        for v in vals:
            if v == 0:
                gtes.append((None, None))
            elif v == 1 and flags & 4:
                gtes.append(("zero", None))
            else:
                gtes.append(("data", v * SECTOR))
        entries.append((i * n_gte, gtes))
    runs = []
    gt_runs(runs, base, capacity, grain, entries, size, path, "sparse")
    return runs


def read_cowd(path, base, sectors):
    hdr = read_at(path, 0, 2048)
    if hdr[:4] != b"COWD":
        raise Bad("%s: no COWD magic" % path)
    version, capacity, grain, gd, n_gd, free = (
        u32(hdr, 4), u32(hdr, 12), u32(hdr, 16), u32(hdr, 20), u32(hdr, 24),
        u32(hdr, 28))
    if version != 1 or grain == 0 or grain & (grain - 1):
        raise Bad("%s: bad COWD header (version %d, grain %d)"
                  % (path, version, grain))
    if capacity != sectors:
        raise Bad("%s: capacity %d, the descriptor says %d"
                  % (path, capacity, sectors))
    if n_gd != -(-capacity // (grain * 4096)) or gd < 4:
        raise Bad("%s: %d GD entries at sector %d for %d sectors"
                  % (path, n_gd, gd, capacity))
    size = os.path.getsize(path)
    if free * SECTOR > size:
        raise Bad("%s: free sector %d past the end of the file" % (path, free))
    gdv = struct.unpack("<%dI" % n_gd, read_at(path, gd * SECTOR, 4 * n_gd))
    entries = []
    for i, gt in enumerate(gdv):
        if gt == 0:
            continue
        if gt < 4:
            raise Bad("%s: GD entry %d points into the header" % (path, i))
        vals = struct.unpack("<4096I", read_at(path, gt * SECTOR, 4 * 4096))
        for v in vals:
            if 0 < v < 4:
                raise Bad("%s: a grain in GT %d points into the header"
                          % (path, i))
        entries.append((i * 4096, [(None, None) if v == 0 else
                                   ("data", v * SECTOR) for v in vals]))
    runs = []
    gt_runs(runs, base, capacity, grain, entries, size, path, "COWD")
    return runs


def read_sesparse(path, base, sectors):
    hdr = read_at(path, 0, SECTOR)
    f = struct.unpack_from("<26Q", hdr, 0)
    if f[0] != 0xCAFEBABE or f[1] != 0x0000000200000001:
        raise Bad("%s: bad SEsparse magic or version" % path)
    capacity, grain, gt_sectors, flags = f[2], f[3], f[4], f[5]
    if grain != 8 or gt_sectors != 64 or flags != 0 or any(f[6:10]) or \
            any(hdr[208:]):
        raise Bad("%s: SEsparse header fields are not the fixed values" % path)
    if capacity != sectors:
        raise Bad("%s: capacity %d, the descriptor says %d"
                  % (path, capacity, sectors))
    size = os.path.getsize(path)
    names = ("volatile", "journal_header", "journal", "grain_dir",
             "grain_tables", "free_bitmap", "backmap", "grains")
    regions = {n: (f[10 + 2 * i], f[11 + 2 * i]) for i, n in enumerate(names)}
    spans = sorted([(0, 1, "const")] + [(o, o + s, n) for n, (o, s) in
                                         regions.items()])
    for (s0, e0, n0), (s1, e1, n1) in zip(spans, spans[1:]):
        if e0 > s1:
            raise Bad("%s: SEsparse regions %s and %s overlap" % (path, n0, n1))
    for n, (o, s) in regions.items():
        if s == 0 or (o + s) * SECTOR > size:
            raise Bad("%s: SEsparse %s region (%d+%d) is empty or past the "
                      "end of the file" % (path, n, o, s))
    vol = read_at(path, regions["volatile"][0] * SECTOR, SECTOR)
    if u64(vol, 0) != 0xCAFECAFE:
        raise Bad("%s: bad volatile header magic" % path)
    if u64(vol, 24) != 0:
        raise Bad("%s: dirty journal (replay_journal set)" % path)
    gt_entries = gt_sectors * SECTOR // 8
    n_gd = regions["grain_dir"][1] * SECTOR // 8
    n_slots = regions["grain_tables"][1] // gt_sectors
    n_clusters = regions["grains"][1] // grain
    need = -(-capacity // (grain * gt_entries))
    if n_gd < need:
        raise Bad("%s: %d GD entries for %d grain tables" % (path, n_gd, need))
    gdv = struct.unpack("<%dQ" % n_gd, read_at(
        path, regions["grain_dir"][0] * SECTOR, 8 * n_gd))
    entries = []
    for i, e in enumerate(gdv):
        if e == 0:
            continue
        if e >> 32 != 0x10000000 or (e & 0xFFFFFFFF) >= n_slots or i >= need:
            raise Bad("%s: bad GD entry %d: %#x" % (path, i, e))
        at = (regions["grain_tables"][0] + (e & 0xFFFFFFFF) * gt_sectors) * SECTOR
        vals = struct.unpack("<%dQ" % gt_entries, read_at(path, at, 8 * gt_entries))
        gtes = []
        for j, v in enumerate(vals):
            nib = v >> 60
            if v == 0:
                gtes.append((None, None))
            elif nib in (1, 2):
                gtes.append(("zero", None))
            elif nib == 3:
                c = ((v & 0x0FFF000000000000) >> 48) | ((v & 0x0000FFFFFFFFFFFF) << 12)
                if c >= n_clusters:
                    raise Bad("%s: GT %d entry %d: cluster %d past the grains "
                              "region" % (path, i, j, c))
                gtes.append(("data", (regions["grains"][0] + c * grain) * SECTOR))
            else:
                raise Bad("%s: GT %d entry %d: bad entry %#x" % (path, i, j, v))
        entries.append((i * gt_entries, gtes))
    runs = []
    gt_runs(runs, base, capacity, grain, entries, size, path, "SEsparse")
    return runs


# ---------------------------------------------------------------------
# Descriptors (A.5) and the chain.

def parse_descriptor(text, where):
    keys, extents = {}, []
    for raw in text.split("\n"):
        line = raw.strip().rstrip("\0").strip()
        if not line or line.startswith("#"):
            continue
        words = line.split(None, 3)
        if words[0] in ("RW", "RDONLY", "NOACCESS"):
            if len(words) < 3:
                raise Bad("%s: bad extent line: %s" % (where, line))
            name, offset = None, 0
            if len(words) == 4:
                rest = words[3]
                if not rest.startswith('"') or rest.count('"') < 2:
                    raise Bad("%s: bad extent line: %s" % (where, line))
                q = rest.index('"', 1)
                name = rest[1:q]
                tail = rest[q + 1:].strip()
                offset = int(tail) if tail else 0
            extents.append((words[2], int(words[1]), name, offset))
        elif "=" in line and not line.startswith("ddb."):
            k, _, v = line.partition("=")
            keys[k.strip().lower()] = v.strip().strip('"')
    return keys, extents


class Level:
    pass


def open_level(path):
    lv = Level()
    lv.path = path
    head = read_at(path, 0, min(SECTOR, os.path.getsize(path)))
    if head[:4] == b"KDMV":
        off, n = u64(head, 28), u64(head, 36)
        if off == 0:
            raise Bad("%s: hosted sparse file with no embedded descriptor" % path)
        text = read_at(path, off * SECTOR, n * SECTOR).split(b"\0")[0]
        embedded = True
    elif head[:4] == b"COWD" or head[:8] == struct.pack("<Q", 0xCAFEBABE):
        raise Bad("%s: a delta extent, not a descriptor" % path)
    else:
        with open(path, "rb") as f:
            text = f.read(1 << 20)
        embedded = False
    keys, extents = parse_descriptor(text.decode("utf-8"), path)
    lv.cid = int(keys.get("cid", "ffffffff"), 16)
    lv.parent_cid = int(keys.get("parentcid", "ffffffff"), 16)
    lv.hint = keys.get("parentfilenamehint")
    here = os.path.dirname(path)
    lv.runs, lv.sectors = [], 0
    for etype, n, name, offset in extents:
        base = lv.sectors
        if etype == "ZERO":
            add_run(lv.runs, base, base + n, "zero")
        elif etype in ("FLAT", "VMFS"):
            fp = os.path.join(here, name)
            if os.path.getsize(fp) < (offset + n) * SECTOR:
                raise Bad("%s: shorter than its extent" % fp)
            add_run(lv.runs, base, base + n, "data", fp, offset * SECTOR)
        elif etype == "SPARSE":
            fp = path if embedded else os.path.join(here, name)
            lv.runs += read_hosted_sparse(fp, base, n)
        elif etype == "VMFSSPARSE":
            lv.runs += read_cowd(os.path.join(here, name), base, n)
        elif etype == "SESPARSE":
            lv.runs += read_sesparse(os.path.join(here, name), base, n)
        else:
            raise Bad("%s: extent type %s is not read here" % (path, etype))
        lv.sectors += n
    return lv


def open_chain(top, check_cid):
    chain = [open_level(top)]
    seen = {os.path.realpath(top)}
    while chain[-1].parent_cid != 0xFFFFFFFF:
        child = chain[-1]
        if not child.hint:
            raise Bad("%s: parentCID but no parentFileNameHint" % child.path)
        here = os.path.dirname(child.path)
        if os.path.isabs(child.hint):
            p = child.hint if os.path.exists(child.hint) else \
                os.path.join(here, os.path.basename(child.hint))
        else:
            p = os.path.join(here, child.hint)
        if os.path.realpath(p) in seen:
            raise Bad("%s: the chain loops" % p)
        seen.add(os.path.realpath(p))
        parent = open_level(p)
        if check_cid and parent.cid != child.parent_cid:
            raise Bad("%s: parentCID %08x, but %s has CID %08x"
                      % (child.path, child.parent_cid, p, parent.cid))
        chain.append(parent)
    return chain


def merge(chain, levels):
    """The merged runs of chain[0:levels], each with its depth, clipped to
    the top's size: (start, end, depth, kind, path, byte_offset)."""
    size = chain[0].sectors
    starts, ends, out = [], [], []       # covered, sorted and disjoint
    for depth, lv in enumerate(chain[:levels]):
        new = []
        for s, e, kind, p, o in lv.runs:
            e = min(e, size)
            pos = s
            i = bisect.bisect_right(ends, pos)
            while pos < e:
                if i < len(starts) and starts[i] <= pos:
                    pos = ends[i]
                    i += 1
                    continue
                stop = min(e, starts[i]) if i < len(starts) else e
                new.append((pos, stop, depth, kind, p,
                            o + (pos - s) * SECTOR if p else 0))
                pos = stop
        for s, e, *_ in new:
            i = bisect.bisect_left(starts, s)
            starts.insert(i, s)
            ends.insert(i, e)
        out += new
    out.sort()
    return out


def write_raw(chain, out):
    size = chain[0].sectors * SECTOR
    with open(out, "wb") as f:
        f.truncate(size)
        for s, e, depth, kind, p, o in merge(chain, len(chain)):
            if kind != "data":
                continue
            with open(p, "rb") as src:
                src.seek(o)
                pos, left = s * SECTOR, (e - s) * SECTOR
                while left:
                    chunk = src.read(min(left, 1 << 20))
                    chunk += bytes(min(left, 1 << 20) - len(chunk))
                    if chunk.count(0) != len(chunk):
                        f.seek(pos)
                        f.write(chunk)
                    pos += len(chunk)
                    left -= len(chunk)


def dump_entries(entries, out):
    lines = ['{ "start": %d, "length": %d, "depth": %d, "present": true, '
             '"zero": %s, "data": %s}' % (s, n, d, "true" if z else "false",
                                          "false" if z else "true")
             for s, n, d, z in entries]
    out.write("[" + ",\n".join(lines) + "]\n")


def join_entries(entries, use_depth=True):
    res = []
    for s, n, d, z in sorted(entries):
        if not use_depth:
            d = 0
        if res and res[-1][0] + res[-1][1] == s and res[-1][2:] == [d, z]:
            res[-1][1] += n
        else:
            res.append([s, n, d, z])
    return res


def check_shape(items, where):
    """--strict: the list is what a .changed file must be: objects of
    exactly these keys, present, data == !zero, sorted, disjoint, and no
    two adjacent entries of one depth and kind."""
    keys = {"start", "length", "depth", "present", "zero", "data"}
    prev = None
    for x in items:
        if set(x) != keys or x["present"] is not True or \
                x["data"] is x["zero"] or x["length"] <= 0 or x["depth"] < 0:
            raise Bad("%s: bad entry %s" % (where, json.dumps(x)))
        if prev:
            end = prev["start"] + prev["length"]
            if x["start"] < end:
                raise Bad("%s: %s is not after %s" % (where, json.dumps(x),
                                                      json.dumps(prev)))
            if x["start"] == end and x["depth"] == prev["depth"] and \
                    x["zero"] == prev["zero"]:
                raise Bad("%s: %s continues %s" % (where, json.dumps(x),
                                                   json.dumps(prev)))
        prev = x


def changed(chain):
    if len(chain) < 2:
        raise Bad("%s: no deltas" % chain[0].path)
    return join_entries([(s * SECTOR, (e - s) * SECTOR, d, k == "zero")
                         for s, e, d, k, _, _ in merge(chain, len(chain) - 1)])


def main(argv):
    check_cid = "--ignore-cid" not in argv
    use_depth = "--no-depth" not in argv
    strict = "--strict" in argv
    argv = [a for a in argv if a not in ("--ignore-cid", "--no-depth",
                                         "--strict")]
    try:
        if len(argv) == 3 and argv[0] == "raw":
            write_raw(open_chain(argv[1], check_cid), argv[2])
        elif len(argv) in (2, 3) and argv[0] == "changed":
            entries = changed(open_chain(argv[1], check_cid))
            if len(argv) == 3:
                with open(argv[2], "w") as f:
                    dump_entries(entries, f)
            else:
                dump_entries(entries, sys.stdout)
        elif len(argv) == 2 and argv[0] == "normalize":
            with open(argv[1]) as f:
                items = json.load(f)
            if strict:
                check_shape(items, argv[1])
            for s, n, d, z in join_entries(
                    [(x["start"], x["length"], x["depth"], x["zero"])
                     for x in items], use_depth):
                print(s, n, d, "zero" if z else "data")
        elif len(argv) == 3 and argv[0] == "qemu-changed":
            base_depth = int(argv[1])
            with open(argv[2]) as f:
                items = json.load(f)
            keep = [(x["start"], x["length"], x["depth"], x["zero"])
                    for x in items if x["depth"] < base_depth]
            for s, n, d, z in join_entries(keep, use_depth):
                print(s, n, d, "zero" if z else "data")
        else:
            sys.stderr.write(__doc__ if __doc__ else "usage: see the source\n")
            sys.stderr.write("deltaref.py: bad arguments\n")
            return 2
    except Bad as e:
        sys.stderr.write("deltaref.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
