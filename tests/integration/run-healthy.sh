#!/bin/bash
# No false alarms: processes that wait but are not hung — real programs from
# Debian and our own idle server, thread pool and bounded poll loop — get no
# finding above "low".
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
echo ok
