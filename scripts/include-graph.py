#!/usr/bin/env python3
"""The include graph of analyzer/, by module, and its circles.

A module is a .c file and its .h (analyzer/evidence.c + analyzer/evidence.h
= "evidence"); module A depends on B when A.c or A.h includes
"analyzer/B.h". Prints one line per module with what it depends on, then
every circle (a strongly connected component of more than one module), and
exits 1 when there is one: the analysis is a table of stages (analyze.c)
over modules that must not call back into each other.

usage: scripts/include-graph.py [SOURCE_DIR]
"""
import os
import re
import sys

INCLUDE = re.compile(r'\s*#\s*include\s+"analyzer/([^"]+)\.[ch]"')


def graph(root):
    deps = {}
    for d, _, files in os.walk(os.path.join(root, 'analyzer')):
        for f in files:
            if not f.endswith(('.c', '.h')):
                continue
            rel = os.path.relpath(os.path.join(d, f), os.path.join(root, 'analyzer'))
            mod = rel[:-2]
            deps.setdefault(mod, set())
            with open(os.path.join(d, f), encoding='utf-8', errors='replace') as fp:
                for line in fp:
                    m = INCLUDE.match(line)
                    if m and m.group(1) != mod:
                        deps[mod].add(m.group(1))
    return deps


def circles(deps):
    """Tarjan's strongly connected components, iterative; those of more than one module."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(deps):
        if start in index:
            continue
        work = [(start, iter(sorted(deps.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(deps.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
    deps = graph(root)
    for mod in sorted(deps):
        print(f"{mod:28} -> {' '.join(sorted(deps[mod])) or '-'}")
    found = circles(deps)
    print(f"circles: {len(found)}")
    for c in found:
        print("  " + " <-> ".join(c))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
