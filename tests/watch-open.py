#!/usr/bin/env python3
# watch-open.py COUNT_FILE PATH CMD...: run CMD and write to COUNT_FILE
# how many times PATH was opened meanwhile (inotify IN_OPEN); exit with
# CMD's status.  The events are queued during open(2), so they are all
# there once CMD has exited.
import ctypes, os, struct, subprocess, sys
IN_OPEN = 0x20
libc = ctypes.CDLL(None, use_errno=True)
count_file, path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
if fd < 0 or libc.inotify_add_watch(fd, os.fsencode(path), IN_OPEN) < 0:
    sys.stderr.write("watch-open.py: %s: inotify: %s\n"
                     % (path, os.strerror(ctypes.get_errno())))
    sys.exit(2)
r = subprocess.call(cmd)
n = 0
while True:
    try:
        buf = os.read(fd, 65536)
    except BlockingIOError:
        break
    off = 0
    while off < len(buf):
        wd, mask, cookie, length = struct.unpack_from("iIII", buf, off)
        n += bool(mask & IN_OPEN)
        off += 16 + length
with open(count_file, "w") as f:
    f.write("%d\n" % n)
sys.exit(r if r >= 0 else 128 - r)
