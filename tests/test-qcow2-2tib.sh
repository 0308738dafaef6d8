#!/usr/bin/env bash
# A 2 TiB monolithicSparse VMDK (qemu-img preallocates its 65536 grain
# tables, all but three empty) with a little data at the start, across the
# 1 TiB mark and in the last partial grain:
#   - it mounts; the mount time and the daemon's RSS are printed (no
#     timing is asserted here; scripts/bench measures);
#   - disks/big.qcow2 is thin, passes qemu-img check, reads as big.raw,
#     and its seek map is its metadata plus the disk's runs;
#   - reads at the start, the middle and the end hold what qemu-io wrote,
#     through qemu's qcow2 driver and through the raw view alike.
# Oracles: qemu-io (writes the patterns, then verifies them on the qcow2
# view), qemu-img check and compare.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img qemu-io dd cmp pgrep
requires_fuse

d=$(tmpdir)
T=$(( 1 << 40 ))
size=$(( 2 * T ))
# offset length pattern: the data qemu-io writes, and reads back.
writes=("0 1048576 0xab" "$(( T - 100000 )) 200000 0xcd"
        "$(( size - 70000 )) 70000 0xef")

qemu-img create -q -f vmdk -o subformat=monolithicSparse "$d/big.vmdk" "$size"
args=()
for w in "${writes[@]}"; do
    read -r off len pat <<<"$w"
    args+=(-c "write -P $pat $off $len")
done
qemu-io -f vmdk "${args[@]}" "$d/big.vmdk" > /dev/null

start=$(date +%s%N)
v2vfs_mount "$d/big.vmdk" "$d/mnt"
end=$(date +%s%N)
pid=$(pgrep -f -n -x "$V2VFS $d/big.vmdk $d/mnt") || fail "no daemon found"
echo "mount of a 2 TiB VMDK: $(( (end - start) / 1000000 )) ms," \
     "daemon $(grep VmRSS "/proc/$pid/status" | tr -s ' \t' ' ')"

view=$d/mnt/disks/big.qcow2
[ "$(stat -c %s "$d/mnt/disks/big.raw")" -eq "$size" ] ||
    fail "big.raw is not $size bytes"
qsize=$(stat -c %s "$view")
echo "big.qcow2: $qsize bytes"
[ "$qsize" -lt $(( 4 << 20 )) ] ||
    fail "big.qcow2 is $qsize bytes for about 1.3 MiB of data"
check_qcow2_view "2 TiB" "$d/mnt" big

# Each written range, and 4 KiB of zeros on either side, by qemu's qcow2
# driver on the view and by dd on the raw view.
for w in "${writes[@]}"; do
    read -r off len pat <<<"$w"
    args=(-c "read -P $pat $off $len" -c "read -P 0 $(( off - 4096 )) 4096")
    [ "$off" -eq 0 ] && args=("${args[0]}" "${args[1]}")
    [ $(( off + len )) -lt "$size" ] &&
        args+=(-c "read -P 0 $(( off + len )) 4096")
    out=$(qemu-io -r -f qcow2 "${args[@]}" "$view" 2>&1) ||
        fail "qemu-io on the qcow2 view at $off failed: $out"
    ! grep -q -i -e fail -e error <<<"$out" ||
        fail "qemu-io on the qcow2 view at $off: $out"
    head -c "$len" /dev/zero | tr '\0' "\\$(printf '%03o' "$pat")" > "$d/want"
    dd if="$d/mnt/disks/big.raw" of="$d/got" bs=64K iflag=skip_bytes,count_bytes \
       skip="$off" count="$len" status=none
    cmp "$d/want" "$d/got" || fail "big.raw at $off does not hold $pat"
done
echo "the data at 0, 1 TiB - 100000 and 2 TiB - 70000 reads back"
