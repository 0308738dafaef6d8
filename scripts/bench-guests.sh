# shellcheck shell=bash
# The measurements of scripts/bench that need the test guests of
# scripts/mkguest, libguestfs, libvirt and virt-v2v: --only guestfix and
# --only cutover.  Sourced by scripts/bench, whose globals it uses (top,
# work, runs, v2vfs, started_pids, started_services, die, wait_until,
# not_alive).

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# median VALUE...: the median of the numbers.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[n++] = $1 }
        END { print (n % 2) ? v[int(n/2)] : (v[n/2 - 1] + v[n/2]) / 2 }'
}

# disk_written: bytes written so far to the block devices that hold the
# outputs ($work) and libguestfs's scratch files (/var/tmp), once each.
disk_written() {
    local dev
    { findmnt -n -o SOURCE -T "$work"; findmnt -n -o SOURCE -T /var/tmp; } |
        sed 's|^/dev/||; s|\[.*||' | sort -u |
        while read -r dev; do cat "/sys/class/block/$dev/stat"; done |
        awk '{ n += $7 * 512 } END { print n + 0 }'
}

# boot_result ARGS...: boot with v2vfs-boot ARGS (a mount point, or
# --domain-xml FILE); print the marker line, or the initramfs giving up
# on its root, with the root= the kernel was given.  The whole output is
# left in $work/boot.out (boot_up_secs reads it).
boot_result() {
    local out=$work/boot.out line root
    "$boot" --accel "$accel" --timeout 900 --shutdown-timeout 60 \
        --ready '^V2VFS-GUEST-MARKER |Gave up waiting for root' "$@" > "$out" 2>&1 || true
    line=$(sed -n 's/^v2vfs-boot: .* is up after .* s: "\(.*\)"$/\1/p' "$out")
    root=$(grep -a -o -m 1 'Kernel command line:.* root=[^ ]*' "$out" | grep -o 'root=[^ ]*' || true)
    case $line in
        V2VFS-GUEST-MARKER*) echo "booted (kernel $root): $line" ;;
        '') echo "did not boot (kernel $root): $(grep -v '^| ' "$out" | tail -n 1)" ;;
        *) echo "did not boot (kernel $root): $line" ;;
    esac
}

# boot_up_secs: the seconds the last boot_result took to its marker line
# (from the domain's start), or nothing if it did not come up.
boot_up_secs() {
    sed -n 's/^v2vfs-boot: .* is up after \([0-9.]*\) s: "V2VFS-GUEST-MARKER.*/\1/p' "$work/boot.out"
}

# guest_setup: what both guest measurements need: virt-v2v and its
# helpers, libguestfs (under TCG where KVM runs no guests), and a libvirtd
# on qemu:///system (one this run starts is stopped by its pid at the
# end).
guest_setup() {
    local pids
    fix=$(dirname "$v2vfs")/../guestfix/v2vfs-fix
    boot=$(dirname "$v2vfs")/v2vfs-boot
    sync_cmd=$(dirname "$v2vfs")/v2vfs-sync
    "$top/scripts/install-deps" --bench > "$work/apt.log" 2>&1 ||
        die "install-deps --bench failed: $(tail -n 1 "$work/apt.log")"
    export LIBGUESTFS_BACKEND=direct
    accel=kvm
    if ! "$top/scripts/kvm-works"; then
        export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
        accel=tcg
    fi
    pids=$("$top/scripts/start-libvirtd") || die "libvirtd does not start"
    started_services+=" ${pids//$'\n'/ }"
    # libvirt's qemu user reads the outputs here.
    chmod 0755 "$work"
}

# guest_ova GUEST: the test guest GUEST of scripts/mkguest (ova, its
# sha256 in sum).
guest_ova() {
    ova=$("$top/scripts/mkguest" "$1") || die "scripts/mkguest $1 failed"
    sum=$(sha256sum "$ova" | cut -d' ' -f1)
}

# virt_v2v DIR: convert the test guest with virt-v2v -o local into DIR
# (its log in DIR.log); sets c_secs and c_exit.
virt_v2v() {
    local t0
    rm -rf "$1"
    mkdir -p "$1"
    t0=$(now)
    c_exit=0
    virt-v2v -i ova "$ova" -o local -os "$1" -of raw > "$1.log" 2>&1 || c_exit=$?
    c_secs=$(elapsed "$t0" "$(now)")
}

# boot_virt_v2v DIR: boot what virt_v2v left in DIR as boot_result does:
# its XML as a v2vfs-boot "mount" with a serial port for the marker (it
# has only a console), and without its vsock where the host has no
# /dev/vhost-vsock.  Prints boot_result's line, or why there is nothing.
boot_virt_v2v() {
    local dom
    dom=$(ls "$1"/*.xml 2>/dev/null | head -n 1)
    if [ "$c_exit" -ne 0 ] || [ -z "$dom" ]; then
        echo "nothing to boot: virt-v2v failed ($(grep '^virt-v2v: error' "$1.log" | head -n 1))"
        return
    fi
    mkdir -p "$1-boot"
    sed -e 's|</devices>|<serial type="pty"><target port="0"/></serial></devices>|' \
        "$dom" > "$1-boot/domain.xml"
    [ -e /dev/vhost-vsock ] || sed -i '/<vsock /d' "$1-boot/domain.xml"
    boot_result "$1-boot"
}

# virt_v2v_warnings: virt-v2v's exit and warnings, one line.
virt_v2v_warnings() {
    echo "exit $c_exit; its warnings: $(grep -E '^virt-v2v: (warning|error)' "$1.log" |
        sed 's/^virt-v2v: //' | tr '\n' ';' | sed 's/;$//')"
}

# fix_steps REPORT: the step times of the report's last run, one
# "NAME SECONDS" line each (the appliance's launch and the inspection
# among them).
fix_steps() {
    python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["runs"][-1].get("steps", []):
    print(s["name"].replace(" ", "_"), s["seconds"])' "$1"
}

# measure_guestfix: for each guest of --guests, RUNS rounds of a v2vfs
# mount + v2vfs-fix (its steps from the report) and of virt-v2v on the
# same OVA, one after the other; the first round boots both results.
measure_guestfix() {
    local g
    guest_setup
    echo "guest fix: guests ${guests//,/ }, $runs round(s), accel $accel"
    echo "  v2vfs:    mount --overlay DIR + v2vfs-fix ($fix); the steps from its report"
    echo "  virt-v2v: $(virt-v2v --version) -i ova -o local -of raw"
    for g in ${guests//,/ }; do
        measure_guestfix_one "$g"
    done
    echo "  (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
}

measure_guestfix_one() {
    local round w0 t0 t1 step secs
    local -a v_wall v_wrote v_kept c_wall c_wrote c_kept order=()
    local -A step_s=()
    local v_boot="" c_boot="" c_status=""
    guest_ova "$1"
    echo
    echo "--- $1: $ova ($(du -sh "$ova" | cut -f1))"
    for (( round = 1; round <= runs; round++ )); do
        # v2vfs: mount with a fresh overlay, fix.
        rm -rf "$work/ovl" "$work/mnt"
        mkdir -p "$work/mnt"
        sync
        w0=$(disk_written)
        t0=$(now)
        "$v2vfs" -o allow_other --owner libvirt-qemu --overlay "$work/ovl" "$ova" "$work/mnt"
        "$fix" "$work/mnt" > "$work/fix.out" 2>&1 || die "v2vfs-fix failed: $(tail -n 5 "$work/fix.out")"
        t1=$(now)
        sync
        v_wall+=("$(elapsed "$t0" "$t1")")
        v_wrote+=("$(( $(disk_written) - w0 ))")
        v_kept+=("$(du -s -B1 "$work/ovl" | cut -f1)")
        while read -r step secs; do
            [ -n "${step_s[$step]+set}" ] || order+=("$step")
            step_s[$step]+="$secs "
        done < <(fix_steps "$work/ovl/guestfix.json")
        printf '  round %d/%d  v2vfs mount+fix   %7.1fs  wrote %s MB, DIR holds %s\n' "$round" "$runs" \
            "${v_wall[-1]}" "$(( v_wrote[-1] / 1000000 ))" "$(du -sh "$work/ovl" | cut -f1)"
        [ "$round" -gt 1 ] || [ "$boots" = no ] || v_boot=$(boot_result "$work/mnt")
        fusermount3 -u "$work/mnt"

        # virt-v2v, into the same file system.
        sync
        w0=$(disk_written)
        virt_v2v "$work/v2v"
        sync
        c_wall+=("$c_secs")
        c_wrote+=("$(( $(disk_written) - w0 ))")
        c_kept+=("$(du -s -B1 "$work/v2v" | cut -f1)")
        printf '  round %d/%d  virt-v2v          %7.1fs  wrote %s MB, output holds %s, exit %d\n' \
            "$round" "$runs" "${c_wall[-1]}" "$(( c_wrote[-1] / 1000000 ))" \
            "$(du -sh "$work/v2v" | cut -f1)" "$c_exit"
        if [ "$round" -eq 1 ]; then
            c_status=$(virt_v2v_warnings "$work/v2v")
            [ "$boots" = no ] || c_boot=$(boot_virt_v2v "$work/v2v")
        fi
        [ "$(sha256sum "$ova" | cut -d' ' -f1)" = "$sum" ] || die "the OVA changed"
    done
    echo "===== guest fix, $1: median of $runs round(s) ====="
    printf '%-26s %10s %16s %16s\n' "" "wall" "wrote to disk" "left on disk"
    for step in "${order[@]}"; do
        # shellcheck disable=SC2086 # one time per word
        printf '  %-24s %9.1fs\n' "${step//_/ }" "$(median ${step_s[$step]})"
    done
    printf '%-26s %9.1fs %13s MB %13s MB\n' "v2vfs mount + fix, total" "$(median "${v_wall[@]}")" \
        "$(( $(median "${v_wrote[@]}" | cut -d. -f1) / 1000000 ))" \
        "$(( $(median "${v_kept[@]}" | cut -d. -f1) / 1000000 ))"
    printf '%-26s %9.1fs %13s MB %13s MB\n' "virt-v2v -o local" "$(median "${c_wall[@]}")" \
        "$(( $(median "${c_wrote[@]}" | cut -d. -f1) / 1000000 ))" \
        "$(( $(median "${c_kept[@]}" | cut -d. -f1) / 1000000 ))"
    echo "  wall: virt-v2v takes $(ratio "$(median "${c_wall[@]}")" "$(median "${v_wall[@]}")")x the time of v2vfs"
    [ "$boots" = no ] || echo "  v2vfs boot:    $v_boot"
    echo "  virt-v2v:      $c_status"
    [ "$boots" = no ] || echo "  virt-v2v boot: $c_boot"
    echo "  the OVA's sha256 is unchanged: $sum"
}

# run_on_vmware CUT: the source VM at work after its snapshot: qemu boots
# the guest from CUT/child.vmdk (the snapshot's delta over the base, on
# the AHCI disk and e1000 NIC its initramfs knows), so that what it writes
# lands in the delta; it runs in the background (qpid) until the guest
# powers itself off after its marker.
run_on_vmware() {
    local cut=$1
    qemu-system-x86_64 -machine q35 -accel "$accel" -m 1024 -smp 2 \
        -drive file="$cut/child.vmdk",format=vmdk,if=none,id=d0 \
        -device ahci,id=ahci -device ide-hd,drive=d0,bus=ahci.0 \
        -nic user,model=e1000,mac=00:50:56:3a:00:01 \
        -serial file:"$cut/vmware.log" -display none -no-reboot \
        > "$cut/qemu.out" 2>&1 &
    qpid=$!
    started_pids[$qpid]=1
}

measure_cutover() {
    local cut=$work/cutover base name round t0 t_off t_fix line up
    local -a copy_s sync_s fix_s boot_s down_s wrote c_conv c_up c_down
    local v_boot="" c_boot="" c_status="" c_failed=""
    guest_setup
    guest_ova debian12
    mkdir -p "$cut/base-mnt" "$cut/ova-mnt"
    # The VMware datastore: the guest's VMDK as a file; the OVA's mount
    # gives the VM's domain.xml.
    tar -C "$cut" -xf "$ova" --wildcards '*.vmdk'
    base=$(cd "$cut" && ls ./*.vmdk | head -n 1)
    base=${base#./}
    name=${base%.vmdk}
    "$v2vfs" "$ova" "$cut/ova-mnt"
    echo "cutover: $ova, $runs round(s), accel $accel"
    echo "  v2vfs:    snapshot (qemu-img create -b) + the VM running on it, the base copied"
    echo "            from a mount meanwhile; power-off; v2vfs-sync, v2vfs-fix -a, v2vfs-boot"
    echo "  virt-v2v: $(virt-v2v --version) -i ova -o local -of raw after the power-off, then its boot"
    for (( round = 1; round <= runs; round++ )); do
        rm -f "$cut/child.vmdk" "$cut/target.raw" "$cut/t.xml" "$cut/vmware.log"
        (cd "$cut" && qemu-img create -q -f vmdk -b "$base" -F vmdk child.vmdk)
        run_on_vmware "$cut"
        # While it runs: the base onto the target, from a mount.
        t0=$(now)
        "$v2vfs" "$cut/$base" "$cut/base-mnt"
        qemu-img convert -O raw "$cut/base-mnt/disks/$name.raw" "$cut/target.raw"
        fusermount3 -u "$cut/base-mnt"
        copy_s+=("$(elapsed "$t0" "$(now)")")
        wait_until 900 not_alive "$qpid" || die "the source VM did not power off in 900 s"
        t_off=$(now)
        wait "$qpid" || true
        unset "started_pids[$qpid]"
        grep -aq 'V2VFS-GUEST-MARKER' "$cut/vmware.log" ||
            die "the source VM did not reach its marker: $(tail -n 3 "$cut/vmware.log")"

        # The downtime: apply the delta, fix the target, boot it.
        "$sync_cmd" -q "$cut/child.vmdk" "$cut/target.raw" > "$cut/sync.out" ||
            die "v2vfs-sync failed: $(cat "$cut/sync.out")"
        sync_s+=("$(elapsed "$t_off" "$(now)")")
        wrote+=("$(sed -n 's/.*: wrote \([0-9]*\) bytes .*/\1/p' "$cut/sync.out")")
        # (Untimed: the target is the disk the VM left.)
        line=$(qemu-img compare -f raw "$cut/target.raw" -F vmdk "$cut/child.vmdk" 2>&1) ||
            die "after v2vfs-sync the target differs from the VM's disk: $line"
        t0=$(now)
        "$fix" -a "$cut/target.raw" --domain-xml "$cut/ova-mnt/domain.xml" \
            --output-xml "$cut/t.xml" > "$cut/fix.out" 2>&1 ||
            die "v2vfs-fix -a failed: $(tail -n 5 "$cut/fix.out")"
        t_fix=$(now)
        fix_s+=("$(elapsed "$t0" "$t_fix")")
        chmod 0644 "$cut/target.raw"
        line=$(boot_result --domain-xml "$cut/t.xml")
        up=$(boot_up_secs)
        [ -n "$up" ] || die "the target did not boot: $line"
        boot_s+=("$up")
        down_s+=("$(awk -v a="${sync_s[-1]}" -v b="${fix_s[-1]}" -v c="$up" 'BEGIN { print a + b + c }')")
        [ "$round" -gt 1 ] || v_boot=$line
        printf '  round %d/%d  v2vfs     copy %6.1fs while running | down: sync %5.2fs (%s bytes)  fix %6.1fs  boot %6.1fs  = %6.1fs\n' \
            "$round" "$runs" "${copy_s[-1]}" "${sync_s[-1]}" "${wrote[-1]}" "${fix_s[-1]}" "$up" "${down_s[-1]}"

        # virt-v2v converts the whole guest after the power-off.
        # (A result that does not boot has no downtime to speak of: its
        # conversion alone is a lower bound, and the table says so.)
        virt_v2v "$work/v2v"
        c_conv+=("$c_secs")
        line=$(boot_virt_v2v "$work/v2v")
        up=$(boot_up_secs)
        if [ -n "$up" ]; then
            c_up+=("$up")
            c_down+=("$(awk -v a="$c_secs" -v b="$up" 'BEGIN { print a + b }')")
        else
            c_failed=yes
        fi
        if [ "$round" -eq 1 ]; then
            c_status=$(virt_v2v_warnings "$work/v2v")
            c_boot=$line
        fi
        printf '  round %d/%d  virt-v2v  convert %6.1fs (exit %d)  boot %s\n' \
            "$round" "$runs" "$c_secs" "$c_exit" \
            "$([ -n "$up" ] && printf '%6.1fs  = %6.1fs' "$up" "${c_down[-1]}" || echo 'failed: no marker')"
        [ "$(sha256sum "$ova" | cut -d' ' -f1)" = "$sum" ] || die "the OVA changed"
    done
    fusermount3 -u "$cut/ova-mnt"
    echo
    # Medians per step.  "ready" is the time from the power-off until the
    # target can boot (v2vfs: apply + fix; virt-v2v: its conversion),
    # "downtime" until the guest's marker line on its first boot.
    local ready c_ready
    ready=$(awk -v a="$(median "${sync_s[@]}")" -v b="$(median "${fix_s[@]}")" 'BEGIN { print a + b }')
    c_ready=$(median "${c_conv[@]}")
    echo "===== cutover: median of $runs round(s), seconds after the power-off ====="
    printf '%-10s %14s %9s %9s %9s %9s %10s\n' "" "copy (VM up)" "apply" "fix" "ready" "boot" "downtime"
    printf '%-10s %14.1f %9.2f %9.1f %9.1f %9.1f %10.1f\n' "v2vfs" "$(median "${copy_s[@]}")" \
        "$(median "${sync_s[@]}")" "$(median "${fix_s[@]}")" "$ready" \
        "$(median "${boot_s[@]}")" "$(median "${down_s[@]}")"
    if [ -z "$c_failed" ]; then
        printf '%-10s %14s %19s %9.1f %9.1f %10.1f\n' "virt-v2v" "-" "(convert)" "$c_ready" \
            "$(median "${c_up[@]}")" "$(median "${c_down[@]}")"
        echo "  downtime: virt-v2v's is $(ratio "$(median "${c_down[@]}")" "$(median "${down_s[@]}")")x v2vfs's"
    else
        printf '%-10s %14s %19s %9.1f %9s %10s\n' "virt-v2v" "-" "(convert)" "$c_ready" \
            "no boot" "-"
        echo "  virt-v2v's result did not boot: only the time to a target is compared"
    fi
    echo "  ready to boot: virt-v2v takes $(ratio "$c_ready" "$ready")x the time of v2vfs"
    echo "  the delta: $(median "${wrote[@]}") bytes written by v2vfs-sync (median), of a $(( $(stat -c %s "$cut/target.raw") >> 20 )) MiB disk"
    echo "  v2vfs boot:    $v_boot"
    echo "  virt-v2v:      $c_status"
    echo "  virt-v2v boot: $c_boot"
    echo "  the OVA's sha256 is unchanged: $sum"
    echo "  (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
}
