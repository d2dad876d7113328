#!/bin/bash
# check --format=junit on hostile names: whatever bytes the core paths, the
# thread names (weird-names) and the known-hangs comments hold — XML-forbidden
# characters such as U+FFFE and U+FFFF, controls, noncharacters, invalid
# UTF-8 — the JUnit file is well-formed XML that expat (python3's
# xml.etree) parses, with each forbidden character shown as U+FFFD.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

start_target "$WORK/w.out" "$PROGS/weird-names"
expect_exit 0 "$HANGSNAP" -q -o weird.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"
start_target "$WORK/c.out" "$SAMPLES/lock-cycle"
expect_exit 0 "$HANGSNAP" -q --interval 0 -o cycle.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"

# names holding U+FFFE, U+FFFF, U+1FFFE, U+FDD0, a C1 control, CR, a BEL and invalid UTF-8
names=(
	$'fffe-\xef\xbf\xbe.hang.zst'
	$'ffff-\xef\xbf\xbf.hang.zst'
	$'plane1-\xf0\x9f\xbf\xbe.hang.zst'
	$'fdd0-\xef\xb7\x90-c1-\xc2\x9b.hang.zst'
	$'cr-\r-bel-\a-bad-\xff\xed\xa0\x80.hang.zst'
)
for n in "${names[@]}"; do
	cp cycle.hang.zst "$n"
done
sig=$("$HANGANALYZE" --no-db --format=json cycle.hang.zst | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["signature"]["hash"])')
printf '%s forbidden # fixed \xef\xbf\xbe in \xef\xbf\xbf 2.4 \x01 <&> "\x27\n' "$sig" >known.txt
expect_exit 1 "$HANGANALYZE" check --no-db --known known.txt --format=junit -o junit.xml weird.hang.zst "${names[@]}"
/usr/bin/python3 - junit.xml "${#names[@]}" <<'PY' || fail "junit.xml is not well-formed XML: $(od -c junit.xml | head -40)"
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
n = int(sys.argv[2])
assert suite.get("tests") == str(n + 1), suite.attrib
cases = suite.findall("testcase")
names = [c.get("name") for c in cases]
assert names[1] == "fffe-\ufffd.hang.zst", ascii(names)
assert names[2] == "ffff-\ufffd.hang.zst", ascii(names)
assert names[3] == "plane1-\ufffd.hang.zst", ascii(names)
assert names[4] == "fdd0-\ufffd-c1-\ufffd.hang.zst", ascii(names)
assert names[5] == "cr-\ufffd-bel-\ufffd-bad-\ufffd\ufffd\ufffd\ufffd.hang.zst", ascii(names)
fail = cases[1].find("failure")
assert fail is not None and fail.get("type") == "regressed-hang", ascii(fail.attrib if fail is not None else None)
assert fail.text.endswith("known as: fixed \ufffd in \ufffd 2.4 \ufffd <&> \"'"), ascii(fail.text)
PY
echo ok
