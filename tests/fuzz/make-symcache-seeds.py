#!/usr/bin/env python3
"""Writes the seeds of fuzz-symcache (tests/fuzz/corpus-symcache/): symbol
cache files (analyzer/symcache.h) with the key fuzz-symcache.c expects, as
the target reads them — the byte 'c', then the file without its checksum
(the target appends it); 'r', then a whole file, checksum included.

    python3 tests/fuzz/make-symcache-seeds.py tests/fuzz/corpus-symcache
"""
import os
import struct
import sys

NONE = 0xFFFFFFFF


def s(x):
    if x is None:
        return struct.pack("<I", NONE)
    b = x.encode() if isinstance(x, str) else x
    return struct.pack("<I", len(b)) + b


def key(analyzer="fuzz-analyzer", build_id="0123456789abcdef", flags=0):
    return (s(analyzer) + s(build_id) + struct.pack("<QQQ", 1, 2, 3) + s("/fuzz/debug") +
            struct.pack("<QQQ", 4, 5, 6) + struct.pack("<I", flags))


def frame(raw, file, line, inlined=0, how=0, offset=0, pc=0):
    return s(raw) + s(file) + struct.pack("<iBBQQ", line, inlined, how, offset, pc)


def pc_rec(off, frames, has_cfi=1):
    return struct.pack("<BQ", 1, off) + s(None) + s(None) + struct.pack("<BI", has_cfi, len(frames)) + b"".join(frames)


def tail_rec(off, above, fr=None):
    return struct.pack("<BQ", 2, off) + s(above) + s(None) + struct.pack("<B", 1 if fr else 0) + (fr or b"")


def member_rec(off, t, m, v):
    return struct.pack("<BQ", 3, off) + s(t) + s(m) + struct.pack("<q", v)


def fact_rec(name, v):
    return struct.pack("<BQ", 4, 0) + s(name) + s(None) + struct.pack("<q", v)


def body(records, k=None, version=1):
    return b"HSSYMC\0" + bytes([version]) + (k or key()) + struct.pack("<I", len(records)) + b"".join(records)


def fnv(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main(out):
    os.makedirs(out, exist_ok=True)
    good = [
        pc_rec(0x10, [frame("futex_wait", "futex-internal.h", 146, 1, 3),
                      frame("__GI___lll_lock_wait", "lowlevellock.c", 49, 0, 0, 0x2b)]),
        pc_rec(0x20, [frame(None, None, 0)], 0),
        tail_rec(0x30, "worker", frame("helper", "x.c", 7, 0, 4, 3, 0x44)),
        tail_rec(0x31, "worker"),
        member_rec(0x40, "pthread_mutex_t", "__owner", 8),
        member_rec(0x41, "struct x", "y", -1),
        fact_rec("has_debuginfo", 1),
    ]
    seeds = {
        "valid": body(good),
        "valid-empty": body([]),
        "valid-one-pc": body(good[:1]),
        "duplicate-record": body(good + good[:1]),
        "other-key": body(good, key(build_id="fedcba9876543210")),
        "other-analyzer": body(good, key(analyzer="another")),
        "no-inline-flag": body(good, key(flags=1)),
        "version-2": body(good, version=2),
        "bad-magic": b"HSSYMX\0\1" + body(good)[8:],
        "bad-kind": body([struct.pack("<BQ", 9, 0) + s(None) + s(None)]),
        "too-many-frames": body([struct.pack("<BQ", 1, 0) + s(None) + s(None) + struct.pack("<BI", 1, 65)]),
        "huge-count": body([])[:-4] + struct.pack("<I", 0xFFFFFFF0),
        "string-too-long": body([member_rec(0, "t" * 5000, "m", 1)]),
        "string-past-end": body([])[:-4] + struct.pack("<I", 1) + struct.pack("<BQ", 3, 0) + struct.pack("<I", 100) + b"ab",
        "nul-in-string": body([member_rec(0, "a\0b", "m", 1)]),
        "bad-how": body([pc_rec(0, [frame("f", None, 1, 0, 9)])]),
        "pc-with-strings": body([struct.pack("<BQ", 1, 0) + s("x") + s(None) + struct.pack("<BI", 0, 0)]),
        "fact-with-offset": body([struct.pack("<BQ", 4, 5) + s("has_debuginfo") + s(None) + struct.pack("<q", 1)]),
        "trailing-bytes": body(good) + b"xyz",
        "truncated": body(good)[:-7],
        "empty": b"",
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"c" + data)
    v = body(good)
    with open(os.path.join(out, "raw-valid"), "wb") as f:
        f.write(b"r" + v + struct.pack("<Q", fnv(v)))
    with open(os.path.join(out, "raw-bad-checksum"), "wb") as f:
        f.write(b"r" + v + struct.pack("<Q", fnv(v) ^ 1))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus-symcache"))
