# shellcheck shell=bash
# The gzip part of scripts/bench (--only gzip): random access into a gzip'd
# VMDK through its checkpoint index, against decompressing it whole (what
# virt-v2v does with such a disk, and what nbdkit's gzip filter does before
# its first read; qemu-img, qemu-storage-daemon and vmdkmount cannot read
# one at all).  Sourced by scripts/bench after the fixture is made, whose
# globals it uses (fixture, work, runs, v2vfs, started_pids, die, now,
# elapsed, ratio, median, find_pid, unmount_and_wait, drop_caches,
# daemon_stats, wait_until).
#
# The disk: the fixture's monolithicSparse VMDK (4 GiB, about 2 GB of
# files; --quick: 512 MiB), gzip'd once with gzip -6 and cached beside it.
# Each round, in turn:
#   zcat          gzip -dc of the whole file to /dev/null
#   gz-random     1,000 random 4 KiB reads (python3 os.pread, fadvise
#                 RANDOM) inside the disk's data (qemu-img map of the
#                 VMDK), through disks/sparse.raw of a mount of the
#                 .vmdk.gz whose index is already saved in --index-dir
#   vmdk-random   the same reads through a mount of the uncompressed VMDK:
#                 what the gzip costs on top
#   first-cold    mount the .vmdk.gz with an empty --index-dir and read
#                 4 KiB at the last data offset (the worst case: it
#                 inflates everything before it); then the time until the
#                 background pass has saved the index
#   first-warm    the same with the index saved
# The page cache is dropped before each timed step.

# gz_reads FILE OFFSETS: time the reads, in seconds.
gz_reads() {
    python3 - "$1" "$2" <<'EOF'
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
offsets = [int(x) for x in open(sys.argv[2])]
t0 = time.monotonic()
for off in offsets:
    if len(os.pread(fd, 4096, off)) != 4096:
        sys.exit("short read at %d" % off)
print("%.3f" % (time.monotonic() - t0))
EOF
}

# gz_mount SRC INDEX_DIR: mount SRC at $work/gz-mnt; sets daemon_pid.
gz_mount() {
    local m=$work/gz-mnt
    mkdir -p "$m"
    "$v2vfs" --index-dir "$2" "$1" "$m" > "$work/gz-mount.log" 2>&1 ||
        { cat "$work/gz-mount.log" >&2; die "v2vfs failed to mount $1"; }
    daemon_pid=$(find_pid "$v2vfs" "$m") || die "cannot find the v2vfs daemon of $m"
    started_pids[$daemon_pid]=1
}
gz_unmount() { unmount_and_wait "$work/gz-mnt" "$daemon_pid"; }

gz_index_saved() { compgen -G "$1/gzindex-*" > /dev/null; }

measure_gzip() {
    local gz=$fixture/sparse.vmdk.gz offsets=$work/offsets last warm=$work/idx-warm
    local round t0 t1 s hwm dcpu
    declare -A res=()

    if [ ! -f "$gz" ]; then
        echo "gzip'ing $fixture/sparse.vmdk (once; it is cached) ..."
        gzip -6 -c "$fixture/sparse.vmdk" > "$gz.tmp"
        mv "$gz.tmp" "$gz"
    fi
    # 1,000 random 4 KiB-aligned offsets inside the data runs (seeded).
    qemu-img map --output=json -f vmdk "$fixture/sparse.vmdk" |
        python3 -c '
import json, random, sys
runs = [(m["start"], m["length"]) for m in json.load(sys.stdin)
        if m["data"] and m["length"] >= 4096]
r = random.Random(1000)
total = sum(l // 4096 for _, l in runs)
picks = sorted(r.sample(range(total), 1000))
out, i, base = [], 0, 0
for s, l in runs:
    n = l // 4096
    while i < len(picks) and picks[i] < base + n:
        out.append(s + (picks[i] - base) * 4096); i += 1
    base += n
r.shuffle(out)
print("\n".join(map(str, out)))
s, l = runs[-1]
print(s + (l // 4096 - 1) * 4096, file=open(sys.argv[1], "w"))
' "$work/last" > "$offsets"
    last=$(cat "$work/last")
    echo "gzip: $(du -h --apparent-size "$fixture/sparse.vmdk" | cut -f1) VMDK, $(du -h --apparent-size "$gz" | cut -f1) gzip'd; reads of 4 KiB at 1000 offsets in its data, the last data at $last"

    # The warm index, made once, untimed.
    rm -rf "$warm"
    gz_mount "$gz" "$warm"
    wait_until 3600 gz_index_saved "$warm" || die "the index of $gz was not saved"
    gz_unmount

    for round in $(seq "$runs"); do
        drop_caches
        TIMEFORMAT='%3R'
        s=$( { time gzip -dc "$gz" > /dev/null; } 2>&1 )
        res[zcat]+=" $s"

        gz_mount "$gz" "$warm"
        drop_caches
        s=$(gz_reads "$work/gz-mnt/disks/sparse.raw" "$offsets")
        read -r hwm dcpu <<< "$(daemon_stats "$daemon_pid")"
        res[gzrandom]+=" $s" res[gzhwm]+=" $hwm"
        gz_unmount

        gz_mount "$fixture/sparse.vmdk" "$work/idx-none"
        drop_caches
        s=$(gz_reads "$work/gz-mnt/disks/sparse.raw" "$offsets")
        res[vmdkrandom]+=" $s"
        gz_unmount

        for way in cold warm; do
            [ "$way" = warm ] || rm -rf "$work/idx-cold"
            drop_caches
            t0=$(now)
            if [ "$way" = cold ]; then gz_mount "$gz" "$work/idx-cold"
            else gz_mount "$gz" "$warm"; fi
            dd if="$work/gz-mnt/disks/sparse.raw" of=/dev/null bs=4096 count=1 \
               skip=$(( last / 4096 )) status=none
            t1=$(now)
            res[first$way]+=" $(elapsed "$t0" "$t1")"
            if [ "$way" = cold ]; then
                wait_until 3600 gz_index_saved "$work/idx-cold" ||
                    die "the index was not saved"
                res[build]+=" $(elapsed "$t0" "$(now)")"
            fi
            gz_unmount
        done
        printf '  round %d/%d  zcat %ss  gz-random %ss  vmdk-random %ss  first read cold %ss warm %ss\n' \
            "$round" "$runs" "${res[zcat]##* }" "${res[gzrandom]##* }" \
            "${res[vmdkrandom]##* }" "${res[firstcold]##* }" "${res[firstwarm]##* }"
    done

    local z g v c w b
    # shellcheck disable=SC2086
    {
        z=$(median ${res[zcat]}) g=$(median ${res[gzrandom]}) v=$(median ${res[vmdkrandom]})
        c=$(median ${res[firstcold]}) w=$(median ${res[firstwarm]}) b=$(median ${res[build]})
        hwm=$(median ${res[gzhwm]})
    }
    echo
    echo "===== gzip: median of $runs run(s), wall seconds ====="
    printf '  %-46s %8.3fs\n' "gzip -dc of the whole file (zcat)" "$z" \
        "1000 random 4 KiB reads, gzip'd, index saved" "$g" \
        "1000 random 4 KiB reads, uncompressed VMDK" "$v" \
        "mount + first read at the end, no index" "$c" \
        "mount + first read at the end, index saved" "$w" \
        "mount to index saved (background pass)" "$b"
    printf '  %-46s %8.1f ms\n' "per random read, gzip'd" "$(awk -v g="$g" 'BEGIN { print g }')"
    printf '  %-46s %sx\n' "1000 random reads vs zcat (time)" "$(ratio "$g" "$z")" \
        "random reads gzip'd vs uncompressed" "$(ratio "$g" "$v")" \
        "first read: no index vs index saved" "$(ratio "$c" "$w")"
    printf '  %-46s %8.1f MiB\n' "daemon peak RSS, gzip'd random reads" \
        "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')"
    echo "  (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
}
