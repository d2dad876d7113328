#!/bin/bash
# The triage loop on real cores: analyze stores cases grouped by signature;
# the same core twice is one case; queue orders by urgency; show reprints a
# case byte for byte; triage marks a signature fixed, and seeing it again
# makes it regressed and puts it on top; check passes known-expected hangs
# and fails new and regressed ones, in text and JUnit.
# HS_CASEDB_BACKEND=pg runs it all on a PostgreSQL server of its own
# (hanganalyze-casedb-pg): the same outputs, byte for byte, on both backends.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
BACKEND=${HS_CASEDB_BACKEND:-sqlite}
if [ "$BACKEND" = pg ]; then
	. "$(dirname "$0")/pg-subr.sh"
	pg_start
fi
# new_db NAME: a fresh, empty case database (a path, or a server database's URI)
new_db() {
	if [ "$BACKEND" = pg ]; then
		psql_q "CREATE DATABASE $1" >/dev/null
		echo "postgresql://$PG_USER@127.0.0.1:$PGPORT/$1"
	else
		echo "$WORK/$1.db"
	fi
}
DB=$(new_db cases)

# snap SAMPLE NAME: a fresh core of SAMPLE in NAME.hang.zst (the sample is killed after)
snap() {
	start_target "$WORK/$2.out" "$SAMPLES/$1"
	expect_exit 0 "$HANGSNAP" -q --interval 0 -o "$2.hang.zst" "$TARGET_PID"
	kill -9 "$TARGET_PID"
}
snap join-connect-stall join1
snap lock-cycle cycle1
snap lock-cycle cycle2
snap lock-cycle cycle3
snap pipe-write-full pipe1

# --- analyze stores; the database is 0600; the stderr line names the case ---
expect_exit 0 "$HANGANALYZE" --db "$DB" join1.hang.zst
cp "$WORK/stdout" join1.txt
expect_grep "^hanganalyze: stored case 1 in '$DB': signature [0-9a-f]\{16\}, new, 1 case$" "$WORK/stderr"
[ "$BACKEND" = pg ] || [ "$(stat -c %a "$DB")" = 600 ] || fail "database mode $(stat -c %a "$DB"), expected 600"
expect_exit 0 "$HANGANALYZE" --db "$DB" --format=json join1.hang.zst
cp "$WORK/stdout" join1.json
expect_grep "^hanganalyze: this core is case 1 in '$DB' already$" "$WORK/stderr"
join_sig=$(json_query join1.json 'd["signature"]["hash"]')
expect_exit 0 "$HANGANALYZE" --db "$DB" -q cycle1.hang.zst
[ ! -s "$WORK/stderr" ] || fail "-q still printed: $(cat "$WORK/stderr")"
expect_exit 0 "$HANGANALYZE" --db "$DB" --format=json cycle2.hang.zst
cycle_sig=$(json_query "$WORK/stdout" 'd["signature"]["hash"]')
expect_grep "signature $cycle_sig, new, 2 cases$" "$WORK/stderr"

# --- show: byte-identical to what analyze printed, in each format ---
expect_exit 0 "$HANGANALYZE" show --db "$DB" 1
cmp "$WORK/stdout" join1.txt || fail "show 1 differs from the analysis output"
expect_exit 0 "$HANGANALYZE" show --db "$DB" --format=json 1
cmp "$WORK/stdout" join1.json || fail "show --format=json 1 differs from the analysis output"
expect_exit 0 "$HANGANALYZE" show --db "$DB" --format=json "${cycle_sig:0:8}"
cp "$WORK/stdout" group.json
[ "$(json_query group.json 'str((d["group"]["count"], d["group"]["status"], d["latest"]["signature"]["hash"]))')" = "(2, 'new', '$cycle_sig')" ] ||
	fail "show SIG --format=json: $(head -c 400 group.json)"
expect_exit 0 "$HANGANALYZE" show --db "$DB" "${cycle_sig:0:8}"
expect_grep "^signature $cycle_sig (new)$" "$WORK/stdout"
expect_grep "^latest case 3:$" "$WORK/stdout"
expect_exit 2 "$HANGANALYZE" show --db "$DB" 99
expect_grep "no case 99 with a text report" "$WORK/stderr"
expect_exit 2 "$HANGANALYZE" show --db "$DB" "xyz'; DROP TABLE cases;--"
expect_grep "is not a signature" "$WORK/stderr"

# --- queue: most urgent first (critical lock-cycle, then the high join), JSON too ---
expect_exit 0 "$HANGANALYZE" queue --db "$DB"
cp "$WORK/stdout" queue.txt
[ "$(sed -n 2p queue.txt | cut -c1-16)" = "$cycle_sig" ] || fail "the lock cycle is not on top: $(cat queue.txt)"
[ "$(sed -n 3p queue.txt | cut -c1-16)" = "$join_sig" ] || fail "the join is not second: $(cat queue.txt)"
expect_exit 0 "$HANGANALYZE" queue --db "$DB" --format=json
cp "$WORK/stdout" queue.json
[ "$(json_query queue.json '[(g["signature"], g["severity"], g["count"], g["status"]) for g in d["groups"]]')" = \
	"$(printf "('%s', 'critical', 2, 'new')\n('%s', 'high', 1, 'new')" "$cycle_sig" "$join_sig")" ] ||
	fail "queue JSON: $(cat queue.json)"

# --- triage: fixed leaves the queue; seen again, it is regressed and on top ---
expect_exit 0 "$HANGANALYZE" triage --db "$DB" "${cycle_sig:0:6}" --status fixed --note "lock order fixed" \
	--ticket https://tickets.example/OPS-7 --fixed-in 2.4.1
expect_grep "^$cycle_sig  critical  fixed " "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" queue --db "$DB"
! grep -q "^$cycle_sig" "$WORK/stdout" || fail "a fixed signature is still in the queue"
expect_exit 0 "$HANGANALYZE" triage --db "$DB" "$join_sig" --status triaged --note "known: needs connect timeout"
expect_exit 0 "$HANGANALYZE" --db "$DB" pipe1.hang.zst
expect_exit 0 "$HANGANALYZE" --db "$DB" cycle3.hang.zst
expect_grep "signature $cycle_sig, regressed, 3 cases (it was fixed: REGRESSED)$" "$WORK/stderr"
expect_exit 0 "$HANGANALYZE" queue --db "$DB"
cp "$WORK/stdout" queue2.txt
[ "$(sed -n 2p queue2.txt | cut -c1-37)" = "$cycle_sig  critical  regressed" ] || fail "regressed not on top: $(cat queue2.txt)"
grep -q "^$join_sig  high      triaged" queue2.txt || fail "the triaged join is missing: $(cat queue2.txt)"
expect_exit 0 "$HANGANALYZE" show --db "$DB" "$cycle_sig"
expect_grep "^  note: lock order fixed$" "$WORK/stdout"
expect_grep "^  ticket: https://tickets.example/OPS-7$" "$WORK/stdout"
expect_grep "^  fixed in: 2.4.1$" "$WORK/stdout"
expect_exit 2 "$HANGANALYZE" triage --db "$DB" "$cycle_sig" --status done
expect_exit 2 "$HANGANALYZE" triage --db "$DB" 0000 --status fixed
expect_grep "no signature '0000'" "$WORK/stderr"

# --- check: known-expected passes, new and forbidden fail, JUnit for CI ---
cat >known.txt <<KNOWN
# hangs we know about
${join_sig:0:10}  expected   # shutdown join on the metrics connect (OPS-3)
$cycle_sig  forbidden  # the ABBA deadlock, fixed in 2.4.1
KNOWN
expect_exit 0 "$HANGANALYZE" check --no-db --known known.txt join1.hang.zst
expect_grep "^join1.hang.zst: ok (known hang) $join_sig (join-on-blocked): " "$WORK/stdout"
expect_grep "\[known as: shutdown join on the metrics connect (OPS-3)\]$" "$WORK/stdout"
expect_exit 1 "$HANGANALYZE" check --no-db --known known.txt join1.hang.zst cycle1.hang.zst pipe1.hang.zst
expect_grep "^cycle1.hang.zst: FAIL: regressed hang $cycle_sig (lock-cycle): " "$WORK/stdout"
expect_grep "^pipe1.hang.zst: FAIL: new hang [0-9a-f]\{16\} (pipe-write-full): " "$WORK/stdout"
expect_grep "^3 core(s): 1 passed, 2 failed, 0 unreadable$" "$WORK/stdout"
expect_exit 1 "$HANGANALYZE" check --no-db --known known.txt --format=junit -o junit.xml join1.hang.zst cycle1.hang.zst pipe1.hang.zst
/usr/bin/python3 - junit.xml <<'PY' || fail "junit.xml is not what CI expects"
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert suite.get("tests") == "3" and suite.get("failures") == "2", suite.attrib
cases = {c.get("name"): c for c in suite.findall("testcase")}
assert cases["join1.hang.zst"].find("failure") is None
assert cases["cycle1.hang.zst"].find("failure").get("type") == "regressed-hang"
assert cases["pipe1.hang.zst"].find("failure").get("type") == "new-hang"
PY
[ "$(stat -c %a junit.xml)" = 600 ] || fail "junit.xml mode $(stat -c %a junit.xml)"
expect_exit 3 "$HANGANALYZE" check --no-db --known known.txt "$WORK/missing.core"
printf 'abcd expected\n' >bad-known.txt
expect_exit 2 "$HANGANALYZE" check --no-db --known bad-known.txt join1.hang.zst
expect_grep "^hanganalyze: bad-known.txt:1: 'abcd' is not a signature: give 8 to 16 lowercase hex digits$" "$WORK/stderr"
printf '%s maybe\n' "$join_sig" >bad-known.txt
expect_exit 2 "$HANGANALYZE" check --no-db --known bad-known.txt join1.hang.zst
expect_grep "^hanganalyze: bad-known.txt:1: unknown status 'maybe': use expected or forbidden$" "$WORK/stderr"

# --- the queue as a site, from the database ---
expect_exit 0 "$HANGANALYZE" queue --db "$DB" --all --format=html --out site
[ -s site/index.html ] || fail "queue --out wrote no index.html"
expect_grep "$cycle_sig" site/index.html
for f in site/case-*.html; do expect_grep "<html" "$f"; done

# --- check stores its cases too (unless --no-db) ---
CHECK_DB=$(new_db checks)
expect_exit 1 "$HANGANALYZE" check --db "$CHECK_DB" --known known.txt pipe1.hang.zst
expect_exit 0 "$HANGANALYZE" queue --db "$CHECK_DB"
grep -q "pipe-write-full\|blocked writing to a full pipe" "$WORK/stdout" || fail "check did not store its case: $(cat "$WORK/stdout")"
echo ok
