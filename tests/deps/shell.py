"""What the scripts run: shell files read through shfmt's syntax tree,
python files (and python3 -c / heredocs) through ast."""

import ast
import json
import os
import re
import subprocess
import sys

from deps import SYS, notes, problem

# Commands that run another command given in their arguments.  For each:
# the options that take a separate argument, and how many plain words
# come before the command (timeout's DURATION, flock's lock file).  Short
# options may be bundled (xargs -0r, stdbuf -oL).
WRAPPERS = {
    "env": ({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}, 0),
    "timeout": ({"-s", "--signal", "-k", "--kill-after"}, 1),
    "sudo": ({"-u", "--user", "-g", "--group", "-C", "--close-from", "-h",
              "--host", "-p", "--prompt", "-U", "--other-user", "-r",
              "--role", "-t", "--type", "-D", "--chdir", "-R", "--chroot",
              "-T", "--command-timeout"}, 0),
    "exec": ({"-a"}, 0),
    "command": (set(), 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "ionice": ({"-c", "--class", "-n", "--classdata"}, 0),
    "setsid": (set(), 0),
    "nohup": (set(), 0),
    "xargs": ({"-a", "--arg-file", "-d", "--delimiter", "-E", "-I", "-L",
               "--max-lines", "-n", "--max-args", "-P", "--max-procs", "-s",
               "--max-chars", "--process-slot-var"}, 0),
    "flock": ({"-w", "--timeout", "-E", "--conflict-exit-code"}, 1),
    "unshare": ({"-S", "--setuid", "-G", "--setgid", "-R", "--root", "-w",
                 "--wd", "--propagation", "--setgroups", "--map-user",
                 "--map-group", "--map-users", "--map-groups"}, 0),
    "stdbuf": ({"-i", "--input", "-o", "--output", "-e", "--error"}, 0),
}

# The scripts' own functions that run a command given in their arguments,
# with the number of words before that command.  They count only where the
# function is defined (in the file or in a file it sources, or is sourced
# by); a new wrapper function needs a line here.
FUNCTION_WRAPPERS = {
    "cleanup_fn": 0,         # tests/functions.sh: cleanup_fn CMD ARGS...
    "expect_fail_exact": 1,  # expect_fail_exact MSG CMD...
    "expect_refused": 3,     # expect_refused MSG MNT DIRS CMD...
    "wait_until": 1,         # scripts/bench: wait_until SECONDS CMD...
    "run": 0,                # scripts/demo: run CMD... (prints, then runs)
}

# Commands whose further words run inside a guest or a chroot, not on this
# machine: what they run is the guest's business (the test guest of
# scripts/mkguest brings its own).  Commands handed to guestfish (as
# arguments, on its stdin or in a heredoc) and to virt-customize are never
# looked at either: they are words or text to those programs, not calls.
GUEST_RUNNERS = {"chroot"}

PYTHON_RUNNERS = {"run", "call", "check_call", "check_output", "Popen",
                  "getoutput", "getstatusoutput"}


class Call:
    """One place a program is run: FILE:LINE runs NAME; VIA is the Call
    that ran FILE, when FILE is a Debian script rather than ours."""

    def __init__(self, name, file, line, via=None):
        self.name, self.file, self.line, self.via = name, file, line, via


SHFMT_ERROR = re.compile(r"(?:<standard input>:)?(\d+):\d+: (.*)")


def shfmt_json(src):
    """(tree, None) for the shell code SRC, or (None, shfmt's error)."""
    r = subprocess.run(["shfmt", "--to-json"], input=src, **SYS)
    if r.returncode == 0:
        return json.loads(r.stdout), None
    return None, r.stderr.strip()


def shfmt_tree(src, label, line0=0):
    """shfmt's syntax tree of a string of shell code found at line
    LINE0 + 1 of LABEL (sh -c '...', trap '...'), or None."""
    tree, err = shfmt_json(src)
    if err:
        problem(f"{label}: shfmt cannot parse this string: {err}")
    return tree


def parse_batch(top, rels):
    """{rel: tree} for the shell files RELS, read by one shfmt.

    One shfmt per file would spend most of its time starting up, so the
    files are given to it one after the other as one script; each file
    ends where its last line does, so each top-level statement belongs to
    the file holding its line, and a tree per file is made of those.

    shfmt 3.6 (Debian 12's) rejects some valid bash, e.g. a glob bracket
    in an array element (a=(x.[0-9])).  Rather than give up on a file, the
    line shfmt names is replaced by ":" and the rest is read again; the
    lines left out are listed as not read, so nothing is skipped silently.
    A file that still does not parse after that is a problem."""
    lines = {}
    for rel in rels:
        with open(os.path.join(top, rel)) as f:
            lines[rel] = f.read().rstrip("\n").split("\n")
    for _ in range(len(rels) + 5):
        start, first = [], 0
        for rel in rels:
            start.append(first)
            first += len(lines[rel])
        tree, err = shfmt_json("\n".join(
            ln for rel in rels for ln in lines[rel]) + "\n")
        if tree is not None:
            break
        m = SHFMT_ERROR.match(err)
        n = int(m.group(1)) if m else 0
        if not 1 <= n <= first:
            break
        k = max(i for i in range(len(rels)) if start[i] < n)
        rel, n = rels[k], n - start[k]
        if lines[rel][n - 1] == ":":
            break
        notes.append(f"{rel}:{n} not read: shfmt {shfmt_version()} cannot"
                     f" parse it ({m.group(2)})")
        lines[rel][n - 1] = ":"
    if tree is None:
        if len(rels) > 1:       # find which file it is, one by one
            out = {}
            for rel in rels:
                out.update(parse_batch(top, [rel]))
            return out
        problem(f"{rels[0]}: shfmt cannot parse it: {err}")
        return {rels[0]: None}
    out = {rel: {"Type": "File", "Stmts": [], "line0": -start[i]}
           for i, rel in enumerate(rels)}
    for st in tree.get("Stmts", []):
        a = st["Pos"]["Line"]
        k = max(i for i in range(len(rels)) if start[i] < a)
        if st["End"]["Line"] > start[k] + len(lines[rels[k]]):
            # A statement runs on into the next file (a heredoc left
            # open at the end of a file): read the files one by one.
            if len(rels) > 1:
                out = {}
                for rel in rels:
                    out.update(parse_batch(top, [rel]))
                return out
        out[rels[k]]["Stmts"].append(st)
    return out


_shfmt_version = []


def shfmt_version():
    if not _shfmt_version:
        r = subprocess.run(["shfmt", "--version"], **SYS)
        _shfmt_version.append(r.stdout.strip())
    return _shfmt_version[0]


def parse_files(top, rels):
    """{rel: tree} for the shell files RELS: one batch per CPU, in
    parallel, each of about the same size."""
    from concurrent.futures import ThreadPoolExecutor
    n = max(1, min(4, os.cpu_count() or 1))
    batches = [[] for _ in range(n)]
    size = [0] * n
    for rel in sorted(rels, key=lambda r: -os.path.getsize(
            os.path.join(top, r))):
        k = size.index(min(size))
        batches[k].append(rel)
        size[k] += os.path.getsize(os.path.join(top, rel))
    out = {}
    with ThreadPoolExecutor(max_workers=n) as ex:
        for part in ex.map(lambda b: parse_batch(top, sorted(b)),
                           [b for b in batches if b]):
            out.update(part)
    return out


def word_literal(word):
    """The value of a Word made of literal text only, else None."""
    out = []
    for part in word.get("Parts", []):
        t = part.get("Type")
        if t == "Lit":
            out.append(part.get("Value", ""))
        elif t == "SglQuoted" and not part.get("Dollar"):
            out.append(part.get("Value", ""))
        elif t == "DblQuoted":
            inner = word_literal(part)
            if inner is None:
                return None
            out.append(inner)
        else:
            return None
    return "".join(out)


def word_tail(word):
    """The literal text at the end of a Word ("$(dirname "$0")/x.sh" ->
    "/x.sh"), for naming sourced files."""
    parts = word.get("Parts", [])
    if not parts:
        return ""
    last = parts[-1]
    if last.get("Type") == "DblQuoted":
        return word_tail(last)
    if last.get("Type") in ("Lit", "SglQuoted"):
        return last.get("Value", "")
    return ""


def line_of(node):
    return node.get("Pos", {}).get("Line", 0)


def walk(node, visit):
    """Call VISIT on every node of a shfmt tree.  Positions ("Pos", "End",
    "ValuePos", ...: {Offset, Line, Col}) are most of the tree and hold no
    nodes, so they are not descended into."""
    if isinstance(node, dict):
        visit(node)
        for k, v in node.items():
            if isinstance(v, list) or (isinstance(v, dict) and
                                       "Offset" not in v):
                walk(v, visit)
    elif isinstance(node, list):
        for v in node:
            walk(v, visit)


class ShellFile:
    def __init__(self, rel, tree):
        self.rel, self.tree = rel, tree
        self.functions = set()
        self.sources = set()
        if tree is None:
            return

        def visit(n):
            if n.get("Type") == "FuncDecl":
                self.functions.add(n["Name"]["Value"])
            elif n.get("Type") == "CallExpr" and len(n.get("Args", [])) > 1:
                if word_literal(n["Args"][0]) in (".", "source"):
                    tail = os.path.basename(word_tail(n["Args"][1]))
                    if tail:
                        self.sources.add(tail)
        walk(tree, visit)


class ShellScanner:
    def __init__(self, builtins, own_programs):
        self.builtins = builtins
        self.own = own_programs
        self.calls = []
        self.via = None
        self.python = PythonScanner(self)

    def scan(self, tree, rel, functions, line0=0):
        """Collect the calls in TREE (of file REL, whose line 1 is line
        LINE0 + 1 of that file)."""
        def visit(stmt):
            cmd = stmt.get("Cmd")
            if isinstance(cmd, dict) and cmd.get("Type") == "CallExpr":
                self.call(cmd.get("Args", []), stmt.get("Redirs") or [],
                          rel, functions, line0)
        walk(tree, lambda n: visit(n) if "Cmd" in n else None)

    def scan_string(self, src, rel, functions, line0):
        tree = shfmt_tree(src, f"{rel}:{line0 + 1}", line0)
        if tree is not None:
            self.scan(tree, rel, functions, line0)

    def call(self, args, redirs, rel, functions, line0):
        i = 0
        while i < len(args):
            name = word_literal(args[i])
            line = line0 + line_of(args[i])
            if name is None:
                return          # a variable or a substitution: not ours
            if name in FUNCTION_WRAPPERS and name in functions:
                i += 1 + FUNCTION_WRAPPERS[name]
                continue
            if name == "requires" and name in functions:
                for w in args[i + 1:]:
                    self.program(word_literal(w), rel, line0 + line_of(w))
                return
            if name in functions:
                return
            self.program(name, rel, line)
            rest = [word_literal(w) for w in args[i + 1:]]
            if name in GUEST_RUNNERS:
                return
            if name == "trap" and rest and rest[0] not in (None, "-", ""):
                self.scan_string(rest[0], rel, functions,
                                 line0 + line_of(args[i + 1]) - 1)
                return
            if name in ("sh", "bash", "dash") and "-c" in rest:
                k = rest.index("-c") + 1
                if k < len(rest) and rest[k] is not None:
                    self.scan_string(rest[k], rel, functions,
                                     line0 + line_of(args[i + 1 + k]) - 1)
                return
            if name.startswith("python3"):
                self.python_inline(args[i + 1:], rest, redirs, rel, line0)
                return
            if name == "command" and rest and rest[0] in ("-v", "-V"):
                for w in args[i + 2:]:
                    self.program(word_literal(w), rel, line0 + line_of(w))
                return
            if name == "flock" and self.flock_shell(args, i, rel, functions,
                                                    line0):
                return
            if name == "find":
                # find ... -exec CMD ... ; (and -execdir, -ok, -okdir)
                for k, w in enumerate(rest[:-1]):
                    if w in ("-exec", "-execdir", "-ok", "-okdir"):
                        self.program(rest[k + 1], rel,
                                     line0 + line_of(args[i + 2 + k]))
                return
            if name not in WRAPPERS:
                return
            i = self.skip_options(args, i + 1, name)
            if i is None:
                return

    def skip_options(self, args, i, wrapper):
        """Index of the command after WRAPPER's options and leading words,
        or None when there is none that can be known."""
        with_arg, plain = WRAPPERS[wrapper]
        while i < len(args):
            w = word_literal(args[i])
            if w is None:
                return None
            if w == "--":
                i += 1
                break
            if wrapper == "env" and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
                i += 1
                continue
            if not w.startswith("-") or w == "-":
                break
            if w.startswith("--"):
                i += 2 if w in with_arg else 1
                continue
            # A bundle of short options: an option that takes an argument
            # takes the rest of the word, or the next word.
            i += 1
            for k in range(1, len(w)):
                if "-" + w[k] in with_arg:
                    if k == len(w) - 1:
                        i += 1
                    break
        if wrapper == "flock" and i < len(args):
            w = word_literal(args[i])
            if w is not None and w.isdigit():
                return None     # flock FD: no command
        i += plain
        return i if i < len(args) else None

    def flock_shell(self, args, i, rel, functions, line0):
        lits = [word_literal(w) for w in args]
        for k in range(i + 1, len(args) - 1):
            if lits[k] in ("-c", "--command") and lits[k + 1] is not None:
                self.scan_string(lits[k + 1], rel, functions,
                                 line0 + line_of(args[k + 1]) - 1)
                return True
        return False

    def python_inline(self, argwords, rest, redirs, rel, line0):
        """python3 -c 'CODE' and python3 - <<'EOF' ... EOF: the code is
        python, so read it with ast like the .py files."""
        if "-c" in rest:
            k = rest.index("-c") + 1
            if k < len(rest) and rest[k] is not None:
                self.python.scan_source(rest[k], rel,
                                        line0 + line_of(argwords[k]) - 1)
            return
        if "-" in rest:
            for r in redirs:
                hdoc = r.get("Hdoc")
                if hdoc:
                    code = word_literal(hdoc)
                    if code is not None:
                        self.python.scan_source(code, rel,
                                                line0 + line_of(hdoc) - 1)

    def program(self, name, rel, line):
        if not name or name in self.builtins or name in self.own:
            return
        if "/" in name and not name.startswith("/"):
            return      # scripts/install-deps, ./configure: the project's
        if "=" in name or name.startswith("-"):
            return
        self.calls.append(Call(name, rel, line, self.via))


# ----------------------------------------------------------------------
# Python: ast.

class PythonScanner:
    def __init__(self, shell):
        self.shell = shell
        self.imports = []       # (module, rel, line)

    def scan_source(self, src, rel, line0=0):
        try:
            tree = ast.parse(src)
        except SyntaxError as e:
            problem(f"{rel}:{line0 + (e.lineno or 0)}: python cannot parse"
                    f" it: {e.msg}")
            return
        runners = set()         # names bound by "from subprocess import run"
        execs = set()           # and by "from os import execvp"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.imports.append((a.name.split(".")[0], rel,
                                         line0 + node.lineno))
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                self.imports.append((node.module.split(".")[0], rel,
                                     line0 + node.lineno))
                for a in node.names:
                    if node.module == "subprocess" and a.name in PYTHON_RUNNERS:
                        runners.add(a.asname or a.name)
                    if node.module == "os" and a.name.startswith(("exec",
                                                                  "spawn")):
                        execs.add(a.asname or a.name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            kind = None
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                if f.value.id == "subprocess" and f.attr in PYTHON_RUNNERS:
                    kind = "subprocess"
                elif f.value.id == "os" and f.attr.startswith(("exec",
                                                               "spawn")):
                    kind = "exec"
                elif f.value.id == "os" and f.attr in ("system", "popen"):
                    kind = "shell"
                if kind == "subprocess" and f.attr in ("getoutput",
                                                       "getstatusoutput"):
                    kind = "shell"
            elif isinstance(f, ast.Name):
                if f.id in runners:
                    kind = ("shell" if f.id in ("getoutput", "getstatusoutput")
                            else "subprocess")
                elif f.id in execs:
                    kind = "exec"
            if kind is None:
                continue
            first = node.args[0]
            if kind == "exec" and f_name(f).startswith("spawn"):
                first = node.args[1] if len(node.args) > 1 else None
            line = line0 + node.lineno
            shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant)
                        and k.value.value for k in node.keywords)
            if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                first = first.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if kind == "shell" or shell:
                    self.shell.scan_string(first.value, rel, set(), line - 1)
                else:
                    self.shell.program(first.value, rel, line)

    def scan_file(self, path, rel):
        with open(path) as f:
            self.scan_source(f.read(), rel)


def f_name(f):
    return f.attr if isinstance(f, ast.Attribute) else f.id


def script_files(top):
    """The shell and python files of scripts/ and tests/, by their first
    line (scripts/ has no extensions)."""
    shell, py = [], []
    for d in ("scripts", "tests"):
        full = os.path.join(top, d)
        for name in sorted(os.listdir(full)):
            p = os.path.join(full, name)
            rel = f"{d}/{name}"
            if not os.path.isfile(p):
                continue
            if name.endswith(".py"):
                py.append(rel)
                continue
            if d == "tests" and not name.endswith(".sh"):
                continue
            with open(p, "rb") as f:
                first = f.readline()
            if b"python" in first:
                py.append(rel)
            elif first.startswith(b"#!") and b"sh" not in first:
                continue
            else:
                shell.append(rel)
    return shell, py


def function_scope(rel, parsed):
    """The functions REL can call: its own, and those of the files sourced
    with it (tests/functions.sh, scripts/lib.sh), either way round: a file
    sourced by a test sees the test's functions too."""
    def same_dir(a, b):
        return os.path.dirname(a) == os.path.dirname(b)
    linked = {rel}
    changed = True
    while changed:
        changed = False
        for other, sf in parsed.items():
            if other in linked:
                continue
            for x in list(linked):
                if (same_dir(other, x) and
                        (os.path.basename(other) in parsed[x].sources or
                         os.path.basename(x) in sf.sources)):
                    linked.add(other)
                    changed = True
                    break
    funcs = set()
    for x in linked:
        funcs |= parsed[x].functions
    return funcs


def python_module_origins(imports, top):
    """module -> "stdlib", "project" (a file of the tree), the file it
    would be imported from, or None when it cannot be imported."""
    import importlib.util
    out = {}
    for mod, _, _ in imports:
        if mod in out:
            continue
        if mod in sys.stdlib_module_names or mod in sys.builtin_module_names:
            out[mod] = "stdlib"
            continue
        try:
            spec = importlib.util.find_spec(mod)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            out[mod] = None
            continue
        origin = spec.origin or (list(spec.submodule_search_locations or [])
                                 or [None])[0]
        if origin and os.path.realpath(origin).startswith(
                os.path.realpath(top) + os.sep):
            out[mod] = "project"
        else:
            out[mod] = origin
    return out
