#!/usr/bin/env bash
# scripts/install-deps installs everything the build and the tests use.
#
# A fresh Debian 12 once failed at ./configure (no libguestfs.pc) because
# install-deps did not install libguestfs-dev, and CI did not notice: its
# machine had the package anyway.  So this test does not ask whether a
# program is on this machine, but whether install-deps would put it on a
# fresh one.  tests/deps-check.py derives what is needed from the files
# themselves -- the PKG_CHECK_MODULES of configure.ac, the programs that
# scripts/ and tests/ run, the python modules tests/ import -- maps each to
# the Debian package that owns it (dpkg -S), and fails when that package
# is neither in `install-deps --list`, nor pulled in by one that is, nor
# part of a minimal Debian (its parts are in tests/deps/).  It prints one line per problem, naming the file
# and line, the program and the package, and a summary of what it checked.
#
# It reads the sources only, through $srcdir, so it works from a VPATH
# build and from make distcheck's read-only tree; it needs no network.
set -euo pipefail
source "$(dirname "$0")/functions.sh"

# Debian's own directories only: an earlier PATH entry (pyenv's python3,
# /usr/local) is not what a fresh Debian has.
sys_path=/usr/sbin:/usr/bin:/sbin:/bin

# Without dpkg there are no Debian packages to map anything to.  The skip
# fails a CI=true run of scripts/run-tests, whose machine is Debian.
PATH=$sys_path type -P dpkg-query > /dev/null ||
    skip "no dpkg-query: not a Debian system, so no packages to check against"
PATH=$sys_path type -P python3 > /dev/null ||
    fail "Debian's python3 is not installed (scripts/install-deps installs it)"

PATH=$sys_path python3 "$tests_srcdir/deps-check.py" "$tests_srcdir/.."
