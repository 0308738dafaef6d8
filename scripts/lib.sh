# shellcheck shell=bash
# Shared by scripts/run-tests and scripts/demo.  Source it; don't run it.
#
# After sourcing, $top is the repository root (the parent of scripts/) and
# the shell has cd'ed there, so callers work from any directory.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || return 1

# v2vfs_build: configure (with ASan and UBSan) and build in the source tree.
#
# Each step runs only when it has something to do, so a second call on an
# up-to-date tree is quick:
#   - autoreconf when there is no ./configure, configure.ac is newer, or a
#     Makefile.am has no Makefile.in yet;
#   - ./configure when the tree is not configured, was configured by an
#     older ./configure, or was configured without --enable-sanitizers;
#   - make, which knows for itself what is stale (and reruns automake
#     when a Makefile.am changes).
v2vfs_build() {
    local am need_autoreconf=no
    if [ ! -x configure ] || [ configure -ot configure.ac ]; then
        need_autoreconf=yes
    fi
    for am in Makefile.am */Makefile.am; do
        [ -f "${am%.am}.in" ] || need_autoreconf=yes
    done
    if [ "$need_autoreconf" = yes ]; then
        echo "+ autoreconf -fi"
        if ! autoreconf -fi; then
            # autoconf may have written ./configure before automake failed;
            # remove it so that the next run tries again from the start.
            rm -f configure
            return 1
        fi
    fi

    if [ ! -f config.status ] || [ ! -f Makefile ] ||
       [ config.status -ot configure ] ||
       ! ./config.status --config | grep -q -- '--enable-sanitizers'; then
        echo "+ ./configure --enable-sanitizers"
        if ! ./configure --enable-sanitizers; then
            echo "v2vfs_build: ./configure failed; the end of config.log:" >&2
            tail -n 40 config.log >&2 || true
            return 1
        fi
    fi

    echo "+ make -j2"
    make -j2
}
