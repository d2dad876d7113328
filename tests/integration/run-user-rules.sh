#!/bin/bash
# User rules: a rule file matches threads by frames, module, syscall and name
# and produces findings with its own id, severity and expanded summary; a bad
# rule file is refused with "FILE:LINE: problem" and exit status 2; --fail-on
# turns findings into exit status 1.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

start_target "$WORK/t.out" "$PROGS/harm-target" --status "$WORK/status"
pid=$TARGET_PID
expect_exit 0 "$HANGSNAP" -q -o t.hang.zst "$pid"
reader=$(grep -l '^reader$' /proc/"$pid"/task/*/comm | sed 's|/proc/[0-9]*/task/\([0-9]*\)/comm|\1|')

expect_exit 0 "$HANGANALYZE" --no-default-rules --rules "$SRC/tests/rules/good" --format=json t.hang.zst
cp "$WORK/stdout" t.json
validate_json t.json
[ "$(json_query t.json '[(f["severity"], f["threads"]) for f in d["findings"] if f["rule"] == "pipe-reader-idle"]')" = "('high', [$reader])" ] ||
	fail "pipe-reader-idle: $(json_query t.json '[f for f in d["findings"] if f["rule"] == "pipe-reader-idle"]')"
json_query t.json '[f["summary"] for f in d["findings"] if f["rule"] == "pipe-reader-idle"][0]' >summary.txt
expect_grep "^reader ($reader) waits in read([0-9]*, 0x[0-9a-f]*, 1) under reader: read() on fd [0-9]* pipe" summary.txt
[ "$(json_query t.json '[f["hint"] for f in d["findings"] if f["rule"] == "pipe-reader-idle"][0]')" = 'feed the "quiet" pipe' ] ||
	fail "hint not expanded with its escapes"
[ "$(json_query t.json '[f["summary"] for f in d["findings"] if f["rule"] == "acceptor-waits"]')" = "acceptor ($(grep -l '^acceptor$' /proc/"$pid"/task/*/comm | cut -d/ -f5)) waits for a connection" ] ||
	fail "acceptor-waits: $(json_query t.json '[f for f in d["findings"] if f["rule"] == "acceptor-waits"]')"

# the default directory is read (XDG_CONFIG_HOME), --no-default-rules skips it
mkdir -p cfg/hanganalyze/rules.d
cp "$SRC/tests/rules/good/harm.rules" cfg/hanganalyze/rules.d/
XDG_CONFIG_HOME=$WORK/cfg expect_exit 0 "$HANGANALYZE" --format=json t.hang.zst
grep -q '"rule": "pipe-reader-idle"' "$WORK/stdout" || fail "rules in \$XDG_CONFIG_HOME/hanganalyze/rules.d not loaded"
XDG_CONFIG_HOME=$WORK/cfg expect_exit 0 "$HANGANALYZE" --no-default-rules --format=json t.hang.zst
! grep -q '"rule": "pipe-reader-idle"' "$WORK/stdout" || fail "--no-default-rules still loaded the default rules"

# --fail-on: a high finding fails at high, not at critical
expect_exit 1 "$HANGANALYZE" --no-default-rules --rules "$SRC/tests/rules/good" --fail-on=high t.hang.zst
expect_exit 0 "$HANGANALYZE" --no-default-rules --rules "$SRC/tests/rules/good" --fail-on=critical t.hang.zst
expect_exit 2 "$HANGANALYZE" --fail-on=urgent t.hang.zst

# bad rule files: one line naming file and line, exit 2, no report
while IFS=$'\t' read -r file want; do
	mkdir -p "bad-$file"
	cp "$SRC/tests/rules/bad/$file" "bad-$file/"
	expect_exit 2 "$HANGANALYZE" --no-default-rules --rules "bad-$file" t.hang.zst
	[ "$(cat "$WORK/stderr")" = "hanganalyze: bad-$file/$file:$want" ] ||
		fail "$file: got '$(cat "$WORK/stderr")', expected 'hanganalyze: bad-$file/$file:$want'"
	[ ! -s "$WORK/stdout" ] || fail "$file: a report was printed despite the bad rule file"
done <"$SRC/tests/rules/bad/expected.txt"
expect_exit 2 "$HANGANALYZE" --no-default-rules --rules "$WORK/no-such-dir" t.hang.zst
expect_grep "cannot open rule directory '$WORK/no-such-dir': No such file or directory" "$WORK/stderr"
echo ok
