#!/usr/bin/env python3
"""core-memory.py CORE PID: the memory in a plain ELF core equals the live,
idle process's, read through /proc/PID/mem (the kernel's view is the oracle).

Every PT_LOAD's file bytes that fall in an anonymous mapping (no file, or
[heap], [stack], [anon:...]) must equal the process's bytes, page for page;
and every page of those mappings that holds anything but zeros in the process
must be in the core. Prints one line of counts; exits 1 with the first
mismatch."""
import bisect
import struct
import sys


def loads(path):
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            sys.exit(f"{path}: not a little-endian ELF64 file")
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    out = []
    for i in range(phnum):
        p_type, _flags, off, vaddr, _paddr, filesz, memsz, _align = struct.unpack_from("<IIQQQQQQ", table, i * phentsize)
        if p_type == 1:
            out.append((vaddr, off, filesz, memsz))
    return out


def anon_mappings(pid):
    maps = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            fields = line.split(None, 5)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            path = fields[5].strip() if len(fields) > 5 else ""
            readable = fields[1][0] == "r"
            if readable and (path == "" or path in ("[heap]", "[stack]") or path.startswith("[anon")):
                maps.append((start, end))
    return maps


def main():
    core, pid = sys.argv[1], int(sys.argv[2])
    page = 4096
    segs = sorted(loads(core))
    starts = [s[0] for s in segs]
    anon = anon_mappings(pid)
    compared = present = 0
    with open(core, "rb") as c, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for start, end in anon:
            for addr in range(start, end, page):
                i = bisect.bisect_right(starts, addr) - 1
                seg = segs[i] if i >= 0 and addr < segs[i][0] + segs[i][3] else None
                mem.seek(addr)
                try:
                    live = mem.read(page)
                except OSError:
                    continue
                in_core = seg is not None and addr < seg[0] + seg[2]
                if in_core:
                    c.seek(seg[1] + addr - seg[0])
                    got = c.read(page)
                    compared += 1
                    if got != live:
                        sys.exit(f"page {addr:#x}: the core's bytes differ from the process's")
                if any(live):
                    present += 1
                    if not in_core:
                        sys.exit(f"page {addr:#x} holds data in the process but is not in the core")
    print(f"{compared} pages compared, {present} with data, {len(anon)} anonymous mappings")


main()
