#!/usr/bin/python3
"""deps_check.py - tests/packages.list against what the scripts use (uses.py),
both ways.  Usage: deps_check.py LIST FILE...   prints PASS:/FAIL: lines.

A command the scripts run, where installed, must come (dpkg -S, along its
symlinks and update-alternatives) from a listed package, from a package every
Debian system has (Essential, or Priority required), or, if the list names the
command in a package's GIVES, from that package or one it depends on.  A
module the scripts load must come from a listed package or its dependencies.
Every GIVES entry must be used by a script and be given by its package, where
that package is installed."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uses  # noqa: E402  (the project's own extractor)

SYS_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def run(*cmd):
    """stdout of CMD (empty on failure)."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.stdout


def read_list(path):
    """[(group, package, [gives])] from the list file."""
    out = []
    with open(path) as f:
        for line in f:
            w = line.split("#", 1)[0].split()
            if len(w) >= 2:
                out.append((w[0], w[1], [g for g in w[2:] if g != "-"]))
    return out


class Dpkg:
    """Package facts, each asked of dpkg once."""

    def __init__(self):
        self.status = {}
        for line in run("dpkg-query", "-W", "-f=${Package}\t${Status}\t${Essential}\t${Priority}\t"
                        "${Pre-Depends}, ${Depends}\n").splitlines():
            p = line.split("\t")
            if len(p) >= 5:
                self.status[p[0]] = p[1:]
        self.owner_cache = {}

    def installed(self, pkg):
        return pkg in self.status and self.status[pkg][0].endswith("ok installed")

    def base(self, pkg):
        s = self.status.get(pkg)
        return bool(s) and (s[1] == "yes" or s[2] == "required")

    def closure(self, pkgs):
        """PKGS and everything they depend on (every alternative; virtual packages not followed)."""
        have, want = set(), list(pkgs)
        while want:
            p = want.pop()
            if p in have:
                continue
            have.add(p)
            for dep in self.status.get(p, ["", "", "", ""])[3].split(","):
                for alt in dep.split("|"):
                    name = alt.strip().split(" ")[0].split(":")[0]
                    if name:
                        want.append(name)
        return have

    def owners(self, paths):
        """{path: set(packages)} by one dpkg -S for the paths not asked yet (and their /usr-less twins)."""
        ask = []
        for p in paths:
            for q in (p, p[4:] if p.startswith("/usr/") else None):
                if q and q not in self.owner_cache:
                    self.owner_cache[q] = set()
                    ask.append(q)
        if ask:
            for line in run("dpkg", "-S", *ask).splitlines():
                if line.startswith("diversion") or ": " not in line:
                    continue
                pkgs, path = line.split(": ", 1)
                if path in self.owner_cache:
                    self.owner_cache[path].update(x.strip().split(":")[0] for x in pkgs.split(","))
        res = {}
        for p in paths:
            res[p] = self.owner_cache.get(p, set()) | self.owner_cache.get(p[4:] if p.startswith("/usr/") else "", set())
        return res


def hops(path):
    """PATH and every file its symlinks pass through."""
    out, seen = [path], set()
    while os.path.islink(path) and path not in seen and len(out) < 8:
        seen.add(path)
        t = os.readlink(path)
        path = t if t.startswith("/") else os.path.normpath(os.path.join(os.path.dirname(path), t))
        out.append(path)
    return out


def cmd_files(name):
    """The files a command NAME (or /path) resolves to, with alternatives; [] if not installed."""
    if name.startswith("/"):
        if not os.access(name, os.X_OK):
            return []
        return hops(name)
    for d in SYS_PATH.split(":"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK) and not os.path.isdir(p):
            files = hops(p)
            for alt in run("update-alternatives", "--list", name).split():
                files.extend(hops(alt))
            return files
    return []


def module_file(kind, name):
    """The file a perl:/py: module loads from, '' if it does not load."""
    if kind == "perl":
        f = name.replace("::", "/") + ".pm"
        return run("perl", "-e", 'my $f = shift; eval { require $f } and print $INC{$f}', f).strip()
    return run("/usr/bin/python3", "-c", 'import importlib, sys; m = importlib.import_module(sys.argv[1]);'
               ' print(getattr(m, "__file__", "") or "")', name).strip()


def report(ok, name, why):
    print("PASS: %s" % name if ok else "FAIL: %s: %s" % (name, why))


def main(listfile, paths):
    entries = read_list(listfile)
    listed = {p for _, p, _ in entries if p != "-"}
    none_names = {g for grp, _, gives in entries if grp == "none" for g in gives}
    gives = {}
    for _, pkg, gs in entries:
        for g in gs:
            gives.setdefault(g, set()).add(pkg)
    used = uses.collect(paths)
    print("PASS: uses.py finds commands, Perl and Python modules" if
          sum(k == "cmd" for k, _, _ in used) > 20 and sum(k == "perl" for k, _, _ in used) > 3 and
          sum(k == "py" for k, _, _ in used) > 3 else "FAIL: uses.py finds commands, Perl and Python modules")
    dpkg = Dpkg()
    builtins = set(run("bash", "-c", "compgen -b; compgen -k").split())
    closure_of = {}

    def closure(pkgs):
        key = tuple(sorted(pkgs))
        if key not in closure_of:
            closure_of[key] = dpkg.closure(pkgs)
        return closure_of[key]

    # ---- commands
    files = {}
    for kind, name, where in used:
        if kind == "cmd" and name not in builtins:
            f = cmd_files(name)
            if f:
                files[name] = (f, where)
    owners = dpkg.owners([p for f, _ in files.values() for p in f])
    bad = []
    for name, (fs, where) in sorted(files.items()):
        pk = set().union(*(owners[p] for p in fs))
        if any(p in listed or dpkg.base(p) for p in pk):
            continue
        if name in gives and pk & closure(gives[name] - {"-"}):
            continue
        if not pk and name in none_names:
            continue
        bad.append("%s (%s: %s, %s)" % (name, where, fs[0], "package " + " ".join(sorted(pk)) if pk else "of no package"))
    report(not bad, "the %d installed commands the scripts run come from listed or base packages" % len(files),
           "not in %s: %s" % (listfile, "; ".join(bad)))

    # ---- modules
    everything = closure(listed)
    bad, absent, n = [], [], 0
    mods = {}
    for kind, name, where in used:
        if kind in ("perl", "py"):
            if kind == "py" and name in sys.builtin_module_names:
                continue  # built into the interpreter (sys, time...): python3 gives it
            f = module_file(kind, name)
            if f:
                mods[(kind, name)] = (os.path.realpath(f), where)
            elif "%s:%s" % (kind, name) not in gives:
                absent.append("%s:%s (%s)" % (kind, name, where))
    mowners = dpkg.owners([f for f, _ in mods.values()])
    for (kind, name), (f, where) in sorted(mods.items()):
        n += 1
        pk = mowners[f]
        if not any(p in everything or dpkg.base(p) for p in pk):
            bad.append("%s:%s (%s: %s, package %s)" % (kind, name, where, f, " ".join(sorted(pk)) or "none"))
    report(not bad, "the %d installed modules the scripts load come from listed packages or their dependencies" % n,
           "not in %s: %s" % (listfile, "; ".join(bad)))
    report(not absent, "every module the scripts load is installed or listed", "; ".join(absent))

    # ---- the other way: GIVES entries used, and given by their packages
    names = {("%s:%s" % (k, n) if k != "cmd" else n) for k, n, _ in used}
    unused = sorted(g for g in gives if g not in names)
    report(not unused, "every GIVES entry of the list is used by a script", " ".join(unused))
    wrong = []
    for g, pkgs in sorted(gives.items()):
        for pkg in pkgs:
            if pkg == "-" or not dpkg.installed(pkg):
                continue
            if ":" in g:
                f = module_file(*g.split(":", 1))
                fs = [os.path.realpath(f)] if f else []
            else:
                fs = cmd_files(g)
            pk = set().union(*dpkg.owners(fs).values()) if fs else set()
            if not pk & closure({pkg}):
                wrong.append("%s (%s: %s)" % (g, pkg, fs[0] if fs else "not found"))
    report(not wrong, "every GIVES entry is given by its package (dpkg -S)", "; ".join(wrong))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
