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
# Fixtures.

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
