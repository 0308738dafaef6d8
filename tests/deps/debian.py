"""The Debian side: what install-deps lists, what is installed and what
it pulls in, and which package owns a file."""

import os
import subprocess

from deps import SYS, problem


def install_deps_list(top, *args):
    r = subprocess.run(["bash", os.path.join(top, "scripts/install-deps"),
                        "--list", *args], **SYS)
    if r.returncode != 0:
        problem(f"scripts/install-deps --list {' '.join(args)} failed"
                f" (status {r.returncode}): {r.stderr.strip()}")
        return []
    return [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]


# ----------------------------------------------------------------------
# The installed packages, and what a given set of them pulls in.

class Packages:
    def __init__(self):
        fields = ["Package", "db:Status-Status", "Essential", "Priority",
                  "Depends", "Pre-Depends", "Provides"]
        fmt = "\\t".join("${%s}" % f for f in fields) + "\\n"
        r = subprocess.run(["dpkg-query", "-W", "-f", fmt], **SYS)
        self.installed = {}
        self.providers = {}
        self.base = set()
        for line in r.stdout.splitlines():
            name, status, essential, prio, dep, pre, prov = \
                (line.split("\t") + [""] * 7)[:7]
            if status != "installed":
                continue
            groups = []
            for field in (dep, pre):
                for group in field.split(","):
                    alts = [self._name(a) for a in group.split("|")]
                    alts = [a for a in alts if a]
                    if alts:
                        groups.append(alts)
            self.installed[name] = groups
            for p in prov.split(","):
                p = self._name(p)
                if p:
                    self.providers.setdefault(p, set()).add(name)
            if essential == "yes" or prio == "required":
                self.base.add(name)

    @staticmethod
    def _name(dep):
        # "libc6 (>= 2.34)", "python3:any", "foo:amd64" -> the bare name
        dep = dep.strip().split(" ")[0].split("(")[0]
        return dep.split(":")[0]

    def _satisfy(self, name, roots=frozenset()):
        """The installed packages that satisfy NAME: itself, or else the
        packages that provide it.  Of several providers, those among ROOTS
        (listed or in a minimal Debian: awk is mawk there, even where gawk
        is installed too); else any of them may be the one apt took."""
        if name in self.installed:
            return {name}
        got = self.providers.get(name, set())
        return (got & roots) or got

    def closure(self, roots):
        """ROOTS plus everything their Depends and Pre-Depends pull in,
        as far as it is installed here.  Of an alternative a | b the first
        one this machine has counts: apt takes the first it can."""
        roots = frozenset(roots)
        seen = set()
        todo = []
        for r in roots:
            todo.extend(self._satisfy(r, roots) or {r})
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            for alts in self.installed.get(p, []):
                for a in alts:
                    s = self._satisfy(a, roots)
                    if s:
                        todo.extend(s)
                        break
        return seen


# ----------------------------------------------------------------------
# Which package owns a path: one dpkg -S for all of them.

def path_spellings(path):
    """The path as found, its other merged-/usr spelling, then the same for
    its real path: dpkg may have registered either /bin/x or /usr/bin/x."""
    out = []
    for p in (path, os.path.realpath(path)):
        for q in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
            if q not in out:
                out.append(q)
    return out


def dpkg_owners(paths):
    owners = {}
    paths = sorted(set(paths))
    if not paths:
        return owners
    r = subprocess.run(["dpkg", "-S", *paths], **SYS)
    for line in r.stdout.splitlines():
        if line.startswith(("diversion by", "local diversion")):
            continue
        pkgs, sep, path = line.partition(": ")
        if not sep:
            continue
        owners[path] = [p.strip().split(":")[0] for p in pkgs.split(",")]
    return owners


def alternatives_of(path):
    """When PATH leads through /etc/alternatives/NAME, every file that
    alternative may point to (any of them gives the command), else []."""
    p, hops = path, 0
    while os.path.islink(p) and hops < 10:
        t = os.path.join(os.path.dirname(p), os.readlink(p))
        if os.path.dirname(t) == "/etc/alternatives":
            r = subprocess.run(["update-alternatives", "--list",
                                os.path.basename(t)], **SYS)
            return r.stdout.split()
        p, hops = t, hops + 1
    return []
