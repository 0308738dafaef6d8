#!/usr/bin/env bash
# The named limits of the text parsers (formats/input-limits.h), each at
# the limit and one past it: at the limit the input mounts and its disk
# reads; one past, v2vfs refuses it with exactly one line naming the file,
# the object and its line, and mounts nothing.
#   - LIMIT_DESCRIPTOR_BYTES: a VMDK descriptor of 1 MiB;
#   - LIMIT_EXTENTS: 65536 extent lines;
#   - LIMIT_DESCRIPTOR_FILE_BYTES: an OVF, and a .vmx, of 16 MiB;
#   - LIMIT_XML_DEPTH: elements nested 64 deep in an OVF;
#   - LIMIT_VMX_LINES: a .vmx of 100000 lines.
# And an entity-expansion OVF ("billion laughs") is refused at its
# DOCTYPE, before any entity is read, within a second and in little
# memory (shown, not asserted: the machine is shared).
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img truncate
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

make_raw_fixture disk.raw $(( 8 << 20 ))
cp disk.raw src/flat.vmdk

# mounts SRC: SRC mounts and its one disk reads as disk.raw.
mounts ()
{
    v2vfs_mount "$1" mnt
    cmp mnt/disks/*.raw disk.raw || fail "$1: the disk does not read back"
    v2vfs_unmount mnt
}

# pad FILE SIZE FILLER: append FILLER's text lines (a comment syntax:
# "#" or "<!--") to FILE until it is exactly SIZE bytes.
pad ()
{
    python3 - "$@" <<'PY'
import sys
path, size, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, "rb").read()
room = size - len(data)
assert room >= 200, "no room to pad"
# Lines of 100 bytes, the last one longer (libxml2 caps one text node,
# a comment too, at 10 MB).
head, tail = (b"#", b"\n") if kind == "#" else (b"<!--", b"-->\n")
n = room // 100 - 1
fill = (head + b"x" * (100 - len(head) - len(tail)) + tail) * n
fill += head + b"y" * (room - len(fill) - len(head) - len(tail)) + tail
open(path, "wb").write(data + fill)
assert len(data + fill) == size
PY
}

# --- LIMIT_DESCRIPTOR_BYTES: 1 MiB ---------------------------------------
flat_descriptor flat.vmdk > src/desc-cap.vmdk
pad src/desc-cap.vmdk $(( 1 << 20 )) '#'
mounts src/desc-cap.vmdk
flat_descriptor flat.vmdk > src/desc-past.vmdk
pad src/desc-past.vmdk $(( (1 << 20) + 1 )) '#'
v2vfs_refused "v2vfs: src/desc-past.vmdk: descriptor is 1048577 bytes, over the 1048576-byte limit" \
    src/desc-past.vmdk
echo "descriptor: 1048576 bytes mount, 1048577 refused"

# --- LIMIT_EXTENTS: 65536 lines ------------------------------------------
# The flat file, then ZERO extents of one sector each.
extents ()
{
    printf '%s\n' '# Disk DescriptorFile' 'version=1' 'CID=3ebc653f' \
        'parentCID=ffffffff' 'createType="monolithicFlat"' '' \
        '# Extent description' 'RW 16384 FLAT "flat.vmdk" 0'
    seq $(( $1 - 1 )) | sed 's/.*/RW 1 ZERO/'
    printf '%s\n' '' '#DDB' 'ddb.adapterType = "ide"'
}
extents 65536 > src/ext-cap.vmdk
v2vfs_mount src/ext-cap.vmdk mnt
[ "$(stat -c %s mnt/disks/ext-cap.raw)" -eq $(( (8 << 20) + 65535 * 512 )) ] ||
    fail "ext-cap.raw has size $(stat -c %s mnt/disks/ext-cap.raw)"
cmp -n $(( 8 << 20 )) mnt/disks/ext-cap.raw disk.raw || fail "ext-cap.raw: the flat extent"
cmp <(tail -c $(( 65535 * 512 )) mnt/disks/ext-cap.raw) <(head -c $(( 65535 * 512 )) /dev/zero) ||
    fail "ext-cap.raw: the ZERO extents"
v2vfs_unmount mnt
extents 65537 > src/ext-past.vmdk
v2vfs_refused "v2vfs: src/ext-past.vmdk: descriptor line 65544: more than 65536 extents" \
    src/ext-past.vmdk
echo "extents: 65536 mount, 65537 refused"

# --- LIMIT_DESCRIPTOR_FILE_BYTES: an OVF and a .vmx of 16 MiB -------------
"$MKFIXTURE" monolithicSparse disk.raw src/disk1.vmdk
one_disk_ovf disk1.vmdk > src/ovf-cap.ovf
pad src/ovf-cap.ovf $(( 16 << 20 )) '<!--'
mounts src/ovf-cap.ovf
one_disk_ovf disk1.vmdk > src/ovf-past.ovf
pad src/ovf-past.ovf $(( (16 << 20) + 1 )) '<!--'
v2vfs_refused "v2vfs: src/ovf-past.ovf: OVF is 16777217 bytes, over the 16777216-byte limit" \
    src/ovf-past.ovf

vmx ()
{
    printf '%s\n' 'config.version = "8"' 'virtualHW.version = "10"' \
        'memsize = "512"' 'ide0:0.present = "TRUE"' 'ide0:0.fileName = "disk1.vmdk"'
}
# One long comment fills the file: 16 MiB of short lines would pass
# LIMIT_VMX_LINES first (that limit has its own cases below).
vmx > src/vmx-cap.vmx
python3 -c 'import sys; open(sys.argv[1], "ab").write(b"#" + b"v" * (int(sys.argv[2]) - 2) + b"\n")' \
    src/vmx-cap.vmx $(( (16 << 20) - $(stat -c %s src/vmx-cap.vmx) ))
[ "$(stat -c %s src/vmx-cap.vmx)" -eq $(( 16 << 20 )) ] || fail "vmx-cap.vmx size"
mounts src/vmx-cap.vmx
cp src/vmx-cap.vmx src/vmx-past.vmx
echo >> src/vmx-past.vmx
v2vfs_refused "v2vfs: src/vmx-past.vmx: VMX is 16777217 bytes, over the 16777216-byte limit" \
    src/vmx-past.vmx
echo "OVF and .vmx: 16777216 bytes mount, 16777217 refused"

# --- LIMIT_XML_DEPTH: 64 -------------------------------------------------
# deep N: the one-disk OVF with an element of another namespace nested
# so that the deepest element is at depth N (the Envelope is depth 1).
deep ()
{
    local open close
    open=$(printf '<t:e xmlns:t="urn:test">%.0s' $(seq $(( $1 - 1 ))))
    close=$(printf '</t:e>%.0s' $(seq $(( $1 - 1 ))))
    one_disk_ovf disk1.vmdk | sed "s|^  <References>|  $open$close\n  <References>|"
}
deep 64 > src/depth-cap.ovf
mounts src/depth-cap.ovf
deep 65 > src/depth-past.ovf
v2vfs_refused "v2vfs: src/depth-past.ovf: element 'e' at line 3: nested more than 64 deep" \
    src/depth-past.ovf
echo "XML depth: 64 mounts, 65 refused"

# --- LIMIT_VMX_LINES: 100000 ---------------------------------------------
vmx > src/lines-cap.vmx
seq $(( 100000 - 5 )) | sed 's/.*/# a comment/' >> src/lines-cap.vmx
mounts src/lines-cap.vmx
cp src/lines-cap.vmx src/lines-past.vmx
echo '# one more' >> src/lines-past.vmx
v2vfs_refused "v2vfs: src/lines-past.vmx: more than 100000 lines: not a .vmx file" \
    src/lines-past.vmx
echo ".vmx lines: 100000 mount, 100001 refused"

# --- entity expansion ----------------------------------------------------
# Ten levels of ten references: 10^9 "lol"s, were the entities expanded.
python3 - src/laughs.ovf <<'PY'
import sys
ents = ['<!ENTITY l0 "lol">'] + [
    '<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10) for i in range(1, 10)]
with open(sys.argv[1], "w") as f:
    f.write('<?xml version="1.0"?>\n<!DOCTYPE Envelope [\n%s\n]>\n'
            '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1">&l9;'
            '</Envelope>\n' % "\n".join(ents))
PY
v2vfs_refused "v2vfs: src/laughs.ovf: DOCTYPE at line 2: refused (entities and DTDs are not allowed)" \
    src/laughs.ovf
show_cost "$V2VFS" src/laughs.ovf mnt
echo "entity expansion: refused at the DOCTYPE"
