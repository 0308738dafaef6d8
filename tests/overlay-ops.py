#!/usr/bin/env python3
"""Deterministic writes for the overlay tests.

  overlay-ops.py apply FILE SIZE
      Apply the fixed list of unaligned writes and discards (below) to
      FILE, a disk of SIZE bytes: the view, or a raw reference copy.

  overlay-ops.py crash-write FILE SIZE LOG FIRST
      Write batches FIRST, FIRST+1, ... to FILE until a write fails (the
      daemon was killed).  Batch K is a pure function of K: a few writes
      of pseudo-random bytes at unaligned offsets and one discard.  LOG
      gets "start K" before the batch and "synced K" once its fsync
      returned.

  overlay-ops.py crash-verify FILE STATE LOG
      STATE holds the disk as it read after the previous remount.  Apply
      every batch the log says was synced since; FILE must then read the
      same, except where a batch that started but never synced wrote:
      there each byte must be the old one or one that batch wrote.
      Rewrites STATE with FILE's content, and prints the next batch number.

  overlay-ops.py fault-write FILE SIZE LOG SEED COUNT|OPS
      COUNT writes, discards and zeroings of FILE (a function of SEED),
      or the OPS "write:OFF:LEN,punch:OFF:LEN,...", then an fsync and a
      close, each whatever the one before did.  LOG gets a line for
      each: "ok write OFF LEN SEED", "fail punch OFF LEN SEED ENOSPC",
      "ok sync", "fail close EIO"...  Prints the counts:
      "ok=N fail=N errors=EIO,ENOSPC sync=ok close=fail:EIO".

  overlay-ops.py fault-verify [--live [--strict]] FILE STATE LOG
      STATE holds the disk as it read when the log was at line STATE.pos.
      Replay the log from there: a write or discard that succeeded counts
      once a later sync or close (or an "unmount ok" line, which the test
      adds when the daemon exits 0) succeeded; one that failed, or that
      no successful flush covered, may have left each of its bytes old or
      new.  FILE must read that way.  Then STATE becomes FILE's content.
      --live checks a disk still mounted: what succeeded counts at once,
      and STATE is left alone; with --strict, a write that failed must
      have left every byte old (a discard that failed may have zeroed
      whole blocks before it failed on a partial one).
"""
import ctypes
import ctypes.util
import errno
import os
import random
import sys

FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_ZERO_RANGE = 0x10
MIB = 1 << 20
GIB = 1 << 30

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64,
                           ctypes.c_int64]


def fallocate(fd, mode, off, length):
    if libc.fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def pattern(seed, n):
    return random.Random(seed).randbytes(n)


def unaligned_ops(size):
    """(kind, offset, length) across 4 KiB blocks, 64 KiB grains, the
    2 GiB extent boundary of twoGbMaxExtent files, 1 MiB lock regions
    and the disk's end; the same list for every run."""
    ops = [
        ("write", 0, 1),
        ("write", 12345, 10000),           # inside the fixture's data
        ("write", 65536 - 3, 7),           # across a grain boundary
        ("write", 5 * 65536 + 100, 200000),
        ("write", 9 * MIB + 777, MIB + 3),  # the fixture's written zeros
        ("write", 512 * MIB - 1, 3 * MIB),  # across 1 MiB regions
        ("write", GIB + 4096, 4096),        # aligned, in a hole
        ("write", 12000, 500),              # over an earlier write
        ("punch", 8 * MIB + 100, MIB),      # partial and whole blocks
        ("zero", 20 * MIB - 10, 70000),
        ("punch", 64 * MIB - 4096, 8192),   # aligned, across the GT edge
        ("write", 8 * MIB + 50000, 100),    # into what was just punched
    ]
    if size > 2 * GIB + MIB:
        ops += [("write", 2 * GIB - 5000, 10000),  # across the extent edge
                ("write", 2 * GIB - 1, 2),
                ("punch", 2 * GIB - 3 * 4096, 6 * 4096)]
    ops += [("write", size - 1000, 1000),  # the disk's last (partial) block
            ("write", size - 3, 3),
            ("zero", size - 5000, 5000)]
    return ops


def do_op(fd, kind, off, length, seed):
    if kind == "write":
        data = pattern(seed, length)
        if os.pwrite(fd, data, off) != length:
            raise OSError("short write at %d" % off)
    else:
        mode = FALLOC_FL_KEEP_SIZE | (FALLOC_FL_PUNCH_HOLE if kind == "punch"
                                      else FALLOC_FL_ZERO_RANGE)
        fallocate(fd, mode, off, length)


def apply(path, size):
    fd = os.open(path, os.O_RDWR)
    for i, (kind, off, length) in enumerate(unaligned_ops(size)):
        do_op(fd, kind, off, length, i)
    os.fsync(fd)
    os.close(fd)


def batch(k, size):
    """Batch K: (kind, offset, length, seed) tuples."""
    r = random.Random(k)
    ops = []
    for j in range(6):
        length = r.randint(1, 24000)
        ops.append(("write", r.randrange(0, size - length), length,
                    k * 100 + j))
    length = r.randint(1, 3 * 65536)
    ops.append(("punch", r.randrange(0, size - length), length, 0))
    r.shuffle(ops)
    return ops


def crash_write(path, size, log, first):
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return                          # killed before the first batch
    with open(log, "a", buffering=1) as lg:
        k = first
        while True:
            lg.write("start %d\n" % k)
            try:
                for kind, off, length, seed in batch(k, size):
                    do_op(fd, kind, off, length, seed)
                os.fsync(fd)
            except OSError:
                return
            lg.write("synced %d\n" % k)
            k += 1


def apply_to(buf, op):
    kind, off, length, seed = op
    buf[off:off + length] = (pattern(seed, length) if kind == "write"
                             else bytes(length))


def crash_verify(path, state, log):
    with open(state, "rb") as f:
        want = bytearray(f.read())
    with open(path, "rb") as f:
        got = f.read()
    if len(got) != len(want):
        sys.exit("the view has %d bytes, expected %d" % (len(got), len(want)))
    started, synced = [], []
    with open(log) as lg:
        for line in lg:
            word, k = line.split()
            (started if word == "start" else synced).append(int(k))
    done = set(synced)
    base = int(open(state + ".next").read()) if os.path.exists(state + ".next") else 0
    open_batches = [k for k in started if k >= base and k not in done]
    for k in sorted(k for k in done if k >= base):
        for op in batch(k, len(want)):
            apply_to(want, op)
    # Bytes a batch that never synced may have changed: each must be the
    # old byte or one of the values that batch wrote there.
    maybe = {}
    for k in open_batches:
        for op in batch(k, len(want)):
            kind, off, length, seed = op
            data = pattern(seed, length) if kind == "write" else bytes(length)
            for i in range(length):
                maybe.setdefault(off + i, set()).add(data[i])
    bad = 0
    pos = 0
    for off in sorted(maybe) + [len(want)]:
        if got[pos:off] != want[pos:off]:
            first = next(i for i in range(pos, off) if got[i] != want[i])
            sys.exit("byte %d reads %d, but synced batches left %d there"
                     % (first, got[first], want[first]))
        if off < len(want):
            if got[off] != want[off] and got[off] not in maybe[off]:
                bad += 1
                if bad == 1:
                    print("byte %d reads %d: neither old (%d) nor written"
                          % (off, got[off], want[off]), file=sys.stderr)
        pos = off + 1
    if bad:
        sys.exit("%d bytes read as garbage" % bad)
    nxt = max(started, default=base - 1) + 1
    with open(state, "wb") as f:
        f.write(got)
    with open(state + ".next", "w") as f:
        f.write("%d\n" % nxt)
    print(nxt, len([k for k in done if k >= base]), len(open_batches))


def fault_ops(seed, count, size):
    """(kind, offset, length, seed) tuples: mostly writes, some across a
    1 MiB lock region's edge, a few discards and zeroings; or the ops
    COUNT lists."""
    if ":" in count:
        return [(kind, int(off), int(length), seed * 1000 + j) for j, (
            kind, off, length) in enumerate(op.split(":")
                                            for op in count.split(","))]
    count = int(count)
    r = random.Random(seed)
    ops = []
    for j in range(count):
        kind = r.choice(["write"] * 6 + ["punch", "zero"])
        length = r.randint(1, 40000 if kind == "write" else 3 * 65536)
        if j % 5 == 4:                  # across a region's edge
            edge = r.randrange(1, size // MIB) * MIB
            off = edge - r.randint(1, length) if length > 1 else edge - 1
        else:
            off = r.randrange(0, size - length)
        ops.append((kind, off, length, seed * 1000 + j))
    return ops


def fault_write(path, size, log, seed, count):
    counts = {"ok": 0, "fail": 0}
    errors = set()
    result = {}
    with open(log, "a", buffering=1) as lg:
        fd = os.open(path, os.O_RDWR)
        for kind, off, length, s in fault_ops(seed, count, size):
            try:
                do_op(fd, kind, off, length, s)
                lg.write("ok %s %d %d %d\n" % (kind, off, length, s))
                counts["ok"] += 1
            except OSError as e:
                name = errno.errorcode.get(e.errno, str(e.errno))
                lg.write("fail %s %d %d %d %s\n" % (kind, off, length, s, name))
                counts["fail"] += 1
                errors.add(name)
        for what, call in (("sync", os.fsync), ("close", os.close)):
            try:
                call(fd)
                result[what] = "ok"
            except OSError as e:
                result[what] = "fail:" + errno.errorcode.get(e.errno, "?")
            lg.write("ok %s\n" % what if result[what] == "ok"
                     else "fail %s %s\n" % (what, result[what][5:]))
    print("ok=%d fail=%d errors=%s sync=%s close=%s"
          % (counts["ok"], counts["fail"], ",".join(sorted(errors)) or "-",
             result["sync"], result["close"]))


def fault_verify(args):
    live = "--live" in args
    strict = "--strict" in args
    path, state, log = [a for a in args if not a.startswith("--")]
    with open(state, "rb") as f:
        want = bytearray(f.read())
    pos = int(open(state + ".pos").read()) if os.path.exists(state + ".pos") else 0
    lines = open(log).read().splitlines()
    alts = []                  # (offset, bytes): what a byte may read as
    since = []                 # (succeeded, op) since the last flush

    def settle(flushed):
        for ok, op in since:
            kind, off, length, s = op
            if ok and flushed:
                apply_to(want, op)
                # What it wrote is certain: cut it out of the others.
                alts[:] = [(o, d) for a, b in alts for o, d in (
                    (a, b[:max(0, off - a)]),
                    (max(a, off + length), b[max(0, off + length - a):]))
                    if d]
            elif ok or not strict or kind != "write":
                alts.append((off, pattern(s, length) if kind == "write"
                             else bytes(length)))
        since.clear()

    for line in lines[pos:]:
        w = line.split()
        if w[1] in ("write", "punch", "zero"):
            since.append((w[0] == "ok", (w[1], int(w[2]), int(w[3]), int(w[4]))))
        elif w[1] in ("sync", "close") or w[0] == "unmount":
            settle(w[0] == "ok" or (w[0] == "unmount" and w[1] == "ok"))
    settle(live)

    with open(path, "rb") as f:
        got = f.read()
    if len(got) != len(want):
        sys.exit("the view has %d bytes, expected %d" % (len(got), len(want)))
    changed = 0
    for c in range(0, len(want), 65536):
        if got[c:c + 65536] == want[c:c + 65536]:
            continue
        for i in range(c, min(c + 65536, len(want))):
            if got[i] == want[i]:
                continue
            if not any(o <= i < o + len(d) and d[i - o] == got[i]
                       for o, d in alts):
                sys.exit("byte %d reads %d: the writes that succeeded left "
                         "%d there, and no write that may have landed "
                         "wrote that" % (i, got[i], want[i]))
            changed += 1
    if not live:
        with open(state, "wb") as f:
            f.write(got)
        with open(state + ".pos", "w") as f:
            f.write("%d\n" % len(lines))
    print("verified: %d bytes of writes that failed or were never flushed "
          "read as new" % changed)


def main():
    cmd = sys.argv[1]
    if cmd == "apply":
        apply(sys.argv[2], int(sys.argv[3]))
    elif cmd == "crash-write":
        crash_write(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                    int(sys.argv[5]))
    elif cmd == "crash-verify":
        crash_verify(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "fault-write":
        fault_write(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                    int(sys.argv[5]), sys.argv[6])
    elif cmd == "fault-verify":
        fault_verify(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
