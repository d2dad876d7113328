#!/usr/bin/python3
"""Writes a crafted x86_64 ELF core of N threads, for bench/scale.sh
(python3 stdlib only; the byte builders are tests/corrupt/make-corrupt.py's).

Usage: make-threads-core.py N OUT

The layout is make-corrupt.py's minimal core with N NT_PRSTATUS notes and
one PT_LOAD of shared memory:

     0  Elf64_Ehdr, Elf64_Phdr[2]  PT_NOTE, PT_LOAD
   176  notes                      N x CORE/NT_PRSTATUS (tids 1000..1000+N-1)
   ...  memory at 0x7ffd0000       a timespec {5, 0} at +0x180, then one
                                   40-byte glibc mutex per thread from +0x1000
                                   (__lock 2, __owner at +8)

and the threads, in four groups of about N/4, so that every kind of wait the
analyzer links threads with is there in numbers:

  - sleepers: clock_nanosleep(5 s) — "blocked", every one a candidate holder;
  - waiters on one mutex held by sleeper 0 (futex(FUTEX_WAIT, 2)): one
    lock-held-during-io finding with N/4 waiters;
  - a chain: each waits for a mutex owned by the next, the last one a
    sleeper: a wait-for chain N/4 long;
  - a cycle: each waits for a mutex owned by the next, the last one for the
    first's: one deadlock of N/4 threads.

(Few findings, each naming many threads: the findings cap, 10000, must not
cut the rules short before the work that is measured.)
"""
import importlib.util
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("mc", os.path.join(here, "..", "tests", "corrupt", "make-corrupt.py"))
mc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mc)

BASE = mc.STACK_VADDR
MUTEX_OFF, MUTEX_SIZE = 0x1000, 40
FIRST_TID = 1000
SYS_FUTEX, SYS_CLOCK_NANOSLEEP = 202, 230
ERESTARTSYS = (1 << 64) - 512


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    n = int(argv[1])
    tids = [FIRST_TID + i for i in range(n)]
    mem = bytearray(MUTEX_OFF + n * MUTEX_SIZE)
    struct.pack_into("<qq", mem, 0x180, 5, 0)
    owner = [None] * n          # index of the thread whose mutex thread i waits for
    q = n // 4
    for i in range(q, 2 * q):
        owner[i] = 0
    for i in range(2 * q, 3 * q):
        owner[i] = i + 1        # the last one waits for 3q, in the cycle
    for i in range(3 * q, n):
        owner[i] = i + 1 if i + 1 < n else 3 * q
    notes = []
    for i in range(n):
        mutex = BASE + MUTEX_OFF + i * MUTEX_SIZE
        regs = dict(rsp=BASE + 0x100, rbp=0, rip=0x401000, rax=ERESTARTSYS)
        if owner[i] is None:
            regs.update(orig_rax=SYS_CLOCK_NANOSLEEP, rdi=0, rsi=0, rdx=BASE + 0x180, r10=0)
        else:
            held = BASE + MUTEX_OFF + owner[i] * MUTEX_SIZE
            regs.update(orig_rax=SYS_FUTEX, rdi=held, rsi=128, rdx=2, r10=0)
        # each thread owns its own mutex (fs_base distinct for the stdio-lock lookups)
        struct.pack_into("<iII", mem, mutex - BASE, 2, 0, tids[i])
        regs.update(fs_base=0x7F0000000000 + i * 0x1000)
        notes.append(mc.note("CORE", mc.NT_PRSTATUS, mc.prstatus(tid=tids[i], **regs)))
    out, _ = mc.core(notes=b"".join(notes), loads=[(BASE, bytes(mem))])
    with open(argv[2], "wb") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
