#!/usr/bin/env python3
"""fn_comments.py DIR... - every function defined in the C files under DIRs has a comment
right above it (the project's rule: one line saying what it does).  Prints each function
without one as FILE:LINE: NAME and exits 1 if there is any.  A definition is a line at
column 0 that names a function and is followed, before any ';', by a line "{"."""
import os
import re
import sys

DEF = re.compile(r'^[A-Za-z_][A-Za-z0-9_ \*]*?[ \*]\**([A-Za-z_][A-Za-z0-9_]*)\(')


def missing(path):
    """the definitions of path without a comment above them: (line, name)"""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    out = []
    for i, line in enumerate(lines):
        m = DEF.match(line)
        if not m or line.startswith(("typedef", "return", "extern", "static const", "else")):
            continue
        j = i  # the definition's body starts at a "{" line before any ';'
        while j < len(lines) and not lines[j].rstrip().endswith(";") and lines[j] != "{":
            j += 1
        if j >= len(lines) or lines[j] != "{":
            continue
        k = i - 1  # the previous non-blank line ends a comment, or is this function's prototype
        while k >= 0 and (not lines[k].strip() or lines[k].startswith("__attribute__")):
            k -= 1
        prev = lines[k].rstrip() if k >= 0 else ""
        if prev.endswith("*/"):
            continue
        if prev.endswith(";") and m.group(1) in "\n".join(lines[max(0, k - 3):k + 1]):
            # a prototype (with its attribute) right above: its comment counts
            p = k
            while p > 0 and not lines[p - 1].rstrip().endswith(("*/", ";", "}")) and lines[p - 1].strip():
                p -= 1
            if p > 0 and lines[p - 1].rstrip().endswith("*/"):
                continue
        out.append((i + 1, m.group(1)))
    return out


def main():
    bad = 0
    for top in sys.argv[1:]:
        for root, _, files in os.walk(top):
            for f in sorted(files):
                if f.endswith(".c"):
                    path = os.path.join(root, f)
                    for line, name in missing(path):
                        print("%s:%d: %s" % (path, line, name))
                        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
