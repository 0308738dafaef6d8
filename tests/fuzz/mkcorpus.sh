#!/usr/bin/env bash
# Write the seed corpus of the fuzz harnesses, tests/fuzz/corpus/NAME/,
# from the project's samples and fixture builders.  Run it by hand after
# changing what it takes in, and commit the result; `make fuzz` only
# reads the corpus (it fuzzes a copy).
#
#   tests/fuzz/mkcorpus.sh
#
# The seeds are kept small, a few hundred KiB in all: small files mutate
# and run faster, and the fuzzer grows what it needs from them.  The
# stream VMDKs therefore have 4 KiB grains and no padding before the
# first grain (mkstream.py --grain-sectors 8 --overhead 0), and the one
# uncompressed sparse file is qemu-img's smallest (128 KiB).
set -euo pipefail

fuzzdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tests=$(dirname "$fuzzdir")
corpus=$fuzzdir/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -rf "$corpus"
mkdir -p "$corpus"/{tar,ovf,vmx,vmdk-desc,image,domxml,qcow2,gz}

# ---- Descriptors, as they are.
ovfs="01-vsphere8-efi-secureboot-SimpleVm 03-vcenter6-chunksize-buslogic
      06-ovftool35-vapp-2vms-collection 08-virtualbox-2.2-era-sparse-url-megabytes
      12-virtualbox50-macos-efi-vboxmachine-macs
      14-ovf2.0-virtualbox-style-TEMPLATE-untangle
      15-ovftool-testsuite-gzip-relative-href"
for f in $ovfs; do
    cp "$tests/samples/ovf/$f.ovf" "$corpus/ovf/"
done
cp "$tests/domxml/ovf2-storage-ethernet-items.ovf" \
   "$tests/domxml/vsphere8-win2022-vbs-vtpm.ovf" "$corpus/ovf/"
cp "$tests"/samples/vmdk-descriptors/[0-9]* "$corpus/vmdk-desc/"

# VMX files: those of tests/domxml, and variants with the disks on
# other buses, a CD-ROM, static MACs and escapes.
cp "$tests"/domxml/*.vmx "$corpus/vmx/"
sed -e 's/scsi0:1\./nvme0:0./' -e 's/"pvscsi"/"lsisas1068"/' \
    -e 's/ethernet1.addressType = .*/ethernet1.addressType = "static"/' \
    -e 's/displayName = .*/displayName = "app |7Cq|7C"/' \
    "$tests/domxml/vmx-efi-pvscsi-3nics.vmx" > "$corpus/vmx/variant-buses.vmx"
printf '%s\r\n' 'config.version = "8"' 'virtualHW.version = "4"' \
       'ide1:0.present = "TRUE"' 'ide1:0.deviceType = "cdrom-image"' \
       'ide1:0.fileName = "x.iso"' 'ide0:0.present = "TRUE"' \
       'ide0:0.fileName = "d.vmdk"' > "$corpus/vmx/cdrom.vmx"

# domain.xml is made from both kinds.
cp "$corpus"/ovf/{01,08,12,15}-*.ovf "$corpus/ovf/ovf2-storage-ethernet-items.ovf" \
   "$corpus/ovf/vsphere8-win2022-vbs-vtpm.ovf" "$corpus"/vmx/*.vmx "$corpus/domxml/"
# Inputs that once failed a harness stay as seeds (each has a unit test
# too).  A displayName with U+FFFE made domain.xml ill-formed.
printf '%s\n' 'config.version = "8"' $'displayName = "a\xef\xbf\xbeb"' \
       'scsi0:0.present = "TRUE"' 'scsi0:0.fileName = "d.vmdk"' \
       > "$corpus/domxml/regress-xml-nonchar.vmx"

# ---- Sparse and stream VMDKs of a 64 KiB disk with three runs of data.
python3 - "$tmp/disk.raw" <<'EOF'
import sys
b = bytearray(64 * 1024)
for i in range(4096):
    b[i] = (i * 7) & 255
for i in range(40960, 41960):
    b[i] = (i * 13) & 255
b[-512:] = bytes([0x5a]) * 512
open(sys.argv[1], "wb").write(b)
EOF
stream() {
    local name=$1
    shift
    python3 "$tests/mkstream.py" --grain-sectors 8 --overhead 0 "$@" \
        "$tmp/disk.raw" "$corpus/image/$name.vmdk"
}
stream ovftool
stream nofooter --layout nofooter
stream truncated --layout truncated
stream gdoffset --layout gdoffset
stream progress --progress
stream zeroed --zeroed-gte
stream level0 --level0
head -c 4096 "$tmp/disk.raw" > "$tmp/small.raw"
qemu-img convert -q -f raw -O vmdk -o subformat=monolithicSparse \
    "$tmp/small.raw" "$corpus/image/monolithicSparse.vmdk"
# qemu-img draws the CID at random: fix it, so the seed stays the same.
sed -i 's/^CID=[0-9a-f]\{8\}$/CID=a57d0b52/' "$corpus/image/monolithicSparse.vmdk"
# Descriptors: the harness's one file is disk.vmdk, so a descriptor can
# only name itself.
printf '%s\n' '# Disk DescriptorFile' 'version=1' 'CID=fffffffe' \
       'parentCID=ffffffff' 'createType="monolithicFlat"' \
       'RW 2 FLAT "disk.vmdk" 0' 'RW 100 ZERO' 'NOACCESS 8 FLAT "disk.vmdk" 1' \
       'ddb.adapterType = "lsilogic"' > "$corpus/image/descriptor.vmdk"
# Snapshot deltas (tests/mkdelta.py): the harness makes a chain of a COWD
# or SEsparse input over a base.  Small disks: 1 MiB and 17 sectors.
python3 "$tests/mkdelta.py" --seed 1 --size 1M+17s "$tmp/cowd" d base=vmfs \
    delta=cowd grain=8 data@0:1000 data@-1s:1s data@64K:8K >/dev/null
cp "$tmp/cowd/d-000001-delta.vmdk" "$corpus/image/cowd.bin"
python3 "$tests/mkdelta.py" --seed 2 --compact --size 1M+17s "$tmp/se" d base=vmfs \
    delta=sesparse data@0:4K zero@8K:4K unmap@16K:4K data@-1s:1s >/dev/null
cp "$tmp/se/d-000001-sesparse.vmdk" "$corpus/image/sesparse.bin"

# ---- OVAs: ustar, pax and GNU headers, long names, a directory, chunks.
mkdir -p "$tmp/ova/sub"
cp "$tests"/samples/ovf/15-*.ovf "$tmp/ova/vm.ovf"
printf 'SHA256(vm.ovf)= %064d\n' 0 > "$tmp/ova/vm.mf"
head -c 700 "$corpus/image/nofooter.vmdk" > "$tmp/ova/disk.vmdk"
long=sub/a-disk-name-long-enough-that-it-does-not-fit-in-the-hundred-bytes
long=$long-of-a-ustar-name-field.vmdk
printf 'long\n' > "$tmp/ova/$long"
printf 'chunk0' > "$tmp/ova/disk2.vmdk.000000000"
printf 'chunk1' > "$tmp/ova/disk2.vmdk.000000001"
ova() {
    local name=$1
    shift
    tar -C "$tmp/ova" -b1 --mtime=@0 --owner=0 --group=0 --numeric-owner \
        -cf "$corpus/tar/$name.ova" "$@"
}
ova ustar --format=ustar vm.ovf vm.mf disk.vmdk
ova ustar-prefix --format=ustar ./vm.ovf "$long"
ova pax --format=pax \
    --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    vm.ovf "$long" sub
ova gnu --format=gnu vm.ovf "$long"
ova v7 --format=v7 vm.ovf vm.mf
ova chunks --format=ustar vm.ovf disk2.vmdk.000000000 disk2.vmdk.000000001

# ---- Allocation maps for fuzz-qcow2 (see its header for the encoding):
# size byte and low bits, stride, then (unit, gap, length) per run.
qmap() {
    python3 - "$corpus/qcow2/$1" "${@:2}" <<'EOF'
import struct, sys
out, shift, low, stride, *runs = sys.argv[1:]
b = struct.pack(">B", int(shift)) + int(low).to_bytes(6, "big")
b += int(stride).to_bytes(3, "big")
for r in runs:
    unit, gap, length = (int(x) for x in r.split(","))
    b += struct.pack(">BHB", unit, gap, length)
open(out, "wb").write(b)
EOF
}
qmap empty 30 0 65536                                 # 1 GiB, no data
qmap one-byte 9 0 4096 0,0,0                          # 512 bytes, 1 byte
qmap odd-size 30 3684 70000 5,5,255 0,65000,99        # 1 GiB + 3684
qmap span-edges 31 0 100000 2,8191,1 3,1,3 0,0,255    # runs at 512 MiB
qmap clusters 26 0 131072 12,3,15 2,1,0 14,2,2 0,1,7  # boundaries
qmap 2tib 41 0 65536 14,0,15 3,2047,0 11,4000,200 15,2047,255
qmap 8tib 42 1 1000000 3,1,0 3,65535,0
qmap too-big 63 1 4096 0,0,0                          # refused: > 2^50

du -sh "$corpus"

# ---- gzip: one member, three members with zero padding, stored blocks
# (level 0), and a header that names the file.
seq 1 3000 > "$tmp/text"
gzip -n -9 -c "$tmp/text" > "$corpus/gz/one.gz"
{ head -c 5000 "$tmp/text" | gzip -n -1; tail -c +5001 "$tmp/text" | gzip -n;
  printf 'second\n' | gzip -n; head -c 64 /dev/zero; } > "$corpus/gz/members.gz"
python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.compress(bytes(range(256)) * 40, 0, mtime=0))' \
    > "$corpus/gz/stored.gz"
gzip -9 -c "$tmp/text" > "$corpus/gz/named.gz"
