#!/bin/bash
# No false alarms: processes that wait but are not hung — real programs from
# Debian, our own idle server, thread pool, bounded poll loop and idle epoll
# server with quiet connections, an idle
# Rust pool, an idle JVM and an idle Node.js (each when there is the
# toolchain, else skipped with a note) — get no finding above "low".
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# check_healthy NAME PID: snapshot PID, analyze, and fail on any finding above low
check_healthy() {
	local name=$1 pid=$2 bad
	expect_exit 0 "$HANGSNAP" -q -o "$name.hang.zst" "$pid"
	expect_exit 0 "$HANGANALYZE" --format=json "$name.hang.zst"
	cp "$WORK/stdout" "$name.json"
	validate_json "$name.json"
	bad=$(json_query "$name.json" '[f["rule"] + " [" + f["severity"] + "]: " + f["summary"] for f in d["findings"] if f["severity"] != "low"]')
	[ -z "$bad" ] || fail "$name is healthy, but: $bad"
	note "$name: $(json_query "$name.json" 'len(d["threads"])') threads, no finding above low"
}

# started_pid CMD...: runs CMD in the background and waits until it has exec'd and settled
started_pid() {
	"$@" >/dev/null 2>&1 &
	STARTED_PIDS="$STARTED_PIDS $!"
	sleep 0.5
	LAST_PID=$!
}

started_pid sleep 600
check_healthy sleep "$LAST_PID"

# a shell waiting for its foreground job
started_pid bash -c 'sleep 600; true'
check_healthy shell-wait "$LAST_PID"

# an idle HTTP server (Python's, from Debian), polling with a timeout between requests
started_pid /usr/bin/python3 -m http.server --bind 127.0.0.1 0
check_healthy python-http "$LAST_PID"

for prog in idle-server thread-pool bounded-poll; do
	start_target "$WORK/$prog.out" "$PROGS/healthy/$prog"
	check_healthy "$prog" "$TARGET_PID"
done

# an idle epoll server with quiet established connections, and the client
# pool holding their other ends, both polling with a 1000 ms timeout: not
# even a low finding (the event-loop cases of connect-stall and
# socket-read-stall must stay quiet here)
start_target "$WORK/event-loop-server.out" "$PROGS/healthy/event-loop-server"
check_healthy event-loop-server "$TARGET_PID"
any=$(json_query event-loop-server.json '[f["rule"] + " [" + f["severity"] + "]: " + f["summary"] for f in d["findings"]]')
[ -z "$any" ] || fail "event-loop-server is healthy, but: $any"

# an idle Rust pool: workers on a std Condvar, main asleep in its housekeeping loop
if [ -x "$PROGS/healthy/rust-pool" ]; then
	start_target "$WORK/rust-pool.out" "$PROGS/healthy/rust-pool"
	check_healthy rust-pool "$TARGET_PID"
else
	note "skip: rust-pool (no rustc when this build was configured)"
fi

# an idle JVM: its launcher joins the Java main thread, asleep in Thread.sleep
if command -v java >/dev/null && command -v javac >/dev/null; then
	expect_exit 0 javac -d "$WORK" "$SRC/tests/healthy/Idle.java"
	# the JVM takes a while to print its ready line (start_target waits 10 s)
	start_target "$WORK/jvm.out" java -Xmx64m -Xss512k -XX:+UseSerialGC -cp "$WORK" Idle
	sleep 1 # past the JVM's start-up work
	check_healthy jvm-idle "$TARGET_PID"
else
	note "skip: idle JVM (no java/javac: apt-get install default-jdk-headless)"
fi

# an idle Node.js event loop (epoll_wait with a timer's timeout)
if command -v node >/dev/null; then
	start_target "$WORK/node.out" node -e 'console.log("ready " + process.pid); setInterval(() => {}, 60000)'
	sleep 0.5
	check_healthy node-idle "$TARGET_PID"
else
	note "skip: idle Node.js (no node: apt-get install nodejs)"
fi
echo ok
