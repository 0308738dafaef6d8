#!/usr/bin/env bash
# Faults in the overlay (--overlay DIR), injected by tests/fault-inject.so
# into a running v2vfs over a 32 MiB streamOptimized disk.  A writer
# (tests/overlay-ops.py fault-write) logs which of its writes, discards,
# fsyncs and closes succeeded:
#   - a data file that cannot be created at mount time: the mount fails
#     with one line, and leaves nothing mounted;
#   - a source read that fails under a write (filling the rest of a
#     block): the write fails with EIO; writes into holes go on;
#   - a failed read of the overlay fails the read of that block only;
#   - a write into new blocks that fails in its middle, or in the fill of
#     its last block after its own data was written, changes nothing;
#   - short reads and writes, and EINTR from writes and fdatasync, of
#     the overlay's files: all is retried, nothing fails;
#   - ENOSPC on every write of DIR/disk.data: every write fails with
#     ENOSPC and changes nothing, and fsync still succeeds;
#   - EIO on a range of it: the writes there fail, the others succeed;
#   - EIO from discards, and discards with no hole punching (EOPNOTSUPP:
#     zeros are written instead);
#   - EIO from fdatasync of the data file, a failed write of the map
#     (ENOSPC) and EIO from fdatasync of the map: that fsync fails, and
#     every write after it fails until the remount (the kernel may have
#     dropped what it could not write: a retry proves nothing), and the
#     daemon, whose last flush fails, exits 1 once unmounted.
# After each remount the disk reads as the writes that succeeded and were
# flushed made it; a byte of a write that failed, or that no flush
# covered, reads old or new (tests/overlay-ops.py fault-verify).  While
# mounted, it reads as every write that succeeded made it (and, where
# the test says --strict, a write that failed left every byte old; a
# write that fails elsewhere may leave part of itself, as on a real disk:
# v2vfs writes a write that spans two 1 MiB lock regions one region at a
# time, and a discard punches whole blocks before it writes zeros into
# partial ones).  The qcow2 view checks clean each time, and the source
# is never written.
# Oracles: the writer's log replayed on the source image, qemu-img check
# and compare, the shim's log, the daemon's log and exit status.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 dd ldd
requires_fuse

d=$(tmpdir)
K=1024 M=$(( 1 << 20 ))
size=$(( 32 * M ))
make_raw_fixture "$d/state" "$size"
"$MKFIXTURE" streamOptimized "$d/state" "$d/disk.vmdk"
sum=$(sha_of "$d/disk.vmdk")
ops=$tests_srcdir/overlay-ops.py
mnt=$d/mnt ovl=$d/ovl log=$d/v2vfs.log rules=$d/rules faults=$d/faults.log
wlog=$d/writes.log view=$d/mnt/disks/disk.raw
: > "$wlog"

mount_overlay ()
{
    v2vfs_start "$log" --overlay "$ovl" "$d/disk.vmdk" "$mnt"
    pid=$v2vfs_pid
}

# unmount_overlay STATUS: unmount; the daemon exits with STATUS (1: its
# last flush failed), which the writer's log records.
unmount_overlay ()
{
    local r=0
    v2vfs_stop "$mnt" "$pid" || r=$?
    if [ "$r" -eq 0 ]; then echo "unmount ok"; else echo "unmount fail"; fi >> "$wlog"
    [ "$r" -eq "$1" ] || { cat "$log" >&2; fail "v2vfs exited with $r, not $1"; }
}

# writes SEED COUNT|OPS REGEX...: run the writer; its summary line
# ("ok=N fail=N errors=E sync=S close=C") matches each REGEX.
writes ()
{
    local seed=$1 what=$2 out re
    shift 2
    out=$(python3 "$ops" fault-write "$view" "$size" "$wlog" "$seed" "$what") ||
        fail "the writer (seed $seed) failed"
    echo "writes $seed: $out"
    for re in "$@"; do
        [[ $out =~ $re ]] || fail "writes $seed: '$out' does not match '$re'"
    done
}

# verify [--live [--strict]]: the disk reads as the writer's log says.
verify ()
{
    python3 "$ops" fault-verify "$@" "$view" "$d/state" "$wlog" ||
        { mkdir -p /tmp/keep; cp "$wlog" "$log" "$faults" /tmp/keep/; fail "the disk does not read as the writes made it${1:+ ($*)}"; }
}

# remount_and_check STATUS: unmount (exit STATUS), remount, verify, and
# check the qcow2 view.
remount_and_check ()
{
    local out
    fault_set "$rules"
    unmount_overlay "$1"
    mount_overlay
    verify
    out=$(qemu-img check -f qcow2 "$mnt/disks/disk.qcow2" 2>&1) ||
        fail "qemu-img check of the qcow2 view: $out"
    qemu_compare qcow2 "$mnt/disks/disk.qcow2" raw "$view"
}

logged ()
{
    grep -q -e "$1" "$log" || { cat "$log" >&2; fail "no log line matching '$1'"; }
}

fault_env "$rules" "$faults"

# A data file that cannot be made: no mount.
fault_set "$rules" "ftruncate disk.data 0 - ENOSPC"
mkdir -p "$mnt"
expect_fail_exact "v2vfs: $ovl/disk.data: No space left on device" \
    env "${v2vfs_env[@]}" "$V2VFS" --overlay "$ovl" "$d/disk.vmdk" "$mnt"
assert_not_mounted "$mnt"
fault_fired ftruncate ENOSPC disk.data
fault_set "$rules"
mount_overlay
cleanup_fn fault_set "$rules"

# The source fails under a write that must fill its block from it (at
# 100000, in the fixture's data); a write into a hole needs no source.
fault_set "$rules" "read disk.vmdk 0 - EIO"
writes 1 write:100007:100,write:$(( 20 * M + 5 )):300 \
    "ok=1 fail=1 errors=EIO sync=ok close=ok"
fault_fired read EIO disk.vmdk
logged "disks/disk.raw: write: .*disk.vmdk: .*Input/output error"
fault_set "$rules"
writes 2 write:100007:100 "ok=1 fail=0 errors=- sync=ok close=ok"
verify --live --strict

# A read of the overlay fails: that block's reads only.
fault_set "$rules" "read disk.data 0 - EIO"
dd if="$view" of=/dev/null bs=4K count=1 skip=$(( 20 * M / 4096 )) iflag=direct \
   status=none 2>/dev/null && fail "a read of a block the overlay holds did not fail"
dd if="$view" of=/dev/null bs=4K count=1 skip=$(( 21 * M / 4096 )) iflag=direct \
   status=none || fail "a read of a block the overlay does not hold failed"
fault_fired read EIO disk.data
fault_set "$rules"

# A write into blocks the overlay does not hold yet, over the fixture's
# data at 8 MiB, first fills the rest of its first and last blocks from
# the source.  It fails after the first fill (in its middle), and then
# after its own data (in the last fill): either way it changes nothing.
w=$(( 8 * M + 100 )) n=20000
for at in $(( w + 5000 )) $(( w + n + 10 )); do
    fault_set "$rules" "write disk.data $at $(( at + 1 )) ENOSPC"
    writes 3 "write:$w:$n" "ok=0 fail=1 errors=ENOSPC sync=ok close=ok"
    verify --live --strict
done
fault_set "$rules"

# Short reads and writes, and EINTR, of the overlay's files are retried.
fault_set "$rules" "write disk.data 0 - EINTR 3" "sync disk.data 0 - EINTR 1" \
    "sync disk.map 0 - EINTR 1" "write disk. 0 - short:1000" \
    "read disk.data 0 - short:1000"
writes 4 12 "fail=0 errors=- sync=ok close=ok"
fault_fired write short:1000 disk.data
fault_fired write short:1000 disk.map
fault_fired sync EINTR disk.data
fault_fired sync EINTR disk.map
verify --live --strict
fault_fired read short:1000 disk.data
fault_set "$rules"

# No space for any data: every write fails with ENOSPC, nothing changes,
# the flush after them succeeds.
fault_set "$rules" "write disk.data 0 - ENOSPC"
writes 5 10 "ok=[0-9]+ fail=[1-9][0-9]* errors=ENOSPC sync=ok close=ok"
fault_fired write ENOSPC disk.data
logged "disks/disk.raw: write: .*disk.data: write of .*No space left on device"
verify --live --strict

# EIO on 12..24 MiB of the data file: writes there fail, others succeed.
fault_set "$rules" "write disk.data 12M 24M EIO"
writes 6 16 "ok=[1-9][0-9]* fail=[1-9][0-9]* errors=EIO sync=ok close=ok"
verify --live

# Discards: EIO, and then no hole punching at all (zeros written).
fault_set "$rules" "fallocate disk.data 0 - EIO"
writes 7 14 "ok=[1-9][0-9]* fail=[1-9][0-9]* errors=EIO sync=ok close=ok"
fault_fired fallocate EIO disk.data
fault_set "$rules" "fallocate disk.data 0 - EOPNOTSUPP"
writes 8 14 "fail=0 errors=- sync=ok close=ok"
fault_fired fallocate EOPNOTSUPP disk.data
fault_set "$rules"
writes 9 8 "fail=0 errors=- sync=ok close=ok"
verify --live

# fdatasync of the data file fails: that fsync fails, and every write
# after it, until the remount.
fault_set "$rules" "sync disk.data 0 - EIO"
writes 10 8 "ok=8 fail=0 errors=- sync=fail:EIO close=fail:EIO"
fault_set "$rules"
writes 11 4 "ok=0 fail=4 errors=EIO sync=fail:EIO close=fail:EIO"
logged "disk.data: fdatasync: Input/output error"
logged "an earlier flush failed (Input/output error), so the overlay takes no more writes"
remount_and_check 1

# The map cannot be written, then cannot be synced.
seed=12
for rule in "write disk.map 0 - ENOSPC" "sync disk.map 0 - EIO"; do
    fault_set "$rules" "$rule"
    writes $(( seed++ )) 8 "ok=8 fail=0 errors=- sync=fail:EIO close=fail:EIO"
    read -r op _ _ _ err <<<"$rule"
    fault_fired "$op" "$err" disk.map
    remount_and_check 1
done
logged "disk.map: write: No space left on device"
logged "disk.map: fdatasync: Input/output error"

# With no faults, all is well again.
writes 14 12 "fail=0 errors=- sync=ok close=ok"
fault_set "$rules"
unmount_overlay 0
mount_overlay
verify
check_qcow2_view final "$mnt" disk raw "$d/state"
unmount_overlay 0
no_sanitizer_report "$log"
[ "$(sha_of "$d/disk.vmdk")" = "$sum" ] || fail "the source changed"
echo "faults injected: $(cut -d' ' -f1,2 "$faults" | sort | uniq -c | tr -s ' \n' ' ')"
echo "source sha256 unchanged; log:"
sed 's/^/  /' "$log"
