#!/bin/bash
# A thread in uninterruptible sleep never stops for ptrace: hangsnap waits
# for it only --stop-timeout, records it from /proc, says so, and the thread
# is not left traced (the kernel detaches it when hangsnap's tracer thread
# exits), so the target carries on when the sleep ends.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
start_target "$WORK/t.out" "$PROGS/dstate-target" 4
pid=$TARGET_PID
vtid=""
for t in /proc/"$pid"/task/*; do
	[ "$(cat "$t/comm")" = vforker ] && vtid=${t##*/}
done
grep -q '^State:.*D' /proc/"$pid"/task/"$vtid"/status || fail "vforker is not in D state"

expect_exit 0 "$HANGSNAP" --stop-timeout 300 -o d.core --compress=none "$pid"
expect_grep "warning: thread $vtid (vforker) did not stop within 300 ms (state D)" "$WORK/stderr"
grep -q "^TracerPid:[[:space:]]*0$" /proc/"$pid"/task/"$vtid"/status || fail "vforker left traced"
"$HS_NOTES" d.core >notes.txt
expect_grep "^thread tid=$vtid comm=vforker state=D stopped=0" notes.txt
expect_grep "^thread tid=$pid comm=dstate-target state=. stopped=1" notes.txt
expect_grep "^process .*unstopped=1 " notes.txt
[ "$(grep -c '^prstatus' notes.txt)" = 2 ] || fail "both threads need an NT_PRSTATUS"
# its registers come from /proc/TID/syscall: vfork (58) is the syscall
expect_grep "^prstatus tid=$vtid orig_rax=58 " notes.txt
eu-stack --core d.core -e "$PROGS/dstate-target" >eu.txt 2>&1 || true
[ "$(grep -c '^TID ' eu.txt)" = 2 ] || { cat eu.txt >&2; fail "eu-stack does not show both threads"; }
# the sleep ends: the target must go on by itself
for _ in $(seq 80); do
	grep -q "vfork done" "$WORK/t.out" && break
	sleep 0.1
done
expect_grep "vfork done" "$WORK/t.out" "the target carried on:"
assert_untraced "$pid"
echo ok
