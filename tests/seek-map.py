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

Exit 0, 1 with a message on an error, 2 on bad usage.
"""
import errno
import json
import os
import sys


def seek(fd, off, whence):
    try:
        return str(os.lseek(fd, off, whence))
    except OSError as e:
        if e.errno == errno.ENXIO:
            return "ENXIO"
        raise


def walk(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        off = 0
        while off < size:
            try:
                data = os.lseek(fd, off, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:
                    break
                raise
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            # Each answer must move forward and stay inside the file.
            if not off <= data < hole <= size:
                sys.stderr.write("seek-map.py: %s: bad run: SEEK_DATA(%d) = "
                                 "%d, SEEK_HOLE(%d) = %d, size %d\n"
                                 % (path, off, data, data, hole, size))
                return 1
            print(data, hole)
            off = hole
        return 0
    finally:
        os.close(fd)


def qemu_map():
    runs = []
    for m in json.load(sys.stdin):
        if not m["data"]:
            continue
        start, end = m["start"], m["start"] + m["length"]
        if runs and runs[-1][1] == start:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    for start, end in runs:
        print(start, end)
    return 0


def main(argv):
    if argv[1:] == ["--qemu-map"]:
        return qemu_map()
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
