#!/usr/bin/env python3
"""Writes the seeds of fuzz-bundle (tests/fuzz/corpus-bundle/): small bundles,
valid and each kind of refusal, as fuzz-bundle.c reads them — the byte 'z',
then the tar stream (which the target compresses); 'r', then a whole
zstd-compressed bundle.

    python3 tests/fuzz/make-bundle-seeds.py tests/fuzz/corpus-bundle
"""
import io
import os
import subprocess
import sys
import tarfile

# end the archive after its two zero blocks, not at tar's 10 KiB record: small seeds
tarfile.RECORDSIZE = 2 * tarfile.BLOCKSIZE

CORE = b"\x7fELF" + bytes(60)
LIB = b"\x7fELF" + b"\x02\x01\x01" + bytes(93)
DBG = b"\x7fELF" + b"debug" + bytes(55)
BID = "0123456789abcdef0123456789abcdef01234567"


def manifest(entries, version=1):
    lines = [f"hangsnap-bundle {version}"]
    for kind, member, data, bid, path in entries:
        lines.append(" ".join([kind, member, str(len(data))] + ([bid] if kind != "core" else []) + [path]))
    return ("\n".join(lines) + "\n").encode()


def tar(members, fmt=tarfile.USTAR_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.mode = 0o600
            info.mtime = 1764720000
            if kind == "file":
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                info.type = kind
                info.linkname = "/etc/passwd" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
                info.devmajor, info.devminor = 1, 3
                t.addfile(info)
    return buf.getvalue()


VALID = [("core", "c.hang.zst", CORE, None, "/var/tmp/core.1.hang.zst"),
         ("elf", "001-app", LIB, BID, "/home/u/app"),
         ("debug", "002-app.debug", DBG, BID, "/usr/lib/debug/.build-id/01/23.debug")]


def bundle(entries=VALID, man=None, members=None, version=1, extra=b""):
    m = man if man is not None else manifest(entries, version)
    ms = members if members is not None else [(e[1], e[2], "file") for e in entries]
    return tar([("MANIFEST", m, "file")] + ms) + extra


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {
        "valid": bundle(),
        "valid-core-only": bundle(VALID[:1]),
        "valid-escaped-path": bundle([VALID[0], ("elf", "001-x", LIB, BID, "/opt/my%20app/%C3%A9%25")]),
        "valid-comment": bundle(man=manifest(VALID).replace(b"\ncore", b"\n# made by a test\ncore")),
        "valid-padded": bundle(extra=bytes(4096)),
        "member-dotdot": bundle(members=[("../../x", CORE, "file")] + [(e[1], e[2], "file") for e in VALID[1:]]),
        "member-absolute": bundle(members=[("/tmp/x", CORE, "file")] + [(e[1], e[2], "file") for e in VALID[1:]]),
        "member-symlink": bundle(members=[(VALID[0][1], CORE, "file"), (VALID[1][1], b"", tarfile.SYMTYPE),
                                          (VALID[2][1], DBG, "file")]),
        "member-hardlink": bundle(members=[(VALID[0][1], CORE, "file"), (VALID[1][1], b"", tarfile.LNKTYPE),
                                           (VALID[2][1], DBG, "file")]),
        "member-device": bundle(members=[(VALID[0][1], CORE, "file"), (VALID[1][1], b"", tarfile.CHRTYPE),
                                         (VALID[2][1], DBG, "file")]),
        "member-directory": bundle(members=[(VALID[0][1], CORE, "file"), (VALID[1][1], b"", tarfile.DIRTYPE),
                                            (VALID[2][1], DBG, "file")]),
        "member-short": bundle(members=[(VALID[0][1], CORE, "file"), (VALID[1][1], LIB[:10], "file"),
                                        (VALID[2][1], DBG, "file")]),
        "member-missing": bundle(members=[(e[1], e[2], "file") for e in VALID[:2]]),
        "member-extra": bundle(members=[(e[1], e[2], "file") for e in VALID] + [("003-more", LIB, "file")]),
        "member-reordered": bundle(members=[(e[1], e[2], "file") for e in (VALID[0], VALID[2], VALID[1])]),
        "member-pax": tar([("MANIFEST", manifest(VALID), "file")] + [(e[1], e[2], "file") for e in VALID],
                          fmt=tarfile.PAX_FORMAT),
        "manifest-duplicate": bundle([VALID[0], VALID[1], ("elf", "001-app", LIB, BID, "/x")]),
        "manifest-version-2": bundle(version=2),
        "manifest-no-newline": bundle(man=manifest(VALID)[:-1]),
        "manifest-nul": bundle(man=manifest(VALID).replace(b"/home", b"/ho\0me")),
        "manifest-core-second": bundle([VALID[1], VALID[0]]),
        "manifest-two-cores": bundle([VALID[0], ("core", "c2", CORE, None, "/c2")]),
        "manifest-bad-build-id": bundle([VALID[0], ("elf", "001-app", LIB, "0G", "/x")]),
        "manifest-odd-build-id": bundle([VALID[0], ("elf", "001-app", LIB, "012", "/x")]),
        "manifest-bad-escape": bundle([VALID[0], ("elf", "001-app", LIB, BID, "/x%0")]),
        "manifest-nul-escape": bundle([VALID[0], ("elf", "001-app", LIB, BID, "/x%00y")]),
        "manifest-unknown-record": bundle(man=manifest(VALID) + b"script 003-x 10 /bin/sh\n"),
        "manifest-huge-size": bundle(man=manifest(VALID).replace(b" 64 ", b" 999999999999 ", 1)),
        "manifest-leading-zero": bundle(man=manifest(VALID).replace(b" 64 ", b" 064 ", 1)),
        "manifest-empty": bundle(man=b""),
        "manifest-magic-only": bundle(man=b"hangsnap-bundle 1\n", members=[]),
        "trailing-data": bundle(extra=b"not zeros" + bytes(1024)),
        "truncated": bundle()[:1536],
        "not-a-bundle": b"\x7fELF" + bytes(1020),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"z" + data)
    raw = subprocess.run(["zstd", "-q", "-c", "-3"], input=seeds["valid"], check=True, capture_output=True).stdout
    with open(os.path.join(out, "raw-zstd-valid"), "wb") as f:
        f.write(b"r" + raw)
    with open(os.path.join(out, "raw-zstd-truncated"), "wb") as f:
        f.write(b"r" + raw[: len(raw) // 2])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus-bundle"))
