#!/usr/bin/python3
"""Writes the malformed cores of tests/corrupt/ (python3 stdlib only).

Every file is derived from one minimal valid x86_64 ELF64 core built here
byte by byte:

     0  Elf64_Ehdr      ET_CORE, EM_X86_64, e_phoff 64, e_phnum 2
    64  Elf64_Phdr[2]   PT_NOTE, PT_LOAD (the thread's stack)
   176  notes           CORE/NT_PRSTATUS (336-byte desc: pr_cursig at 12,
                        pr_pid at 32, user_regs_struct at 112), then any
                        HANGSNAP notes a case adds
   ...  stack           STACK_SIZE bytes at STACK_VADDR, 16-byte aligned

and the compressed ones from zstd frames written here too: a zstd frame of
raw (stored) blocks is a few header bytes, so no compressor is needed, and
the seekable format's seek table is a skippable frame (magic 0x184D2A5E,
frame size, {compressed u32, decompressed u32} per frame, then the footer
{num_frames u32, descriptor u8, magic 0x8F92EAB1}).

Usage: make-corrupt.py [OUTDIR]   (default: the directory of this script)
       make-corrupt.py --valid DIR  also writes the valid cores (fuzz seeds)

Each case's expected error is in expected.txt next to this file; run
run-corrupt.sh after changing either.
"""
import os
import struct
import sys

# ---- ELF constants ------------------------------------------------------

ET_EXEC, ET_CORE = 2, 4
EM_X86_64, EM_AARCH64 = 62, 183
PT_LOAD, PT_NOTE = 1, 4
PF_R, PF_W = 4, 2
PN_XNUM = 0xFFFF
NT_PRSTATUS = 1
HANGSNAP_NT_PROCESS, HANGSNAP_NT_THREAD = 1, 2

EHDR_SIZE, PHDR_SIZE, SHDR_SIZE = 64, 56, 64
PRSTATUS_SIZE = 336

# user_regs_struct order (NT_PRSTATUS pr_reg)
GREGS = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax "
         "rip cs eflags rsp ss fs_base gs_base ds es fs gs").split()

STACK_VADDR = 0x7FFD0000
STACK_SIZE = 512
TID = 4242

# ---- builders -----------------------------------------------------------


def align(n, a):
    return (n + a - 1) & ~(a - 1)


def ehdr(phnum, *, phoff=EHDR_SIZE, e_type=ET_CORE, machine=EM_X86_64, ei_class=2, ei_data=1,
         phentsize=PHDR_SIZE, shoff=0, shnum=0):
    ident = b"\x7fELF" + bytes([ei_class, ei_data, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, 0, phoff, shoff, 0,
                               EHDR_SIZE, phentsize, phnum, SHDR_SIZE if shnum else 0, shnum, 0)


def phdr(p_type, offset, vaddr, filesz, memsz, flags=PF_R, palign=1):
    return struct.pack("<IIQQQQQQ", p_type, flags, offset, vaddr, 0, filesz, memsz, palign)


def note(owner, n_type, desc, *, namesz=None, descsz=None):
    name = owner.encode() + b"\0"
    hdr = struct.pack("<III", len(name) if namesz is None else namesz,
                      len(desc) if descsz is None else descsz, n_type)
    return hdr + name.ljust(align(len(name), 4), b"\0") + desc.ljust(align(len(desc), 4), b"\0")


def prstatus(tid=TID, **regs):
    """NT_PRSTATUS desc: pr_cursig (i16) at 12, pr_pid at 32, pr_reg at 112."""
    desc = bytearray(PRSTATUS_SIZE)
    struct.pack_into("<h", desc, 12, 0)
    struct.pack_into("<i", desc, 32, tid)
    struct.pack_into("<i", desc, 36, tid)      # pr_ppid: anything
    values = dict(cs=0x33, ss=0x2B, eflags=0x246, orig_rax=0xFFFFFFFFFFFFFFFF)
    values.update(regs)
    for i, name in enumerate(GREGS):
        struct.pack_into("<Q", desc, 112 + 8 * i, values.get(name, 0) & 0xFFFFFFFFFFFFFFFF)
    return bytes(desc)


def hs_str(s):
    b = s.encode()
    return struct.pack("<H", len(b)) + b


def hs_process(pid=TID, nthreads=1, nthreads_unstopped=0, comm="sleeper"):
    """HANGSNAP PROCESS record (layout: formats/hangsnap_notes.c)."""
    return (struct.pack("<HHiiIIIIII", 1, 0, pid, 1, 0, 0, 0, 100, nthreads, nthreads_unstopped)
            + struct.pack("<QQQQ", 0, 0, 1_700_000_000 * 10**9, 1_000_000)
            + hs_str(comm) + hs_str("/usr/bin/" + comm) + hs_str("") + hs_str(comm + "\0")
            + hs_str("host") + hs_str(""))


def hs_thread(tid=TID, state="S", syscall_nr=230, comm="sleeper"):
    """HANGSNAP THREAD record."""
    return (struct.pack("<HHiBBHq", 1, 0, tid, ord(state), 1, 0, syscall_nr)
            + struct.pack("<6Q", 0, 0, STACK_VADDR + 0x180, 0, 0, 0)
            + struct.pack("<QQ", STACK_VADDR + 0x100, 0x401000)
            + struct.pack("<8QQ", 1, 1, 2, 2, 10, 10, 0, 0, 100_000_000)
            + hs_str(comm) + hs_str("hrtimer_nanosleep") + hs_str("230 0x0 0x0 0x7ffd0180 0x0 0x0 0x0 0x7ffd0100 0x401000"))


def hs_fd(fd=3, kind=4, target="pipe:[1234]"):
    return struct.pack("<HHiIIIQQ", 1, 0, fd, kind, 0o2, 15, 0, 1234) + hs_str(target) + hs_str("")


def hs_socket():
    return (struct.pack("<HHQHHBBHH", 1, 0, 5678, 2, 6, 1, 0, 8080, 43210)
            + bytes([127, 0, 0, 1]) + bytes(12) + bytes([127, 0, 0, 1]) + bytes(12)
            + struct.pack("<IIIIQ", 0, 0, 0, 1000, 0) + hs_str(""))


def hs_pipe(holders=((TID, 3, ord("r")), (TID, 4, ord("w")))):
    return (struct.pack("<HHQIII", 1, 0, 1234, 0, 65536, len(holders))
            + b"".join(struct.pack("<iiB", *h) for h in holders) + hs_str(""))


def hs_lock():
    return struct.pack("<HHIBBBBiIIQQQ", 1, 0, 1, 0, 2, 2, 0, TID, 8, 1, 99, 0, 0xFFFFFFFFFFFFFFFF) + hs_str("/tmp/lock")


def hs_child():
    return struct.pack("<HHiB3sIq", 1, 0, TID + 1, ord("S"), bytes(3), 1, 61) + hs_str("child") + hs_str("do_wait") + hs_str("61")


def default_stack():
    """The stack of a thread in clock_nanosleep: a timespec at +0x180."""
    stack = bytearray(STACK_SIZE)
    struct.pack_into("<QQ", stack, 0x180, 5, 0)
    return stack


def default_regs():
    # clock_nanosleep(CLOCK_REALTIME, 0, &ts, NULL), rip in no mapping
    return dict(orig_rax=230, rax=0xFFFFFFFFFFFFFDFC, rdi=0, rsi=0, rdx=STACK_VADDR + 0x180, r10=0,
                rsp=STACK_VADDR + 0x100, rbp=0, rip=0x401000)


def core(*, notes=None, loads=None, **eh):
    """A core: the PT_NOTE segment from notes (bytes), then one PT_LOAD per
    (vaddr, data) in loads, laid out one after another. Returns (bytes,
    layout) where layout has the offsets the corruptions patch."""
    if notes is None:
        notes = note("CORE", NT_PRSTATUS, prstatus(**default_regs()))
    if loads is None:
        loads = [(STACK_VADDR, bytes(default_stack()))]
    phnum = 1 + len(loads)
    phoff = EHDR_SIZE
    notes_off = phoff + phnum * PHDR_SIZE
    off = align(notes_off + len(notes), 16)
    phdrs = [phdr(PT_NOTE, notes_off, 0, len(notes), 0)]
    data = b""
    load_offs = []
    for vaddr, blob in loads:
        phdrs.append(phdr(PT_LOAD, off + len(data), vaddr, len(blob), len(blob), PF_R | PF_W))
        load_offs.append(off + len(data))
        data += blob.ljust(align(len(blob), 16), b"\0")
    out = bytearray(ehdr(phnum, phoff=phoff, **eh))
    out += b"".join(phdrs)
    out += notes
    out = out.ljust(off, b"\0") + data
    return out, dict(phoff=phoff, notes_off=notes_off, load_offs=load_offs)


def phdr_field(layout, index, field):
    """Offset of a program header field."""
    fields = dict(p_type=0, p_flags=4, p_offset=8, p_vaddr=16, p_paddr=24, p_filesz=32, p_memsz=40)
    return layout["phoff"] + index * PHDR_SIZE + fields[field]


# ---- zstd ---------------------------------------------------------------

ZSTD_MAGIC = 0xFD2FB528
SKIPPABLE_SEEK_TABLE_MAGIC = 0x184D2A5E
SEEKABLE_MAGIC = 0x8F92EAB1
ZSTD_BLOCK_MAX = 128 * 1024


def zstd_raw_frame(data):
    """A zstd frame storing data in raw blocks: descriptor 0xA0 (single
    segment, 4-byte content size, no checksum), then blocks with a 3-byte
    header: last-block bit, type 0 (raw), size << 3."""
    out = struct.pack("<IB", ZSTD_MAGIC, 0xA0) + struct.pack("<I", len(data))
    chunks = [data[i:i + ZSTD_BLOCK_MAX] for i in range(0, len(data), ZSTD_BLOCK_MAX)] or [b""]
    for i, chunk in enumerate(chunks):
        header = (1 if i == len(chunks) - 1 else 0) | (len(chunk) << 3)
        out += struct.pack("<I", header)[:3] + chunk
    return out


def zstd_blocks_frame(parts):
    """A zstd frame of raw and RLE blocks, for the decompression bombs: parts
    are bytes (raw blocks) or (byte, count) (RLE blocks: 4 bytes for each 128
    KiB of output). No content size, no checksum: descriptor 0, then a window
    descriptor of 1 MiB (exponent 20 - 10 in its high 5 bits)."""
    blocks = []
    for part in parts:
        if isinstance(part, tuple):
            byte, count = part
            for i in range(0, count, ZSTD_BLOCK_MAX):
                blocks.append((1, min(ZSTD_BLOCK_MAX, count - i), bytes([byte])))
        else:
            for i in range(0, len(part), ZSTD_BLOCK_MAX):
                chunk = part[i:i + ZSTD_BLOCK_MAX]
                blocks.append((0, len(chunk), chunk))
    out = struct.pack("<IBB", ZSTD_MAGIC, 0, 10 << 3)
    for i, (btype, size, payload) in enumerate(blocks):
        header = (1 if i == len(blocks) - 1 else 0) | btype << 1 | size << 3
        out += struct.pack("<I", header)[:3] + payload
    return out


def seek_table(entries, descriptor=0):
    """The seekable format's skippable frame: entries are (compressed, decompressed)."""
    body = b"".join(struct.pack("<II", c, d) for c, d in entries)
    body += struct.pack("<IBI", len(entries), descriptor, SEEKABLE_MAGIC)
    return struct.pack("<II", SKIPPABLE_SEEK_TABLE_MAGIC, len(body)) + body


def seekable(data, frame_size):
    frames = [zstd_raw_frame(data[i:i + frame_size]) for i in range(0, len(data), frame_size)]
    entries = [(len(f), min(frame_size, len(data) - i * frame_size)) for i, f in enumerate(frames)]
    return frames, entries


# ---- the cases ----------------------------------------------------------


def many_stacks_core(nthreads, stack_size):
    """The header and notes of a core with nthreads threads whose stacks are
    consecutive stack_size slices of one PT_LOAD, and how far the header goes:
    the segment's bytes (zeros) are for the caller to append."""
    notes = b""
    for i in range(nthreads):
        regs = default_regs()
        regs.update(rsp=STACK_VADDR + i * stack_size + 0x100, rdx=STACK_VADDR + i * stack_size + 0x180)
        notes += note("CORE", NT_PRSTATUS, prstatus(tid=TID + i, **regs))
    notes_off = EHDR_SIZE + 2 * PHDR_SIZE
    data_off = align(notes_off + len(notes), 4096)
    size = nthreads * stack_size
    out = (ehdr(2) + phdr(PT_NOTE, notes_off, 0, len(notes), 0)
           + phdr(PT_LOAD, data_off, STACK_VADDR, size, size, PF_R | PF_W) + notes)
    return out.ljust(data_off, b"\0")


def valid_core():
    return bytes(core()[0])


def patched(patches, **kw):
    """The valid core with struct.pack_into patches (fmt, offset_fn, value...)."""
    out, layout = core(**kw)
    for fmt, where, *values in patches:
        struct.pack_into(fmt, out, where(layout) if callable(where) else where, *values)
    return bytes(out)


def cases():
    valid = valid_core()
    c = {}

    # -- not a core at all
    c["empty.core"] = b""
    c["not-elf.core"] = b"this is a text file that someone passed as a core; it is not ELF\n"
    c["truncated-ident.core"] = valid[:10]
    c["truncated-ehdr.core"] = valid[:40]
    c["elf32.core"] = patched([("<B", 4, 1)])
    c["big-endian.core"] = patched([("<B", 5, 2)])
    c["not-core-exec.core"] = patched([("<H", 16, ET_EXEC)])
    c["wrong-machine.core"] = patched([("<H", 18, EM_AARCH64)])
    c["bad-phentsize.core"] = patched([("<H", 54, 32)])

    # -- program headers
    c["no-phdrs.core"] = patched([("<H", 56, 0)])
    c["phdrs-past-eof.core"] = patched([("<Q", 32, len(valid) - PHDR_SIZE)])
    c["pn-xnum-no-shdr.core"] = patched([("<H", 56, PN_XNUM)])
    # PN_XNUM: the real count is section header 0's sh_info (u32): claim 2^31
    shdr0 = bytearray(SHDR_SIZE)
    struct.pack_into("<I", shdr0, 44, 1 << 31)           # sh_info
    huge = bytearray(valid) + shdr0
    struct.pack_into("<Q", huge, 40, len(valid))          # e_shoff
    struct.pack_into("<H", huge, 56, PN_XNUM)             # e_phnum
    struct.pack_into("<H", huge, 60, 1)                   # e_shnum
    struct.pack_into("<H", huge, 58, SHDR_SIZE)           # e_shentsize
    c["huge-phnum.core"] = bytes(huge)
    # the PT_NOTE turned into PT_NULL: segments but nothing to say about threads
    c["no-note.core"] = patched([("<I", lambda l: phdr_field(l, 0, "p_type"), 0)])
    # a PT_NOTE that claims room for 2^31 NT_PRSTATUS notes
    c["huge-note-segment.core"] = patched([("<Q", lambda l: phdr_field(l, 0, "p_filesz"),
                                            (1 << 31) * (12 + 8 + PRSTATUS_SIZE))])

    # -- notes
    c["no-prstatus.core"] = patched([("<I", lambda l: l["notes_off"] + 8, 0x4242)])
    c["prstatus-too-short.core"] = bytes(core(notes=note("CORE", NT_PRSTATUS, prstatus()[:100]))[0])
    c["note-size-overflow.core"] = patched([("<I", lambda l: l["notes_off"] + 4, 0xFFFFFFFF)])
    c["note-name-overflow.core"] = patched([("<I", lambda l: l["notes_off"], 0xFFFFFFFF)])

    # -- local damage: a report with warnings
    # a second PT_LOAD over the first one's second half
    c["overlapping-segments.core"] = bytes(core(loads=[(STACK_VADDR, bytes(default_stack())),
                                                       (STACK_VADDR + STACK_SIZE // 2, bytes(STACK_SIZE))])[0])
    # the stack's p_filesz runs 64 KiB past the end of the file (a core cut at a size limit)
    c["segment-past-eof.core"] = patched([
        ("<Q", lambda l: phdr_field(l, 1, "p_filesz"), STACK_SIZE + 65536),
        ("<Q", lambda l: phdr_field(l, 1, "p_memsz"), STACK_SIZE + 65536)])
    # a second PT_LOAD at the top of the address space whose p_memsz wraps past 2^64
    c["segment-wraps.core"] = patched([("<Q", lambda l: phdr_field(l, 2, "p_memsz"), 0x2000)],
                                      loads=[(STACK_VADDR, bytes(default_stack())), (0xFFFFFFFFFFFFF000, bytes(16))])
    # only a PT_NOTE: registers but no memory at all (the rest filtered out)
    c["no-load.core"] = bytes(core(loads=[])[0])
    # clock_nanosleep's timespec says 2^62 seconds: a timeout in ms does not fit in 64 bits
    stack = default_stack()
    struct.pack_into("<QQ", stack, 0x180, 1 << 62, 0)
    c["huge-timeout.core"] = bytes(core(loads=[(STACK_VADDR, bytes(stack))])[0])
    # a HANGSNAP process record that claims 2^31 threads, all of them unstopped
    # (a u32 count is the largest claim the format allows), next to one NT_PRSTATUS
    c["threads-2pow31-claim.core"] = bytes(core(notes=note("CORE", NT_PRSTATUS, prstatus(**default_regs()))
                                                + note("HANGSNAP", HANGSNAP_NT_PROCESS,
                                                       hs_process(nthreads=1 << 31, nthreads_unstopped=1 << 31)))[0])
    # a HANGSNAP thread record cut after 20 of its 156+ bytes
    thread_rec = hs_thread()
    c["bad-hangsnap-note.core"] = bytes(core(notes=note("CORE", NT_PRSTATUS, prstatus(**default_regs()))
                                             + note("HANGSNAP", HANGSNAP_NT_PROCESS, hs_process())
                                             + note("HANGSNAP", HANGSNAP_NT_THREAD, thread_rec[:20]))[0])
    # frame-pointer loop: rbp points at a saved rbp equal to itself, the return
    # address above it is in no mapping, and so is rip
    stack = default_stack()
    loop = 0x1C0
    struct.pack_into("<QQ", stack, loop, STACK_VADDR + loop, 0x401234)
    c["cyclic-stack.core"] = bytes(core(notes=note("CORE", NT_PRSTATUS, prstatus(
        orig_rax=0xFFFFFFFFFFFFFFFF, rsp=STACK_VADDR + 0x100, rbp=STACK_VADDR + loop, rip=0xDEAD0000)),
        loads=[(STACK_VADDR, bytes(stack))])[0])

    # -- zstd
    c["bad-zstd.core.zst"] = struct.pack("<I", ZSTD_MAGIC) + b"\xde\xad\xbe\xef garbage, not a frame header" * 2
    c["truncated-zstd.core.zst"] = zstd_raw_frame(valid)[:len(valid) // 2]
    c["empty-zstd.core.zst"] = zstd_raw_frame(b"")
    # a valid zstd stream of something that is not a core: refused at its first bytes
    c["zstd-not-elf.core.zst"] = zstd_raw_frame(b"#!/bin/sh\necho not a core\n" * 64)
    # seekable, two frames: the second frame lost its last 200 bytes but the
    # seek table still says it is whole, so its entry points past the end
    frames, entries = seekable(valid, 512)
    c["truncated-seekable.hang.zst"] = b"".join(frames)[:-200] + seek_table(entries)
    # seekable, the table is right but frame 0 has a reserved block type (3)
    frames, entries = seekable(valid, 512)
    bad = bytearray(frames[0])
    bad[9] |= 0x06
    c["corrupt-frame.hang.zst"] = bytes(bad) + b"".join(frames[1:]) + seek_table(entries)
    frames, entries = seekable(valid, 512)
    c["seek-table-zero-frames.hang.zst"] = b"".join(frames) + seek_table([])

    # -- decompression bombs: a few KB of zstd that expand to what the core does not declare
    # one stream: the valid core, then 1 MiB of zeros past its last segment
    c["zstd-past-extent.core.zst"] = zstd_blocks_frame([valid, (0, 1 << 20)])
    # one stream: a core whose stack segment really is 8 MiB (of zeros): read
    # whole by default, refused under HANGANALYZE_ZSTD_MAX=1M (run-corrupt.sh)
    big, _ = core(loads=[(STACK_VADDR, bytes(default_stack()) + bytes((8 << 20) - STACK_SIZE))])
    c["zstd-8m-core.core.zst"] = zstd_blocks_frame([bytes(big[:4096]), (0, len(big) - 4096)])
    assert big[4096:] == bytes(len(big) - 4096)
    # seekable: the valid core's frames, then one more of 64 MiB of zeros in the seek table
    frames, entries = seekable(valid, 512)
    frames.append(zstd_blocks_frame([(0, 64 << 20)]))
    entries.append((len(frames[-1]), 64 << 20))
    c["seekable-past-extent.hang.zst"] = b"".join(frames) + seek_table(entries)
    # seekable: 16 threads, each stack in its own frame of 64 MiB (zeros): a
    # valid core of 1 GiB in 33 KB, which the frame cache must not hold whole
    head = many_stacks_core(16, 64 << 20)
    frames = [zstd_raw_frame(head)] + [zstd_blocks_frame([(0, 64 << 20)])] * 16
    entries = [(len(frames[0]), len(head))] + [(len(frames[1]), 64 << 20)] * 16
    c["seekable-1g-16-threads.hang.zst"] = b"".join(frames) + seek_table(entries)
    return c


def valid_cases():
    """Valid inputs for the fuzz corpus: the base core in each container, a core
    with every kind of note, and each HANGSNAP record alone (the decoders' input)."""
    valid = valid_core()
    frames, entries = seekable(valid, 512)
    records = {"process": (1, hs_process()), "thread": (2, hs_thread()), "fd": (3, hs_fd()),
               "socket": (4, hs_socket()), "pipe": (5, hs_pipe()), "lock": (6, hs_lock()),
               "child": (7, hs_child())}
    psinfo = bytearray(136)
    struct.pack_into("<i", psinfo, 24, TID)
    psinfo[40:47] = b"sleeper"
    psinfo[56:63] = b"sleeper"
    auxv = struct.pack("<6Q", 3, 0x400040, 33, 0x7FFD1000, 0, 0)           # AT_PHDR, AT_SYSINFO_EHDR
    nt_file = (struct.pack("<QQ", 1, 4096) + struct.pack("<3Q", 0x400000, 0x401000, 0)
               + b"/usr/bin/sleeper\0")
    notes = (note("CORE", NT_PRSTATUS, prstatus(**default_regs()))
             + note("CORE", 3, bytes(psinfo)) + note("CORE", 6, auxv) + note("CORE", 0x46494C45, nt_file)
             + b"".join(note("HANGSNAP", t, rec) for t, rec in records.values()))
    out = {
        "valid.core": valid,
        "valid.hang.zst": b"".join(frames) + seek_table(entries),
        "valid-stream.core.zst": zstd_raw_frame(valid),
        "valid-all-notes.core": bytes(core(notes=notes)[0]),
    }
    for name, (_, rec) in records.items():
        out["record-%s.bin" % name] = rec
    return out


def write_all(outdir, files):
    os.makedirs(outdir, exist_ok=True)
    for name, data in sorted(files.items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


def main(argv):
    if len(argv) == 3 and argv[1] == "--valid":
        write_all(argv[2], valid_cases())
        return 0
    if len(argv) > 2:
        sys.stderr.write(__doc__)
        return 2
    write_all(argv[1] if len(argv) == 2 else os.path.dirname(os.path.abspath(__file__)), cases())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
