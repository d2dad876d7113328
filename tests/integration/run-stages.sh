#!/bin/bash
# hanganalyze --stats names every stage of the analysis, in the order
# analyzer/analyze.c runs them, one line each with its time in ms — and the
# stages change nothing the reports show: the JSON of a core is the same
# with --stats as without.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

start_target "$WORK/target.out" "$SAMPLES/lock-cycle"
expect_exit 0 "$HANGSNAP" -q -o lock-cycle.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"

expect_exit 0 "$HANGANALYZE" --no-db --format=json lock-cycle.hang.zst
cp "$WORK/stdout" plain.json
expect_exit 0 "$HANGANALYZE" --no-db --format=json --stats lock-cycle.hang.zst
cmp -s plain.json "$WORK/stdout" || fail "--stats changed the JSON report"

got=$(sed -n 's/^hanganalyze: stage \([a-z-]*\) *[0-9]*\.[0-9] ms$/\1/p' "$WORK/stderr" | paste -sd' ')
want="process threads unwind runtime-stacks groups evidence waitgraph rules user-rules signature"
[ "$got" = "$want" ] || { cat "$WORK/stderr" >&2; fail "--stats stages '$got', expected '$want'"; }
note "$(sed -n 's/^hanganalyze: stage *\([a-z-]*\) *\(.*\)/\1 \2/p' "$WORK/stderr" | paste -sd, | sed 's/,/, /g')"
echo ok
