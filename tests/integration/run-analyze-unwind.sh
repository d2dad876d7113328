#!/bin/bash
# Unwinding without help: a stripped -O2 binary without frame pointers (CFI
# only), a binary without CFI (frame pointers only), and a core whose
# executable is gone or was rebuilt. Stacks stay complete, and the report says
# where it fell back and what it could not find.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# snapshot PROG CORE: runs PROG (a harm-target build), snapshots it into CORE, kills it
snapshot() {
	start_target "$WORK/$2.out" "$1" --status "$WORK/status"
	expect_exit 0 "$HANGSNAP" -q --compress=none -o "$2" "$TARGET_PID"
	kill -9 "$TARGET_PID"
}

# every thread's stack reaches the bottom: __clone3 for threads; for main,
# _start, or (when the program is stripped) the frame below __libc_start_main
assert_complete() {
	local n
	n=$(json_query "$1" 'sum(1 for t in d["threads"] if t["frames"] and not t["unwind_error"] and (t["frames"][-1]["function"] in ("__clone3", "_start") or str(t["frames"][-2]["function"]).startswith("__libc_start_main")))')
	[ "$n" = 8 ] || fail "$1: only $n of 8 stacks are complete"
}

# --- stripped, -O2, no frame pointers: CFI carries the unwind ---
snapshot "$PROGS/harm-target-stripped" stripped.core
expect_exit 0 "$HANGANALYZE" --format=json stripped.core
cp "$WORK/stdout" stripped.json
validate_json stripped.json
assert_complete stripped.json
[ "$(json_query stripped.json 'sorted({f["how"] for t in d["threads"] for f in t["frames"]} - {"inline", "initial", "tailcall"})')" = cfi ] ||
	fail "stripped: callers not all found through CFI"
# the program's own frames have no symbols: module+offset
json_query stripped.json '[f for t in d["threads"] for f in t["frames"] if f["module"] == "harm-target-stripped"]' >own.txt
grep -q "'function': None" own.txt || fail "stripped: the program's frames are symbolized?"
expect_exit 0 "$HANGANALYZE" stripped.core
expect_grep "^  #[0-9 ]* 0x[0-9a-f]* harm-target-stripped+0x[0-9a-f]*$" "$WORK/stdout"
expect_grep "no debug info (no file:line, no inlined frames) for $PROGS/harm-target-stripped" "$WORK/stdout"

# --- no CFI at all in the program: frame pointers, and the report says so ---
snapshot "$PROGS/harm-target-nocfi" nocfi.core
expect_exit 0 "$HANGANALYZE" --format=json nocfi.core
cp "$WORK/stdout" nocfi.json
assert_complete nocfi.json
n=$(json_query nocfi.json 'sum(1 for t in d["threads"] for f in t["frames"] if f["how"] == "frame_pointer")')
[ "$n" -ge 8 ] || fail "nocfi: $n frames found by frame pointer, expected one per thread at least"
expect_exit 0 "$HANGANALYZE" nocfi.core
expect_grep "start_thread+0x[0-9a-f]* (libc.so.6).* \[frame pointer\]$" "$WORK/stdout"
expect_grep "^  #[0-9 ]* 0x[0-9a-f]* reader+0x[0-9a-f]* (harm-target-nocfi)$" "$WORK/stdout"

# --- the executable is gone: libc still symbolizes, the program's frames do not, and it says why ---
cp "$PROGS/harm-target" "$WORK/ht"
snapshot "$WORK/ht" gone.core
mv "$WORK/ht" "$WORK/ht.moved"
expect_exit 0 "$HANGANALYZE" gone.core
cp "$WORK/stdout" gone.txt
expect_grep "no ELF file for '$WORK/ht' with build-id [0-9a-f]*: its frames are unsymbolized" gone.txt
expect_grep "^  #[0-9 ]* 0x[0-9a-f]* ht+0x[0-9a-f]*" gone.txt
expect_grep "^  #[0-9 ]* 0x[0-9a-f]* read+0x[0-9a-f]* (libc.so.6)" gone.txt
# without its CFI (and, at -O2, frame pointers) the unwind may stop in the program: it says so rather than inventing frames
! grep -q "^  #[0-9 ]* 0x0000000000000000" gone.txt || fail "a frame at pc 0 was shown"
# ... and --exe puts it back
expect_exit 0 "$HANGANALYZE" --exe "$WORK/ht.moved" gone.core
expect_grep "reader+0x[0-9a-f]* (ht) harm-target.c:[0-9]*$" "$WORK/stdout"
! grep -q "no ELF file" "$WORK/stdout" || fail "--exe: still no ELF file"

# --- a different binary at the recorded path is refused by build-id, not trusted ---
cp "$PROGS/harm-target-stripped" "$WORK/ht"
expect_exit 0 "$HANGANALYZE" gone.core
expect_grep "'$WORK/ht' does not match the build-id recorded in the core" "$WORK/stdout"
! grep -q "reader+0x" "$WORK/stdout" || fail "symbols taken from a binary with another build-id"
echo ok
