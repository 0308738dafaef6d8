#!/usr/bin/python3
"""Check that scripts/install-deps installs what the build and the tests use.

    deps-check.py TOP

TOP is the top of the source tree (configure.ac, scripts/, tests/).  Run it
with Debian's own python3 (tests/test-deps.sh does): the python imports are
checked by importing them the way a test would on a fresh Debian machine.

What is checked, all derived from the files themselves, offline:

  * every pkg-config module that configure.ac asks PKG_CHECK_MODULES (or
    PKG_CHECK_EXISTS) for, in any branch: the package that owns its .pc file;
  * every external program the shell scripts in scripts/ and tests/ run
    (found with shfmt's syntax tree, not by reading the text; with the
    code they hand to sh -c, trap and python3 -c or python3 - <<EOF), every
    program the python files in tests/ start through subprocess or
    os.exec*, and every python module they import that is not in the
    standard library;
  * what the Debian shell scripts among those programs run in turn (one
    level deep): virt-xml-validate runs xmllint, which its package does
    not pull in.

A package is good enough when scripts/install-deps lists it, when a listed
package depends on it (Depends and Pre-Depends only: install-deps passes
--no-install-recommends), or when a minimal Debian has it anyway (Essential
or Priority: required, the set debootstrap --variant=minbase installs; with
their dependencies).

It prints one line per problem and a summary line, and exits 1 when there
is a problem, else 0.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True      # nothing written into the source tree

from deps import (PROG, SYS, is_shell_script, notes, problem,  # noqa: E402
                  problems, which)
from deps.configure import configure_modules, own_programs    # noqa: E402
from deps.debian import (Packages, alternatives_of, dpkg_owners,  # noqa: E402
                         install_deps_list, path_spellings)
from deps.shell import (ShellFile, ShellScanner, function_scope,  # noqa: E402
                        parse_files, python_module_origins,
                        script_files, shfmt_json, walk)

# scripts/bench needs more than the tests do (virt-v2v and its helpers, for
# --only guestfix), and a fresh machine that only builds and tests v2vfs
# should not have to install those.  install-deps therefore has a bench
# group (install-deps --bench; --list --bench prints base plus bench), and
# the files named here are checked against that larger list.  Every other
# file is checked against the base list alone.
GROUP_OF_FILE = {"scripts/bench": "bench", "scripts/bench-guests.sh": "bench"}

# Programs a script uses only when they are there and does fine without:
# (program, file) -> why.
OPTIONAL_PROGRAMS = {
    ("sudo", "scripts/install-deps"):
        "only when not run as root, after command -v sudo; a fresh Debian"
        " has no sudo and installing it would itself need root",
    ("git", "scripts/bench"):
        "git -C TOP rev-parse fails without git, and bench then takes every"
        " file but .git as the sources, as it does outside a checkout",
}

# Debian's shell scripts that are not read for the programs they run (see
# "one level deep" in main), with the reason.
SCRIPTS_NOT_READ = {
    # It sources most of what it runs from /usr/share/debootstrap by a
    # variable path, and runs much of the rest inside the new system; its
    # host tools are its package's Depends.  scripts/mkguest runs it.
    "debootstrap",
}


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} TOP", file=sys.stderr)
        return 2
    top = os.path.abspath(sys.argv[1])

    lists = {"base": install_deps_list(top)}
    lists["bench"] = install_deps_list(top, "--bench")
    pk = Packages()
    accepted = {g: pk.closure(set(lst) | pk.base) for g, lst in lists.items()}
    listed = {g: set(lst) for g, lst in lists.items()}

    def verdict(pkgs, group):
        """None when one of PKGS is installed by install-deps (GROUP) or by
        a minimal Debian, else why not."""
        if any(p in accepted[group] for p in pkgs):
            return None
        opt = "" if group == "base" else f" --{group}"
        return f"scripts/install-deps{opt} does not install it"

    # --- configure.ac ----------------------------------------------------
    mods = configure_modules(os.path.join(top, "configure.ac"))
    pc_of = {}
    for line, mod, optional in mods:
        r = subprocess.run(["pkg-config", "--variable=pcfiledir", mod],
                           **SYS)
        if r.returncode == 0 and r.stdout.strip():
            pc_of[mod] = os.path.join(r.stdout.strip(), mod + ".pc")
    # --- the scripts -----------------------------------------------------
    r = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], **SYS)
    builtins = set(r.stdout.split())
    own = own_programs(top)
    shell_files, py_files = script_files(top)
    if which("shfmt") is None:
        problem("shfmt is not on this machine: install it (scripts/install-deps"
                " does) -- this check reads the shell scripts with it")
    trees = parse_files(top, shell_files) if which("shfmt") else {}
    parsed = {rel: ShellFile(rel, trees.get(rel)) for rel in shell_files}
    scanner = ShellScanner(builtins, own)
    for rel, sf in parsed.items():
        if sf.tree is not None:
            scanner.scan(sf.tree, rel, function_scope(rel, parsed),
                         sf.tree["line0"])
    for rel in py_files:
        scanner.python.scan_file(os.path.join(top, rel), rel)

    # --- resolve, then one dpkg -S for every path ------------------------
    where = {}

    def resolve():
        for c in scanner.calls:
            if c.name in where:
                continue
            if c.name.startswith("/"):
                where[c.name] = c.name if os.path.exists(c.name) else None
            else:
                where[c.name] = which(c.name)
    resolve()
    # A program of Debian's that is itself a shell script runs programs
    # of its own, which its package should depend on but may not:
    # virt-xml-validate (libvirt-clients) runs xmllint, and only
    # libxml2-utils has that.  So those scripts are read too, one level
    # deep, and what they run must be installed as well.
    ours = list(scanner.calls)
    for path in sorted({p for p in where.values() if p}):
        if os.path.basename(path) in SCRIPTS_NOT_READ or \
                not is_shell_script(path):
            continue
        callers = [c for c in ours if where.get(c.name) == path]
        callers.sort(key=lambda c: GROUP_OF_FILE.get(c.file, "base") != "base")
        with open(path, errors="replace") as f:
            tree, err = shfmt_json(f.read())
        if tree is None:
            notes.append(f"{path} (run by {callers[0].file}:"
                         f"{callers[0].line}) not read: {err}")
            continue
        funcs = set()
        walk(tree, lambda n: funcs.add(n["Name"]["Value"])
             if n.get("Type") == "FuncDecl" else None)
        scanner.via = callers[0]
        scanner.scan(tree, path, funcs)
    scanner.via = None
    resolve()
    alts = {n: alternatives_of(p) for n, p in where.items() if p}
    paths = []
    for p in list(pc_of.values()) + [p for p in where.values() if p]:
        paths += path_spellings(p)
    for cands in alts.values():
        for p in cands:
            paths += path_spellings(p)
    mod_origin = python_module_origins(scanner.python.imports, top)
    for origin in mod_origin.values():
        if origin:
            paths += path_spellings(origin)
    owners = dpkg_owners(paths)

    def owner(path):
        for p in path_spellings(path):
            if p in owners:
                return owners[p]
        return []

    # --- verdicts --------------------------------------------------------
    checked_mods, skipped_mods = 0, []
    for line, mod, optional in mods:
        pc = pc_of.get(mod)
        if pc is None:
            if optional:
                skipped_mods.append(mod)
            else:
                problem(f"configure.ac:{line} requires pkg-config module"
                        f" '{mod}', which this machine does not have (no"
                        f" package can be named offline): install it and add"
                        f" its -dev package to scripts/install-deps")
            continue
        checked_mods += 1
        pkgs = owner(pc)
        if not pkgs:
            problem(f"configure.ac:{line} needs pkg-config module '{mod}'"
                    f" ({pc}), which no Debian package owns")
            continue
        why = verdict(pkgs, "base")
        if why:
            problem(f"configure.ac:{line} needs pkg-config module '{mod}'"
                    f" ({pc}, package {', '.join(pkgs)}): {why}")

    uninstalled = {g: sorted(p for p in lst if p not in pk.installed)
                   for g, lst in listed.items()}
    uninstalled["base"] = []    # base packages missing: a plain problem
    def site(c):
        """Where C is made: FILE:LINE calls, or for a program that a
        Debian script of ours runs, the call of that script first."""
        if c.via is None:
            return f"{c.file}:{c.line} calls"
        v = c.via
        return (f"{v.file}:{v.line} calls '{v.name}' ({where[v.name]}),"
                f" which at line {c.line} calls")

    reported = set()
    programs = set()
    for c in scanner.calls:
        group = GROUP_OF_FILE.get((c.via or c).file, "base")
        path = where.get(c.name)
        programs.add(c.name)
        key = (c.name, group)
        if (c.name, c.file) in OPTIONAL_PROGRAMS or key in reported:
            continue    # one line per program (its first call) is enough
        if path is None and uninstalled[group]:
            # The group's packages are not all here (a machine that only
            # tests v2vfs does not install the bench's): which package
            # would give this program cannot be told offline.
            reported.add(key)
            notes.append(f"{site(c)} '{c.name}', not checked: it is not on"
                         f" this machine, nor are"
                         f" {' '.join(uninstalled[group])} of"
                         f" install-deps --{group}")
            continue
        if path is None:
            reported.add(key)
            problem(f"{site(c)} '{c.name}', which is not on this machine"
                    f" (so no package can be named offline): install it and"
                    f" add its package to scripts/install-deps")
            continue
        pkgs = owner(path)
        for cand in alts.get(c.name, []):
            pkgs = pkgs + owner(cand)
        if not pkgs:
            reported.add(key)
            problem(f"{site(c)} '{c.name}' ({path}), which no Debian"
                    f" package owns")
            continue
        why = verdict(pkgs, group)
        if why:
            reported.add(key)
            problem(f"{site(c)} '{c.name}' ({path}, package"
                    f" {', '.join(sorted(set(pkgs)))}): {why}")

    imports = set()
    for mod, rel, line in scanner.python.imports:
        origin = mod_origin.get(mod)
        if origin == "stdlib" or origin == "project":
            continue
        imports.add(mod)
        if origin is None:
            problem(f"{rel}:{line} imports '{mod}', which Debian's python3"
                    f" here cannot import (no package can be named offline)")
            continue
        pkgs = owner(origin)
        why = verdict(pkgs, "base") if pkgs else "no Debian package owns it"
        if why and (mod, "import") not in reported:
            reported.add((mod, "import"))
            problem(f"{rel}:{line} imports '{mod}' ({origin}, package"
                    f" {', '.join(pkgs) or 'none'}): {why}")

    for p in problems:
        print(p)
    for n in notes:
        print(f"{PROG}: note: {n}")
    not_checked = ""
    if skipped_mods:
        not_checked = (f" (not checked: {', '.join(skipped_mods)}, optional"
                       f" and not on this machine)")
    print(f"{PROG}: checked {checked_mods} of {len(mods)} pkg-config modules"
          f"{not_checked}, {len(programs)} programs at"
          f" {len(scanner.calls)} call sites in {len(parsed)} shell and"
          f" {len(py_files)} python files, {len(imports)} non-stdlib python"
          f" modules, against {len(listed['base'])} packages of"
          f" install-deps (+{len(listed['bench'] - listed['base'])} for"
          f" --bench): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
