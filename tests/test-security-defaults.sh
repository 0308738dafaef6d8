#!/usr/bin/env bash
# The defaults SECURITY.md promises, checked from outside:
#   1. the overlay DIR v2vfs creates is 0700, its files 0600;
#   2. without -o allow_other no other user reaches the mount (the mount
#      options in /proc/self/mountinfo lack allow_other, and nobody's
#      read fails); with it, nobody reads the disk;
#   3. the source is never written: the daemon holds every source file
#      open read-only (each descriptor's flags in /proc/PID/fdinfo), and
#      after writes through the overlay and an unmount the source files
#      are byte for byte what they were.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img runuser tar sha256sum
requires_fuse
requires_root "reading the mount as another user"

d=$(tmpdir)
chmod 0755 "$d"
cd "$d"
mkdir src
make_raw_fixture disk.raw $(( 8 << 20 ))
"$MKFIXTURE" monolithicSparse disk.raw src/disk1.vmdk
one_disk_ovf disk1.vmdk > src/vm.ovf
before=$(tree_sums src)

# 1. The overlay DIR and its files.
umask 022
v2vfs_mount --overlay "$d/ovl" src/vm.ovf "$d/mnt"
[ "$(stat -c %a ovl)" = 700 ] || fail "the overlay DIR has mode $(stat -c %a ovl)"
dd if=/dev/urandom of=mnt/disks/disk1.raw bs=4096 count=4 seek=10 conv=notrunc status=none
sync mnt/disks/disk1.raw
while IFS= read -r f; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f")"
done < <(find ovl -type f)
[ -n "$(find ovl -type f)" ] || fail "the overlay holds no file after a write"
echo "overlay: the DIR is 0700 and its $(find ovl -type f | wc -l) files 0600"

# 3. Read-only source descriptors, while mounted.
pid=$(findmnt -n -o TARGET "$d/mnt" > /dev/null && pgrep -n -f "v2vfs.*--overlay $d/ovl")
[ -n "$pid" ] || fail "no v2vfs process for the mount"
n=0
for fd in /proc/"$pid"/fd/*; do
    target=$(readlink "$fd") || continue
    case $target in
        "$d"/src/*)
            flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")
            (( (8#$flags & 3) == 0 )) || fail "$target is open with flags $flags, not O_RDONLY"
            n=$(( n + 1 )) ;;
    esac
done
[ "$n" -gt 0 ] || fail "the daemon holds no source file open"
echo "source: the daemon holds $n source descriptor(s), all O_RDONLY"
v2vfs_unmount "$d/mnt"
[ "$(tree_sums src)" = "$before" ] || fail "the source changed"
echo "source: unchanged after writes through the overlay"

# 2. allow_other: off unless asked for.
v2vfs_mount src/vm.ovf "$d/mnt"
opts=$(findmnt -n -o OPTIONS "$d/mnt")
case ,$opts, in *,allow_other,*) fail "mounted with allow_other unasked: $opts" ;; esac
if runuser -u nobody -- head -c 512 "$d/mnt/disks/disk1.raw" > /dev/null 2> nobody.err; then
    fail "nobody read a mount made without allow_other"
fi
grep -q "Permission denied" nobody.err || fail "nobody's read failed otherwise: $(cat nobody.err)"
v2vfs_unmount "$d/mnt"
v2vfs_mount -o allow_other src/vm.ovf "$d/mnt"
runuser -u nobody -- head -c 512 "$d/mnt/disks/disk1.raw" > nobody.out ||
    fail "nobody could not read a mount made with -o allow_other"
cmp nobody.out <(head -c 512 disk.raw) || fail "nobody read other bytes"
v2vfs_unmount "$d/mnt"
echo "allow_other: nobody is refused without it (Permission denied) and reads with it"
[ "$(tree_sums src)" = "$before" ] || fail "the source changed"
