#!/usr/bin/python3
"""uses.py - what the project's scripts take from the system: every external
command a shell script or a Makefile recipe runs, every Perl and Python module
a script loads.

Usage: uses.py FILE...   prints "cmd NAME FILE:LINE", "perl MODULE FILE:LINE"
and "py MODULE FILE:LINE", one a line, sorted.  Shell is read by a small
lexer: the first word of every simple command (after assignments, `!`, `if`,
`then`..., and through the wrappers timeout, nice, env, exec, command, xargs),
inside $(...) and backquotes too; heredoc bodies and single-quoted text are
not commands; words defined as shell functions are not reported.  Absolute
/bin and /sbin paths anywhere in a shell file count as commands.  A name is
reported whether or not it is installed: tests/lint/t_deps.sh decides."""
import os
import re
import sys

KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in",
            "case", "esac", "select", "function", "!", "{", "}", "[[", "]]", "time", "coproc"}
# wrappers: reported themselves, then the command they run is read too (options and
# the first numeric argument skipped)
WRAPPERS = {"timeout", "nice", "env", "exec", "command", "xargs", "setsid", "stdbuf", "ionice"}
WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.+-]*$")
ABS = re.compile(r"(?<![\w.$/-])((?:/usr)?/s?bin/[A-Za-z0-9_.+-]+)")
FUNC = re.compile(r"^\s*(?:function\s+)?([A-Za-z_][\w.-]*)\s*\(\)", re.M)
HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_]\w*)\2")


class Lexer:
    """Splits shell text into simple commands; calls back with each one's words."""

    def __init__(self, text, found):
        self.s, self.i, self.found = text, 0, found

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def skip_to_close(self, open_c, close_c):
        """Skip a balanced ${...} or $((...)) (nested pairs counted)."""
        depth = 0
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == open_c:
                depth += 1
            elif c == close_c:
                depth -= 1
                if depth <= 0:
                    return

    def dollar(self):
        """At '$': a command substitution is lexed as commands; the rest skipped. Returns a placeholder."""
        nxt, nxt2 = self.peek(1), self.peek(2)
        if nxt == "(" and nxt2 == "(":
            self.i += 1
            self.skip_to_close("(", ")")
            if self.peek() == ")":
                self.i += 1
        elif nxt == "(":
            self.i += 2
            self.commands(")")
        elif nxt == "{":
            self.param()
        else:
            self.i += 1
        return "$"

    def param(self):
        """At '${': skip to the matching '}', lexing substitutions in a ${VAR:-default}."""
        self.i += 2
        depth = 1
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                self.i += 2
            elif c == "$":
                self.dollar()
            elif c == '"':
                self.dquote()
            elif c == "{":
                depth += 1
                self.i += 1
            elif c == "}":
                depth -= 1
                self.i += 1
                if depth == 0:
                    return
            else:
                self.i += 1

    def dquote(self):
        """At '"': read to the closing quote, lexing substitutions inside."""
        self.i += 1
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                self.i += 2
            elif c == '"':
                self.i += 1
                return
            elif c == "$":
                self.dollar()
            elif c == "`":
                self.i += 1
                self.commands("`")
            else:
                self.i += 1

    def commands(self, end):
        """Lex commands until END (')' or '`' or '' for the end of the text)."""
        words, depth = [], 0
        word, quoted = "", False
        while True:
            c = self.peek()
            if c == "" or (c == end and depth == 0 and end):
                self.flush(words, word, quoted)
                self.i += 1
                return
            if c in " \t":
                if word or quoted:
                    words.append(word if not quoted else "\"" + word)
                word, quoted = "", False
                self.i += 1
            elif c == "\\":
                word += self.peek(1) if self.peek(1) != "\n" else ""
                self.i += 2
            elif c == "#" and not word and not quoted:
                while self.peek() not in ("\n", ""):
                    self.i += 1
            elif c == "'":
                j = self.s.find("'", self.i + 1)
                self.i = len(self.s) if j < 0 else j + 1
                quoted = True
            elif c == '"':
                self.dquote()
                quoted = True
            elif c == "$":
                self.dollar()
                quoted = True
            elif c == "`":
                self.i += 1
                self.commands("`")
                quoted = True
            elif c in "<>":
                # a redirection: the next word is a file, not a command
                self.i += 1
                while self.peek() in ("<", ">", "&", "|"):
                    self.i += 1
                if word or quoted:
                    words.append(word if not quoted else "\"" + word)
                word, quoted = "", False
                words.append("<redir>")
            elif c in ";&|\n(" or c == ")":
                if word or quoted:
                    words.append(word if not quoted else "\"" + word)
                word, quoted = "", False
                if c == "(":
                    depth += 1
                    if words and words[-1] != "<redir>" and self.peek(1) == ")":
                        # NAME() - a function definition
                        words = []
                        self.i += 2
                        continue
                if c == ")":
                    if depth == 0:
                        words = []  # a case pattern "a|b)"
                        self.i += 1
                        continue
                    depth -= 1
                self.flush(words, "", False)
                words = []
                self.i += 1
            else:
                word += c
                self.i += 1

    def flush(self, words, word, quoted):
        """One simple command ended: report its command word(s)."""
        if word or quoted:
            words.append(word if not quoted else "\"" + word)
        k = 0
        while k < len(words):
            w = words[k]
            if w == "<redir>":
                k += 2
                continue
            if w in ("for", "case", "select"):
                return  # "for NAME in WORDS", "case WORD in": no command
            if re.match(r"^[A-Za-z_]\w*(\[[^]]*\])?\+?=", w) or w in KEYWORDS:
                k += 1
                continue
            if w.startswith("\"") or not WORD.match(w):
                return
            self.found(w)
            if w == "need_cmd":
                # need_cmd NAME CMD... (tests/lib/common.sh): the commands a test needs
                for c in words[k + 2:]:
                    if WORD.match(c) or c.startswith("/"):
                        self.found(c)
                return
            if w not in WRAPPERS:
                return
            k += 1
            if w == "env":
                while k + 1 < len(words) and words[k] == "-u":
                    k += 2  # env -u NAME
            # the wrapped command: skip options, their numeric/duration values, NAME=VALUE
            while k < len(words) and (words[k].startswith("-") or re.match(r"^[\d.]+[smhd]?$", words[k])
                                      or re.match(r"^\w+=", words[k])):
                k += 1


def strip_heredocs(text):
    """Blank the bodies of heredocs (kept: line numbers)."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        for m in HEREDOC.finditer(line):
            tag, dash = m.group(3), m.group(1)
            while i < len(lines):
                body = lines[i].lstrip("\t") if dash else lines[i]
                out.append("")
                i += 1
                if body == tag:
                    break
    return "\n".join(out)


def shell_uses(path, text, functions, emit):
    """Report the commands of one shell text."""
    text = strip_heredocs(text)
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith("#"):
            continue
        for m in ABS.finditer(line):
            emit("cmd", m.group(1), path, n)
    # lex per line: a multi-line construct only loses its continuation lines' positions
    seen = []
    Lexer(text, seen.append).commands("")
    # attribute each name to its first line in the file
    for name in sorted(set(seen) - functions):
        m = re.search(r"(?<![\w.-])" + re.escape(name) + r"(?![\w.-])", text)
        n = text.count("\n", 0, m.start()) + 1 if m else 0
        emit("cmd", name, path, n)


def makefile_uses(path, text, emit):
    """Report the commands of a Makefile's recipe lines (make variables and functions blanked)."""
    recipe = []
    for line in text.split("\n"):
        if line.startswith("\t"):
            line = re.sub(r"\$\$", "$", re.sub(r"\$\((?:[^()]|\([^()]*\))*\)|\$[@<^*?]", "MAKEVAR", line))
            recipe.append(line.lstrip("\t@-"))
        else:
            recipe.append("")
    found = []
    Lexer("\n".join(recipe), found.append).commands("")
    for name in sorted(set(found) - {"MAKEVAR"}):
        m = re.search(r"(?<![\w.-])" + re.escape(name) + r"(?![\w.-])", "\n".join(recipe))
        emit("cmd", name, path, "\n".join(recipe).count("\n", 0, m.start()) + 1 if m else 0)


def perl_uses(path, text, emit):
    """Report the modules a Perl script loads (use/require/base, pragmas excluded)."""
    for n, line in enumerate(text.split("\n"), 1):
        for m in re.finditer(r"^\s*(?:use|require)\s+(?:base\s+['\"])?([A-Z][\w:]*)", line):
            emit("perl", m.group(1), path, n)


def python_uses(path, text, own, emit):
    """Report the modules a Python script imports (OWN: the project's own, not reported)."""
    for n, line in enumerate(text.split("\n"), 1):
        m = re.match(r"^\s*(?:import|from)\s+([A-Za-z_][\w.]*)", line)
        if m and m.group(1).split(".")[0] not in own:
            emit("py", m.group(1), path, n)


def kind_of(path, text):
    """shell, make, perl, python or None, by name and first line."""
    base = os.path.basename(path)
    first = text.split("\n", 1)[0]
    if base == "Makefile" or base.endswith(".mk"):
        return "make"
    if base.endswith(".py") or "python" in first[:40] and first.startswith("#!"):
        return "python"
    if base.endswith((".pl", ".pm")) or first.startswith("#!") and "perl" in first:
        return "perl"
    if base.endswith(".sh") or first.startswith("#!") and re.search(r"\b(ba)?sh\b", first):
        return "shell"
    return None


def collect(paths):
    """[(kind, name, "file:line")] for every use in PATHS, one per (kind, name): its first place."""
    out = set()

    def emit(kind, name, path, n):
        out.add((kind, name, "%s:%s" % (path, n)))

    texts = {}
    for p in paths:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                texts[p] = f.read()
        except OSError:
            continue
    functions = set()
    own = {os.path.basename(p)[:-3] for p in texts if p.endswith(".py")}
    for p, t in texts.items():
        if kind_of(p, t) == "shell":
            functions.update(FUNC.findall(t))
    for p, t in texts.items():
        k = kind_of(p, t)
        if k == "shell":
            shell_uses(p, t, functions, emit)
        elif k == "make":
            makefile_uses(p, t, emit)
        elif k == "perl":
            perl_uses(p, t, emit)
        elif k == "python":
            python_uses(p, t, own, emit)
    first = {}
    for kind, name, where in sorted(out):
        first.setdefault((kind, name), where)
    return [(kind, name, where) for (kind, name), where in sorted(first.items())]


if __name__ == "__main__":
    for use in collect(sys.argv[1:]):
        print(*use)
