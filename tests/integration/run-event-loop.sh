#!/bin/bash
# Event loops that poll a connect that never completes, with a timeout each
# time: samples/event-loop-connect (poll(POLLOUT, 1000) re-armed in a loop)
# and, when there is one, curl itself against the same kind of full loopback
# listener. Each must give a connect-stall finding on the polling thread,
# medium, whose evidence names the fd, the peer, the poll's timeout and the
# frame that polls.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# check_connect_stall NAME TID FD PORT FRAME: NAME.json/.txt hold the report
check_connect_stall() {
	local name=$1 tid=$2 fd=$3 port=$4 frame=$5 got
	got=$(json_query "$name.json" "[f['severity'] + ' ' + ','.join(map(str, f['threads'])) for f in d['findings'] if f['rule'] == 'connect-stall']")
	[ "$got" = "medium $tid" ] || fail "$name: connect-stall findings '$got', expected 'medium $tid'"
	json_query "$name.json" "'\n'.join(f['summary'] + '\n' + '\n'.join(f['evidence']) for f in d['findings'] if f['rule'] == 'connect-stall')" >"$name.finding"
	expect_grep "keeps polling a connect that does not complete: poll() for a connect to 127.0.0.1:$port (SYN_SENT) with a 1000 ms timeout for at least [0-9]* s" "$name.finding"
	expect_grep "^fd $fd tcp 127.0.0.1:[0-9]* -> 127.0.0.1:$port SYN_SENT .*connecting to 127.0.0.1:$port: [2-9] SYN retransmit(s), at least 1 s each" "$name.finding"
	expect_grep "^poll timeout 1000 ms, re-armed in a loop" "$name.finding"
	expect_grep "; in $frame" "$name.finding"
	got=$(json_query "$name.json" "[f['rule'] for f in d['findings'] if f['rule'] != 'connect-stall']")
	[ -z "$got" ] || fail "$name: findings other than connect-stall: $got"
	note "$name: $(head -1 "$name.finding")"
}

start_target "$WORK/elc.out" "$SAMPLES/event-loop-connect"
read -r _ pid _ tids port fd <"$WORK/elc.out"
tid=${tids#tids=} port=${port#port=} fd=${fd#fd=}
expect_exit 0 "$HANGSNAP" -q -o elc.hang.zst "$pid"
expect_exit 0 "$HANGANALYZE" --format=json elc.hang.zst
cp "$WORK/stdout" elc.json
validate_json elc.json
check_connect_stall elc "$tid" "$fd" "$port" "wait_connected (event-loop-connect) event-loop-connect.c:"
expect_exit 0 "$HANGANALYZE" elc.hang.zst
sed -n '/^findings:/{n;p;q}' "$WORK/stdout" | grep -q "^  \[medium\] connect-stall: evloop ($tid) keeps polling" ||
	fail "the text report does not lead with the connect-stall: $(sed -n '/^findings:/{n;p;q}' "$WORK/stdout")"
kill -9 "$pid"

# a connect that just started (0 SYN retransmits) is normal: no finding; one
# lost SYN (1 retransmit) is only low
for n in 0 1; do
	start_target "$WORK/elc$n.out" "$SAMPLES/event-loop-connect" --retransmits $n
	read -r _ pid _ tids _ <"$WORK/elc$n.out"
	expect_exit 0 "$HANGSNAP" -q -o elc$n.hang.zst "$pid"
	kill -9 "$pid"
	expect_exit 0 "$HANGANALYZE" --format=json elc$n.hang.zst
	cp "$WORK/stdout" elc$n.json
	got=$(json_query elc$n.json "[f['rule'] + ' ' + f['severity'] for f in d['findings']]")
	# the retransmit count may move on (1 s later at the soonest) between "ready" and the snapshot
	retr=$(json_query elc$n.json "[f['evidence'][1] for f in d['findings']][:1]" | sed -n 's/.*: \([0-9]*\) SYN retransmit.*/\1/p')
	case "$n:$got" in
	0:) ;;
	0:"connect-stall low" | 1:"connect-stall low") [ "$retr" = 1 ] || fail "elc$n: low with '$retr' retransmits" ;;
	1:"connect-stall medium") [ "${retr:-0}" -ge 2 ] || fail "elc1: medium with '$retr' retransmits" ;;
	*) fail "event-loop-connect --retransmits $n: findings '$got'" ;;
	esac
	note "elc, $n SYN retransmit(s): ${got:-no finding}"
done

# curl http://127.0.0.1:PORT/ at a listener whose accept queue is full: its one
# thread polls [{fd, POLLOUT}, {wakeup fd, POLLIN}] with a 1000 ms timeout
if [ -x /usr/bin/curl ]; then
	start_target "$WORK/listener.out" "$SAMPLES/event-loop-connect" --listen-only
	port=$(sed -n 's/.* port=\([0-9]*\).*/\1/p' "$WORK/listener.out")
	/usr/bin/curl -s -o /dev/null "http://127.0.0.1:$port/" &
	cpid=$!
	STARTED_PIDS="$STARTED_PIDS $cpid"
	# until its SYN_SENT socket to the port shows 2 SYN retransmits (the sample's own threshold), at most 8 s
	hexport=$(printf '%04X' "$port") ino=
	for _ in $(seq 80); do
		# (the listener's own queue filler is in SYN_SENT to it too: only curl's sockets count)
		inos=" $(readlink /proc/$cpid/fd/* 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | paste -sd' ') "
		read -r retr ino < <(awk -v p=":$hexport" -v inos="$inos" '$4 == "02" && substr($3, length($3) - 4) == p &&
			index(inos, " " $10 " ") {print $7, $10; exit}' /proc/net/tcp) || ino=
		[ -n "$ino" ] && [ $((16#$retr)) -ge 2 ] && break
		sleep 0.1
	done
	cfd=
	for f in /proc/$cpid/fd/*; do
		[ "$(readlink "$f")" = "socket:[$ino]" ] && cfd=${f##*/}
	done
	[ -n "$cfd" ] || fail "curl has no SYN_SENT socket to port $port"
	expect_exit 0 "$HANGSNAP" -q -o curl.hang.zst "$cpid"
	expect_exit 0 "$HANGANALYZE" --format=json curl.hang.zst
	cp "$WORK/stdout" curl.json
	validate_json curl.json
	check_connect_stall curl "$cpid" "$cfd" "$port" "libcurl.so"
	kill -9 "$cpid"
else
	note "skip: curl (no /usr/bin/curl)"
fi
echo ok
