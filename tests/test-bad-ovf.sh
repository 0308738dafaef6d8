#!/usr/bin/env bash
# Bad OVF descriptors: not XML, a DOCTYPE with an external entity
# (file:///etc/passwd, and a private file that must not even be opened),
# bytes that are not UTF-8, and an href holding a newline.
#
# Each must be refused before mounting: exit 1, exactly one error line
# naming the OVF and the object, nothing left mounted, and every fixture
# file byte for byte as it was.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires python3 qemu-img timeout sha256sum
requires_fuse

d=$(tmpdir)
cd "$d"
mkdir src mnt

# refused MSG CMD...: CMD (a v2vfs run) fails with exactly MSG, leaves
# nothing mounted and writes to no fixture file.
refused ()
{
    local msg=$1
    shift
    expect_refused "$msg" "$d/mnt" src "$@"
}

# ovf HREF [PROLOG [NAME]]: a one-disk OVF whose File href is HREF, with
# PROLOG (e.g. a DOCTYPE) before the root element and NAME as the
# VirtualSystem's Name (line 12 when PROLOG is empty).
ovf ()
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

make_raw_fixture disk.raw $(( 8 << 20 ))
"$MKFIXTURE" monolithicSparse disk.raw src/disk1.vmdk

# The OVF itself is good.
ovf disk1.vmdk > src/good.ovf
v2vfs_mount src/good.ovf "$d/mnt"
v2vfs_unmount "$d/mnt"

# Not XML at all.
echo 'This is not XML.' > src/text.ovf
refused "v2vfs: src/text.ovf: not a valid XML document: line 1: Start tag expected, '<' not found" \
    timeout 60 "$V2VFS" src/text.ovf "$d/mnt"

# An external entity naming /etc/passwd, used in an element.
ovf disk1.vmdk '<!DOCTYPE Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>
' '&x;' > src/passwd.ovf
refused "v2vfs: src/passwd.ovf: has a DOCTYPE (entities and DTDs are refused)" \
    timeout 60 "$V2VFS" src/passwd.ovf "$d/mnt"

# The same with a private file, so that we can tell whether it was
# opened: an inotify watch counts the opens while v2vfs runs (/etc/passwd
# itself is opened by other programs all the time).
echo 'secret: do not read me' > secret.txt
cat > watch-open.py <<'EOF'
# watch-open.py COUNT_FILE PATH CMD...: run CMD and write to COUNT_FILE
# how many times PATH was opened meanwhile (inotify IN_OPEN); exit with
# CMD's status.  The events are queued during open(2), so they are all
# there once CMD has exited.
import ctypes, os, struct, subprocess, sys
IN_OPEN = 0x20
libc = ctypes.CDLL(None, use_errno=True)
count_file, path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
if fd < 0 or libc.inotify_add_watch(fd, os.fsencode(path), IN_OPEN) < 0:
    sys.stderr.write("watch-open.py: %s: inotify: %s\n"
                     % (path, os.strerror(ctypes.get_errno())))
    sys.exit(2)
r = subprocess.call(cmd)
n = 0
while True:
    try:
        buf = os.read(fd, 65536)
    except BlockingIOError:
        break
    off = 0
    while off < len(buf):
        wd, mask, cookie, length = struct.unpack_from("iIII", buf, off)
        n += bool(mask & IN_OPEN)
        off += 16 + length
with open(count_file, "w") as f:
    f.write("%d\n" % n)
sys.exit(r if r >= 0 else 128 - r)
EOF

# ... used in an element,
ovf disk1.vmdk "<!DOCTYPE Envelope [<!ENTITY x SYSTEM \"file://$d/secret.txt\">]>
" '&x;' > src/secret.ovf
refused "v2vfs: src/secret.ovf: has a DOCTYPE (entities and DTDs are refused)" \
    python3 watch-open.py opens secret.txt \
    timeout 60 "$V2VFS" src/secret.ovf "$d/mnt"
[ "$(cat opens)" = 0 ] ||
    fail "secret.txt (an external entity) was opened $(cat opens) time(s)"

# ... in an attribute (libxml2 refuses this while parsing),
ovf '&x;' "<!DOCTYPE Envelope [<!ENTITY x SYSTEM \"file://$d/secret.txt\">]>
" > src/secret-attr.ovf
refused "v2vfs: src/secret-attr.ovf: not a valid XML document: line 5: Attribute references external entity 'x'" \
    python3 watch-open.py opens secret.txt \
    timeout 60 "$V2VFS" src/secret-attr.ovf "$d/mnt"
[ "$(cat opens)" = 0 ] ||
    fail "secret.txt (an external entity) was opened $(cat opens) time(s)"

# ... and as a parameter entity in the DTD itself.
ovf disk1.vmdk "<!DOCTYPE Envelope [<!ENTITY % p SYSTEM \"file://$d/secret.txt\"> %p;]>
" > src/secret-param.ovf
refused "v2vfs: src/secret-param.ovf: has a DOCTYPE (entities and DTDs are refused)" \
    python3 watch-open.py opens secret.txt \
    timeout 60 "$V2VFS" src/secret-param.ovf "$d/mnt"
[ "$(cat opens)" = 0 ] ||
    fail "secret.txt (an external entity) was opened $(cat opens) time(s)"

# A Latin-1 byte in a document that says UTF-8 (an OVF written by a
# Windows tool).
ovf disk1.vmdk '' "$(printf 'caf\xe9 vm')" > src/latin1.ovf
refused "v2vfs: src/latin1.ovf: not a valid XML document: line 12: Input is not proper UTF-8, indicate encoding ! Bytes: 0xE9 0x20 0x76 0x6D" \
    timeout 60 "$V2VFS" src/latin1.ovf "$d/mnt"

# An href with a newline in it (&#10;).  A name from the file must not
# break the one-line error.
ovf 'disk&#10;1.vmdk' > src/newline.ovf
refused "v2vfs: src/newline.ovf: File 'file1' href 'disk\\n1.vmdk': no such file in src" \
    timeout 60 "$V2VFS" src/newline.ovf "$d/mnt"
