# v2vfs integration test helpers -*- shell-script -*-
#
# Sourced by every tests/test-*.sh (bash):
#
#   #!/usr/bin/env bash
#   source "$(dirname "$0")/functions.sh"
#   set -e
#   requires qemu-img fusermount3
#   d=$(tmpdir)
#   make_raw_fixture "$d/disk.raw" $(( (1<<30) + 7*512 ))
#   "$MKFIXTURE" streamOptimized "$d/disk.raw" "$d/disk.vmdk"
#   v2vfs_mount "$d/disk.vmdk" "$d/mnt"
#   qemu_compare raw "$d/mnt/disks/disk.raw" raw "$d/disk.raw"
#
# Everything a test creates lives in its own temporary directory, so tests
# can run in parallel.  Cleanups registered with cleanup_fn run in reverse
# order on exit (also on INT/TERM); the temporary directory goes last,
# after every unmount.
#
# Variables set here (may be overridden from the environment):
#   V2VFS      absolute path of the v2vfs binary (default ../fs/v2vfs
#              relative to the tests build directory)
#   MKSTREAM   tests/mkstream.py
#   MKFIXTURE  tests/mkfixture.sh
#   tests_srcdir, tests_builddir   absolute directories
#   V2VFS_MOUNT_TIMEOUT  seconds v2vfs may take to mount (default 60,
#              0 = no limit)

# ---------------------------------------------------------------------
# Locations.

_v2vfs_abspath ()
{
    (cd "$1" 2>/dev/null && pwd -P)
}

tests_srcdir=$(_v2vfs_abspath "$(dirname "${BASH_SOURCE[0]}")")
if [ -n "${abs_builddir:-}" ]; then
    tests_builddir=$(_v2vfs_abspath "$abs_builddir")
else
    tests_builddir=$(_v2vfs_abspath "$(dirname "$0")")
fi
: "${tests_builddir:=$tests_srcdir}"

if [ -z "${V2VFS:-}" ]; then
    V2VFS=$tests_builddir/../fs/v2vfs
    # VPATH build run by hand from the build's tests directory.
    if [ ! -x "$V2VFS" ] && [ -x "$PWD/../fs/v2vfs" ]; then
        V2VFS=$PWD/../fs/v2vfs
    fi
fi
case "$V2VFS" in
    /*) ;;
    *) V2VFS=$PWD/$V2VFS ;;
esac
: "${MKSTREAM:=$tests_srcdir/mkstream.py}"
: "${MKFIXTURE:=$tests_srcdir/mkfixture.sh}"
: "${V2VFS_MOUNT_TIMEOUT:=60}"
export V2VFS MKSTREAM MKFIXTURE

_v2vfs_test_name=$(basename "$0")
_v2vfs_test_name=${_v2vfs_test_name%.sh}

# ---------------------------------------------------------------------
# Failing and skipping.

# fail MSG...: print to stderr and exit 1.
fail ()
{
    echo "$_v2vfs_test_name: FAIL: $*" >&2
    exit 1
}

# skip WHY: exit 77 (skip) with the line "SKIP: WHY".  A test skips only
# when the machine lacks what it needs; scripts/run-tests, under CI=true
# or with --require-all, turns every skip into a failure of the run.
skip ()
{
    echo "SKIP: $*" >&2
    exit 77
}

# requires CMD...: skip unless every CMD is available.
requires ()
{
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "$c not found"
    done
}

# requires_fuse: skip unless FUSE can be used here: /dev/fuse is the
# FUSE device (10:229, not a /dev/null bound over it) and opens for
# reading and writing.
requires_fuse ()
{
    requires fusermount3
    [ "$(stat -L -c '%F %t:%T' /dev/fuse 2> /dev/null)" = "character special file a:e5" ] ||
        skip "/dev/fuse is missing or is not the FUSE device"
    { : <> /dev/fuse; } 2> /dev/null || skip "/dev/fuse does not open for reading and writing"
}

# requires_root WHY: skip unless running as root.
requires_root ()
{
    [ "$(id -u)" -eq 0 ] || skip "$* needs root"
}

# kvm_works: true when KVM really runs guests here (scripts/kvm-works:
# some sandboxes have a /dev/kvm whose guests never run).
kvm_works ()
{
    "$tests_srcdir/../scripts/kvm-works"
}

# use_libguestfs: what every libguestfs test sets: the direct backend,
# and TCG where KVM does not run guests.
use_libguestfs ()
{
    export LIBGUESTFS_BACKEND=direct
    kvm_works || export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
}

# boot_accel: the --accel of v2vfs-boot for this machine.
boot_accel ()
{
    if kvm_works; then echo kvm; else echo tcg; fi
}

# tiny_boot_ova MARKER: tiny.ova in the current directory, one
# streamOptimized disk (tiny-disk1.vmdk) that boots under SeaBIOS and
# prints MARKER on the serial port (tests/mkbootdisk.py), for the tests
# that boot a mount through libvirt.
tiny_boot_ova ()
{
    python3 "$tests_srcdir/mkbootdisk.py" boot.raw $(( 64 << 20 )) "$1"
    qemu-img convert -f raw -O vmdk -o subformat=streamOptimized boot.raw tiny-disk1.vmdk
    one_disk_ovf tiny-disk1.vmdk "" tiny > tiny.ovf
    tar --format=ustar -cf tiny.ova tiny.ovf tiny-disk1.vmdk
}

# use_libvirtd: a stock libvirtd on qemu:///system, started as a user
# would start it (virtlogd -d, libvirtd -d) unless one already answers,
# and stopped again at exit.  Call it after functions.sh registered its
# traps, from the test's own shell.  First scripts/prepare-host makes the
# machine what libvirt expects (PTYs for non-root users, a shared /).
# Each daemon is stopped by its pid, never by name: a libvirtd that was
# running already is someone else's (scripts/start-libvirtd).
# (scripts/run-tests starts one for the whole suite, so that parallel
# tests share it rather than race to start and stop their own.)
use_libvirtd ()
{
    local pids
    "$tests_srcdir/../scripts/prepare-host" || fail "scripts/prepare-host failed"
    pids=$("$tests_srcdir/../scripts/start-libvirtd") || fail "libvirtd did not start"
    # shellcheck disable=SC2086 # one pid per word
    [ -z "$pids" ] || cleanup_fn "$tests_srcdir/../scripts/stop-pids" $pids
}

# ---------------------------------------------------------------------
# Cleanups.

_v2vfs_cleanups=()
_v2vfs_tmpdirs=()
_v2vfs_cleaning=

# cleanup_fn CMD ARGS...: run "CMD ARGS..." at exit, in reverse order of
# registration.  Failures of cleanup commands are reported, not fatal.
cleanup_fn ()
{
    local q
    q=$(printf '%q ' "$@")
    _v2vfs_cleanups+=("$q")
}

_v2vfs_run_cleanups ()
{
    # Prefixed names: the cleanups run in this function's scope, and a
    # local "d" or "i" would hide the test's own variables from them.
    local _v2vfs_status=$? _v2vfs_i _v2vfs_d
    [ -n "$_v2vfs_cleaning" ] && return
    _v2vfs_cleaning=1
    set +e
    trap '' INT TERM
    for (( _v2vfs_i = ${#_v2vfs_cleanups[@]} - 1; _v2vfs_i >= 0; _v2vfs_i-- )); do
        eval "${_v2vfs_cleanups[_v2vfs_i]}"
    done
    for _v2vfs_d in "${_v2vfs_tmpdirs[@]}"; do
        _v2vfs_unmount_below "$_v2vfs_d"
        rm -rf --one-file-system -- "$_v2vfs_d"
    done
    exit "$_v2vfs_status"
}

trap _v2vfs_run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------
# Temporary directory (created when this file is sourced, so that
# d=$(tmpdir) works from a command substitution).

_v2vfs_tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/v2vfs-$_v2vfs_test_name.XXXXXXXX") ||
    fail "cannot create a temporary directory"
_v2vfs_tmpdirs+=("$_v2vfs_tmpdir")

# tmpdir: print the test's private temporary directory.
tmpdir ()
{
    echo "$_v2vfs_tmpdir"
}

# ---------------------------------------------------------------------
# Mounts.

# _v2vfs_mountpoints: print mount points from /proc/mounts, unescaped.
_v2vfs_mountpoints ()
{
    local dev mp rest
    while read -r dev mp rest; do
        # /proc/mounts escapes space, tab, newline, backslash as \ooo.
        printf '%b\n' "${mp//\\/\\0}"
    done < /proc/mounts
}

# is_mounted DIR: true if DIR is a mount point.
is_mounted ()
{
    local dir m
    dir=$(realpath -m -- "$1")
    while IFS= read -r m; do
        [ "$m" = "$dir" ] && return 0
    done < <(_v2vfs_mountpoints)
    return 1
}

# assert_not_mounted MNT
assert_not_mounted ()
{
    if is_mounted "$1"; then
        fail "$1 is still mounted"
    fi
}

# The --overlay DIR of each mount v2vfs_mount made, by mount point.
declare -A _v2vfs_overlays=()

# v2vfs_unmount MNT: unmount (lazily if it stays busy).  Quiet if MNT is
# not mounted.  With an overlay, wait until the daemon has flushed it and
# let go of DIR (it exits after the unmount, not with it), so the next
# mount of DIR finds it free.
v2vfs_unmount ()
{
    local mnt=$1 i key ovl
    key=$(realpath -m -- "$mnt")
    ovl=${_v2vfs_overlays[$key]:-}
    is_mounted "$mnt" || return 0
    for i in 1 2 3 4 5 6 7 8 9 10; do
        fusermount3 -u "$mnt" 2>/dev/null && break
        is_mounted "$mnt" || break
        sleep 0.2
    done
    if is_mounted "$mnt"; then
        echo "$_v2vfs_test_name: $mnt busy, unmounting lazily" >&2
        fusermount3 -uz "$mnt"
    fi
    if [ -n "$ovl" ] && [ -d "$ovl" ]; then
        flock -w 120 "$ovl" true || echo "$_v2vfs_test_name: $ovl still locked" >&2
    fi
}

# Unmount anything still mounted at or below DIR (deepest first).
_v2vfs_unmount_below ()
{
    local dir m
    dir=$(realpath -m -- "$1")
    while IFS= read -r m; do
        case "$m" in
            "$dir"|"$dir"/*) fusermount3 -uz "$m" 2>/dev/null ||
                                umount -l "$m" 2>/dev/null ;;
        esac
    done < <(_v2vfs_mountpoints | sort -r)
}

# _v2vfs_overlay_of ARGS...: the DIR of --overlay DIR among v2vfs's ARGS.
_v2vfs_overlay_of ()
{
    while [ $# -gt 0 ]; do
        case $1 in
            --overlay) realpath -m -- "$2"; return ;;
            --overlay=*) realpath -m -- "${1#--overlay=}"; return ;;
        esac
        shift
    done
}

# v2vfs_mount [OPTION...] SRC... MNT: run v2vfs with these arguments.  It
# daemonizes and returns once the mount is ready (0) or failed (1).  On
# success an unmount is registered as a cleanup.  Creates MNT if needed.
v2vfs_mount ()
{
    local mnt r=0
    [ $# -ge 2 ] || fail "usage: v2vfs_mount SRC... MNT"
    mnt=${!#}
    [ -x "$V2VFS" ] || fail "v2vfs binary not found: $V2VFS"
    mkdir -p -- "$mnt"
    if [ "$V2VFS_MOUNT_TIMEOUT" != 0 ]; then
        timeout "$V2VFS_MOUNT_TIMEOUT" "$V2VFS" "$@" || r=$?
    else
        "$V2VFS" "$@" || r=$?
    fi
    if [ "$r" -ne 0 ]; then
        # A failed mount must not leave anything behind.
        if is_mounted "$mnt"; then
            v2vfs_unmount "$mnt"
        fi
        [ "$r" -eq 124 ] && fail "v2vfs $* timed out after ${V2VFS_MOUNT_TIMEOUT}s"
        fail "v2vfs $* exited with status $r"
    fi
    cleanup_fn v2vfs_unmount "$mnt"
    is_mounted "$mnt" || fail "v2vfs $* returned 0 but $mnt is not mounted"
    _v2vfs_overlays[$(realpath -m -- "$mnt")]=$(_v2vfs_overlay_of "$@")
}

# ---------------------------------------------------------------------
# Daemonized v2vfs processes (v2vfs_mount's), found by their arguments.

# wait_daemon_gone PID: wait until the v2vfs daemon PID (not a child of
# this shell: init reaps it) has exited.  One still there after 120 s
# has hung, and fails the test: a limit for a hang, far above what any
# machine takes.
wait_daemon_gone ()
{
    local i
    for (( i = 0; i < 1200; i++ )); do
        _v2vfs_is_daemon "$1" || return 0
        sleep 0.1
    done
    fail "v2vfs (pid $1) is still running after 120 s"
}

# _v2vfs_args_of PROCDIR: if PROCDIR (/proc/PID) is a v2vfs process,
# set _v2vfs_args to its arguments (those after argv[0]) and succeed.
# Read with builtins only: a fork for each process costs 10 ms and more
# on a busy machine, and test-load.sh looks twice in each mount cycle.
_v2vfs_args_of ()
{
    local -a a
    mapfile -d '' -t a 2>/dev/null < "$1/cmdline" || return 1
    [ "${#a[@]}" -gt 0 ] && [ "${a[0]##*/}" = v2vfs ] || return 1
    _v2vfs_args=("${a[@]:1}")
}

# daemon_pid MNT: the pid of the v2vfs daemon serving MNT, which
# v2vfs_mount started (its parent has exited by then, so there is one).
# MNT is spelled as it was given to v2vfs_mount.
daemon_pid ()
{
    local p
    for p in /proc/[0-9]*; do
        if _v2vfs_args_of "$p" && [ "${_v2vfs_args[-1]:-}" = "$1" ]; then
            echo "${p#/proc/}"
            return 0
        fi
    done
    fail "no v2vfs process serves $1"
}

# v2vfs_pids_naming DIR: the pid of every v2vfs process with an argument
# that is DIR or a path below it, spelled from DIR, one a line.
v2vfs_pids_naming ()
{
    local p a
    for p in /proc/[0-9]*; do
        _v2vfs_args_of "$p" || continue
        for a in "${_v2vfs_args[@]}"; do
            case $a in
                "$1"|"$1"/*) echo "${p#/proc/}"; break ;;
            esac
        done
    done
}

# threads_of PID VAR: set VAR to the number of threads of process PID
# (with builtins only, like _v2vfs_args_of).
threads_of ()
{
    local k v
    while read -r k v; do
        [ "$k" = Threads: ] && { printf -v "$2" '%s' "$v"; return 0; }
    done < "/proc/$1/status"
    fail "no thread count for process $1"
}

# ---------------------------------------------------------------------
# Assertions.

# expect_fail_exact "EXPECTED MESSAGE" CMD...: CMD must exit with status
# 1 and write exactly one line, EXPECTED MESSAGE, to stderr.
expect_fail_exact ()
{
    local expected=$1 out err exp r=0
    shift
    out=$(mktemp "$_v2vfs_tmpdir/stdout.XXXXXX")
    err=$(mktemp "$_v2vfs_tmpdir/stderr.XXXXXX")
    exp=$(mktemp "$_v2vfs_tmpdir/expected.XXXXXX")
    printf '%s\n' "$expected" > "$exp"
    "$@" >"$out" 2>"$err" || r=$?
    if [ "$r" -ne 1 ] || ! cmp -s "$exp" "$err"; then
        {
            echo "$_v2vfs_test_name: FAIL: expect_fail_exact: $*"
            [ "$r" -ne 1 ] && echo "  exit status: $r (expected 1)"
            if ! cmp -s "$exp" "$err"; then
                echo "  stderr differs from the expected single line" \
                     "(--- expected, +++ actual):"
                diff -u --label expected --label actual "$exp" "$err" |
                    sed 's/^/    /'
                # Make invisible differences visible.
                echo "  actual stderr bytes:"
                od -c "$err" | head -n 20 | sed 's/^/    /'
            fi
            if [ -s "$out" ]; then
                echo "  stdout (first 20 lines):"
                head -n 20 "$out" | sed 's/^/    /'
            fi
        } >&2
        exit 1
    fi
    rm -f -- "$out" "$err" "$exp"
}

# expect_lines FILE REGEX...: each REGEX (grep's basic syntax) matches a
# line of FILE.
expect_lines ()
{
    local file=$1 re
    shift
    for re in "$@"; do
        grep -q -e "$re" "$file" ||
            fail "$file has no line matching '$re':"$'\n'"$(cat "$file")"
    done
}

# sha_of FILE: print the SHA-256 of FILE.
sha_of ()
{
    local s
    s=$(sha256sum -- "$1") || fail "sha256sum $1 failed"
    echo "${s%% *}"
}

# qemu_compare A_FMT A B_FMT B: the two images must read identically.
qemu_compare ()
{
    local out r=0
    [ $# -eq 4 ] || fail "usage: qemu_compare A_FMT A B_FMT B"
    out=$(qemu-img compare -f "$1" "$2" -F "$3" "$4" 2>&1) || r=$?
    if [ "$r" -ne 0 ] || [ "$out" != "Images are identical." ]; then
        fail "qemu-img compare -f $1 $2 -F $3 $4 (status $r): $out"
    fi
}

# ---------------------------------------------------------------------
# Fixtures, and the checks of the views made from them: fixtures.sh.

# shellcheck source=fixtures.sh
source "$tests_srcdir/fixtures.sh"

# ---------------------------------------------------------------------
# A daemon in the foreground, whose log a test reads.

# Extra VAR=VALUE settings for the daemon v2vfs_start runs, and for it
# alone (fault_env sets them).
v2vfs_env=()
v2vfs_pid=

# _v2vfs_is_daemon PID: PID is still a running v2vfs (not a process
# that took its pid since).
_v2vfs_is_daemon ()
{
    [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f -- "$V2VFS")" ]
}

# v2vfs_start LOG [OPTION...] SRC... MNT: run "v2vfs -f" in the
# background, with v2vfs_env, its stderr (its log, in the foreground)
# appended to LOG, and wait until MNT is mounted.  Sets v2vfs_pid.  A
# cleanup stops the daemon at exit.
v2vfs_start ()
{
    local log=$1 mnt deadline
    shift
    mnt=${!#}
    mkdir -p -- "$mnt"
    env "${v2vfs_env[@]}" "$V2VFS" -f "$@" 2>>"$log" &
    v2vfs_pid=$!
    cleanup_fn v2vfs_stop "$mnt" "$v2vfs_pid"
    deadline=$(( SECONDS + V2VFS_MOUNT_TIMEOUT ))
    until is_mounted "$mnt"; do
        if ! _v2vfs_is_daemon "$v2vfs_pid"; then
            cat "$log" >&2
            fail "v2vfs -f $* exited before mounting"
        fi
        [ "$SECONDS" -lt "$deadline" ] ||
            fail "v2vfs -f $* did not mount within ${V2VFS_MOUNT_TIMEOUT}s"
        sleep 0.05
    done
}

# v2vfs_stop MNT PID: unmount MNT and wait for the daemon PID (that
# v2vfs_start started) to exit, killing it after 60 s.  Returns its exit
# status.
v2vfs_stop ()
{
    local mnt=$1 pid=$2 i r=0
    v2vfs_unmount "$mnt"
    for (( i = 0; i < 600; i++ )); do
        _v2vfs_is_daemon "$pid" || break
        sleep 0.1
    done
    if _v2vfs_is_daemon "$pid"; then
        echo "$_v2vfs_test_name: v2vfs (pid $pid) still running, killing it" >&2
        kill -KILL "$pid"
    fi
    wait "$pid" 2>/dev/null || r=$?
    return "$r"
}

# no_sanitizer_report LOG: LOG holds no ASan, LSan or UBSan report.
no_sanitizer_report ()
{
    if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$1"; then
        cat "$1" >&2
        fail "sanitizer report in $1"
    fi
}

# ---------------------------------------------------------------------
# Fault injection (tests/fault-inject.c).

# fault_env RULES LOG: make the daemons of v2vfs_start load the shim,
# after the ASan runtime when v2vfs is built with it (which must come
# first), and follow the rules file RULES (none yet: no faults), logging
# each fault they inject to LOG.
fault_env ()
{
    local so=$tests_builddir/fault-inject.so asan
    [ -f "$so" ] || fail "$so is not built (make check builds it)"
    asan=$(ldd "$V2VFS" | awk '$1 ~ /^libasan\.so/ { print $3 }')
    v2vfs_env=("LD_PRELOAD=${asan:+$asan }$so" "V2VFS_FAULT_RULES=$1"
               "V2VFS_FAULT_LOG=$2")
    _v2vfs_fault_log=$2
    : > "$1"
    : > "$2"
}

# fault_fired OP ACTION MATCH: the shim injected ACTION (as the rule
# spells it) into an OP on a file whose path holds MATCH.
fault_fired ()
{
    grep -q -E "^$1 $2 [^ ]*$3 " "$_v2vfs_fault_log" ||
        fail "no $1 $2 fault fired on $3; the last ones:"$'\n'"$(tail -n 5 "$_v2vfs_fault_log")"
}

# fault_set RULES [RULE...]: the rules file RULES now holds the RULE
# lines (none: no faults).  It is replaced by a rename, so the shim never
# reads half of it.
fault_set ()
{
    local f=$1
    shift
    printf '%s\n' "$@" > "$f.tmp"
    mv -f -- "$f.tmp" "$f"
}
