#!/usr/bin/env python3
"""Damaged debug info never crashes or hangs the DWARF layout reader.

  ruby-dwarf-corrupt.py LIBRUBY VERSION PROG SEEDS WORKDIR
      For each seed, a copy of LIBRUBY with 1 to 1000 random bytes of one of
      its .debug_* sections overwritten; PROG (tests/progs/ruby-dwarf-layout)
      LIB VERSION --no-fallback must exit 0 (a layout) or 1 (none), within
      20 s. Exits 1 listing the seeds that did not.
"""
import os
import random
import subprocess
import sys


def main(lib, version, prog, seeds, work):
    data = open(lib, 'rb').read()
    out = subprocess.run(['readelf', '-SW', lib], capture_output=True, text=True, check=True).stdout
    secs = []
    for line in out.splitlines():
        if '.debug_' in line and ']' in line:
            f = line.split(']', 1)[1].split()
            secs.append((f[0], int(f[3], 16), int(f[4], 16)))
    if not secs:
        sys.exit(f'{lib}: no .debug_* sections')
    main_secs = [s for s in secs if s[0] in ('.debug_info', '.debug_abbrev', '.debug_macro', '.debug_str')] or secs
    path = os.path.join(work, 'damaged.so')
    bad = []
    results = {0: 0, 1: 0}
    for seed in range(seeds):
        r = random.Random(seed)
        name, off, size = r.choice(main_secs if seed % 2 == 0 else secs)
        b = bytearray(data)
        for _ in range(r.choice([1, 10, 100, 1000])):
            b[off + r.randrange(size)] = r.randrange(256)
        with open(path, 'wb') as fp:
            fp.write(b)
        try:
            rc = subprocess.run([prog, path, version, '--no-fallback'], capture_output=True, timeout=20).returncode
        except subprocess.TimeoutExpired:
            rc = 'timeout'
        if rc in results:
            results[rc] += 1
        else:
            bad.append(f'seed {seed} ({name}): {rc}')
    os.unlink(path)
    print(f'# {seeds} damaged copies: {results[0]} with a layout, {results[1]} without, {len(bad)} crashed or hung')
    if bad:
        sys.exit('\n'.join(bad))


if __name__ == '__main__':
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
