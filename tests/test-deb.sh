#!/usr/bin/env bash
# The Debian package, built the way a packager builds it, and used
# without installing it:
#   1. make distdir copies the distributed tree (what make dist packs,
#      debian/ included) out of this build into the test's directory,
#      so the package builds from neither srcdir (read-only under make
#      distcheck) nor a git checkout; dpkg-buildpackage -us -uc -b builds
#      it there, running the unit tests of debian/rules;
#   2. lintian finds no error (E:) in the .deb, the .buildinfo and the
#      .changes;
#   3. Depends has fuse3 and, from dh_shlibdeps, the libraries v2vfs
#      links: libfuse3, libguestfs and libxml2; the .deb holds the three
#      programs, their manual pages and the copyright file;
#   4. the v2vfs of the .deb, unpacked with dpkg-deb -x, mounts a small
#      OVA: its raw and QCOW2 views read as the VMDK does (qemu-img
#      compare), and it unmounts.
# Nothing is installed on the machine (no dpkg -i); the build, the .deb
# and the mount live in the test's temporary directory.
set -euo pipefail
source "$(dirname "$0")/functions.sh"
requires make dpkg-buildpackage dpkg-checkbuilddeps dpkg-architecture dh lintian \
         dpkg-deb qemu-img tar python3
requires_fuse

[ -n "${abs_top_builddir:-}" ] && [ -f "$abs_top_builddir/Makefile" ] ||
    fail "abs_top_builddir is not set to a configured build tree (run it from make check)"
: "${PACKAGE_VERSION:?}"

d=$(tmpdir)
src=$d/v2vfs-$PACKAGE_VERSION

# make check's environment is not the packager's: no MAKEFLAGS (with
# its jobserver and TESTS=), none of TESTS_ENVIRONMENT's variables.
clean_env=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u srcdir -u abs_builddir
           -u abs_top_builddir -u prefix -u bindir -u mandir -u V2VFS)

# 1. The source and the build.  make distdir takes distdir relative to
# the top build directory (it prefixes ../ for the subdirectories).
rel=$(realpath -m --relative-to="$abs_top_builddir" "$src")
"${clean_env[@]}" make -s -C "$abs_top_builddir" distdir distdir="$rel" \
    > "$d/distdir.log" 2>&1 ||
    fail "make distdir failed:"$'\n'"$(cat "$d/distdir.log")"
# Under distcheck the copies keep srcdir's read-only modes.
chmod -R u+w "$src"
[ -x "$src/debian/rules" ] || fail "make distdir left out debian/ (EXTRA_DIST)"

(cd "$src" && dpkg-checkbuilddeps) > "$d/builddeps.log" 2>&1 ||
    fail "the build dependencies of debian/control are not installed" \
         "(scripts/install-deps installs them):"$'\n'"$(cat "$d/builddeps.log")"
if ! (cd "$src" && "${clean_env[@]}" dpkg-buildpackage -us -uc -b -Jauto) \
     > "$d/build.log" 2>&1; then
    tail -n 60 "$d/build.log" >&2
    fail "dpkg-buildpackage -us -uc -b failed"
fi
deb=$d/v2vfs_${PACKAGE_VERSION}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
changes=${deb%.deb}.changes
[ -f "$deb" ] && [ -f "$changes" ] ||
    fail "dpkg-buildpackage made no $(basename "$deb") and .changes: $(ls "$d")"
echo "built $(basename "$deb")"

# 2. lintian: all of its output for the log, and no error.  The .changes
# names the .deb (and the dbgsym .deb) and the .buildinfo.
lintian --allow-root "$changes" > "$d/lintian.log" 2>&1 ||
    { cat "$d/lintian.log" >&2; fail "lintian failed or found errors"; }
cat "$d/lintian.log"
if grep -q '^E: ' "$d/lintian.log"; then
    fail "lintian reports errors"
fi

# 3. The fields and the contents.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in fuse3 'libfuse3-[0-9]+' libguestfs0 libxml2; do
    [[ ", $depends," =~ ,\ $dep[\ ,] ]] ||
        fail "Depends lacks $dep: $depends"
done
got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | LC_ALL=C sort)
want=$(printf '%s\n' ./usr/bin/v2vfs ./usr/bin/v2vfs-boot ./usr/bin/v2vfs-fix \
           ./usr/bin/v2vfs-sync ./usr/share/man/man1/v2vfs-sync.1.gz \
           ./usr/bin/v2vfs-verify ./usr/share/man/man1/v2vfs-verify.1.gz \
           ./usr/share/doc/v2vfs/changelog.gz ./usr/share/doc/v2vfs/copyright \
           ./usr/share/man/man1/v2vfs-boot.1.gz ./usr/share/man/man1/v2vfs-fix.1.gz \
           ./usr/share/man/man1/v2vfs.1.gz | LC_ALL=C sort)
[ "$got" = "$want" ] ||
    fail "the .deb holds:"$'\n'"$got"$'\n'"expected:"$'\n'"$want"

# 4. Its v2vfs mounts an OVA: an 8 MiB disk (one_disk_ovf's capacity) as
# a streamOptimized VMDK.
dpkg-deb -x "$deb" "$d/root"
V2VFS=$d/root/usr/bin/v2vfs
"$V2VFS" --version
mkdir "$d/ova"
make_raw_fixture "$d/ova/tiny-disk1.raw" $(( 8 << 20 ))
"$MKFIXTURE" streamOptimized "$d/ova/tiny-disk1.raw" "$d/ova/tiny-disk1.vmdk"
one_disk_ovf tiny-disk1.vmdk > "$d/ova/tiny.ovf"
tar --format=ustar -C "$d/ova" -cf "$d/tiny.ova" tiny.ovf tiny-disk1.vmdk
v2vfs_mount "$d/tiny.ova" "$d/mnt"
check_one_disk deb "$d/mnt" tiny-disk1 $(( 8 << 20 ))
qemu_compare vmdk "$d/ova/tiny-disk1.vmdk" raw "$d/mnt/disks/tiny-disk1.raw"
qemu_compare vmdk "$d/ova/tiny-disk1.vmdk" qcow2 "$d/mnt/disks/tiny-disk1.qcow2"
v2vfs_unmount "$d/mnt"
assert_not_mounted "$d/mnt"
echo "the .deb's v2vfs mounted $(basename "$d/tiny.ova"), both views compare identical"
