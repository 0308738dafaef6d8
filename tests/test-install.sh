#!/usr/bin/env bash
# make install and make uninstall of this build tree, into a DESTDIR:
#   1. with the configured prefix, and again with prefix=/opt/v2vfs given
#      to make: exactly the five programs and their five manual pages
#      land under DESTDIR, where bindir and man1dir say;
#   2. the installed programs run: v2vfs --version and v2vfs-fix
#      --version print this version, and each --help prints its usage;
#   3. groff formats each installed manual page without a warning
#      (-ww), and man(1) finds v2vfs(1) in the installed mandir;
#   4. make uninstall leaves no file under DESTDIR (empty directories
#      may stay: automake's uninstall does not remove directories).
# The build tree comes from TESTS_ENVIRONMENT (abs_top_builddir, bindir,
# mandir, PACKAGE_VERSION); nothing is written outside the test's own
# temporary directory.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires make groff man find

[ -n "${abs_top_builddir:-}" ] && [ -f "$abs_top_builddir/Makefile" ] ||
    fail "abs_top_builddir is not set to a configured build tree (run it from make check)"
: "${bindir:?}" "${mandir:?}" "${prefix:?}" "${PACKAGE_VERSION:?}"

d=$(tmpdir)

# run_make TARGET ARGS...: make in the top build directory, quietly, as a
# fresh make would run (make check's MAKEFLAGS, with its jobserver and
# its TESTS=, are not for this one).
run_make ()
{
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
        make -s -C "$abs_top_builddir" "$@" > "$d/make.log" 2>&1 ||
        fail "make $* failed:"$'\n'"$(cat "$d/make.log")"
}

# check_prefix LABEL MAKE_ARGS...: install with MAKE_ARGS into a fresh
# DESTDIR, check what landed there and that it works, uninstall.
check_prefix ()
{
    local label=$1 dest=$d/dest-$1 bin man1 got want p page out
    shift
    # What the Makefiles make of bindir and mandir with these arguments
    # (they expand ${prefix} when make runs, so prefix= on the command
    # line moves both).
    bin=$bindir man1=$mandir/man1
    if [ $# -gt 0 ]; then
        bin=${bin/#"$prefix"/${1#prefix=}}
        man1=${man1/#"$prefix"/${1#prefix=}}
    fi

    run_make install DESTDIR="$dest" "$@"
    got=$(cd "$dest" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort)
    want=$(printf '%s\n' "$bin/v2vfs" "$bin/v2vfs-boot" "$bin/v2vfs-fix" \
               "$bin/v2vfs-sync" "$man1/v2vfs-sync.1" \
               "$bin/v2vfs-verify" "$man1/v2vfs-verify.1" \
               "$man1/v2vfs-boot.1" "$man1/v2vfs-fix.1" "$man1/v2vfs.1" |
               LC_ALL=C sort)
    [ "$got" = "$want" ] ||
        fail "$label: make install put these files under DESTDIR:"$'\n'"$got"$'\n'"expected:"$'\n'"$want"

    for p in v2vfs v2vfs-boot v2vfs-fix v2vfs-sync v2vfs-verify; do
        [ -x "$dest$bin/$p" ] || fail "$label: $bin/$p is not executable"
        out=$("$dest$bin/$p" --help 2>&1) ||
            fail "$label: $p --help failed: $out"
        case $out in
            "Usage: $p "*|"usage: $p "*) ;;
            *) fail "$label: $p --help does not start with its usage: $out" ;;
        esac
    done
    out=$("$dest$bin/v2vfs" --version)
    case $out in
        "v2vfs $PACKAGE_VERSION "*|"v2vfs $PACKAGE_VERSION") ;;
        *) fail "$label: v2vfs --version printed '$out'" ;;
    esac
    out=$("$dest$bin/v2vfs-fix" --version)
    [ "$out" = "v2vfs-fix $PACKAGE_VERSION" ] ||
        fail "$label: v2vfs-fix --version printed '$out'"

    for page in v2vfs v2vfs-boot v2vfs-fix v2vfs-sync v2vfs-verify; do
        out=$(groff -man -Tutf8 -ww -z "$dest$man1/$page.1" 2>&1) ||
            fail "$label: groff failed on $page.1: $out"
        [ -z "$out" ] || fail "$label: groff warns about $page.1:"$'\n'"$out"
    done
    out=$(man -M "$dest${man1%/man1}" -w v2vfs 2>&1) ||
        fail "$label: man -w does not find v2vfs in $man1: $out"
    [ "$out" = "$dest$man1/v2vfs.1" ] ||
        fail "$label: man -w v2vfs found '$out', not $dest$man1/v2vfs.1"

    run_make uninstall DESTDIR="$dest" "$@"
    got=$(cd "$dest" && find . ! -type d)
    [ -z "$got" ] ||
        fail "$label: make uninstall left these files under DESTDIR:"$'\n'"$got"
    echo "$label: make install and uninstall of $bin and $man1: OK"
}

check_prefix configured
check_prefix opt prefix=/opt/v2vfs
