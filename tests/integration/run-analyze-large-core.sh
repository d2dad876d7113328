#!/bin/bash
# A plain core larger than what the reader maps for copies (256 MiB) is read
# through its page cache: the analysis of such a core must equal, field for
# field, that of the zstd core of the same snapshot (read through the frame
# cache), and --stats counts the bytes it read (a mapped core says 0).
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
start_target "$WORK/t.out" "$PROGS/mem-target" --sparse-mib 600
pid=$TARGET_PID

expect_exit 0 "$HANGSNAP" -o big.hang.zst --plain-copy big.core "$pid"
size=$(stat -c %s big.core)
[ "$size" -gt $((300 << 20)) ] || fail "the plain core is $size bytes: too small to be read through the page cache"

expect_exit 0 "$HANGANALYZE" --no-db --stats --format=json big.core
cp "$WORK/stdout" plain.json
read_bytes=$(sed -n 's/^hanganalyze: core [0-9]* bytes, read \([0-9]*\),.*/\1/p' "$WORK/stderr")
[ -n "$read_bytes" ] && [ "$read_bytes" -gt 0 ] || fail "--stats says the big plain core was read '$read_bytes' bytes (not through the page cache)"
[ "$read_bytes" -lt $((64 << 20)) ] || fail "the analysis read $read_bytes bytes of the sparse core"
expect_exit 0 "$HANGANALYZE" --no-db --format=json big.hang.zst
cp "$WORK/stdout" zstd.json

# equal but for the core file itself (its name, size and format)
python3 - plain.json zstd.json <<'PY' || fail "the plain core's analysis differs from the zstd core's"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("core", None); b.pop("core", None)
for d in (a, b):
    for p in d.get("processes") or []:
        p.pop("core", None)
if a != b:
    for k in a:
        if a.get(k) != b.get(k):
            print("differs:", k, file=sys.stderr)
    sys.exit(1)
assert len(a["threads"]) == 25, len(a["threads"])
assert all(t["frames"] for t in a["threads"]), "a thread without frames"
PY
assert_untraced "$pid"
echo ok
