# shellcheck shell=bash
# The real test guests of scripts/mkguest, end to end: each is booted
# unfixed on virtio (where it must not come up), fixed by v2vfs-fix on a
# v2vfs mount, and booted through libvirt from the mount's domain.xml.
# Sourced by the tests/test-guest-*.sh that take a guest, after
# functions.sh.  The functions work in $d, the test's directory.

guest_requires ()
{
    requires qemu-system-x86_64 debootstrap guestfish libvirtd virtlogd virsh sha256sum python3
    requires_fuse
    requires_root "building the guests and qemu:///system"
    use_libguestfs
    fix=$tests_builddir/../guestfix/v2vfs-fix
    boot=$tests_builddir/../fs/v2vfs-boot
    [ -x "$fix" ] && [ -x "$boot" ] || fail "v2vfs-fix or v2vfs-boot is not built"
}

# guest_mount GUEST: build (or find) the guest's OVA and mount it with an
# overlay, so that libvirt's qemu can read the views.  Sets ova, sum (its
# sha256), d (the test's directory, the cwd), raw (the first disk's raw
# view) and name (the VM's).
guest_mount ()
{
    ova=$("$tests_srcdir/../scripts/mkguest" "$1") || fail "scripts/mkguest $1 failed"
    sum=$(sha_of "$ova")
    d=$(tmpdir)
    cd "$d"
    chmod 0755 "$d"
    v2vfs_mount -o allow_other --owner libvirt-qemu --overlay "$d/ovl" "$ova" "$d/mnt"
    raw=$(find mnt/disks -name '*-disk1.raw')
    [ -n "$raw" ] || fail "the mount has no disk1: $(ls mnt/disks)"
    raw=$d/$raw
    name=$(basename "$ova" .ova)
}

_guest_qemu=
_guest_stop_qemu () { [ -z "$_guest_qemu" ] || kill "$_guest_qemu" 2> /dev/null; _guest_qemu=; }

# guest_unfixed_on_virtio FIRMWARE REGEX SECONDS: boot the raw view, not
# fixed, on virtio-blk under qemu (writes go to a throwaway snapshot;
# FIRMWARE bios or efi, the latter with a new OVMF variable store, as a
# new KVM VM has), until the serial console shows REGEX (the guest giving
# up) or the marker.  Fails if the guest booted; prints what it said.
guest_unfixed_on_virtio ()
{
    local fw=$1 regex=$2 secs=$3 log=$d/unfixed.log i t0 firmware=()
    if [ "$fw" = efi ]; then
        cp /usr/share/OVMF/OVMF_VARS_4M.fd "$d/vars.fd"
        firmware=(-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
                  -drive "if=pflash,format=raw,file=$d/vars.fd")
    fi
    cleanup_fn _guest_stop_qemu
    t0=$(date +%s)
    qemu-system-x86_64 -machine q35,accel=tcg -m 1024 -nodefaults -display none \
        -no-reboot -serial "file:$log" "${firmware[@]}" \
        -drive "file=$raw,format=raw,if=none,id=d0,snapshot=on" \
        -device virtio-blk-pci,drive=d0 &
    _guest_qemu=$!
    for (( i = 0; i < secs * 2; i++ )); do
        grep -q -a -E "$regex|V2VFS-GUEST-MARKER" "$log" 2> /dev/null && break
        kill -0 "$_guest_qemu" 2> /dev/null || break
        sleep 0.5
    done
    _guest_stop_qemu
    ! grep -q -a 'V2VFS-GUEST-MARKER' "$log" || fail "the unfixed guest booted on virtio-blk"
    grep -q -a -E "$regex" "$log" ||
        fail "unfixed, on virtio-blk: neither a marker nor '$regex': $(tail -n 20 "$log")"
    echo "unfixed, on virtio-blk ($fw): no boot after $(( $(date +%s) - t0 )) s; the serial console:"
    grep -a -o -E "($regex).*" "$log" | head -n 3 | tr -d '\r' | sed 's/^/    /'
}

# guest_fix: v2vfs-fix on the mount; its report in fix.out, progress in
# fix.err.
guest_fix ()
{
    local t0
    t0=$(date +%s)
    "$fix" mnt > fix.out 2> fix.err || fail "v2vfs-fix failed: $(cat fix.out fix.err)"
    cat fix.out
    echo "v2vfs-fix took $(( $(date +%s) - t0 )) s"
}

# guest_boot: v2vfs-boot of the mount's domain.xml; sets marker to the
# line the guest printed.
guest_boot ()
{
    use_libvirtd
    "$boot" --accel "$(boot_accel)" --ready '^V2VFS-GUEST-MARKER ' --timeout 900 \
        --shutdown-timeout 60 mnt > boot.out 2>&1 || fail "v2vfs-boot: $(tail -n 30 boot.out)"
    grep -E '^v2vfs-boot: .* is up after ' boot.out
    marker=$(sed -n 's/^v2vfs-boot: .* is up after .* s: "\(.*\)"$/\1/p' boot.out)
    [ -n "$marker" ] || fail "no marker: $(cat boot.out)"
}

# guest_marker_has FIELD=VALUE...: the marker says each (VALUE a glob).
guest_marker_has ()
{
    local want w
    for want; do
        for w in $marker; do
            # shellcheck disable=SC2053 # VALUE is a glob
            [[ $w == $want ]] && continue 2
        done
        fail "the marker has no $want: $marker"
    done
}

# guest_nic_up NAME MAC ADDR: in the marker, `ip -br addr` has NIC NAME
# up with ADDR (a regex), and `ip -br link` NAME with MAC.
guest_nic_up ()
{
    local addrs links
    addrs=${marker#*ip-br-addr=[}
    addrs=${addrs%%]*}
    links=${marker#*ip-br-link=[}
    links=${links%%]*}
    tr '|' '\n' <<<"$addrs" | grep -q -E "^$1 UP $3( |$)" ||
        fail "ip -br addr has no '$1 UP $3': $addrs"
    tr '|' '\n' <<<"$links" | grep -q -x "$1 $2" ||
        fail "ip -br link has no '$1 $2': $links"
    echo "ip -br addr: $(tr '|' '\n' <<<"$addrs" | grep "^$1 ")"
}

# guest_second_run: a second v2vfs-fix changes nothing; the report's runs
# say fixed, then nothing to do.
guest_second_run ()
{
    "$fix" mnt > fix2.out 2> fix2.err || fail "second run: $(cat fix2.out fix2.err)"
    grep -qx "$name: nothing left to do, the guest is already fixed" fix2.out ||
        fail "the second run did something: $(cat fix2.out)"
    python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["runs"]; assert [x["status"] for x in r] == ["fixed", "nothing to do"] and r[1]["changes"] == [] and r[1]["removed"] == [], r' \
        ovl/guestfix.json || fail "the report does not show a fix, then nothing"
    echo "second run: nothing left to do"
}

# guest_report_changes FILE...: the JSON report's first run changed each
# FILE (a regex); prints its changes.
guest_report_changes ()
{
    python3 - ovl/guestfix.json "$@" <<'EOF' || fail "the JSON report lacks a change"
import json, re, sys
run = json.load(open(sys.argv[1]))["runs"][0]
files = [c["file"] for c in run["changes"]]
for want in sys.argv[2:]:
    if not any(re.fullmatch(want, f) for f in files):
        sys.exit("no change of %s in the report's %s" % (want, files))
print("report: %d changes: %s" % (len(files), ", ".join(sorted(set(files)))))
EOF
}

# guest_unmount: unmount; the OVA is unchanged.
guest_unmount ()
{
    v2vfs_unmount "$d/mnt"
    [ "$(sha_of "$ova")" = "$sum" ] || fail "the OVA changed"
    echo "the OVA's sha256 is unchanged: $sum"
}
