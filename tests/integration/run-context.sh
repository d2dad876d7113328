#!/bin/bash
# The HANGSNAP notes carry the hang's context: the story sample's thread in
# connect() with its socket in SYN_SENT to the full listener, the joining main
# thread, process identity; a filled pipe with its fill level and holders; a
# POSIX lock with its holder and the child that waits for it.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

start_target "$WORK/story.out" "$SAMPLES/join-connect-stall"
pid=$TARGET_PID
port=$(awk '/^ready/ {print $3}' "$WORK/story.out")
expect_exit 0 "$HANGSNAP" -o story.core --compress=none "$pid"
"$HS_NOTES" story.core >story.txt
expect_grep "^process pid=$pid ppid=$$ comm=join-connect-st exe=$SAMPLES/join-connect-stall build_id=[0-9a-f]\{40\} threads=2 unstopped=0 flags=0 " story.txt
expect_grep "^process .*interval_ms=200 " story.txt
expect_grep "^thread tid=$pid comm=join-connect-st state=S stopped=1 exited=0 syscall=202 " story.txt
expect_grep "^thread tid=[0-9]* comm=out_metrics state=S stopped=1 exited=0 syscall=42 " story.txt
expect_grep "^socket .*proto=6 state=SYN_SENT local=127.0.0.1:[0-9]* remote=127.0.0.1:$port " story.txt
expect_grep "^socket .*state=LISTEN local=127.0.0.1:$port " story.txt
expect_grep "^prstatus tid=[0-9]* orig_rax=42 " story.txt

: >"$WORK/lock"
start_target "$WORK/t.out" "$PROGS/harm-target" --status "$WORK/status" --lockfile "$WORK/lock" --pipe-fill 4096
pid=$TARGET_PID
child=$(pgrep -P "$pid" | head -1)
[ -n "$child" ] || fail "no lock-waiting child"
expect_exit 0 "$HANGSNAP" -o h.core --compress=none "$pid"
"$HS_NOTES" h.core >h.txt
# the filled pipe: 4096 bytes of 65536, both ends held by the target
expect_grep "^pipe inode=[0-9]* queued=4096 capacity=65536 holders=.*$pid:[0-9]*:r.*$pid:[0-9]*:w" h.txt
expect_grep "^pipe inode=[0-9]* queued=0 capacity=65536 " h.txt
# the lock: held by the target, waited for by the child, both on our file
expect_grep "^lock id=[0-9]* waiting=0 kind=2 mode=2 pid=$pid inode=$(stat -c %i "$WORK/lock") path=$WORK/lock" h.txt
expect_grep "^lock id=[0-9]* waiting=1 kind=2 mode=2 pid=$child " h.txt
expect_grep "^child pid=$child state=S comm=harm-target syscall=72" h.txt
expect_grep "^fd fd=[0-9]* kind=3 .*target=socket:" h.txt
expect_grep "^fd fd=[0-9]* kind=6 .*target=anon_inode:\[eventpoll\]" h.txt
# CPU samples: two of them, an interval apart, per thread
expect_grep "^thread tid=[0-9]* comm=epoller state=S stopped=1 exited=0 syscall=232 .*sample_ns=[1-9][0-9]\{8\}" h.txt
echo ok
