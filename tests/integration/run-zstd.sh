#!/bin/bash
# The compressed output is the zstd seekable format: 'zstd -d' gives a core
# byte-identical to the plain one from the same snapshot, the seek table is
# where the format says, and streaming mode (over the memory budget) writes a
# valid core too and says so.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
start_target "$WORK/t.out" "$PROGS/harm-target" --status "$WORK/status" --heap-mib 64
pid=$TARGET_PID

expect_exit 0 "$HANGSNAP" -o a.zst --plain-copy a.core "$pid"
zstd -q -t a.zst || fail "zstd -t rejects the output"
zstd -q -d a.zst -o b.core
cmp a.core b.core || fail "zstd -d output differs from the plain core of the same snapshot"
# footer: frame count (u32), descriptor 0, magic 0x8F92EAB1
[ "$(tail -c 4 a.zst | od -An -tx1 | tr -d ' \n')" = b1ea928f ] || fail "no seekable magic at the end"
[ "$(tail -c 5 a.zst | head -c 1 | od -An -tx1 | tr -d ' \n')" = 00 ] || fail "seek table descriptor is not 0"
size=$(stat -c %s a.core)
frames=$(tail -c 9 a.zst | head -c 4 | od -An -tu4 | tr -d ' ')
[ "$frames" = $(((size + 262143) / 262144)) ] || fail "seek table lists $frames frames for $size bytes"
[ "$(stat -c %s a.zst)" -lt $((size / 4)) ] || fail "compressed core is not smaller than a quarter of the plain one"
# the plain core is sparse: untouched memory takes no disk blocks
expect_exit 0 "$HANGSNAP" -o c.core --compress=none "$pid"
head -c 4 c.core | grep -q ELF || fail "--compress=none did not write an ELF file"

# over the budget: written while stopped, still a valid core, and said so
for mode in none zstd; do
	expect_exit 0 "$HANGSNAP" --memory-budget 1M --compress=$mode -o s.$mode "$pid"
	expect_grep "exceeds the memory budget" "$WORK/stderr"
done
zstd -q -d s.zstd -o s.zstd.core
for core in s.none s.zstd.core; do
	eu-stack --core "$core" -e "$PROGS/harm-target" >eu.txt 2>&1 || { cat eu.txt >&2; fail "eu-stack failed on streamed $core"; }
	[ "$(grep -c '^TID ' eu.txt)" = 8 ] || fail "streamed core $core does not have 8 threads"
	"$HS_NOTES" "$core" | grep -q "^process .*flags=1 " || fail "streamed core $core lacks the streamed flag"
done
ls -A | grep -q '^\.hangsnap' && fail "temporary files left: $(ls -A)"
assert_untraced "$pid"
echo ok
