#!/usr/bin/env bash
# A compressed grain that inflates past the grain size (a zip bomb,
# mkstream --corrupt-bomb: grain 0 inflates to twice 64 KiB).
#
# Mount cost is O(metadata), so the mount succeeds and the bomb is found
# when the grain is read: that read fails with EIO, the daemon logs one
# line naming the file, the grain's offset and "inflates past the grain
# size", every other grain still reads right, reading the bomb again
# fails again, and the daemon keeps serving and exits 0 on unmount.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 timeout sha256sum dd cmp
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

make_raw_fixture disk.raw $(( 64 << 20 ))
"$MKFIXTURE" ovftool disk.raw src/bomb.vmdk --corrupt-bomb
before=$(sha_of src/bomb.vmdk)

# The first grain (LBA 0) starts at overHead: sector 128.
grain_off=65536
expected="v2vfs: disks/bomb.raw: read of N bytes at offset 0: src/bomb.vmdk: grain at offset $grain_off (LBA 0): inflates past the grain size of 65536 bytes"

# -f keeps v2vfs in the foreground (run here as a background job), so
# that its log, stderr, lands in daemon.err.
"$V2VFS" -f src/bomb.vmdk "$d/mnt" 2> daemon.err &
pid=$!

# stop_daemon MNT PID: unmount, then make sure the daemon is gone.
stop_daemon ()
{
    v2vfs_unmount "$1"
    if kill -0 "$2" 2>/dev/null; then
        kill "$2"
        wait "$2" 2>/dev/null || :
    fi
}
cleanup_fn stop_daemon "$d/mnt" "$pid"

# Wait for the mount (a deadline poll on /proc/mounts).
deadline=$(( SECONDS + V2VFS_MOUNT_TIMEOUT ))
until is_mounted "$d/mnt"; do
    kill -0 "$pid" 2>/dev/null ||
        fail "v2vfs -f exited before mounting: $(cat daemon.err)"
    [ "$V2VFS_MOUNT_TIMEOUT" = 0 ] || [ "$SECONDS" -lt "$deadline" ] ||
        fail "not mounted after ${V2VFS_MOUNT_TIMEOUT}s"
    sleep 0.1
done
view=$d/mnt/disks/bomb.raw

# read_bomb: read the first grain; it must fail with EIO.
read_bomb ()
{
    local r=0
    dd if="$view" of=/dev/null bs=64k count=1 2> dd.err || r=$?
    [ "$r" -eq 1 ] || fail "dd of grain 0 exited $r, expected 1: $(cat dd.err)"
    grep -q 'Input/output error' dd.err ||
        fail "dd of grain 0 did not fail with EIO: $(cat dd.err)"
}

read_bomb

# Everything after the bomb reads as the raw image.
cmp -i 65536 "$view" disk.raw ||
    fail "the view differs from the raw image after grain 0"

# Still serving; the bomb is not cached as data.
kill -0 "$pid" 2>/dev/null || fail "the daemon died after the bad read"
read_bomb

# check_log: every line the daemon wrote is the expected one (the read
# size depends on the kernel's readahead).
check_log ()
{
    local line n=0
    while IFS= read -r line; do
        n=$(( n + 1 ))
        line=$(sed -E 's/^(v2vfs: [^:]*: read of )[0-9]+( bytes)/\1N\2/' <<< "$line")
        [ "$line" = "$expected" ] || {
            echo "daemon stderr:" >&2
            sed 's/^/    /' daemon.err >&2
            fail "unexpected daemon log line: $line"
        }
    done < daemon.err
    [ "$n" -ge 2 ] || fail "the daemon logged $n line(s) for 2 bad reads"
}
check_log

# It unmounts cleanly and exits 0, logging nothing more.
fusermount3 -u "$d/mnt"
r=0
wait "$pid" || r=$?
[ "$r" -eq 0 ] || fail "the daemon exited with status $r after unmount"
assert_not_mounted "$d/mnt"
check_log

[ "$(sha_of src/bomb.vmdk)" = "$before" ] || fail "src/bomb.vmdk changed"
