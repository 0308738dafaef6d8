#!/usr/bin/env bash
# Under load, v2vfs returns the right bytes, keeps every write, and leaves
# no mount, process or thread behind (issue 13, "Load").
#
# The disk: fio lays out ref.raw, 256 MiB in 16 slots of 16 MiB, each
# 8 MiB of data and then 8 MiB of hole, with a verify header in every
# 4 KiB (crc32c, the block's offset and length, the seed of its data).
# load.ova holds it twice: an ovftool-style stream VMDK (load-s) and a
# monolithicSparse one (load-m).  A wrong byte anywhere in a block breaks
# its header or its checksum.
#
# All at once, for V2VFS_LOAD_SECONDS (60) or, if they take longer, until
# the cycles and the copies are done:
#   A  a read-only mount, -f in the background: 16 fio jobs of random
#      direct reads of 4 KiB to 1 MiB over both disks, job i in slot i's
#      data, and every block read is verified (fio verifies every read of
#      a job that does not write: rw=randread with verify=crc32c);
#   B  the same OVA with --overlay: 16 fio jobs of random direct reads and
#      writes of 512 bytes to 64 KiB at 512-byte offsets (so most first
#      writes fill part of a 4 KiB overlay block from the source) over
#      both disks, job i in the middle 8 MiB of slot i (half over data,
#      half over the hole), with a header every 512 bytes (xxhash) that
#      verify_backlog reads back while the job runs.  The offsets follow
#      a zipf distribution: some places are written again and again,
#      others seldom or never, so however long the load runs, there are
#      bytes that a first write filled in from the source left to check.  A write that is
#      lost over the source or a hole, torn, or placed elsewhere fails
#      it: the source's headers are crc32c over 4 KiB, a hole has none.
#      (fio takes the seed from the header with verify_backlog, so a write
#      lost over this job's own earlier write of the same bytes would
#      pass; a time_based randrw job without it never verifies at all.)
#   -  qemu-img convert of A's qcow2 view of load-s and raw view of load-m,
#      each compared with ref.raw by qemu-img compare;
#   -  20 cycles, each mounting the OVA again, read-only (C) and with an
#      overlay of its own (D), as a user does (v2vfs daemonizes): C reads
#      as ref.raw; D still holds the marker the last cycle wrote, and
#      takes this cycle's; B's qcow2 view, its layout rebuilt under the
#      writers, passes qemu-img check; each daemon has at most libfuse's
#      pool of threads; once unmounted, its process is gone and nothing
#      stays mounted.
# Then: fio passed; in B, every 512 bytes the writers could reach are
# the source's or a block fio stamped for that offset, and the rest is
# the source; B's qcow2 view reads as its raw view, and both disks read
# the same after a remount; D compares identical with ref.raw plus all
# 20 markers; A and B exit 0 with an empty log; no v2vfs mount or process
# of this test is left; no sanitizer report was written.
#
# Threads: v2vfs makes none of its own, and libfuse 3.14's loop, which
# main.c configures with max_threads = FS_MAX_THREADS and the default
# max_idle_threads (-1: idle workers are never retired), grows its pool
# while every worker is busy, up to that cap, and keeps it.  So a
# daemon's honest bound is 1 + FS_MAX_THREADS, at every sample, before,
# during and after the cycles; the count is printed, not compared with
# an earlier one, which the load itself may still be raising.
#
# No check depends on how fast anything runs: V2VFS_LOAD_SECONDS is how
# long the load lasts at least (fio stops when the test creates its
# --trigger-file), and the limits of wait_daemon_gone, v2vfs_stop and
# v2vfs_unmount (120 s and 60 s) catch hangs.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires fio qemu-img tar findmnt cmp sha256sum python3
requires_fuse

d=$(tmpdir)
dreal=$(realpath "$d")                  # as findmnt spells it
: "${V2VFS_LOAD_SECONDS:=60}"
cycles=20
M=$(( 1 << 20 ))
slot=$(( 16 * M )) slots=16 size=$(( 256 * M ))
# Sanitizer reports of every daemon (the daemonized ones have no stderr).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$d/sanitizer"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$d/sanitizer"
max_threads=$(sed -n 's/^#define FS_MAX_THREADS \([0-9][0-9]*\).*/\1/p' \
                  "$tests_srcdir/../fs/main.c")
[ -n "$max_threads" ] || fail "no FS_MAX_THREADS in fs/main.c"
cap=$(( 1 + max_threads ))

# ---- The disk.
truncate -s "$size" "$d/ref.raw"
fio --name=layout --filename="$d/ref.raw" --rw=write --bs=64k \
    --numjobs=$slots --size=8m --offset_increment=16m --ioengine=psync \
    --verify=crc32c --verify_interval=4k --do_verify=0 --fallocate=none \
    --verify_state_save=0 --group_reporting --output="$d/fio-layout.out" ||
    fail "fio could not lay out ref.raw: $(cat "$d/fio-layout.out")"
(cd "$d" && "$MKFIXTURE" ovftool ref.raw load-s.vmdk &&
     "$MKFIXTURE" monolithicSparse ref.raw load-m.vmdk)
# The OVF: one VM with both disks, as little of it as test-ovf-dir.sh's.
ns=http://schemas.dmtf.org/ovf/envelope/1
{
    echo "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    echo "<Envelope xmlns=\"$ns\" xmlns:ovf=\"$ns\">"
    echo "  <References>"
    for disk in load-s load-m; do
        echo "    <File ovf:id=\"f-$disk\" ovf:href=\"$disk.vmdk\"/>"
    done
    echo "  </References>"
    echo "  <DiskSection><Info>Virtual disks</Info>"
    for disk in load-s load-m; do
        echo "    <Disk ovf:diskId=\"$disk\" ovf:fileRef=\"f-$disk\" ovf:capacity=\"$size\"/>"
    done
    echo "  </DiskSection>"
    echo "  <VirtualSystem ovf:id=\"load\"><Info>A VM</Info><Name>load</Name></VirtualSystem>"
    echo "</Envelope>"
} > "$d/load.ovf"
(cd "$d" && tar --format=ustar -cf load.ova load.ovf load-s.vmdk load-m.vmdk &&
     rm load-s.vmdk load-m.vmdk)
ova=$d/load.ova
sum=$(sha_of "$ova")

# fio_files MNT: both raw views of MNT, as fio's --filename list.
fio_files ()
{
    local s=$1/disks/load-s.raw m=$1/disks/load-m.raw
    echo "${s//:/\\:}:${m//:/\\:}"
}

# same_bytes A B OFFSET LEN: A and B hold the same LEN bytes at OFFSET.
same_bytes ()
{
    cmp -s -n "$4" -i "$3:$3" "$1" "$2" ||
        fail "$1 differs from $2 in the $4 bytes at offset $3"
}

# check_threads LABEL PID: PID has no more threads than libfuse's pool
# and the main thread; keep the most seen for LABEL in threads[LABEL].
declare -A threads=()
check_threads ()
{
    local n
    threads_of "$2" n
    [ "$n" -le "$cap" ] ||
        fail "$1 (pid $2) has $n threads, more than 1 + FS_MAX_THREADS = $cap"
    [ "$n" -le "${threads[$1]:-0}" ] || threads[$1]=$n
}

# check_written COPY: COPY, a copy of one of B's disks, holds in the
# writers' range of each slot, in each 512 bytes, either the source's
# bytes or a block fio stamped for that very offset, and elsewhere the
# source.
check_written ()
{
    python3 - "$1" "$d/ref.raw" "$slot" "$slots" <<'EOF'
import struct, sys
view, ref, slot, slots = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
MiB, PIECE, MAGIC = 1 << 20, 512, 0xacca
lo, hi = 4 * MiB, 12 * MiB                 # start_fio readwrite's --offset, --size
written = same = 0
with open(view, "rb") as v, open(ref, "rb") as r:
    for i in range(slots):
        base = i * slot
        v.seek(base)
        r.seek(base)
        a, b = v.read(slot), r.read(slot)
        if a[:lo] != b[:lo] or a[hi:] != b[hi:]:
            sys.exit(f"{view}: slot {i} differs from the source outside the writers' range")
        for p in range(lo, hi, PIECE):
            if a[p:p + PIECE] == b[p:p + PIECE]:
                same += 1
                continue
            magic, _, length, _, offset = struct.unpack_from("<HHIQQ", a, p)
            if magic != MAGIC or length != PIECE or offset != base + p:
                sys.exit(f"{view}: the {PIECE} bytes at offset {base + p} are neither"
                         f" the source's nor a block fio wrote there (magic {magic:#x},"
                         f" length {length}, offset {offset})")
            written += 1
print(f"{view.rsplit('/', 1)[-1]}: {written} blocks of {PIECE} bytes fio wrote,"
      f" {same} the source's, and nothing else")
EOF
}

# start_fio NAME MNT OPTION...: run fio's job NAME in the background over
# both raw views of MNT (16 jobs of direct I/O, job i in slot i, or
# where --offset puts it) until $d/stop-NAME appears, or at most 600 s,
# its report in $d/fio-NAME.out and its messages in $d/fio-NAME.err.
# Sets fio_pid.  (fio warns that "multiple writers may overwrite blocks
# that belong to other jobs" whenever several jobs verify writes to one
# file; here they do not.  And that with norandommap "verify [is]
# limited": a write partly overwritten by a later one is not verified,
# the later one is.)
start_fio ()
{
    local name=$1 mnt=$2
    shift 2
    (cd "$d" && exec fio --thread --ioengine=psync --direct=1 --time_based \
        --runtime=600 --trigger-file="$d/stop-$name" --group_reporting \
        --verify_state_save=0 --name="$name" --filename="$(fio_files "$mnt")" \
        --file_service_type=random --numjobs=$slots --size=16m \
        --offset_increment=16m "$@" --output="$d/fio-$name.out" \
        2> "$d/fio-$name.err") &
    fio_pid=$!
    cleanup_fn "$tests_srcdir/../scripts/stop-pids" "$fio_pid"
}

# stop_clean MNT PID LOG: unmount MNT; its daemon PID (v2vfs_start's)
# exits 0 and leaves LOG empty.
stop_clean ()
{
    local r=0
    v2vfs_stop "$1" "$2" || r=$?
    { [ "$r" -eq 0 ] && [ ! -s "$3" ]; } ||
        fail "v2vfs on $1 exited with status $r, log: $(cat "$3")"
}

# ---- The long-running mounts and their load.
v2vfs_start "$d/a.log" "$ova" "$d/a"
pid_a=$v2vfs_pid
v2vfs_start "$d/b.log" --overlay "$d/ovl-b" "$ova" "$d/b"
pid_b=$v2vfs_pid
check_threads A "$pid_a"
check_threads B "$pid_b"
echo "threads before the load: A ${threads[A]}, B ${threads[B]}"

start_fio read "$d/a" --rw=randread --bssplit=4k/40:16k/20:64k/20:256k/15:1m/5 \
          --verify=crc32c --verify_interval=4k --verify_fatal=1
fio_read=$fio_pid
start_fio readwrite "$d/b" --offset=4m --rw=randrw --bsrange=512-64k \
          --norandommap --random_distribution=zipf:1.2 \
          --verify=xxhash --verify_interval=512 --verify_backlog=16 \
          --verify_fatal=1 --fallocate=none
fio_rw=$fio_pid
load_start=$SECONDS

qemu-img convert -f qcow2 -O raw "$d/a/disks/load-s.qcow2" "$d/copy-s.raw" &
convert_s=$!
cleanup_fn "$tests_srcdir/../scripts/stop-pids" "$convert_s"
qemu-img convert -f raw -O raw "$d/a/disks/load-m.raw" "$d/copy-m.raw" &
convert_m=$!
cleanup_fn "$tests_srcdir/../scripts/stop-pids" "$convert_m"

# ---- The cycles.
# Cycle K's marker: 1000 bytes at K * 12 MiB + 4093, across a 4 KiB
# boundary, over data or a hole as the offset falls.
cp --sparse=always "$d/ref.raw" "$d/expect-d.raw"
threads=()
for (( k = 1; k <= cycles; k++ )); do
    v2vfs_mount "$ova" "$d/c"
    pid_c=$(daemon_pid "$d/c")
    v2vfs_mount --overlay "$d/ovl-d" "$ova" "$d/d"
    pid_d=$(daemon_pid "$d/d")

    off=$(( k * 12 * M + 777 ))
    same_bytes "$d/c/disks/load-s.raw" "$d/ref.raw" "$off" "$M"
    same_bytes "$d/c/disks/load-m.raw" "$d/ref.raw" "$off" "$M"
    at=$(( k * 12 * M + 4093 ))
    [ "$k" -eq 1 ] || same_bytes "$d/d/disks/load-s.raw" "$d/expect-d.raw" \
                                 $(( at - 12 * M )) 1000
    printf '%-1000s' "v2vfs test-load cycle $k" > "$d/marker"
    dd if="$d/marker" of="$d/d/disks/load-s.raw" bs=1000 seek="$at" \
       oflag=seek_bytes conv=notrunc,fsync status=none
    dd if="$d/marker" of="$d/expect-d.raw" bs=1000 seek="$at" \
       oflag=seek_bytes conv=notrunc status=none
    same_bytes "$d/d/disks/load-s.raw" "$d/expect-d.raw" "$at" 1000

    # B's qcow2 view, its layout rebuilt at open while the writers run.
    qemu_check "cycle $k: B" "$d/b/disks/load-s.qcow2"

    check_threads C "$pid_c"
    check_threads D "$pid_d"
    v2vfs_unmount "$d/c"
    v2vfs_unmount "$d/d"
    wait_daemon_gone "$pid_c"
    wait_daemon_gone "$pid_d"
    left=$(findmnt -rn -t fuse.v2vfs -o TARGET | grep -F -x -e "$dreal/c" -e "$dreal/d" || true)
    [ -z "$left" ] || fail "cycle $k: still mounted: $left"
    check_threads A "$pid_a"
    check_threads B "$pid_b"
done
echo "$cycles cycles: threads at most: A ${threads[A]}, B ${threads[B]}," \
     "C ${threads[C]}, D ${threads[D]} (cap $cap);" \
     "each C and D gone after its unmount, nothing left mounted"

# ---- The copies made under the load.
for p in "$convert_s" "$convert_m"; do
    wait "$p" || fail "qemu-img convert from the mount under load failed"
done
qemu_compare raw "$d/copy-s.raw" raw "$d/ref.raw"
qemu_compare raw "$d/copy-m.raw" raw "$d/ref.raw"
echo "qemu-img convert under load: load-s.qcow2 and load-m.raw identical to ref.raw"
rm "$d/copy-s.raw" "$d/copy-m.raw"

# ---- fio's verdict.  The load lasts V2VFS_LOAD_SECONDS, or until the
# cycles and the copies are done if they take longer.
rest=$(( load_start + V2VFS_LOAD_SECONDS - SECONDS ))
[ "$rest" -le 0 ] || sleep "$rest"
under_load=no
kill -0 "$fio_read" 2>/dev/null && kill -0 "$fio_rw" 2>/dev/null && under_load=yes
touch "$d/stop-read" "$d/stop-readwrite"
echo "fio ran for $(( SECONDS - load_start )) s; both still running after" \
     "the cycles and the copies: $under_load"
for job in read:$fio_read readwrite:$fio_rw; do
    r=0
    wait "${job#*:}" || r=$?
    out=$d/fio-${job%%:*}.out
    grep -E "err=|^ *(READ|WRITE):" "$out" || true
    { [ "$r" -eq 0 ] && grep -q -E "err= *0" "$out"; } ||
        fail "fio ${job%%:*} (status $r): $(cat "$out" "${out%.out}.err")"
done
threads=()
check_threads A "$pid_a"
check_threads B "$pid_b"
echo "threads after the load: A ${threads[A]}, B ${threads[B]}"

# ---- B: fio verified the data of the blocks it wrote; check_written
# also checks the bytes around them, which each first write into a 4 KiB
# overlay block filled in from the source.  Then the qcow2 view, and a
# remount.
for disk in load-s load-m; do
    qemu-img convert -f raw -O raw "$d/b/disks/$disk.raw" "$d/b-$disk.raw"
    check_written "$d/b-$disk.raw" || fail "B's $disk holds what no one wrote"
done
qemu_check B "$d/b/disks/load-s.qcow2"
qemu_compare qcow2 "$d/b/disks/load-s.qcow2" raw "$d/b-load-s.raw"
stop_clean "$d/b" "$pid_b" "$d/b.log"
v2vfs_start "$d/b2.log" --overlay "$d/ovl-b" "$ova" "$d/b"
pid_b=$v2vfs_pid
for disk in load-s load-m; do
    qemu_compare raw "$d/b/disks/$disk.raw" raw "$d/b-$disk.raw"
done
stop_clean "$d/b" "$pid_b" "$d/b2.log"
echo "B: the qcow2 view checks clean and reads as the raw view; both disks" \
     "read the same after a remount"

# ---- D: every marker, and nothing else.
v2vfs_mount --overlay "$d/ovl-d" "$ova" "$d/d"
qemu_compare raw "$d/d/disks/load-s.raw" raw "$d/expect-d.raw"
qemu_compare raw "$d/d/disks/load-m.raw" raw "$d/ref.raw"
v2vfs_unmount "$d/d"
echo "D: identical to ref.raw plus the $cycles markers"

# ---- Nothing left behind.
stop_clean "$d/a" "$pid_a" "$d/a.log"
left=$(findmnt -rn -t fuse.v2vfs -o TARGET | grep -F "$dreal/" || true)
[ -z "$left" ] || fail "still mounted: $left"
left=$(v2vfs_pids_naming "$d")
[ -z "$left" ] || fail "v2vfs processes left: $left"
if compgen -G "$d/sanitizer*" > /dev/null; then
    fail "sanitizer reports: $(cat "$d"/sanitizer*)"
fi
[ "$(sha_of "$ova")" = "$sum" ] || fail "the source changed"
echo "no v2vfs mount or process left, no sanitizer report, the source unchanged"
