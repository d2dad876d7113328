#!/bin/bash
# Never harm the target: it keeps running; blocking syscalls see no spurious
# EINTR (epoll_wait and sigtimedwait included); signals sent during the
# snapshot are delivered afterwards, each exactly once; and if hangsnap is
# killed with SIGKILL while the target is stopped, the target runs on and no
# output file appears.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
status=$WORK/status
start_target "$WORK/t.out" "$PROGS/harm-target" --status "$status" --heap-mib 256
pid=$TARGET_PID
before=$(syscalls "$pid")

# 1. no spurious EINTR, across several snapshots in both write modes
for i in 1 2 3; do
	expect_exit 0 "$HANGSNAP" --interval 0 -o "s$i.core" --compress=none "$pid"
	expect_exit 0 "$HANGSNAP" --interval 0 --memory-budget 1M -o "m$i.core" --compress=none "$pid"
done
sleep 0.3
[ ! -s "$status" ] || { cat "$status" >&2; fail "the target's blocking calls returned during snapshots"; }
assert_same_syscalls "$pid" "$before"
assert_untraced "$pid"
rm -f ./*.core

# 2. realtime signals sent while the target is stopped arrive once each
count=4000
"$PROGS/sigflood" "$pid" $count 100 >flood.out &
flood=$!
sleep 0.05
# streaming keeps the target stopped while 256 MiB are written: the flood overlaps the freeze
expect_exit 0 "$HANGSNAP" --interval 0 --memory-budget 1M -o sig.core --compress=none "$pid"
wait $flood || fail "sigflood could not queue every signal"
grep -q "stopped [0-9.]* ms" "$WORK/stderr" || fail "no summary"
sleep 0.3
: >"$status"
kill -USR1 "$pid"
sleep 0.3
expect_grep "rt count=$count dup=0" "$status" "every signal exactly once:"
assert_untraced "$pid"
rm -f sig.core

# 3. SIGKILL to hangsnap while the target is stopped
: >"$status"
"$HANGSNAP" --interval 0 --memory-budget 1M --compress=none -o killed.core "$pid" 2>/dev/null &
hs=$!
stopped=""
for _ in $(seq 400); do
	case $(thread_states "$pid") in *t*) stopped=1; break ;; esac
	sleep 0.005
done
kill -9 "$hs" 2>/dev/null
wait "$hs" 2>/dev/null
[ -n "$stopped" ] || note "hangsnap finished before the kill (fast machine); checking the aftermath anyway"
sleep 0.3
assert_untraced "$pid"
kill -0 "$pid" || fail "target died"
assert_same_syscalls "$pid" "$before"
[ ! -s "$status" ] || { cat "$status" >&2; fail "blocking calls returned after hangsnap was killed"; }
if [ -n "$stopped" ]; then
	[ ! -e killed.core ] || fail "a partial output file was left behind"
fi
ls -A | grep -q '^\.hangsnap' && fail "temporary files left: $(ls -A)"
echo ok
