#!/usr/bin/env python3
"""Checks that each library includes only the folders it may depend on (layers.json).

CMake links one static library per folder, so a forbidden *call* fails to link; a forbidden
*include* of a header-only piece would not. This check closes that gap: it reads every
#include "..." of the project's own sources and fails on any that crosses a layer the wrong way.

  check_layering.py ROOT [--rules layers.json]     exit 0: clean; 1: violations (listed)
  check_layering.py --self-test                    proves a muc/ -> ds/ include is caught
"""
import argparse
import json
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SOURCES = (".h", ".hpp", ".cpp", ".cc")
HERE = os.path.dirname(os.path.abspath(__file__))


def owner(path, rules):
    """The most specific rule folder that holds `path` (relative, '/'-separated), or None."""
    best = None
    for folder in rules:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best


def allowed(target, own, deps):
    for folder in [own] + deps:
        if target == folder or target.startswith(folder + "/"):
            return True
    return False


def check(root, rules):
    """Every violation as 'file:line: includes "x" (folder may include: ...)'."""
    problems = []
    for folder in sorted({r.split("/")[0] for r in rules}):
        top = os.path.join(root, folder)
        if not os.path.isdir(top):
            continue
        for dirpath, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                own = owner(rel, rules)
                if own is None:
                    problems.append(f"{rel}: no layering rule covers this file")
                    continue
                with open(full, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    target = m.group(1)
                    if "/" not in target:
                        continue  # a file beside this one
                    if target.split("/")[0] not in {r.split("/")[0] for r in rules}:
                        continue  # not one of the project's folders (e.g. a system header)
                    if not allowed(target, own, rules[own]):
                        line = text.count("\n", 0, m.start()) + 1
                        problems.append(f'{rel}:{line}: includes "{target}" '
                                        f"({own} may include: {', '.join(rules[own]) or 'nothing'})")
    return problems


def self_test(rules):
    """A tree with one clean muc/ file and one that includes a ds/ header: exactly the second
    must be reported. Fails (exit 1) if the checker misses it or flags the clean one."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "component", "muc"))
        os.makedirs(os.path.join(root, "component", "ds"))
        with open(os.path.join(root, "component", "ds", "delivery_service.h"), "w") as f:
            f.write('#include "component/rooms/group_host.h"\n')
        with open(os.path.join(root, "component", "muc", "clean.cpp"), "w") as f:
            f.write('#include "component/rooms/room_extension.h"\n#include <vector>\n')
        with open(os.path.join(root, "component", "muc", "room.cpp"), "w") as f:
            f.write('// a room\n#include "component/muc/room.h"\n'
                    '#include "component/ds/delivery_service.h"\n')
        problems = check(root, rules)
    expected = ['component/muc/room.cpp:3: includes "component/ds/delivery_service.h"']
    ok = len(problems) == 1 and problems[0].startswith(expected[0])
    print("\n".join(problems) if problems else "(no violations reported)")
    print("self-test:", "ok, the muc -> ds include was caught" if ok else "FAILED")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?")
    ap.add_argument("--rules", default=os.path.join(HERE, "layers.json"))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    with open(args.rules, encoding="utf-8") as f:
        rules = json.load(f)["rules"]
    if args.self_test:
        return self_test(rules)
    if not args.root:
        ap.error("ROOT is required")
    problems = check(args.root, rules)
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
