#!/usr/bin/env bash
# OVAs in every tar flavour GNU tar writes, each holding an OVF (first
# member) and one streamOptimized disk of 1 GiB + 7 sectors:
#   ustar          POSIX.1-1988 headers only
#   ustar-dir      the disk in a subdirectory (archived as a directory
#                  member, then the file), its path (over 100 characters)
#                  split between the prefix and name fields
#   pax            POSIX.1-2001: a pax extended header before every member,
#                  the disk's name (over 100 characters) in a "path" record
#   gnu            the disk's name (over 100 characters) in a ././@LongLink
#                  member
#   pax-ovfprefix  pax, and an OVF in the <ovf:Envelope> prefixed-element
#                  style
# once with qemu-img's stream and once with an ovftool-style stream.  The
# disk is disks/NAME.raw, NAME the member's base name without .vmdk.
#
# Oracles: qemu-img compare of disks/NAME.raw against the VMDK; cmp of
# MOUNTPOINT/NAME.ovf against the OVF that went into the archive.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires qemu-img python3 tar cmp
requires_fuse

d=$(tmpdir)
size=$(( (1 << 30) + 7 * 512 ))
# Over 100 characters: too long for a ustar name field (100).
long=$(printf 'long%.0s' {1..27})-disk
# 96 characters: a path that only fits by using the ustar prefix field.
dir=$(printf 'subdir%.0s' {1..16})

# ovf_default HREF CAPACITY: an OVF 1.0 descriptor, default namespace.
ovf_default ()
{
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
          xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
          xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References>
    <File ovf:id="file1" ovf:href="$1"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="$2"
          ovf:capacityAllocationUnits="byte"
          ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="vm">
    <Info>A virtual machine</Info>
    <Name>vm</Name>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard Disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
EOF
}

# ovf_prefixed HREF CAPACITY: the same, every element as ovf:Element and
# no default namespace (vCloud Director style).
ovf_prefixed ()
{
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
              xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <ovf:References>
    <ovf:File ovf:id="file1" ovf:href="$1"/>
  </ovf:References>
  <ovf:DiskSection>
    <ovf:Info>Virtual disk information</ovf:Info>
    <ovf:Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="$2"
              ovf:capacityAllocationUnits="byte"/>
  </ovf:DiskSection>
  <ovf:VirtualSystem ovf:id="vm">
    <ovf:Info>A virtual machine</ovf:Info>
    <ovf:Name>vm</ovf:Name>
    <ovf:VirtualHardwareSection>
      <ovf:Info>Virtual hardware requirements</ovf:Info>
      <ovf:Item>
        <rasd:ElementName>Hard Disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>17</rasd:ResourceType>
      </ovf:Item>
    </ovf:VirtualHardwareSection>
  </ovf:VirtualSystem>
</ovf:Envelope>
EOF
}

make_raw_fixture "$d/disk.raw" "$size"
"$MKFIXTURE" streamOptimized "$d/disk.raw" "$d/qemu.vmdk"
"$MKFIXTURE" ovftool "$d/disk.raw" "$d/ovftool.vmdk"

n=0
for stream in qemu ovftool; do
    for flavour in ustar ustar-dir pax gnu pax-ovfprefix; do
        n=$((n + 1))
        format=${flavour%%-*}
        case $flavour in
            ustar)     member=$stream-short.vmdk ;;
            ustar-dir) member=$dir/$stream-short.vmdk ;;
            *)         member=$stream-$long.vmdk ;;
        esac
        disk=${member##*/}
        disk=${disk%.vmdk}
        work=$d/$n
        mkdir -p "$work/$dir"
        ln "$d/$stream.vmdk" "$work/$member"
        case $flavour in
            pax-ovfprefix) ovf_prefixed "$member" "$size" > "$work/vm$n.ovf" ;;
            *)             ovf_default "$member" "$size" > "$work/vm$n.ovf" ;;
        esac
        # ustar-dir archives the directory: a directory member first.
        case $flavour in
            ustar-dir) members=("vm$n.ovf" "$dir") ;;
            *)         members=("vm$n.ovf" "$member") ;;
        esac
        (cd "$work" && tar --format="$format" -cf "../vm$n.ova" "${members[@]}") ||
            fail "tar --format=$format failed"
        # The archive must really be of that flavour.
        case $flavour in
            ustar*) ! grep -q -a -e PaxHeaders -e '././@LongLink' "$d/vm$n.ova" ||
                        fail "$flavour: vm$n.ova has pax or GNU headers" ;;
            pax*)   grep -q -a "path=$member" "$d/vm$n.ova" ||
                        fail "$flavour: no pax path record in vm$n.ova" ;;
            gnu)    grep -q -a '././@LongLink' "$d/vm$n.ova" ||
                        fail "$flavour: no ././@LongLink in vm$n.ova" ;;
        esac

        v2vfs_mount "$d/vm$n.ova" "$d/mnt$n"
        what="$stream stream, $flavour OVA"
        got=$(view_listing "$d/mnt$n")
        [ "$got" = "disks vm$n.ovf " ] ||
            fail "$what: top level holds '$got', expected 'disks vm$n.ovf '"
        cmp "$work/vm$n.ovf" "$d/mnt$n/vm$n.ovf" ||
            fail "$what: vm$n.ovf differs from the original"
        got=$(view_listing "$d/mnt$n/disks")
        [ "$got" = "$disk.raw $disk.qcow2 " ] ||
            fail "$what: disks/ holds '$got', expected '$disk.raw $disk.qcow2 '"
        view=$d/mnt$n/disks/$disk.raw
        got=$(stat -c %s "$view")
        [ "$got" -eq "$size" ] || fail "$what: st_size is $got, expected $size"
        qemu_compare vmdk "$d/$stream.vmdk" raw "$view"
        check_qcow2_view "$what" "$d/mnt$n" "$disk" vmdk "$d/$stream.vmdk"
        v2vfs_unmount "$d/mnt$n"
    done
done
