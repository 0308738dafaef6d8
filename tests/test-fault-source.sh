#!/usr/bin/env bash
# Faults in the source, injected by tests/fault-inject.so into a running
# v2vfs serving two disks made from one 64 MiB image: sparse.vmdk
# (monolithicSparse: grains read as they are) and stream.vmdk
# (streamOptimized: grains inflated, small reads through the grain cache).
#   - a source that cannot be read at mount time: v2vfs says so in one
#     line and mounts nothing;
#   - short reads and EINTR: both disks, raw and qcow2 views, still read
#     exactly as the image (the daemon retries, it never returns less);
#   - an early end of file on one grain: that read fails with EIO, never
#     zeros;
#   - EIO on one grain of sparse.vmdk: a read of it through the raw view
#     and through the qcow2 view fails with EIO, and the daemon logs the
#     file and the offset, while the grains beside it read right;
#   - EIO on every read of stream.vmdk: its data fails, whole grains and
#     4 KiB inside one, its holes and the other disk read right;
#   - once the faults are gone, the same reads return the right bytes
#     (no cache kept the failure);
#   - reads that stall (one grain of sparse.vmdk, all of stream.vmdk)
#     block only themselves: the rest of sparse.raw, stream.raw's holes,
#     a qemu-img check of stream.qcow2 and a listing complete while they
#     wait, and they return the right bytes once the stall is lifted.
#     (Two stalled requests, not many: each holds one of the daemon's 16
#     worker threads, and with all 16 stalled it answers nothing else.)
# Each fault is checked to have fired (the shim's log), and reads go
# around the kernel's cache (O_DIRECT), so the daemon answers each one.
# The daemon stays up, exits 0 when unmounted, with no sanitizer report.
# Oracles: the image (cmp), qemu-img compare, check and map, dd's errors.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 dd cmp timeout ldd
requires_fuse

d=$(tmpdir)
K=1024 M=$(( 1 << 20 ))
size=$(( 64 * M ))
make_raw_fixture "$d/ref.raw" "$size"
"$MKFIXTURE" monolithicSparse "$d/ref.raw" "$d/sparse.vmdk"
"$MKFIXTURE" streamOptimized "$d/ref.raw" "$d/stream.vmdk"
mnt=$d/mnt log=$d/v2vfs.log rules=$d/rules faults=$d/faults.log
sraw=$mnt/disks/sparse.raw sq=$mnt/disks/sparse.qcow2
zraw=$mnt/disks/stream.raw zq=$mnt/disks/stream.qcow2

# host_offset FMT FILE OFF: where qemu-img map puts byte OFF of FILE's
# disk in FILE itself.
host_offset ()
{
    qemu-img map --output=json -f "$1" "$2" | python3 -c '
import json, sys
off = int(sys.argv[1])
for m in json.load(sys.stdin):
    if m["start"] <= off < m["start"] + m["length"] and "offset" in m:
        print(m["offset"] + off - m["start"])
        break
else:
    sys.exit("offset %d is not mapped to the file" % off)' "$3"
}

# read_at VIEW OFF LEN OUT: LEN bytes at OFF of VIEW, past the kernel's
# cache, into OUT.
read_at ()
{
    dd if="$1" of="$4" bs="$3" count=1 iflag=direct,skip_bytes skip="$2" status=none
}

# want_bytes VIEW OFF LEN [REF_OFF]: VIEW reads, at OFF, the LEN bytes
# of the image at REF_OFF (default OFF).
want_bytes ()
{
    read_at "$1" "$2" "$3" "$d/got" || fail "read of $3 bytes at $2 of $1 failed"
    cmp -s -n "$3" -i "0:${4:-$2}" "$d/got" "$d/ref.raw" ||
        fail "$1: $3 bytes at $2 differ from the image at ${4:-$2}"
}

# want_eio VIEW OFF LEN: that read fails with EIO.
want_eio ()
{
    local out r=0
    out=$(read_at "$1" "$2" "$3" /dev/null 2>&1) || r=$?
    [ "$r" -ne 0 ] && [[ $out == *"Input/output error"* ]] ||
        fail "read of $3 bytes at $2 of $1: expected EIO, dd said ($r): $out"
}

fault_env "$rules" "$faults"

# A source that cannot be read at all: no mount, one line.
fault_set "$rules" "read stream.vmdk 0 - EIO"
mkdir -p "$mnt"
expect_fail_exact "v2vfs: $d/stream.vmdk: header at offset 0: read: Input/output error" \
    env "${v2vfs_env[@]}" "$V2VFS" "$d/sparse.vmdk" "$d/stream.vmdk" "$mnt"
assert_not_mounted "$mnt"
fault_fired read EIO stream.vmdk
fault_set "$rules"

v2vfs_start "$log" "$d/sparse.vmdk" "$d/stream.vmdk" "$mnt"
pid=$v2vfs_pid
cleanup_fn fault_set "$rules"           # first: a stalled read must not hold the exit

# G: a grain of the fixture's data at 8 MiB; H its place in sparse.vmdk;
# Q the qcow2 view's cluster for it.  Z: a grain of stream.vmdk's data.
G=$(( 8 * M + 256 * K ))
H=$(host_offset vmdk "$d/sparse.vmdk" "$G")
Q=$(host_offset qcow2 "$sq" "$G")
Z=$(( 8 * M + 512 * K ))
echo "grain at $G: offset $H of sparse.vmdk, offset $Q of sparse.qcow2"

# Short reads and EINTR, everywhere.
fault_set "$rules" "read sparse.vmdk 0 - EINTR 20" "read .vmdk 0 - short:1000"
for v in "$sraw" "$zraw"; do
    dd if="$v" bs=1M iflag=direct status=none | cmp - "$d/ref.raw" ||
        fail "$v reads wrong with short reads from the source"
done
qemu_compare qcow2 "$sq" raw "$d/ref.raw"
qemu_compare qcow2 "$zq" raw "$d/ref.raw"
fault_fired read EINTR sparse.vmdk
fault_fired read short:1000 sparse.vmdk
fault_fired read short:1000 stream.vmdk
echo "short reads: $(grep -c short: "$faults") injected; raw and qcow2 views" \
     "still read as the image"

# An early end of file in one grain.
fault_set "$rules" "read sparse.vmdk $H $(( H + 64 * K )) eof"
want_eio "$sraw" "$G" $(( 64 * K ))
fault_fired read eof sparse.vmdk
grep -q "disks/sparse.raw: read of 65536 bytes at offset $G: .*sparse.vmdk: grain at offset $H: file ends early" "$log" ||
    { cat "$log" >&2; fail "no log line for the early end of file at $H"; }

# EIO on that grain: only reads of it fail, in both views.
fault_set "$rules" "read sparse.vmdk $H $(( H + 64 * K )) EIO"
want_eio "$sraw" "$G" $(( 64 * K ))
want_eio "$sraw" $(( G + 4 * K )) $(( 4 * K ))
want_eio "$sq" "$Q" $(( 64 * K ))
want_bytes "$sraw" $(( G - 64 * K )) $(( 64 * K ))
want_bytes "$sraw" $(( G + 64 * K )) $(( 64 * K ))
want_bytes "$sraw" 0 $(( 1 * M ))
want_bytes "$sq" $(( Q + 64 * K )) $(( 64 * K )) $(( G + 64 * K ))
want_bytes "$zraw" "$G" $(( 64 * K ))
fault_fired read EIO sparse.vmdk
grep -q "disks/sparse.raw: read of 65536 bytes at offset $G: .*sparse.vmdk: grain at offset $H: read: Input/output error" "$log" &&
    grep -q "disks/sparse.qcow2: read of 65536 bytes at offset $Q: .*sparse.vmdk" "$log" ||
    { cat "$log" >&2; fail "no log line names sparse.vmdk and offset $H"; }

# EIO on every read of stream.vmdk: its data fails, its holes do not.
fault_set "$rules" "read stream.vmdk 0 - EIO"
want_eio "$zraw" "$Z" $(( 64 * K ))
want_eio "$zraw" $(( Z + 64 * K + 12 * K )) $(( 4 * K ))
want_bytes "$zraw" $(( 16 * M )) $(( 1 * M ))
want_bytes "$sraw" "$Z" $(( 128 * K ))
fault_fired read EIO stream.vmdk

# The faults gone, the same reads are right.
fault_set "$rules"
want_bytes "$sraw" "$G" $(( 64 * K ))
want_bytes "$sraw" $(( G + 4 * K )) $(( 4 * K ))
want_bytes "$sq" "$Q" $(( 64 * K )) "$G"
want_bytes "$zraw" "$Z" $(( 64 * K ))
want_bytes "$zraw" $(( Z + 64 * K + 12 * K )) $(( 4 * K ))
echo "errors stayed on the grains that failed; after the faults, they read right"

# Stalls: two reads wait in the source; everything else goes on.
fault_set "$rules" "read sparse.vmdk $H $(( H + 64 * K )) stall:120000" \
    "read stream.vmdk 0 - stall:120000"
read_at "$sraw" "$G" $(( 64 * K )) "$d/stalled1" & r1=$!
read_at "$zraw" "$Z" $(( 64 * K )) "$d/stalled2" & r2=$!
for (( i = 0; i < 300; i++ )); do
    [ "$(grep -c '^read stall:' "$faults")" -ge 2 ] && break
    sleep 0.1
done
fault_fired read stall:120000 sparse.vmdk
fault_fired read stall:120000 stream.vmdk
for range in "0 $G" "$(( G + 64 * K )) $(( size - G - 64 * K ))"; do
    read -r off len <<<"$range"
    timeout 60 dd if="$sraw" bs=64K iflag=direct,skip_bytes,count_bytes \
        skip="$off" count="$len" status=none |
        cmp - <(tail -c +$(( off + 1 )) "$d/ref.raw" | head -c "$len") ||
        fail "sparse.raw from $off ($len bytes) did not read right during a stall"
done
timeout 60 dd if="$zraw" of="$d/hole" bs=1M count=8 skip=16 iflag=direct status=none ||
    fail "a hole of stream.raw did not read during a stall"
cmp -s -n $(( 8 * M )) "$d/hole" /dev/zero || fail "a hole of stream.raw is not zeros"
out=$(timeout 60 qemu-img check -f qcow2 "$zq" 2>&1) ||
    fail "qemu-img check of stream.qcow2 during a stall: $out"
timeout 60 ls -l "$mnt/disks" > /dev/null || fail "ls during a stall"
kill -0 "$r1" 2>/dev/null && kill -0 "$r2" 2>/dev/null ||
    fail "a stalled read returned while its stall was on"
echo "while two reads stalled, the rest of the disks read right"
fault_set "$rules"
wait "$r1" || fail "the stalled read of sparse.raw failed"
wait "$r2" || fail "the stalled read of stream.raw failed"
cmp -s -n $(( 64 * K )) -i "0:$G" "$d/stalled1" "$d/ref.raw" ||
    fail "the stalled read of sparse.raw returned wrong bytes"
cmp -s -n $(( 64 * K )) -i "0:$Z" "$d/stalled2" "$d/ref.raw" ||
    fail "the stalled read of stream.raw returned wrong bytes"
echo "the stalled reads returned the right bytes once the stall was lifted"

# The daemon served throughout, and exits 0.
_v2vfs_is_daemon "$pid" || fail "v2vfs exited"
qemu_compare raw "$zraw" raw "$d/ref.raw"
r=0
v2vfs_stop "$mnt" "$pid" || r=$?
[ "$r" -eq 0 ] || { cat "$log" >&2; fail "v2vfs exited with status $r"; }
no_sanitizer_report "$log"
echo "faults injected: $(cut -d' ' -f1,2 "$faults" | sort | uniq -c | tr -s ' \n' ' ')"
echo "log:"
sed 's/^/  /' "$log"
