#!/usr/bin/env bash
# The source shrinks under a mount: a monolithicFlat disk (1 GiB + 7
# sectors) is mounted, then its -flat.vmdk extent is truncated to half.
#   - reads past the new end fail with EIO (never a silent short read or
#     zeros), and v2vfs logs one line naming the extent file and the offset;
#   - reads before it still return the right bytes;
#   - the daemon keeps serving, and exits 0 when unmounted.
# v2vfs runs with -f in the background so that its stderr (the log, and any
# sanitizer report) can be checked; readiness is a deadline poll.
#
# Oracles: the raw image the VMDK was made from (cmp), dd's exit status and
# message, the log.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img dd cmp truncate mountpoint
requires_fuse

d=$(tmpdir)
M=$(( 1 << 20 ))
size=$(( (1 << 30) + 7 * 512 ))
half=$(( size / 2 ))                    # 512 MiB + 1792 bytes

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" monolithicFlat "$d/disk.raw" "$d/disk.vmdk"
[ "$(stat -c %s "$d/disk-flat.vmdk")" -eq "$size" ] ||
    fail "fixture: disk-flat.vmdk is not $size bytes"

mnt=$d/mnt
log=$d/v2vfs.log
mkdir "$mnt"
"$V2VFS" -f "$d/disk.vmdk" "$mnt" 2> "$log" &
pid=$!

# stop_daemon: unmount, then wait for the daemon (kill it if it lingers).
stop_daemon ()
{
    local i
    v2vfs_unmount "$mnt"
    for (( i = 0; i < 100; i++ )); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "test-raw-eio: v2vfs (pid $pid) still running, killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}
cleanup_fn stop_daemon

deadline=$(( SECONDS + V2VFS_MOUNT_TIMEOUT ))
until mountpoint -q "$mnt"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        cat "$log" >&2
        fail "v2vfs -f exited before mounting"
    fi
    [ "$SECONDS" -lt "$deadline" ] ||
        fail "v2vfs -f did not mount within ${V2VFS_MOUNT_TIMEOUT}s"
    sleep 0.05
done
view=$mnt/disks/disk.raw

# Before: the head reads right.  (Not the area past the cut: it would stay
# in the page cache and hide the error.)
cmp -n $(( 16 * M )) "$d/disk.raw" "$view" || fail "head differs before the cut"

truncate -s "$half" "$d/disk-flat.vmdk"

# Past the new end: EIO, whole 64 KiB reads at 600 MiB and near the end.
for off in $(( 600 * M )) $(( size - 65536 - 3584 )); do
    r=0
    out=$(dd if="$view" of=/dev/null bs=64K count=1 iflag=skip_bytes \
             skip=$off 2>&1) || r=$?
    [ "$r" -ne 0 ] || fail "read of 64 KiB at $off past the new end succeeded"
    case $out in
        *"Input/output error"*) ;;
        *) fail "read at $off past the new end: expected EIO, dd said: $out" ;;
    esac
    # (The extent's offset is the view's: the flat extent starts at 0.)
    awk -v f="$d/disk-flat.vmdk" -v o="offset $off" '
        index($0, f) && ($0 ~ o "[^0-9]" || $0 ~ o "$") { found = 1 }
        END { exit !found }' "$log" ||
        { cat "$log" >&2
          fail "no log line names $d/disk-flat.vmdk and offset $off"; }
done

# The qcow2 view's last data cluster holds the disk's last data, past
# the cut too: EIO, and a log line that names the view and the extent.
qview=$mnt/disks/disk.qcow2
qoff=$(( $(stat -c %s "$qview") - 65536 ))
r=0
out=$(dd if="$qview" of=/dev/null bs=64K count=1 iflag=skip_bytes \
         skip=$qoff 2>&1) || r=$?
[ "$r" -ne 0 ] && [[ $out == *"Input/output error"* ]] ||
    fail "read of the qcow2 view's last cluster: expected EIO, dd said: $out"
grep -q -F -e "disks/disk.qcow2: read of " "$log" &&
    grep -F -e "disks/disk.qcow2: read of " "$log" | grep -q -F "$d/disk-flat.vmdk" ||
    { cat "$log" >&2; fail "no log line names disks/disk.qcow2 and the extent"; }

# Before the new end: still the right bytes, including the 64 KiB that
# ends 1792 bytes before the cut (the fixture has data there).
for off in 0 $(( 8 * M )) $(( 512 * M - 65536 )); do
    dd if="$view" of="$d/got.bin" bs=64K count=1 iflag=skip_bytes skip=$off \
       status=none || fail "read of 64 KiB at $off before the new end failed"
    dd if="$d/disk.raw" of="$d/want.bin" bs=64K count=1 iflag=skip_bytes \
       skip=$off status=none
    cmp "$d/want.bin" "$d/got.bin" || fail "64 KiB at $off differ after the cut"
done

# The daemon is alive and serving.
kill -0 "$pid" 2>/dev/null || fail "v2vfs exited after the read errors"
mountpoint -q "$mnt" || fail "$mnt is no longer mounted"
ls -A "$mnt/disks" > "$d/ls.out" || fail "cannot list disks/ any more"
grep -q -x disk.raw "$d/ls.out" && grep -q -x disk.qcow2 "$d/ls.out" ||
    fail "disks/ no longer lists disk.raw and disk.qcow2"
cmp -n $(( 16 * M )) "$d/disk.raw" "$view" || fail "head differs after the errors"

# Unmounting ends the daemon with status 0, with no sanitizer report.
fusermount3 -u "$mnt" || fail "fusermount3 -u failed"
r=0
for (( i = 0; i < 300; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
wait "$pid" || r=$?
[ "$r" -eq 0 ] || { cat "$log" >&2; fail "v2vfs exited with status $r after unmount"; }
assert_not_mounted "$mnt"
if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$log"; then
    cat "$log" >&2
    fail "sanitizer report in the log"
fi
echo "log:"
sed 's/^/  /' "$log"
