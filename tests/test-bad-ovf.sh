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

make_raw_fixture disk.raw $(( 8 << 20 ))
"$MKFIXTURE" monolithicSparse disk.raw src/disk1.vmdk

# The OVF itself is good.
one_disk_ovf disk1.vmdk > src/good.ovf
v2vfs_mount src/good.ovf "$d/mnt"
v2vfs_unmount "$d/mnt"

# Not XML at all.
echo 'This is not XML.' > src/text.ovf
refused "v2vfs: src/text.ovf: not a valid XML document: line 1: Start tag expected, '<' not found" \
    timeout 60 "$V2VFS" src/text.ovf "$d/mnt"

# An external entity naming /etc/passwd, used in an element.
one_disk_ovf disk1.vmdk '<!DOCTYPE Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>
' '&x;' > src/passwd.ovf
refused "v2vfs: src/passwd.ovf: DOCTYPE at line 2: refused (entities and DTDs are not allowed)" \
    timeout 60 "$V2VFS" src/passwd.ovf "$d/mnt"

# The same with a private file, so that we can tell whether it was
# opened: an inotify watch counts the opens while v2vfs runs (/etc/passwd
# itself is opened by other programs all the time).
echo 'secret: do not read me' > secret.txt

# ... used in an element,
one_disk_ovf disk1.vmdk "<!DOCTYPE Envelope [<!ENTITY x SYSTEM \"file://$d/secret.txt\">]>
" '&x;' > src/secret.ovf
refused "v2vfs: src/secret.ovf: DOCTYPE at line 2: refused (entities and DTDs are not allowed)" \
    python3 "$tests_srcdir/watch-open.py" opens secret.txt \
    timeout 60 "$V2VFS" src/secret.ovf "$d/mnt"
[ "$(cat opens)" = 0 ] ||
    fail "secret.txt (an external entity) was opened $(cat opens) time(s)"

# ... in an attribute,
one_disk_ovf '&x;' "<!DOCTYPE Envelope [<!ENTITY x SYSTEM \"file://$d/secret.txt\">]>
" > src/secret-attr.ovf
refused "v2vfs: src/secret-attr.ovf: DOCTYPE at line 2: refused (entities and DTDs are not allowed)" \
    python3 "$tests_srcdir/watch-open.py" opens secret.txt \
    timeout 60 "$V2VFS" src/secret-attr.ovf "$d/mnt"
[ "$(cat opens)" = 0 ] ||
    fail "secret.txt (an external entity) was opened $(cat opens) time(s)"

# ... and as a parameter entity in the DTD itself.
one_disk_ovf disk1.vmdk "<!DOCTYPE Envelope [<!ENTITY % p SYSTEM \"file://$d/secret.txt\"> %p;]>
" > src/secret-param.ovf
refused "v2vfs: src/secret-param.ovf: DOCTYPE at line 2: refused (entities and DTDs are not allowed)" \
    python3 "$tests_srcdir/watch-open.py" opens secret.txt \
    timeout 60 "$V2VFS" src/secret-param.ovf "$d/mnt"
[ "$(cat opens)" = 0 ] ||
    fail "secret.txt (an external entity) was opened $(cat opens) time(s)"

# A Latin-1 byte in a document that says UTF-8 (an OVF written by a
# Windows tool).
one_disk_ovf disk1.vmdk '' "$(printf 'caf\xe9 vm')" > src/latin1.ovf
refused "v2vfs: src/latin1.ovf: not a valid XML document: line 12: Input is not proper UTF-8, indicate encoding ! Bytes: 0xE9 0x20 0x76 0x6D" \
    timeout 60 "$V2VFS" src/latin1.ovf "$d/mnt"

# An href with a newline in it (&#10;).  A name from the file must not
# break the one-line error.
one_disk_ovf 'disk&#10;1.vmdk' > src/newline.ovf
refused "v2vfs: src/newline.ovf: File 'file1' at line 4: href 'disk\\n1.vmdk' contains a control character" \
    timeout 60 "$V2VFS" src/newline.ovf "$d/mnt"
