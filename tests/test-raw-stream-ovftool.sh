#!/usr/bin/env bash
# disks/NAME.raw of an ovftool-style streamOptimized VMDK written by
# mkstream.py (GD_AT_END header, a GT after each run of grains, GD, footer,
# EOS), 1 GiB + 7 sectors: the layout VMware exports carry, which qemu-img
# cannot write but can read.
#
# Oracles: qemu-img compare of the view against the VMDK and against the
# raw image it was made from; qemu-img map of the VMDK for the allocation
# that SEEK_DATA/SEEK_HOLE and st_blocks must reflect.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/disk.vmdk"
# The fixture is what this test is about: gdOffset (header offset 56) is
# GD_AT_END, so the grain directory must be found through the footer.
got=$(od -An -t x8 -j 56 -N 8 "$d/disk.vmdk" | tr -d ' ')
[ "$got" = ffffffffffffffff ] || fail "fixture gdOffset is $got, not GD_AT_END"
check_raw_view "$d" "$size"
