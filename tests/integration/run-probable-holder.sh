#!/bin/bash
# Locks that record no owner: a reader holds an rwlock across a read() that
# never returns and the writer waits (rwlock-reader-io); a semaphore's waiter
# and the thread that would post it, blocked in read() (semaphore-poster-io).
# glibc names no reader and a semaphore no poster, so the holder is inferred
# from the reference its stack keeps: lock-held-during-io must name it as the
# probable holder, say "probably", carry confidence "probable" in the JSON,
# and give the frame whose stack holds the lock.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# check SAMPLE WAITER_KEY SYMBOL FUNCTION: the finding on SAMPLE's holder and waiter
check() {
	local sample=$1 key=$2 sym=$3 fn=$4 line holder waiter q
	start_target "$WORK/$sample.out" "$SAMPLES/$sample"
	line=$(grep -m1 '^ready' "$WORK/$sample.out")
	holder=$(sed -n 's/.* holder=\([0-9]*\).*/\1/p' <<<"$line")
	waiter=$(sed -n "s/.* $key=\\([0-9]*\\).*/\\1/p" <<<"$line")
	[ -n "$holder" ] && [ -n "$waiter" ] || fail "$sample: no holder= or $key= in '$line'"
	expect_exit 0 "$HANGSNAP" -q -o "$sample.hang.zst" "$TARGET_PID"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$sample.hang.zst"
	cp "$WORK/stdout" "$sample.json"
	validate_json "$sample.json"
	q="[f for f in d['findings'] if f['rule'] == 'lock-held-during-io']"
	[ "$(json_query "$sample.json" "len($q)")" = 1 ] ||
		fail "$sample: not one lock-held-during-io: $(json_query "$sample.json" "[f['rule'] + ': ' + f['summary'] for f in d['findings']]")"
	[ "$(json_query "$sample.json" "','.join(str(t) for t in sorted($q[0]['threads']))")" = "$(printf '%s\n' "$holder" "$waiter" | sort -n | paste -sd,)" ] ||
		fail "$sample: threads $(json_query "$sample.json" "$q[0]['threads']"), expected $holder and $waiter"
	[ "$(json_query "$sample.json" "$q[0]['confidence']")" = probable ] || fail "$sample: confidence is not probable"
	json_query "$sample.json" "$q[0]['summary']" | grep -q "^[a-z]* ($waiter) waits for [a-z]* $sym (0x[0-9a-f]*) probably [a-z ]* by [a-z]* ($holder), which is blocked in read() on fd [0-9]* pipe" ||
		fail "$sample: summary: $(json_query "$sample.json" "$q[0]['summary']")"
	json_query "$sample.json" "'\\n'.join($q[0]['evidence'])" |
		grep -q "^[a-z]* ($holder) probably [a-z ]* [a-z]* $sym (0x[0-9a-f]*): its stack holds &$sym at frame #[0-9]* $fn() (stack address 0x[0-9a-f]*, 1 thread refers to it)$" ||
		fail "$sample: no frame evidence: $(json_query "$sample.json" "$q[0]['evidence']")"
	# the wait-for graph draws the edge waiter -> holder, marked as inferred
	[ "$(json_query "$sample.json" "[e['to_thread'] for e in d['waitgraph']['edges'] if e['from'] == $waiter][0]")" = "$holder" ] ||
		fail "$sample: no edge $waiter -> $holder"
	expect_exit 0 "$HANGANALYZE" --no-db "$sample.hang.zst"
	sed -n '/^findings:/{n;p;q}' "$WORK/stdout" | grep -q '^  \[high\] lock-held-during-io: [a-z]* ([0-9]*) waits for [a-z]* [a-z_]* (0x[0-9a-f]*) probably ' ||
		fail "$sample: text headline: $(sed -n '/^findings:/{n;p;q}' "$WORK/stdout")"
	note "$sample: $(json_query "$sample.json" "$q[0]['summary']")"
	kill -9 "$TARGET_PID"
}

check rwlock-reader-io writer cfg_lock reader
check semaphore-poster-io waiter done poster
echo ok
