"""What tests/deps-check.py shares between its parts: how programs are
started (Debian's own PATH only) and where problems and notes go."""

import os

PROG = "test-deps"

# Debian's own directories only: the machine may have pyenv shims, cargo or
# /usr/local earlier in PATH, and what they hold is not what a fresh Debian
# has.
SYSTEM_PATH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
SYSTEM_ENV = dict(os.environ, PATH=":".join(SYSTEM_PATH), LC_ALL="C")
# Every program is started with subprocess.run([literal, ...], **SYS), so
# that this file's own needs are found like any other's.
SYS = dict(env=SYSTEM_ENV, capture_output=True, text=True)

problems = []
notes = []


def problem(msg):
    problems.append(f"{PROG}: {msg}")


def is_shell_script(path):
    with open(path, "rb") as f:
        first = f.readline(200)
    if not first.startswith(b"#!"):
        return False
    words = first[2:].split()
    prog = os.path.basename(words[0]) if words else b""
    if prog == b"env" and len(words) > 1:
        prog = words[1]
    return prog in (b"sh", b"bash", b"dash")


def which(name):
    """NAME's path in Debian's directories, or None."""
    for d in SYSTEM_PATH:
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None
