"""What the build needs: configure.ac's pkg-config modules, and the
programs the build makes itself (which need no package)."""

import glob
import os
import re


def m4_args(text, i):
    """Parse the arguments of a macro call whose "(" is at TEXT[i]: split
    on top-level commas, honouring [quotes] and nested parentheses.
    Returns the list of raw arguments and the index after ")"."""
    args, cur, quote, paren = [], [], 0, 0
    i += 1
    while i < len(text):
        c = text[i]
        if c == "[":
            quote += 1
        elif c == "]":
            quote -= 1
        elif quote == 0 and c == "(":
            paren += 1
        elif quote == 0 and c == ")":
            if paren == 0:
                args.append("".join(cur))
                return args, i + 1
            paren -= 1
        elif quote == 0 and paren == 0 and c == ",":
            args.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return args, i


def m4_uncomment(text):
    """TEXT with what m4 does not expand blanked out: "dnl" and "#" to the
    end of the line, outside [quotes].  Lengths and newlines are kept, so
    offsets still give line numbers."""
    out = list(text)
    quote, i = 0, 0
    while i < len(text):
        c = text[i]
        if c == "[":
            quote += 1
        elif c == "]":
            quote = max(0, quote - 1)
        elif quote == 0 and (c == "#" or (
                text.startswith("dnl", i) and
                not (i and (text[i - 1].isalnum() or text[i - 1] == "_")) and
                not (text[i + 3:i + 4].isalnum() or
                     text[i + 3:i + 4] == "_"))):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            for k in range(i, end):
                out[k] = " "
            i = end
            continue
        i += 1
    return "".join(out)


def unquote(arg):
    arg = arg.strip()
    while arg.startswith("[") and arg.endswith("]"):
        arg = arg[1:-1].strip()
    return arg


def configure_modules(path):
    """[(line, module, optional)] for every PKG_CHECK_MODULES and
    PKG_CHECK_EXISTS in configure.ac, whatever AS_IF it sits in.  A check
    with an ACTION-IF-NOT-FOUND does not stop configure: optional."""
    with open(path) as f:
        text = m4_uncomment(f.read())
    found = []
    for m in re.finditer(r"\b(PKG_CHECK_MODULES|PKG_CHECK_MODULES_STATIC|"
                         r"PKG_CHECK_EXISTS)\(", text):
        args, _ = m4_args(text, m.end() - 1)
        line = text.count("\n", 0, m.start()) + 1
        if m.group(1) == "PKG_CHECK_EXISTS":
            mods, optional = args[0], True
        else:
            mods = args[1] if len(args) > 1 else ""
            optional = len(args) > 3 and unquote(args[3]) != ""
        # "fuse3 >= 3.10, zlib": names, each maybe with a version bound.
        words = re.split(r"[\s,]+", unquote(mods))
        skip = False
        for w in words:
            if not w:
                continue
            if skip:
                skip = False
                continue
            if w in ("<", "<=", "=", "!=", ">=", ">"):
                skip = True
                continue
            found.append((line, re.split(r"[<>=!]", w)[0], optional))
    return found


def own_programs(top):
    """What the build makes (bin_PROGRAMS, check_PROGRAMS, ... in the
    Makefile.am files): those are v2vfs's own, not something to install."""
    own = set()
    for am in [os.path.join(top, "Makefile.am")] + sorted(
            glob.glob(os.path.join(top, "*", "Makefile.am"))):
        with open(am) as f:
            text = f.read().replace("\\\n", " ")
        for m in re.finditer(r"^\w+_(?:PROGRAMS|SCRIPTS)\s*\+?=(.*)$",
                             text, re.M):
            own.update(m.group(1).split())
    return own
