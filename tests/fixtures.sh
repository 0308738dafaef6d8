# v2vfs test fixtures and view checks -*- shell-script -*-
# shellcheck shell=bash
#
# Sourced by functions.sh (never on its own): the fixtures the tests
# make (raw images, VMDKs, descriptors, OVFs) and the checks of the raw
# and QCOW2 views made from them.  They use functions.sh's fail,
# tmpdir and locations.

# make_raw_fixture FILE SIZE_BYTES [SEED]: sparse raw image with
# deterministic pseudo-random data (same SEED and SIZE => same bytes):
#   * data at the start (a fake boot area) and text-like compressible data
#   * data crossing a 64 KiB grain boundary at unaligned offsets
#   * a 3 MiB data area at 8 MiB with a grain-aligned 1 MiB run of
#     explicitly written zero bytes in its middle (9..10 MiB)
#   * holes of several MiB between the areas
#   * data crossing the 32 MiB GT-coverage boundary at 64 MiB and
#     power-of-two boundaries from 512 MiB (2 GiB = extent boundary of
#     twoGbMaxExtent* files) when the image is big enough
#   * the last 70000 bytes, i.e. the final partial grain up to EOF
# Total data is a few MiB whatever SIZE is.
make_raw_fixture ()
{
    [ $# -ge 2 ] || fail "usage: make_raw_fixture FILE SIZE_BYTES [SEED]"
    python3 - "$1" "$2" "${3:-1}" <<'EOF' || fail "make_raw_fixture $1 $2 failed"
import os, random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
MiB = 1 << 20
rng = random.Random(seed)
words = [b"v2vfs", b"grain", b"sector", b"stream", b"vmdk", b"ovf",
         b"extent", b"descriptor", b"\n", b"0123456789", b"KDMV", b" "]

def text(n):
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words) + b" "
    return bytes(out[:n])

chunks = [
    (0, 128 * 1024, "random"),
    (256 * 1024, 512 * 1024, "text"),
    (MiB - 3000, 8000, "random"),          # crosses the grain at 1 MiB
    (5 * MiB + 12345, 100000, "random"),   # unaligned, several grains
    (8 * MiB, 3 * MiB, "random"),          # data area ...
    (9 * MiB, MiB, "zero"),                # ... with explicit zeros inside
    (64 * MiB - 40000, 80000, "random"),   # crosses a GT (32 MiB) boundary
]
b = 512 * MiB
while b < size:
    chunks.append((b - 50000, 100000, "random"))
    b *= 2
chunks.append((size - 70000, 70000, "random"))  # last partial grain, EOF

fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.ftruncate(fd, size)
for off, n, kind in chunks:
    if kind == "random":
        data = rng.randbytes(n)
    elif kind == "text":
        data = text(n)
    else:
        data = bytes(n)
    if off < 0:
        data, off = data[-off:], 0
    data = data[:max(0, size - off)]
    if data:
        os.pwrite(fd, data, off)
os.close(fd)
EOF
}

# make_vmdk_fixture SUBFORMAT VMDK SIZE_BYTES: a VMDK (any kind
# mkfixture.sh makes) of make_raw_fixture's data, with no raw image left
# beside it.
make_vmdk_fixture ()
{
    [ $# -eq 3 ] || fail "usage: make_vmdk_fixture SUBFORMAT VMDK SIZE_BYTES"
    make_raw_fixture "$2.raw" "$3"
    "$MKFIXTURE" "$1" "$2.raw" "$2"
    rm -- "$2.raw"
}

# tree_sums DIR...: SHA-256 of every regular file under the DIRs, in a
# stable order, to show that a run wrote to no source file.
tree_sums ()
{
    find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
}

# expect_refused MSG MNT DIRS CMD...: CMD fails with exactly the one line
# MSG and exit 1, MNT is not mounted afterwards, and no file under DIRS
# (a space-separated list) changed.
expect_refused ()
{
    local msg=$1 mnt=$2 dirs=$3 before
    shift 3
    # shellcheck disable=SC2086
    before=$(tree_sums $dirs)
    expect_fail_exact "$msg" "$@"
    assert_not_mounted "$mnt"
    # shellcheck disable=SC2086
    [ "$(tree_sums $dirs)" = "$before" ] || fail "$* changed a source file"
}

# v2vfs_refused MSG SRC...: for bad-input tests that work in their tmpdir,
# with the sources under src/ and an empty mnt/: "v2vfs SRC... mnt" fails
# with exactly MSG, leaves nothing mounted and changes nothing under src/.
v2vfs_refused ()
{
    local msg=$1
    shift
    expect_refused "$msg" "$PWD/mnt" src timeout 60 "$V2VFS" "$@" "$PWD/mnt"
}

# poke FILE OFFSET NBYTES VALUE: write VALUE as an NBYTES little-endian
# integer at byte OFFSET of FILE.
poke ()
{
    local i s=
    for (( i = 0; i < $3; i++ )); do
        s+=$(printf '\\x%02x' $(( ($4 >> (8 * i)) & 0xff )))
    done
    printf "$s" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# peek FILE OFFSET NBYTES: print the little-endian integer there.
peek ()
{
    local v
    v=$(od -An -t u"$3" -j "$2" -N "$3" --endian=little "$1")
    echo $(( v ))
}

# view_listing DIR: DIR's entries in readdir order, space-terminated,
# leaving out domain.xml, which other tests own.
view_listing ()
{
    ls -AU -- "$1" | { grep -v -x -e domain.xml || true; } | tr '\n' ' '
}

# check_one_disk LABEL MNT NAME SIZE: MNT/disks holds just NAME.raw and
# NAME.qcow2, and the raw view's st_size is SIZE.
check_one_disk ()
{
    local label=$1 mnt=$2 name=$3 size=$4 got
    got=$(view_listing "$mnt/disks")
    [ "$got" = "$name.raw $name.qcow2 " ] ||
        fail "$label: disks/ holds '$got', expected '$name.raw $name.qcow2 '"
    got=$(stat -c %s "$mnt/disks/$name.raw")
    [ "$got" -eq "$size" ] || fail "$label: st_size is $got, expected $size"
}

# qemu_data_map VMDK: the runs qemu-img map calls data, as seek-map.py
# prints them ("START END" per line).
qemu_data_map ()
{
    qemu-img map --output=json -f vmdk "$1" |
        python3 "$tests_srcdir/seek-map.py" --qemu-map
}

# check_seek_and_blocks LABEL VIEW SIZE MAP: SEEK_DATA/SEEK_HOLE walk VIEW
# in exactly the runs of MAP (seek-map.py's format), and st_blocks counts
# them: nonzero, far
# below SIZE, at least the data and less than one 64 KiB grain more (the
# last grain may be partial).
check_seek_and_blocks ()
{
    local label=$1 view=$2 size=$3 map=$4 data alloc
    python3 "$tests_srcdir/seek-map.py" "$view" > "$map.$label"
    diff -u "$map" "$map.$label" >&2 ||
        fail "$label: SEEK_DATA/SEEK_HOLE runs differ from the expected map"
    data=$(awk '{ n += $2 - $1 } END { print n + 0 }' "$map")
    alloc=$(( $(stat -c %b "$view") * 512 ))
    echo "$label: st_blocks*512 = $alloc, data runs = $data, size = $size"
    [ "$alloc" -gt 0 ] && [ "$alloc" -lt $(( size / 64 )) ] ||
        fail "$label: st_blocks*512 = $alloc does not show a sparse disk"
    [ "$alloc" -ge "$data" ] && [ "$alloc" -lt $(( data + 65536 )) ] ||
        fail "$label: st_blocks*512 = $alloc, but $data bytes are allocated"
}

# check_raw_view DIR SIZE [flat]: mount DIR/disk.vmdk (made from
# DIR/disk.raw) on DIR/mnt and check its view: one disk of SIZE bytes,
# identical to the VMDK and to the raw image by qemu-img compare, with
# SEEK_DATA/SEEK_HOLE and st_blocks following the data runs.  Those come
# from qemu-img map, or, with "flat", from the extent files themselves
# (qemu-img map calls a flat extent all data).  The qcow2 view gets
# check_qcow2_view.
check_raw_view ()
{
    local dir=$1 size=$2 kind=${3:-}
    v2vfs_mount "$dir/disk.vmdk" "$dir/mnt"
    check_one_disk disk "$dir/mnt" disk "$size"
    qemu_compare vmdk "$dir/disk.vmdk" raw "$dir/mnt/disks/disk.raw"
    qemu_compare raw "$dir/disk.raw" raw "$dir/mnt/disks/disk.raw"
    if [ "$kind" = flat ]; then
        python3 "$tests_srcdir/seek-map.py" --flat-descriptor \
            "$dir/disk.vmdk" > "$dir/expected.map"
    else
        qemu_data_map "$dir/disk.vmdk" > "$dir/expected.map"
    fi
    check_seek_and_blocks disk "$dir/mnt/disks/disk.raw" "$size" \
        "$dir/expected.map"
    check_qcow2_view disk "$dir/mnt" disk vmdk "$dir/disk.vmdk"
}

# qemu_check LABEL IMAGE: qemu-img check finds no error and no leak in
# the qcow2 IMAGE.
qemu_check ()
{
    local out r=0
    out=$(qemu-img check -f qcow2 "$2" 2>&1) || r=$?
    case "$r:$out" in
        "0:No errors were found on the image."*) ;;
        *) fail "$1: qemu-img check -f qcow2 $2 (status $r): $out" ;;
    esac
}

# check_qcow2_view LABEL MNT NAME [SRC_FMT SRC]: MNT/disks/NAME.qcow2
# passes qemu-img check (no errors, no leaks), reads as NAME.raw and as
# SRC, its SEEK_DATA/SEEK_HOLE runs are its metadata followed by the raw
# view's runs where qemu-img map places them, and st_blocks counts those.
check_qcow2_view ()
{
    local label=$1 raw=$2/disks/$3.raw view=$2/disks/$3.qcow2 map
    local size runs
    qemu_check "$label" "$view"
    qemu_compare qcow2 "$view" raw "$raw"
    [ $# -lt 5 ] || qemu_compare qcow2 "$view" "$4" "$5"
    map=$(mktemp "$_v2vfs_tmpdir/qcow2map.XXXXXX")
    size=$(stat -c %s "$view")
    python3 "$tests_srcdir/seek-map.py" "$raw" > "$map.raw"
    qemu-img map --output=json -f qcow2 "$view" |
        python3 "$tests_srcdir/seek-map.py" --qcow2-map "$map.raw" "$size" \
                > "$map.want" || fail "$label: cannot map the qcow2 view"
    python3 "$tests_srcdir/seek-map.py" "$view" > "$map.got"
    diff -u "$map.want" "$map.got" >&2 ||
        fail "$label: the qcow2 view's SEEK_DATA/SEEK_HOLE runs differ" \
             "from its metadata plus the raw view's runs"
    runs=$(awk '{ n += $2 - $1 } END { print n + 0 }' "$map.want")
    [ $(( $(stat -c %b "$view") * 512 )) -eq $(( (runs + 511) / 512 * 512 )) ] ||
        fail "$label: the qcow2 view's st_blocks*512 is" \
             "$(( $(stat -c %b "$view") * 512 )), its runs hold $runs bytes"
    echo "$label: qcow2 view checked: $size bytes, $runs in data runs"
}

# show_cost CMD...: run CMD and print its wall time and peak memory (the
# largest RSS of it and its children), for a test's log: costs are shown,
# never asserted, since the machine is shared.  CMD's status is ignored.
show_cost ()
{
    python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("cost: %.2f s, peak RSS %.0f MiB: %s" % (t, rss, " ".join(sys.argv[1:])))
' "$@"
}

# flat_descriptor NAME: a monolithicFlat descriptor (its extent on line
# 8) of an 8 MiB disk in the flat file NAME.
flat_descriptor ()
{
    printf '%s\n' '# Disk DescriptorFile' 'version=1' 'CID=3ebc653f' \
        'parentCID=ffffffff' 'createType="monolithicFlat"' '' \
        '# Extent description' "RW 16384 FLAT \"$1\" 0" '' '#DDB' \
        'ddb.adapterType = "ide"'
}

# one_disk_ovf HREF [PROLOG [NAME]]: a one-disk OVF whose File href is HREF, with
# PROLOG (e.g. a DOCTYPE) before the root element and NAME as the
# VirtualSystem's Name (line 12 when PROLOG is empty).
one_disk_ovf ()
{
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
${2:-}<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References>
    <File ovf:id="file1" ovf:href="$1"/>
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
    <Disk ovf:capacity="8" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicSparse"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <Name>${3:-vm}</Name>
    <VirtualHardwareSection>
      <Info>Virtual hardware</Info>
      <Item>
        <rasd:ElementName>disk1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
}

# ---------------------------------------------------------------------
# Snapshot chains (tests/mkdelta.py writes the ESXi ones, qemu-img the
# hosted ones; tests/deltaref.py is the reference reader).

# mkdelta ARGS...: tests/mkdelta.py (prints the top descriptor's path).
mkdelta ()
{
    python3 "$tests_srcdir/mkdelta.py" "$@" || fail "mkdelta.py $* failed"
}

# deltaref ARGS...: tests/deltaref.py.
deltaref ()
{
    python3 "$tests_srcdir/deltaref.py" "$@"
}

# check_chain_oracles LABEL TOP DELTAS [MODEL]: the reference reader and
# qemu-img agree on the chain whose top descriptor is TOP, DELTAS levels
# above its base: deltaref.py's merged disk (left in TOP.ref.raw) is
# byte for byte qemu-img convert's (and MODEL's, mkdelta.py's own view,
# when given), and deltaref.py's changed list (left in TOP.ref.changed)
# has the ranges, kinds and depths of qemu-img map's entries above the
# base.  A writer that writes what the spec does not say fails here,
# before any mount.
check_chain_oracles ()
{
    local label=$1 top=$2 deltas=$3 model=${4:-}
    qemu-img convert -q -f vmdk -O raw "$top" "$top.qemu.raw" ||
        fail "$label: qemu-img convert refuses $top"
    deltaref raw "$top" "$top.ref.raw" || fail "$label: deltaref.py refuses $top"
    cmp "$top.qemu.raw" "$top.ref.raw" ||
        fail "$label: qemu-img and deltaref.py read $top differently"
    if [ -n "$model" ]; then
        cmp "$model" "$top.ref.raw" ||
            fail "$label: mkdelta.py's model and deltaref.py differ"
    fi
    rm -f -- "$top.qemu.raw"
    deltaref changed "$top" "$top.ref.changed" ||
        fail "$label: deltaref.py changed $top failed"
    qemu-img map -f vmdk --output=json "$top" > "$top.qemu.map" ||
        fail "$label: qemu-img map $top failed"
    deltaref qemu-changed "$deltas" "$top.qemu.map" > "$top.qemu.changed"
    deltaref normalize "$top.ref.changed" > "$top.ref.norm"
    diff -u "$top.qemu.changed" "$top.ref.norm" >&2 ||
        fail "$label: deltaref.py's changed extents differ from qemu-img map's"
    echo "$label: qemu-img and deltaref.py agree:" \
         "$(wc -l < "$top.ref.norm") changed extents," \
         "$(sha_of "$top.ref.raw" | cut -c1-16)"
}

# check_chain_views LABEL MNT NAME REF_RAW REF_CHANGED: the views of a
# mounted chain: NAME.raw is REF_RAW byte for byte, NAME.qcow2 passes
# qemu-img check and reads as REF_RAW, and NAME.changed is a sorted,
# merged list in qemu-img map's shape holding the extents, kinds and
# depths of REF_CHANGED (deltaref.py's).
check_chain_views ()
{
    local label=$1 mnt=$2 name=$3 ref=$4 changed=$5 got
    got=$(view_listing "$mnt/disks" | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' ')
    [ "$got" = "$name.changed $name.qcow2 $name.raw " ] ||
        fail "$label: disks/ holds '$got'"
    cmp "$mnt/disks/$name.raw" "$ref" || fail "$label: $name.raw differs"
    qemu_check "$label" "$mnt/disks/$name.qcow2"
    qemu_compare qcow2 "$mnt/disks/$name.qcow2" raw "$ref"
    deltaref normalize --strict "$mnt/disks/$name.changed" > "$ref.got.norm" ||
        fail "$label: $name.changed is not a sorted, merged extent list"
    deltaref normalize "$changed" > "$ref.want.norm"
    diff -u "$ref.want.norm" "$ref.got.norm" >&2 ||
        fail "$label: $name.changed differs from deltaref.py's"
}
