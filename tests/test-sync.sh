#!/usr/bin/env bash
# v2vfs-sync on a hosted snapshot chain that qemu-img made (a base and
# two children, data and zeroed grains at each level), against qemu-img
# as the oracle:
#   1. a raw copy of the base plus v2vfs-sync of the top is identical to
#      qemu-img convert of the top, and --verify passes;
#   2. the same for a qcow2 target (written through qemu-storage-daemon),
#      which qemu-img check finds clean, and for a block device (a loop
#      device over a copy of the base);
#   3. the bytes written are exactly those qemu-img map puts in the
#      deltas (above the base; above c1 with --base c1.vmdk), which are
#      whole grains;
#   4. --dry-run lists the same extents and changes no byte of the target;
#   5. an ESXi chain (a vmfs base, a COWD delta, an SEsparse delta with
#      zeroed and unmapped grains, tests/mkdelta.py): onto raw and qcow2
#      copies of the base, the result is tests/deltaref.py's merged disk,
#      and the bytes written are its changed extents' total;
#   6. no file of the chain changes, nothing stays mounted.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img qemu-io qemu-storage-daemon python3 losetup
requires_fuse
requires_root
sync=$tests_builddir/../fs/v2vfs-sync
[ -x "$sync" ] || fail "$sync is not built"

d=$(tmpdir)
cd "$d"
mib=$((1 << 20))
qemu-img create -q -f vmdk base.vmdk 64M
qemu-io -f vmdk -c "write -P 0x11 0 8M" -c "write -P 0x12 60M 4M" base.vmdk >/dev/null
# zeroed_grain: write -z makes zeroed grain entries, which read as zeros
# and hide the parent.
qemu-img create -q -f vmdk -o zeroed_grain=on -b base.vmdk -F vmdk c1.vmdk
qemu-io -f vmdk -c "write -P 0x21 1M 1M" -c "write -z 4M 1M" \
    -c "write -P 0x22 $((64 * mib - 1000)) 1000" c1.vmdk >/dev/null
qemu-img create -q -f vmdk -o zeroed_grain=on -b c1.vmdk -F vmdk c2.vmdk
qemu-io -f vmdk -c "write -P 0x31 1536K 64K" -c "write -P 0x32 32M 512" \
    -c "write -z 6M 128K" -c "write -P 0x33 4352K 64K" c2.vmdk >/dev/null
sums=$(sha256sum base.vmdk c1.vmdk c2.vmdk)
qemu-img convert -O raw c2.vmdk ref.raw

# bytes_above DEPTH: the bytes qemu-img map puts in layers above DEPTH
# (0 is c2).
bytes_above ()
{
    qemu-img map --output=json c2.vmdk | python3 -c '
import json, sys
print(sum(e["length"] for e in json.load(sys.stdin)
          if e["present"] and e["depth"] < int(sys.argv[1])))' "$1"
}
all=$(bytes_above 2)
top=$(bytes_above 1)
echo "qemu-img map: $all bytes in c1 and c2, $top in c2"
[ $((all % 65536)) -eq 0 ] || fail "the deltas hold $all bytes, not whole grains"

# wrote OUTPUT: the "wrote N bytes" figure of a run.
wrote ()
{
    sed -n 's/^v2vfs-sync: .*: wrote \([0-9]*\) bytes .*/\1/p' "$1"
}

# 1. A raw target.
qemu-img convert -O raw base.vmdk t.raw
"$sync" --verify c2.vmdk t.raw > out 2> err || fail "v2vfs-sync failed: $(cat out err)"
cat out err
expect_lines out "verified: the .* read back equal to the chain"
[ "$(wrote out)" = "$all" ] || fail "wrote $(wrote out) bytes, the deltas hold $all"
qemu_compare raw t.raw raw ref.raw

# 2. A qcow2 target, through qemu's block layer; and a block device.
qemu-img convert -O qcow2 base.vmdk t.qcow2
"$sync" -q --verify c2.vmdk t.qcow2 > out || fail "v2vfs-sync t.qcow2 failed"
[ "$(wrote out)" = "$all" ] || fail "qcow2: wrote $(wrote out) bytes, not $all"
qemu_compare qcow2 t.qcow2 raw ref.raw
qemu-img check -q t.qcow2 || fail "qemu-img check t.qcow2 found errors"
[ -z "$(ls /tmp | grep '^v2vfs-sync\.' || true)" ] ||
    fail "v2vfs-sync left its export directory in /tmp"

qemu-img convert -O raw base.vmdk t-loop.raw
loop=$(losetup --find --show t-loop.raw)
cleanup_fn losetup -d "$loop"
"$sync" -q --verify c2.vmdk "$loop" > out || fail "v2vfs-sync $loop failed"
[ "$(wrote out)" = "$all" ] || fail "$loop: wrote $(wrote out) bytes, not $all"
cmp "$loop" ref.raw || fail "$loop differs from the merged disk"

# 3. --base: a target that holds c1 gets only c2's grains.
qemu-img convert -O raw c1.vmdk t1.raw
"$sync" -q --base c1.vmdk c2.vmdk t1.raw > out || fail "v2vfs-sync --base failed"
[ "$(wrote out)" = "$top" ] || fail "--base c1.vmdk: wrote $(wrote out) bytes, c2 holds $top"
qemu_compare raw t1.raw raw ref.raw

# 4. --dry-run: the extents, and no write.
qemu-img convert -O raw base.vmdk t2.raw
before=$(sha_of t2.raw)
"$sync" --dry-run c2.vmdk t2.raw > out || fail "v2vfs-sync --dry-run failed"
cat out
listed=$(awk '$1 == "data" || $1 == "zero" { sub(/^\+/, "", $3); n += $3 } END { print n }' out)
[ "$listed" = "$all" ] || fail "--dry-run lists $listed bytes, not $all"
expect_lines out '^zero 4194304 +262144$' '^data 4456448 +65536$' '^zero 6291456 +131072$'
[ "$(sha_of t2.raw)" = "$before" ] || fail "--dry-run wrote the target"

# 5. ESXi deltas.
esx=$(mkdelta --seed 21 --size 64M+7s esx disk \
    base=vmfs data@0:4M data@-1M:1M \
    delta=cowd data@1M:1M data@3M+1:5000 data@-3s:3s \
    delta=sesparse zero@1M:256K unmap@1M+512K:4K data@1M+300K:10 data@3M:4K \
    data@-2s:1s)
esx_sums=$(sha256sum esx/*)
deltaref raw "$esx" esx-ref.raw
deltaref changed "$esx" esx.changed
esx_all=$(python3 -c 'import json, sys; print(sum(e["length"] for e in json.load(open(sys.argv[1]))))' esx.changed)
for fmt in raw qcow2; do
    qemu-img convert -O "$fmt" esx/disk.vmdk "esx-t.$fmt"
    "$sync" -q --verify "$esx" "esx-t.$fmt" > out || fail "v2vfs-sync esx-t.$fmt failed"
    [ "$(wrote out)" = "$esx_all" ] ||
        fail "esx-t.$fmt: wrote $(wrote out) bytes, deltaref.py's extents hold $esx_all"
    qemu_compare "$fmt" "esx-t.$fmt" raw esx-ref.raw
done
echo "ESXi chain: $esx_all bytes written onto raw and qcow2, equal to deltaref.py's disk"
[ "$(sha256sum esx/*)" = "$esx_sums" ] || fail "a file of the ESXi chain changed"

# 6.
[ "$(sha256sum base.vmdk c1.vmdk c2.vmdk)" = "$sums" ] || fail "a file of the chain changed"
echo "v2vfs-sync: raw, qcow2 and block targets equal qemu-img's merged disk; $all bytes written"
