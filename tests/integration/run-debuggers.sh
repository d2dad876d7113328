#!/bin/bash
# gdb and eu-stack open a hangsnap core unmodified and show every thread with
# symbolized frames — plain and after 'zstd -d' of the default output.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
start_target "$WORK/t.out" "$PROGS/harm-target" --status "$WORK/status"
pid=$TARGET_PID
nthreads=$(ls /proc/"$pid"/task | wc -l)
[ "$nthreads" = 8 ] || fail "harm-target has $nthreads threads, expected 8"

expect_exit 0 "$HANGSNAP" -o "$WORK/t.hang.zst" --plain-copy "$WORK/t.core" "$pid"
zstd -q -d "$WORK/t.hang.zst" -o "$WORK/unzstd.core"

# functions every thread must show (each thread's own loop, and the blocking calls)
want="reader epoller sleeper poller acceptor sigwaiter waiter main"
for core in t.core unzstd.core; do
	gdb -nx -batch -ex 'set pagination off' -ex 'thread apply all bt' "$PROGS/harm-target" "$core" >gdb.txt 2>&1
	n=$(grep -c '^Thread [0-9]* (Thread 0x[0-9a-f]* (LWP [0-9]*))' gdb.txt || true)
	[ "$n" = "$nthreads" ] || { cat gdb.txt >&2; fail "gdb shows $n threads in $core, expected $nthreads"; }
	for fn in $want; do
		grep -q " in $fn (\|^#[0-9]*  $fn (" gdb.txt || { cat gdb.txt >&2; fail "gdb: no frame in '$fn' ($core)"; }
	done
	! grep -q "Unexpected size\|Cannot access memory\|warning: Couldn't find general-purpose" gdb.txt ||
		{ cat gdb.txt >&2; fail "gdb warned about $core"; }
	grep -q "libc.so.6" <(gdb -nx -batch -ex 'info sharedlibrary' "$PROGS/harm-target" "$core" 2>&1) ||
		fail "gdb found no shared libraries in $core"

	eu-stack --core "$core" -e "$PROGS/harm-target" >eu.txt 2>&1 || { cat eu.txt >&2; fail "eu-stack failed on $core"; }
	n=$(grep -c '^TID ' eu.txt)
	[ "$n" = "$nthreads" ] || { cat eu.txt >&2; fail "eu-stack shows $n threads, expected $nthreads"; }
	for fn in $want; do
		grep -q " $fn$" eu.txt || { cat eu.txt >&2; fail "eu-stack: no frame in '$fn' ($core)"; }
	done
	# without the executable at hand, eu-stack still finds it through NT_FILE
	eu-stack --core "$core" >eu2.txt 2>&1 || true
	grep -q " reader$" eu2.txt || { cat eu2.txt >&2; fail "eu-stack without -e did not symbolize"; }
done

# the main thread's NT_PRSTATUS comes first; orig_rax carries the syscall
"$HS_NOTES" t.core >notes.txt
[ "$(grep -m1 '^prstatus' notes.txt | sed 's/.*tid=\([0-9]*\).*/\1/')" = "$pid" ] || fail "first NT_PRSTATUS is not the main thread"
[ "$(grep -c '^prstatus' notes.txt)" = "$nthreads" ] || fail "not one NT_PRSTATUS per thread"
grep -q "^prstatus .*orig_rax=232 " notes.txt || fail "no thread in epoll_wait (232) per orig_rax"
assert_untraced "$pid"
echo ok
