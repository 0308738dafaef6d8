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
"""
import ctypes
import ctypes.util
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


def main():
    cmd = sys.argv[1]
    if cmd == "apply":
        apply(sys.argv[2], int(sys.argv[3]))
    elif cmd == "crash-write":
        crash_write(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                    int(sys.argv[5]))
    elif cmd == "crash-verify":
        crash_verify(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
