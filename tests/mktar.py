#!/usr/bin/env python3
"""Write a ustar archive (POSIX.1-1988 headers) for the limit tests.

    mktar.py OUT [--fill N | --pax BYTES | --chunks N] FILE...

The FILEs go in first, by their base names, in order.  Then:
  --fill N     N empty members f0000001, f0000002, ... after the FILEs;
  --pax BYTES  a pax extended header ('x') of exactly BYTES bytes (one
               'comment' record) before the first FILE;
  --chunks N   the last FILE split the way ovftool chunks a disk: members
               NAME.000000000 ... , N - 1 of one byte and the rest last.
Written from the ustar layout, not with tar(1), so that a million members
take seconds: each header is a template with its name and checksum set.
"""

import os
import sys

BLOCK = 512


def header(name, size, typeflag=b"0"):
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"00000000000\0"
    h[148:156] = b" " * 8              # checksum counts these as spaces
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def padded(data):
    return data + bytes(-len(data) % BLOCK)


def member(name, data, typeflag=b"0"):
    return header(name, len(data), typeflag) + padded(data)


def pax_record(total):
    # "LEN comment=zzz\n", LEN counting the whole record, itself included.
    for digits in range(1, 10):
        k = total - digits - len(b" comment=\n")
        if k >= 0 and len(str(total)) == digits:
            return b"%d comment=%s\n" % (total, b"z" * k)
    raise SystemExit("mktar: cannot make a pax record of %d bytes" % total)


def main(argv):
    out, opt, n, files = argv[1], None, 0, argv[2:]
    if files and files[0] in ("--fill", "--pax", "--chunks"):
        opt, n, files = files[0], int(files[1]), files[2:]
    with open(out, "wb") as f:
        if opt == "--pax":
            f.write(member(b"PaxHeaders/x", pax_record(n), b"x"))
        for i, path in enumerate(files):
            name = os.path.basename(path).encode()
            data = open(path, "rb").read()
            if opt == "--chunks" and i == len(files) - 1:
                assert len(data) > n, "the file is too small for its chunks"
                for c in range(n):
                    piece = data[c:c + 1] if c < n - 1 else data[c:]
                    f.write(member(b"%s.%09d" % (name, c), piece))
            else:
                f.write(member(name, data))
        if opt == "--fill":
            empty = header(b"f0000000", 0)
            base = sum(empty[0:148]) + sum(empty[156:]) + 8 * 32 - sum(b"f0000000")
            for k in range(1, n + 1):
                name = b"f%07d" % k
                h = bytearray(empty)
                h[0:8] = name
                h[148:156] = b"%06o\0 " % (base + sum(name))
                f.write(h)
        f.write(bytes(2 * BLOCK))


if __name__ == "__main__":
    main(sys.argv)
