#!/usr/bin/env bash
# domain.xml from OVF and VMX files, without mounting: tests/dump-domxml
# runs the parsers and the generator a mount uses on every real OVF in
# tests/samples/ovf, and on the OVF 2.0 and .vmx files written for these
# tests in tests/domxml (the .vmx ones use every ethernet address type),
# with disks at /mnt/vm/disks/NAME.raw.
#   - the output equals the golden file tests/domxml/NAME.xml (CPUs and
#     topology, memory, firmware and secure boot, disks in order, MACs,
#     NICs and their networks), or NAME.err holds the exact error; a
#     golden NAME+VARIANT.xml is NAME's source with the arguments of
#     NAME+VARIANT.args (say, the virtio models of a fixed guest);
#   - every document passes virt-xml-validate;
#   - broken descriptors get an exact one-line error.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires virt-xml-validate csplit
dump=$tests_builddir/dump-domxml
[ -x "$dump" ] || fail "$dump is not built"

d=$(tmpdir)
n=0
shopt -s nullglob
goldens=("$tests_srcdir"/domxml/*.xml "$tests_srcdir"/domxml/*.err)
# Every source has a golden file, so that a lost golden (or an empty
# directory) fails rather than checks less.
for src in "$tests_srcdir"/samples/ovf/*.ovf "$tests_srcdir"/domxml/*.ovf \
           "$tests_srcdir"/domxml/*.vmx; do
    name=$(basename "${src%.*}")
    compgen -G "$tests_srcdir/domxml/$name.xml" > /dev/null ||
        compgen -G "$tests_srcdir/domxml/$name.err" > /dev/null ||
        fail "$src has no golden file tests/domxml/$name.xml or .err"
done
for golden in "${goldens[@]}"; do
    name=$(basename "${golden%.*}")
    src=${name%%+*}
    ovf=$tests_srcdir/samples/ovf/$src.ovf
    [ -f "$ovf" ] || ovf=$tests_srcdir/domxml/$src.ovf
    [ -f "$ovf" ] || ovf=$tests_srcdir/domxml/$src.vmx
    args=()
    [ ! -f "${golden%.*}.args" ] || mapfile -t args < "${golden%.*}.args"
    r=0
    "$dump" "$ovf" /mnt/vm "${args[@]}" > "$d/out" 2> "$d/err" || r=$?
    case $golden in
        *.err)
            [ "$r" -eq 1 ] || fail "$name: exit $r, expected 1"
            diff -u "$golden" "$d/err" >&2 || fail "$name: a different error"
            continue ;;
    esac
    [ "$r" -eq 0 ] || fail "$name: $(cat "$d/err")"
    diff -u "$golden" "$d/out" >&2 || fail "$name: domain XML differs from $golden"
    rm -f "$d"/doc-*
    csplit -s -z -f "$d/doc-" "$d/out" '/^<?xml/' '{*}'
    for doc in "$d"/doc-*; do
        virt-xml-validate "$doc" domain > "$d/validate" 2>&1 ||
            fail "$name: virt-xml-validate: $(cat "$d/validate")"
        n=$(( n + 1 ))
    done
done
xmls=("$tests_srcdir"/domxml/*.xml)
[ "${#xmls[@]}" -gt 0 ] && [ "$n" -ge "${#xmls[@]}" ] ||
    fail "$n documents validated for ${#xmls[@]} golden .xml files"
echo "${#goldens[@]} golden files: $n domain XML documents match and validate"

# Broken descriptors: exact errors.
good=$tests_srcdir/domxml/ovf2-storage-ethernet-items.ovf
broken ()
{
    local msg=$1 script=$2
    sed "$script" "$good" > "$d/ovf2-storage-ethernet-items.ovf"
    expect_fail_exact "dump-domxml: ovf2-storage-ethernet-items.ovf: $msg" \
        "$dump" "$d/ovf2-storage-ethernet-items.ovf" /mnt/vm
}
broken "Item at line 21: impossible CPU count (1 to 4096)" \
    's|<rasd:VirtualQuantity>6<|<rasd:VirtualQuantity>100000<|'
broken "Item at line 27: impossible memory size" \
    's|<rasd:VirtualQuantity>3<|<rasd:VirtualQuantity>999999999999<|'
broken "Item at line 27: unknown memory units 'byte * 3^x'" \
    's|<rasd:AllocationUnits>byte \* 2^30<|<rasd:AllocationUnits>byte * 3^x<|'
broken "Item at line 39: HostResource 'ovf:/disk/nosuch' names no Disk in DiskSection" \
    's|ovf:/disk/boot|ovf:/disk/nosuch|'
broken "Item at line 46: Disk 'boot' is attached twice" \
    's|ovf:/disk/data|ovf:/disk/boot|'
broken "Item at line 21: ResourceType is not a number" \
    's|<rasd:ResourceType>3<|<rasd:ResourceType>three<|'
broken "no VirtualSystem: the OVF describes no VM" \
    's|VirtualSystem ovf:id="web01"|Virtual ovf:id="web01"|; s|</VirtualSystem>|</Virtual>|'
# A MAC that does not parse is left for libvirt to make up.
sed 's|00-50-56-AB-CD-01|00:50:56:zz:00:01|' "$good" > "$d/mac.ovf"
"$dump" "$d/mac.ovf" /mnt/vm > "$d/mac.xml"
[ "$(grep -c '<mac ' "$d/mac.xml")" -eq 1 ] || fail "a bad MAC was not dropped"

# Broken .vmx files: exact errors.
good_vmx=$tests_srcdir/domxml/vmx-efi-pvscsi-3nics.vmx
broken_vmx ()
{
    local msg=$1 script=$2
    sed "$script" "$good_vmx" > "$d/vm.vmx"
    expect_fail_exact "dump-domxml: vm.vmx: $msg" "$dump" "$d/vm.vmx" /mnt/vm
}
broken_vmx "line 11: numvcpus = \"0\": not a number from 1 to 4096" \
    's|numvcpus = "4"|numvcpus = "0"|'
broken_vmx "line 13: memsize = \"lots\": not a number from 1 to 67108864" \
    's|memsize = "4096"|memsize = "lots"|'
broken_vmx "line 7: not a \`key = \"value\"\` line: 'displayName app'" \
    's|^displayName = .*|displayName app|'
broken_vmx "neither config.version nor virtualHW.version: not a .vmx file" \
    '/config.version\|virtualHW.version/d'
# With no disk present the VM is still one: a domain with no disk.
sed 's|^\(s[a-z]*0:[0-9]\.present\) = "TRUE"|\1 = "FALSE"|' "$good_vmx" > "$d/nodisk.vmx"
"$dump" "$d/nodisk.vmx" /mnt/vm > "$d/nodisk.xml"
grep -q "<name>app &quot;prod&quot; 01</name>" "$d/nodisk.xml" && ! grep -q "<source file=" "$d/nodisk.xml" ||
    fail "a .vmx with no disk present: $(cat "$d/nodisk.xml")"
# libvirt refuses a '/' in a domain name.
sed 's|displayName = .*|displayName = "web/01"|' "$good_vmx" > "$d/slash.vmx"
"$dump" "$d/slash.vmx" /mnt/vm | grep -q "<name>web_01</name>" ||
    fail "a '/' in the name was kept"
# A VM name is made plain by one rule (common/names.h): a control
# character, which XML 1.0 cannot hold, becomes '_' like the '/'.
sed "s|displayName = .*|displayName = \"web$(printf '\t')01\"|" "$good_vmx" > "$d/tab.vmx"
"$dump" "$d/tab.vmx" /mnt/vm | grep -q "<name>web_01</name>" ||
    fail "a tab in the name was kept"
echo "broken descriptors: exact errors; a bad MAC is dropped; '/' leaves names; no disk is no error"
