#!/bin/bash
# Every rule fires on its sample with exactly the threads the sample names.
# Each sample prints "ready PID rule=RULE tids=A,B,..." once its threads are
# in the hang; we snapshot it, analyze the core as JSON, and require that the
# findings of RULE together involve exactly those tids — and that the text
# report leads with a finding.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# check_sample SAMPLE: runs samples/SAMPLE and checks the finding it announces
check_sample() {
	local sample=$1 line rule tids got
	start_target "$WORK/$sample.out" "$SAMPLES/$sample"
	line=$(grep -m1 '^ready' "$WORK/$sample.out")
	rule=$(sed -n 's/.* rule=\([^ ]*\).*/\1/p' <<<"$line")
	tids=$(sed -n 's/.* tids=\([0-9,]*\).*/\1/p' <<<"$line" | tr , '\n' | sort -n | paste -sd,)
	[ -n "$rule" ] && [ -n "$tids" ] || fail "$sample: no rule= or tids= in '$line'"
	expect_exit 0 "$HANGSNAP" -q -o "$sample.hang.zst" "$TARGET_PID"
	expect_exit 0 "$HANGANALYZE" --format=json "$sample.hang.zst"
	cp "$WORK/stdout" "$sample.json"
	validate_json "$sample.json"
	got=$(json_query "$sample.json" "','.join(str(t) for t in sorted({t for f in d['findings'] if f['rule'] == '$rule' for t in f['threads']}))")
	if [ "$got" != "$tids" ]; then
		json_query "$sample.json" '[f["rule"] + ": " + f["summary"] + " " + str(f["threads"]) for f in d["findings"]]' >&2
		fail "$sample: findings of $rule involve threads '$got', expected '$tids'"
	fi
	expect_exit 0 "$HANGANALYZE" "$sample.hang.zst"
	cp "$WORK/stdout" "$sample.txt"
	grep -A1 '^findings:' "$sample.txt" | grep -q "^  \[\(critical\|high\|medium\)\] " ||
		fail "$sample: the text report does not lead with a finding: $(grep -A2 '^findings:' "$sample.txt")"
	note "$sample: $rule on $tids: $(json_query "$sample.json" "[f['summary'] for f in d['findings'] if f['rule'] == '$rule'][0]")"
	kill -9 "$TARGET_PID"
}

for sample in lock-cycle lock-self abandoned-lock lock-held-during-io connect-stall socket-read-stall \
	socket-read-stall-b pipe-write-full file-lock-wait child-wait dns-stall busy-spin signal-unsafe-reentry \
	join-connect-stall rwlock-reader-io semaphore-poster-io; do
	check_sample "$sample"
done
echo ok
