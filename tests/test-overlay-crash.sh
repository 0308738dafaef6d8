#!/usr/bin/env bash
# Crash safety of --overlay (DESIGN.md section 3).  A writer writes
# batches of unaligned writes and discards to disks/disk.raw, with an
# fsync after each batch, and the daemon is killed with SIGKILL at a
# random moment, 24 times.  After each remount with the same DIR:
#   - every batch whose fsync returned is there, byte for byte;
#   - a byte the batch in flight wrote reads as its old value or as one
#     that batch wrote, never anything else (tests/overlay-ops.py);
#   - qemu-img check of the qcow2 view is clean.
# The source's sha256 is unchanged at the end.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 sha256sum
requires_fuse

d=$(tmpdir)
size=$(( 64 << 20 ))
make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" streamOptimized "$d/disk.raw" "$d/disk.vmdk"
sum=$(sha_of "$d/disk.vmdk")
ops=$tests_srcdir/overlay-ops.py
mv "$d/disk.raw" "$d/state"
mkdir -p "$d/mnt"
: > "$d/writer.log"
pid=

kill_daemon ()
{
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    pid=
}
cleanup_fn kill_daemon

# Mount in the foreground, in the background, to know the daemon's pid.
mount_bg ()
{
    local i
    "$V2VFS" -f --overlay "$d/ovl" "$d/disk.vmdk" "$d/mnt" 2>>"$d/daemon.log" &
    pid=$!
    for (( i = 0; i < 300; i++ )); do
        is_mounted "$d/mnt" && return 0
        kill -0 "$pid" 2>/dev/null || fail "v2vfs died: $(cat "$d/daemon.log")"
        sleep 0.1
    done
    fail "v2vfs did not mount in 30 s"
}

rounds=24 synced=0
for (( round = 1; round <= rounds; round++ )); do
    mount_bg
    out=$(python3 "$ops" crash-verify "$d/mnt/disks/disk.raw" "$d/state" \
        "$d/writer.log") || fail "round $round: the disk after the crash is wrong"
    read -r next nsynced nopen <<<"$out"
    synced=$(( synced + nsynced ))
    out=$(qemu-img check -f qcow2 "$d/mnt/disks/disk.qcow2" 2>&1) ||
        fail "round $round: qemu-img check: $out"
    lines=$(wc -l < "$d/writer.log")
    python3 "$ops" crash-write "$d/mnt/disks/disk.raw" "$size" \
        "$d/writer.log" "$next" &
    writer=$!
    # Kill somewhere between 0 and 0.5 s after the first batch started.
    for (( i = 0; i < 100; i++ )); do
        [ "$(wc -l < "$d/writer.log")" -gt "$lines" ] && break
        sleep 0.05
    done
    sleep "0.$(( RANDOM % 6 ))"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
    wait "$writer" || true
    fusermount3 -uz "$d/mnt"
    echo "round $round: batches $next.. written; verified $nsynced synced" \
         "and $nopen in flight"
done

mount_bg
python3 "$ops" crash-verify "$d/mnt/disks/disk.raw" "$d/state" "$d/writer.log" \
    > /dev/null || fail "the disk after the last crash is wrong"
check_qcow2_view final "$d/mnt" disk raw "$d/state"
fusermount3 -u "$d/mnt"
wait "$pid" || fail "v2vfs exited with status $? after the unmount: $(cat "$d/daemon.log")"
pid=
[ "$(sha_of "$d/disk.vmdk")" = "$sum" ] || fail "the source changed"
echo "$rounds kills; $synced synced batches all present; source sha256 unchanged"
