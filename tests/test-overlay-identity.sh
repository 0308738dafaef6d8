#!/usr/bin/env bash
# An overlay DIR belongs to one source:
#   - mounting it with another source is refused, with the exact message
#     (name, size and fingerprint of both), and nothing is mounted;
#   - a second v2vfs on a DIR in use is refused;
#   - --discard-overlay without --yes is refused and changes nothing;
#   - --discard-overlay --yes empties it: the old writes are gone, and the
#     DIR then takes any source.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img qemu-io sha256sum
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src
qemu-img create -q -f vmdk -o subformat=monolithicSparse src/a.vmdk 64M
qemu-img create -q -f vmdk -o subformat=monolithicSparse src/b.vmdk 64M
qemu-io -f vmdk -c "write -P 0xb 0 1M" src/b.vmdk > /dev/null
fp () { python3 - "$1" <<'PY'
import os, sys, zlib
p = sys.argv[1]
size = os.path.getsize(p)
with open(p, "rb") as f:
    head = zlib.crc32(f.read(65536))
    tail = head
    if size > 65536:
        f.seek(size - 65536)
        tail = zlib.crc32(f.read(65536))
print("%s (%d bytes, fingerprint %08x%08x)" % (os.path.basename(p), size, head, tail))
PY
}

v2vfs_mount --overlay "$d/ovl" src/a.vmdk mnt
printf 'written through a' | dd of=mnt/disks/a.raw conv=notrunc status=none
mkdir mnt2
expect_fail_exact "v2vfs: $d/ovl: the overlay is in use by another v2vfs (it holds the lock)" \
    "$V2VFS" --overlay "$d/ovl" src/a.vmdk "$d/mnt2"
assert_not_mounted "$d/mnt2"
v2vfs_unmount mnt

msg="v2vfs: $d/ovl: this overlay belongs to $(fp src/a.vmdk), not to $(fp src/b.vmdk);"
msg+=" mount it with its own source, or empty it with --discard-overlay --yes"
expect_refused "$msg" "$d/mnt2" "src ovl" "$V2VFS" --overlay "$d/ovl" src/b.vmdk mnt2
echo "refused: $msg"

expect_fail_exact "v2vfs: $d/ovl: --discard-overlay deletes every write the overlay holds; add --yes to confirm" \
    "$V2VFS" --overlay "$d/ovl" --discard-overlay
v2vfs_mount --overlay "$d/ovl" src/a.vmdk mnt
[ "$(head -c 17 mnt/disks/a.raw)" = "written through a" ] ||
    fail "the write did not survive a remount (or an unconfirmed discard)"
v2vfs_unmount mnt

out=$("$V2VFS" --overlay "$d/ovl" --discard-overlay --yes)
echo "$out"
grep -q "^v2vfs: $d/ovl: discarded the overlay of 1 disk (" <<<"$out" ||
    fail "--discard-overlay --yes printed: $out"
[ -z "$(ls -A ovl)" ] || fail "the discarded DIR still holds $(ls -A ovl)"
v2vfs_mount --overlay "$d/ovl" src/b.vmdk mnt
cmp -n 1048576 mnt/disks/b.raw <(printf '\x0b%.0s' $(seq 1048576)) ||
    fail "after the discard, b.vmdk's own data does not show"
v2vfs_unmount mnt
v2vfs_mount --overlay "$d/ovl" --discard-overlay --yes src/b.vmdk mnt
cmp -n 1048576 mnt/disks/b.raw <(printf '\x0b%.0s' $(seq 1048576)) ||
    fail "a discard on mount does not show the source"
echo "discard, then a mount of another source: ok"
