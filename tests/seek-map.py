#!/usr/bin/env python3
"""v2vfs test helper: the data/hole map of a file, by lseek(2).

Usage:
  seek-map.py FILE            print "DATA_START HOLE_START" for each data
                              run, walking SEEK_DATA / SEEK_HOLE from 0
  seek-map.py FILE {data|hole} OFF...
                              for each pair, print "data|hole OFF RESULT":
                              RESULT is lseek(OFF, SEEK_DATA|SEEK_HOLE),
                              or ENXIO
  seek-map.py --qemu-map      read `qemu-img map --output=json` on stdin
                              and print its "data": true runs in the
                              same format (adjacent runs merged), so the
                              two maps can be diffed
  seek-map.py --qcow2-map RAWMAP SIZE
                              read `qemu-img map --output=json` of a
                              qcow2 file of SIZE bytes on stdin, and
                              print the runs its file should have: the
                              metadata (up to the first data cluster),
                              then each run of RAWMAP (the disk's runs,
                              in this script's format) at the file
                              offsets where the qcow2 maps it
  seek-map.py --flat-descriptor DESC
                              the runs of a disk made of FLAT extents, as
                              the extent files' own SEEK_DATA / SEEK_HOLE
                              give them, placed where each extent sits in
                              the disk (qemu-img map calls a flat extent
                              all data, so it cannot serve here)

Exit 0, 1 with a message on an error, 2 on bad usage.
"""
import errno
import json
import os
import re
import shlex
import sys


def seek(fd, off, whence):
    try:
        return str(os.lseek(fd, off, whence))
    except OSError as e:
        if e.errno == errno.ENXIO:
            return "ENXIO"
        raise


class BadRun(Exception):
    pass


def file_runs(path, start, end):
    """The (data, hole) runs of PATH within [START, END), by lseek."""
    fd = os.open(path, os.O_RDONLY)
    try:
        off = start
        while off < end:
            try:
                data = os.lseek(fd, off, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:
                    break
                raise
            if data >= end:
                break
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            # Each answer must move forward.
            if not off <= data < hole:
                raise BadRun("%s: bad run: SEEK_DATA(%d) = %d, SEEK_HOLE(%d) "
                             "= %d" % (path, off, data, data, hole))
            yield data, min(hole, end)
            off = hole
    finally:
        os.close(fd)


def print_merged(runs):
    """Print runs, joining those that touch."""
    merged = []
    for start, end in runs:
        if merged and merged[-1][1] == start:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    for start, end in merged:
        print(start, end)
    return 0


def walk(path):
    size = os.stat(path).st_size
    try:
        runs = list(file_runs(path, 0, size))
    except BadRun as e:
        sys.stderr.write("seek-map.py: %s\n" % e)
        return 1
    if runs and runs[-1][1] > size:
        sys.stderr.write("seek-map.py: %s: a run ends past the size %d\n"
                         % (path, size))
        return 1
    for data, hole in runs:
        print(data, hole)
    return 0


def qemu_map():
    return print_merged((m["start"], m["start"] + m["length"])
                        for m in json.load(sys.stdin) if m["data"])


def qcow2_map(rawmap, size):
    data = sorted((m["start"], m["start"] + m["length"], m["offset"])
                  for m in json.load(sys.stdin) if m["data"])
    runs = [(0, min((o for _, _, o in data), default=size))]
    i = 0
    with open(rawmap) as f:
        for line in f:
            x, end = map(int, line.split())
            while x < end:
                while i < len(data) and data[i][1] <= x:
                    i += 1
                if i == len(data) or data[i][0] > x:
                    raise BadRun("disk offset %d has data, but the qcow2 "
                                 "maps no cluster there" % x)
                start, stop, host = data[i]
                n = min(end, stop) - x
                runs.append((host + x - start, host + x - start + n))
                x += n
    return print_merged(runs)


def flat_map(desc):
    """Runs of the FLAT extents listed in DESC, in disk coordinates."""
    line_re = re.compile(r"^(RW|RDONLY)\s+(\d+)\s+FLAT\s+(.*)$")
    base = os.path.dirname(desc)
    at = 0
    runs = []
    with open(desc, "rb") as f:
        text = f.read().split(b"\0", 1)[0].decode()
    for line in text.splitlines():
        m = line_re.match(line.strip())
        if not m:
            continue
        sectors = int(m.group(2))
        name, offset = shlex.split(m.group(3))
        start = int(offset) * 512
        end = start + sectors * 512
        runs += [(at + d - start, at + h - start)
                 for d, h in file_runs(os.path.join(base, name), start, end)]
        at += sectors * 512
    return print_merged(runs)


def main(argv):
    if argv[1:] == ["--qemu-map"]:
        return qemu_map()
    if len(argv) == 4 and argv[1] == "--qcow2-map":
        try:
            return qcow2_map(argv[2], int(argv[3]))
        except BadRun as e:
            sys.stderr.write("seek-map.py: %s\n" % e)
            return 1
    if len(argv) == 3 and argv[1] == "--flat-descriptor":
        return flat_map(argv[2])
    if len(argv) == 2 and not argv[1].startswith("-"):
        return walk(argv[1])
    queries = argv[2:]
    if (len(argv) > 2 and not argv[1].startswith("-") and
            len(queries) % 2 == 0 and
            all(q in ("data", "hole") for q in queries[::2])):
        fd = os.open(argv[1], os.O_RDONLY)
        try:
            for what, off in zip(queries[::2], queries[1::2]):
                whence = os.SEEK_DATA if what == "data" else os.SEEK_HOLE
                print(what, off, seek(fd, int(off, 0), whence))
        finally:
            os.close(fd)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        sys.stderr.write("seek-map.py: %s\n" % e)
        sys.exit(1)
