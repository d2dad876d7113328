#!/bin/bash
# Signatures name the application's code, not its build: the C++ deadlock of
# app::Cache::refresh (tests/generalize/cache_refresh.cc) signs the same
# built -O1, -O2, -O2 without frame pointers and -O1 with an unrelated lambda
# added before the threads' (their lambda ordinals move); the Rust one
# (cache_refresh.rs) the same built -O1 and rebuilt -O2 with another
# -C metadata (other symbol hashes). And the two languages' deadlocks sign
# differently. The Rust part skips, saying so, without rustc.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# sig NAME: runs $PROGS/NAME, snapshots it, prints its lock-cycle signature hash
sig() {
	local name=$1 s
	start_target "$WORK/$name.out" "$PROGS/$name"
	expect_exit 0 "$HANGSNAP" -q -o "$name.hang.zst" "$TARGET_PID"
	kill -9 "$TARGET_PID"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$name.hang.zst"
	cp "$WORK/stdout" "$name.json"
	s=$(json_query "$name.json" "(d.get('signature') or {}).get('hash')")
	[ "$s" != None ] || fail "$name: no signature"
	note "$name: $s $(json_query "$name.json" "(d.get('signature') or {}).get('text')")"
	echo "$s" >"$name.sig"
}

same() { # WHAT A B
	[ "$(cat "$2.sig")" = "$(cat "$3.sig")" ] || fail "$1: $2 and $3 sign differently"
}

for b in cache-refresh-cxx cache-refresh-cxx-O2 cache-refresh-cxx-O2-nofp cache-refresh-cxx-lambda; do
	sig "$b"
done
same "-O1 vs -O2" cache-refresh-cxx cache-refresh-cxx-O2
same "-O2 vs -O2 without frame pointers" cache-refresh-cxx-O2 cache-refresh-cxx-O2-nofp
same "an unrelated lambda" cache-refresh-cxx cache-refresh-cxx-lambda

if [ -x "$PROGS/cache-refresh-rust-legacy" ] && [ -x "$PROGS/cache-refresh-rust-rehash" ]; then
	sig cache-refresh-rust-legacy
	sig cache-refresh-rust-rehash
	same "a Rust rebuild with other hashes at -O2" cache-refresh-rust-legacy cache-refresh-rust-rehash
	[ "$(cat cache-refresh-cxx.sig)" != "$(cat cache-refresh-rust-legacy.sig)" ] || fail "the C++ and Rust deadlocks sign the same"
else
	note "skip: Rust (no rustc when this build was configured)"
fi
echo ok
