#!/usr/bin/env bash
# A device node inside the source directory (DESIGN.md section 2: hrefs
# and extent files may not name devices): a block device named by an
# extent line and by an OVF href is refused with one error line naming
# the descriptor, the object and the name, nothing is left mounted, and
# the device is never opened.  Skips where mknod is not allowed.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 timeout sha256sum
requires_fuse

d=$(tmpdir)
mkdir -p "$d/top/src" "$d/mnt"
cd "$d/top"

# refused MSG CMD...: CMD (a v2vfs run) fails with exactly MSG, leaves
# nothing mounted and writes to no file under top/.
refused ()
{
    local msg=$1
    shift
    expect_refused "$msg" "$d/mnt" "$d/top" "$@"
}

# A block device node inside the directory (loop0's numbers), named by
# an extent line and by an href.  It must be refused by its type, with
# the descriptor and line in the message, and never opened: opening a
# device can have effects of its own (a watchdog, a tape rewind).  An
# inotify watch on the node counts the opens (an O_PATH open to fstat it
# does not count).
mknod src/blk.vmdk b 7 0 2> /dev/null || skip "cannot mknod a block device here"

flat_descriptor blk.vmdk > src/device.vmdk
refused "v2vfs: src/device.vmdk: descriptor line 8: extent file 'blk.vmdk': not a regular file" \
    python3 "$tests_srcdir/watch-open.py" "$d/opens" src/blk.vmdk \
    timeout 60 "$V2VFS" src/device.vmdk "$d/mnt"
[ "$(cat "$d/opens")" = 0 ] ||
    fail "src/blk.vmdk (a device) was opened $(cat "$d/opens") time(s)"

one_disk_ovf blk.vmdk > src/device.ovf
refused "v2vfs: src/device.ovf: File 'file1' at line 4: href 'blk.vmdk': not a regular file" \
    python3 "$tests_srcdir/watch-open.py" "$d/opens" src/blk.vmdk \
    timeout 60 "$V2VFS" src/device.ovf "$d/mnt"
[ "$(cat "$d/opens")" = 0 ] ||
    fail "src/blk.vmdk (a device) was opened $(cat "$d/opens") time(s)"
