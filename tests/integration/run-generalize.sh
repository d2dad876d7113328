#!/bin/bash
# Rules generalize beyond our C samples: a Python program stuck in connect()
# (Debian's python3: interpreter frames, no symbols of ours), a C++ program
# deadlocked through std::mutex, and the same built -O2 and stripped.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# check NAME CMD...: CMD prints "ready PID rule=RULE tids=A,B"; the findings of RULE involve exactly those tids
check() {
	local name=$1 line rule tids got
	shift
	start_target "$WORK/$name.out" "$@"
	line=$(grep -m1 '^ready' "$WORK/$name.out")
	rule=$(sed -n 's/.* rule=\([^ ]*\).*/\1/p' <<<"$line")
	tids=$(sed -n 's/.* tids=\([0-9,]*\).*/\1/p' <<<"$line" | tr , '\n' | sort -n | paste -sd,)
	expect_exit 0 "$HANGSNAP" -q -o "$name.hang.zst" "$TARGET_PID"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$name.hang.zst"
	cp "$WORK/stdout" "$name.json"
	got=$(json_query "$name.json" "','.join(str(t) for t in sorted({t for f in d['findings'] if f['rule'] == '$rule' for t in f['threads']}))")
	[ "$got" = "$tids" ] || {
		json_query "$name.json" '[f["rule"] + ": " + f["summary"] for f in d["findings"]]' >&2
		fail "$name: findings of $rule involve '$got', expected '$tids'"
	}
	note "$name: $(json_query "$name.json" "[f['summary'] for f in d['findings'] if f['rule'] == '$rule'][0]")"
	kill -9 "$TARGET_PID"
}

check python-connect /usr/bin/python3 "$SRC/tests/generalize/connect_stall.py"
# (Python's Thread.join() waits on a semaphore the thread releases when it ends: it has
# no owner in memory, so the join itself cannot be attributed — see the README)
check cxx-lock-cycle "$PROGS/lock-cycle-cxx"
check cxx-lock-cycle-stripped "$PROGS/lock-cycle-cxx-stripped"
echo ok
