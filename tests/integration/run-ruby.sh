#!/bin/bash
# Ruby stacks: the Ruby samples (samples/ruby/) hung under Debian's Ruby,
# snapshotted and analyzed, hanganalyze's Ruby view checked against Ruby's own.
# Each sample, run with --oracle FILE, writes Thread#backtrace_locations of all
# its threads to FILE before it prints "ready"; tests/integration/ruby-oracle.py
# holds the assertions:
#  a) every thread's "ruby" frames (JSON) equal Ruby's, path, line and label,
#     frame for frame, and its "ruby" name is Thread#name;
#  b) log-forwarder: join-on-blocked on out_metrics in connect (SYN_SENT), with
#     the Ruby locations of the join in Agent#shutdown and of
#     post_service_metrics;
#  c) mutex-abba: lock-cycle naming reloader and flusher;
#  d) queue-join: a finding naming consumer and Queue;
#  e) idle-server: nothing at high or critical, Ruby frames for the workers;
#  f) the log-forwarder's signature is the same from two copies of the samples
#     (one with another gem version), and differs from mutex-abba's;
#  g) a) again under /opt/ruby-3.3.8, and under the newest /opt/ruby-3.4.*,
#     when installed.
# Skips (exit 77) without /usr/bin/ruby; without Ruby 3.3 or 3.4, skips that
# part of g). HS_RUBY_KEEP_GOING=1: report every
# failed assertion, not only the first. Loopback only.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# HS_RUBY, HS_RUBY33, HS_RUBY34: other rubies (or absent ones, to try the skips)
RUBY=${HS_RUBY:-/usr/bin/ruby}
RUBY33=${HS_RUBY33:-/opt/ruby-3.3.8/bin/ruby}
ORACLE="/usr/bin/python3 $SRC/tests/integration/ruby-oracle.py"
RSAMPLES=$SRC/samples/ruby
[ -x "$RUBY" ] || {
	echo "skip: no $RUBY (apt-get install ruby)"
	exit 77
}

FAILS=0
# check WHAT CMD...: an assertion; fails the test (or counts, HS_RUBY_KEEP_GOING)
check() {
	local what=$1
	shift
	"$@" && return 0
	[ -n "${HS_RUBY_KEEP_GOING:-}" ] || fail "$what"
	echo "FAIL (going on): $what" >&2
	FAILS=$((FAILS + 1))
}

# snap TAG RUBY SCRIPT [ARGS...]: runs the sample with --oracle TAG.oracle.json,
# snapshots it into TAG.core, kills it, analyzes TAG.core into TAG.json and
# TAG.txt; the sample's ready line is in TAG.out.
snap() {
	local tag=$1 ruby=$2
	shift 2
	start_target "$WORK/$tag.out" "$ruby" "$@" --oracle "$WORK/$tag.oracle.json"
	[ -s "$WORK/$tag.oracle.json" ] || fail "$tag: ready, but no oracle file"
	expect_exit 0 "$HANGSNAP" -q -o "$tag.core" "$TARGET_PID"
	kill -9 "$TARGET_PID"
	wait "$TARGET_PID" 2>/dev/null # reaped here: no "Killed" line from bash
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$tag.core"
	cp "$WORK/stdout" "$tag.json"
	expect_exit 0 "$HANGANALYZE" --no-db --format=text "$tag.core"
	cp "$WORK/stdout" "$tag.txt"
}

# ready_field TAG KEY: KEY=VALUE of TAG's ready line
ready_field() {
	sed -n "s/^ready .* $2=\\([^ ]*\\).*/\\1/p" "$WORK/$1.out" | head -1
}

# line_of FILE PATTERN: the number of the (only) line of FILE matching PATTERN
line_of() {
	local n
	n=$(grep -n -- "$2" "$1" | cut -d: -f1)
	case $n in
	'' | *[!0-9]*) fail "$1: not exactly one line matches '$2' ('$n')" ;;
	esac
	echo "$n"
}

samples="log-forwarder:log-forwarder/agent.rb mutex-abba:mutex-abba.rb queue-join:queue-join.rb idle-server:idle-server.rb"

# Ruby 3.1 (Debian's): every sample, every assertion
for s in $samples; do
	snap "${s%%:*}" "$RUBY" "$RSAMPLES/${s#*:}"
done
for s in $samples; do
	check "${s%%:*}: Ruby frames differ from the oracle's" $ORACLE frames "${s%%:*}.oracle.json" "${s%%:*}.json"
done
for s in $samples; do
	validate_json "${s%%:*}.json"
done

# b) log-forwarder
join_line=$(line_of "$RSAMPLES/log-forwarder/agent.rb" '@output\.thread\.join')
post_line=$(line_of "$RSAMPLES"/log-forwarder/vendor/gems/metrics-client-*/lib/metrics/client.rb '@adapter\.post(')
check "log-forwarder: join-on-blocked finding" $ORACLE finding log-forwarder.txt join-on-blocked \
	--header out_metrics --header connect --header SYN_SENT \
	--body "agent.rb:$join_line" --body "client.rb:$post_line"

# c) mutex-abba
check "mutex-abba: lock-cycle finding" $ORACLE finding mutex-abba.txt lock-cycle --body reloader --body flusher

# d) queue-join: whichever rule, a finding about the consumer and its Queue
qj_rule=$(json_query queue-join.json "sorted({f['rule'] for f in d['findings'] if 'consumer' in json.dumps(f) and 'Queue' in json.dumps(f)})" | head -1)
check "queue-join: no finding names consumer and Queue ($(json_query queue-join.json "[f['rule'] for f in d['findings']]" | tr '\n' ' '))" \
	[ -n "$qj_rule" ]
[ -z "$qj_rule" ] || check "queue-join: $qj_rule finding" $ORACLE finding queue-join.txt "$qj_rule" --body consumer --body Queue

# e) idle-server
check "idle-server: severe finding in a healthy process" $ORACLE no-severe idle-server.txt
check "idle-server: workers without Ruby frames" $ORACLE has-frames idle-server.json $(ready_field idle-server workers | tr , ' ')

# f) signature stability: two copies of the samples, one with another gem version
mkdir -p copy-a copy-b
cp -r "$RSAMPLES" copy-a/ruby
cp -r "$RSAMPLES" copy-b/ruby
mv copy-b/ruby/log-forwarder/vendor/gems/metrics-client-1.4.2 copy-b/ruby/log-forwarder/vendor/gems/metrics-client-1.4.3
snap lf-a "$RUBY" "$WORK/copy-a/ruby/log-forwarder/agent.rb"
snap lf-b "$RUBY" "$WORK/copy-b/ruby/log-forwarder/agent.rb"
grep -q 'metrics-client-1.4.3/lib/metrics/client.rb' lf-b.oracle.json || fail "lf-b did not load the renamed gem"
sig() { json_query "$1" "(d.get('signature') or {}).get('hash')"; }
sig_text() { json_query "$1" "(d.get('signature') or {}).get('text')"; }
sig_a=$(sig lf-a.json) sig_b=$(sig lf-b.json) sig_lf=$(sig log-forwarder.json) sig_abba=$(sig mutex-abba.json)
note "signatures: log-forwarder $sig_lf, copy a $sig_a, copy b (1.4.3) $sig_b, mutex-abba $sig_abba"
check "log-forwarder signature moves with the install path: $sig_a vs $sig_b ($(sig_text lf-a.json) / $(sig_text lf-b.json))" \
	[ "$sig_a" = "$sig_b" ]
check "log-forwarder signature differs between the source tree and a copy: $sig_lf vs $sig_a" [ "$sig_lf" = "$sig_a" ]
check "mutex-abba and log-forwarder share signature $sig_abba" [ "$sig_abba" != "$sig_lf" ]
check "log-forwarder has no signature" [ "$sig_lf" != None ]

# g) Ruby 3.3, and 3.4 where installed: the frames
if [ -x "$RUBY33" ]; then
	for s in $samples; do
		snap "${s%%:*}-33" "$RUBY33" "$RSAMPLES/${s#*:}"
		check "${s%%:*} (Ruby 3.3): Ruby frames differ from the oracle's" \
			$ORACLE frames "${s%%:*}-33.oracle.json" "${s%%:*}-33.json"
	done
else
	note "skipped: ruby 3.3 not installed"
fi
RUBY34=${HS_RUBY34:-$(ls -d /opt/ruby-3.4.*/bin/ruby 2>/dev/null | sort -V | tail -n 1)}
if [ -n "$RUBY34" ] && [ -x "$RUBY34" ]; then
	for s in $samples; do
		snap "${s%%:*}-34" "$RUBY34" "$RSAMPLES/${s#*:}"
		check "${s%%:*} (Ruby 3.4): Ruby frames differ from the oracle's" \
			$ORACLE frames "${s%%:*}-34.oracle.json" "${s%%:*}-34.json"
	done
else
	note "skipped: ruby 3.4 not installed"
fi

[ "$FAILS" = 0 ] || fail "$FAILS Ruby assertion(s) failed"
echo ok
