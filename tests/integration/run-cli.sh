#!/bin/bash
# Bad input gets one clear line and a distinct exit code, and nothing is left
# behind: usage errors, a pid that does not exist, a zombie, hangsnap itself,
# a process we may not trace, an output that already exists.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

expect_exit 2 "$HANGSNAP"
expect_grep "no PID given" "$WORK/stderr"
expect_exit 2 "$HANGSNAP" --bogus 1
expect_grep "unknown option '--bogus'" "$WORK/stderr"
expect_exit 2 "$HANGSNAP" not-a-pid
expect_grep "'not-a-pid' is not a process id" "$WORK/stderr"
expect_exit 2 "$HANGSNAP" --compress=lz4 1
expect_grep "unknown compression 'lz4'" "$WORK/stderr"
expect_exit 2 "$HANGSNAP" --memory-budget 12Q 1
expect_exit 0 "$HANGSNAP" --help
expect_grep "usage: hangsnap" "$WORK/stdout"
expect_grep "Exit status" "$WORK/stdout"
expect_exit 0 "$HANGSNAP" --version
expect_grep "^hangsnap [0-9]" "$WORK/stdout"

# a pid that does not exist (pid_max is at most 2^22)
expect_exit 3 "$HANGSNAP" 2147483646
expect_grep "no process with pid 2147483646" "$WORK/stderr"
[ "$(wc -l <"$WORK/stderr")" = 1 ] || fail "error is not one line"

# a zombie: 'sleep 0' exits and its parent never reaps it
sh -c 'sleep 0 & exec sleep 30' &
parent=$!
STARTED_PIDS="$STARTED_PIDS $parent"
sleep 0.5
zombie=$(pgrep -P "$parent" | head -1)
[ -n "$zombie" ] && grep -q '^State:.*Z' /proc/"$zombie"/status || fail "could not make a zombie"
expect_exit 6 "$HANGSNAP" "$zombie"
expect_grep "is a zombie" "$WORK/stderr"

# a kernel thread (kthreadd is pid 2 where the pid namespace is the host's;
# else any process flagged PF_KTHREAD): nothing in user space to snapshot
kthread=
for stat in /proc/[0-9]*/stat; do
	line=$(cat "$stat" 2>/dev/null) || continue
	read -r _ _ _ _ _ _ flags _ <<<"${line##*) }"	# after the comm: state ppid pgrp session tty tpgid flags
	if (( (flags >> 21) & 1 )); then kthread=${line%% *}; break; fi
done
if [ -n "$kthread" ]; then
	expect_exit 6 "$HANGSNAP" -o "$WORK/kthread.core" "$kthread"
	expect_grep "is a kernel thread; it has no user space to snapshot" "$WORK/stderr"
	[ ! -e "$WORK/kthread.core" ] || fail "a core was left behind for a kernel thread"
else
	note "skipping the kernel-thread check: no kernel thread is visible"
fi

# hangsnap itself
expect_exit 7 sh -c 'exec "$0" "$$"' "$HANGSNAP"
expect_grep "is hangsnap itself" "$WORK/stderr"

start_target "$WORK/t.out" "$PROGS/harm-target" --status "$WORK/status"
pid=$TARGET_PID

# not permitted: an unprivileged user may not trace root's process
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$WORK/nobody" && chmod 777 "$WORK/nobody"
	expect_exit 5 setpriv --reuid=65534 --regid=65534 --clear-groups "$HANGSNAP" -o "$WORK/nobody/x.core" "$pid"
	expect_grep "not permitted to trace process $pid" "$WORK/stderr"
	[ -z "$(ls -A "$WORK/nobody")" ] || fail "a file was left behind: $(ls -A "$WORK/nobody")"
else
	note "skipping the permission check: not root or no setpriv"
fi

# a process that already has a tracer: the one-line error names the process
# and the thread that refused (the message once read the thread id from
# freed memory)
if command -v strace >/dev/null; then
	strace -f -qq -o /dev/null -p "$pid" &
	tracer=$!
	STARTED_PIDS="$STARTED_PIDS $tracer"
	for _ in $(seq 50); do
		grep -q "^TracerPid:[[:space:]]*$tracer$" /proc/"$pid"/status && break
		sleep 0.1
	done
	expect_exit 5 "$HANGSNAP" -o "$WORK/traced.core" "$pid"
	expect_grep "cannot attach to process $pid (thread $pid)" "$WORK/stderr"
	[ ! -e "$WORK/traced.core" ] || fail "a core was left behind for a traced process"
	kill "$tracer"
	wait "$tracer" 2>/dev/null || true
else
	note "skipping the other-tracer check: no strace"
fi

# an existing output is never replaced without --force, nor followed if a symlink
echo precious >"$WORK/exists.core"
expect_exit 8 "$HANGSNAP" -o "$WORK/exists.core" "$pid"
expect_grep "already exists" "$WORK/stderr"
[ "$(cat "$WORK/exists.core")" = precious ] || fail "existing output was modified"
ln -s "$WORK/exists.core" "$WORK/link.core"
expect_exit 8 "$HANGSNAP" -o "$WORK/link.core" "$pid"
[ "$(cat "$WORK/exists.core")" = precious ] || fail "symlink target was modified"
expect_exit 0 "$HANGSNAP" --force -o "$WORK/exists.core" --compress=none "$pid"
head -c 4 "$WORK/exists.core" | grep -q ELF || fail "--force did not replace the output"
[ "$(stat -c %a "$WORK/exists.core")" = 600 ] || fail "output mode is $(stat -c %a "$WORK/exists.core"), not 600"

# an output directory that does not exist
expect_exit 8 "$HANGSNAP" -o "$WORK/no/such/dir/x.core" "$pid"
expect_grep "cannot create" "$WORK/stderr"

# the default name, mode 0600, one summary line
mkdir "$WORK/default" && cd "$WORK/default"
expect_exit 0 "$HANGSNAP" "$pid"
f=$(ls)
case $f in core."$pid".*.hang.zst) ;; *) fail "unexpected default name '$f'" ;; esac
[ "$(stat -c %a "$f")" = 600 ] || fail "default output mode is not 600"
expect_grep "pid $pid (harm-target): 8 threads, .* dumped, .* written to '$f', stopped [0-9.]* ms" "$WORK/stderr"
[ "$(wc -l <"$WORK/stderr")" = 1 ] || fail "summary is not one line"
assert_untraced "$pid"

# a full disk is an output error (8), also when the core is streamed while
# the process is stopped (over --memory-budget); no partial file is left
cd "$WORK"
if [ "$(id -u)" = 0 ] && mkdir tiny && mount -t tmpfs -o size=64k,mode=0755 tmpfs tiny 2>/dev/null; then
	trap 'umount "$WORK/tiny" 2>/dev/null; cleanup' EXIT
	for args in "--compress=none" "--compress=none --memory-budget 16K" "--memory-budget 16K"; do
		# shellcheck disable=SC2086
		expect_exit 8 "$HANGSNAP" $args -o "$WORK/tiny/full.core" "$pid"
		expect_grep "No space left on device" "$WORK/stderr"
		[ -z "$(ls -A tiny)" ] || fail "a full disk ($args) left $(ls -A tiny)"
	done
	umount tiny
	assert_untraced "$pid"
else
	note "cannot mount a tmpfs: the full-disk case is not exercised"
fi
echo "ok"
