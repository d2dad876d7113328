#!/usr/bin/env python3
"""Damages the Ruby VM's memory in a plain ELF core, in place, reproducibly.

  damage.py CORE SEED DENSITY

Every writable PT_LOAD with bytes in the file (the heap, the VM stacks, the
data of libruby) gets about one 8-byte word in DENSITY overwritten, chosen
and filled by a PRNG seeded with SEED: zeros, all-ones, small integers,
pointers into other segments of the same core (so that lists loop, frames
point at the wrong objects and lengths claim gigabytes), and pointers to
their own neighbourhood (self loops). Prints how many words it changed.
"""
import random
import struct
import sys

PF_W = 2


def main():
    path, seed, density = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    with open(path, "r+b") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2:
            sys.exit("damage.py: %s is not a plain ELF64 core" % path)
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        loads = []
        for i in range(phnum):
            p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", table, i * phentsize)
            if p_type == 1:
                loads.append((p_flags, p_offset, p_vaddr, p_filesz, p_memsz))
        targets = [l for l in loads if l[0] & PF_W and l[3] >= 8]
        if not targets:
            sys.exit("damage.py: %s has no writable segment with data" % path)
        changed = 0
        for flags, off, vaddr, filesz, memsz in targets:
            for _ in range(max(1, filesz // 8 // density)):
                word = rng.randrange(filesz // 8)
                kind = rng.randrange(6)
                if kind == 0:
                    value = 0
                elif kind == 1:
                    value = (1 << 64) - 1
                elif kind == 2:
                    value = rng.randrange(1 << 31)
                elif kind == 3:
                    other = rng.choice(loads)
                    value = other[2] + (rng.randrange(max(1, other[4] // 8)) * 8)
                elif kind == 4:
                    value = vaddr + word * 8 + rng.randrange(-8, 9) * 8
                else:
                    value = rng.randrange(1 << 64)
                f.seek(off + word * 8)
                f.write(struct.pack("<Q", value & ((1 << 64) - 1)))
                changed += 1
    print(changed)


if __name__ == "__main__":
    main()
