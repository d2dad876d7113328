#!/bin/bash
# The case database under stress and abuse: four ingesters at once lose no
# case and never see "database is locked"; kill -9 mid-ingest leaves a
# database that passes integrity_check with no half-written case; a newer
# schema is refused and left untouched; older schemas are migrated; names
# with quotes, SQL, control bytes and invalid UTF-8 are stored and shown intact.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

sql() {	# sql DB QUERY: one value (bytes-safe repr for text)
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for row in c.execute(sys.argv[2]):
    print(*row)
c.commit()
PY
}

# --- 24 distinct cores: one process snapshotted 24 times (each capture is a different core) ---
start_target "$WORK/h.out" "$BUILD/bench/heartbeat-target" --threads 50 --heap-mib 1 --gap-file "$WORK/gap"
for i in $(seq 24); do
	expect_exit 0 "$HANGSNAP" -q --interval 0 -o "c$i.hang.zst" "$TARGET_PID"
done

# --- four ingesters at once ---
ingesters=""
for w in 1 2 3 4; do
	(
		for i in $(seq "$w" 4 24); do
			"$HANGANALYZE" --db "$WORK/par.db" -q --format=json "c$i.hang.zst" >/dev/null 2>>"$WORK/par.$w.err" ||
				echo "exit $? on c$i" >>"$WORK/par.$w.err"
		done
	) &
	ingesters="$ingesters $!"
done
# shellcheck disable=SC2086
wait $ingesters
cat par.*.err >par.err
[ ! -s par.err ] || fail "concurrent ingest failed: $(cat par.err)"
[ "$(sql par.db 'SELECT count(*) FROM cases')" = 24 ] || fail "concurrent ingest stored $(sql par.db 'SELECT count(*) FROM cases') of 24 cases"
# text, JSON and HTML for each case
[ "$(sql par.db 'SELECT count(*) FROM reports')" = 72 ] || fail "reports missing after concurrent ingest: $(sql par.db 'SELECT count(*) FROM reports') of 72"
note "4 concurrent ingesters: 24 of 24 cases"

# --- kill -9 in the middle of ingests (into an existing database, so kills land in transactions) ---
expect_exit 0 "$HANGANALYZE" --db "$WORK/kill.db" -q c1.hang.zst
for i in $(seq 2 24); do
	"$HANGANALYZE" --db "$WORK/kill.db" -q "c$i.hang.zst" >/dev/null 2>&1 &
	victim=$!
	sleep "0.0$((RANDOM % 8))"
	kill -9 "$victim" 2>/dev/null
	wait "$victim" 2>/dev/null
done
[ "$(sql kill.db 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after kill -9: $(sql kill.db 'PRAGMA integrity_check')"
half=$(sql kill.db "SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM reports r WHERE r.case_id = c.id) != 3
	OR NOT EXISTS (SELECT 1 FROM threads t WHERE t.case_id = c.id)")
[ "$half" = 0 ] || fail "$half half-written case(s) after kill -9"
stored=$(sql kill.db 'SELECT count(*) FROM cases')
for i in $(seq 24); do
	expect_exit 0 "$HANGANALYZE" --db "$WORK/kill.db" -q "c$i.hang.zst"
done
[ "$(sql kill.db 'SELECT count(*) FROM cases')" = 24 ] || fail "after re-ingest: $(sql kill.db 'SELECT count(*) FROM cases') cases"
note "kill -9 during ingest: $stored complete cases survived, none half-written; integrity ok"
kill -9 "$TARGET_PID"

# --- a newer schema is refused and not modified ---
cp par.db newer.db
sql newer.db 'PRAGMA user_version = 99' >/dev/null
sql newer.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
before=$(sha256sum newer.db)
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/newer.db"
[ "$(cat "$WORK/stderr")" = "hanganalyze: database '$WORK/newer.db' has schema version 99, newer than this hanganalyze's 2: use a newer hanganalyze (the database was not modified)" ] ||
	fail "newer schema: $(cat "$WORK/stderr")"
expect_exit 3 "$HANGANALYZE" --db "$WORK/newer.db" c1.hang.zst
[ "$(sha256sum newer.db)" = "$before" ] || fail "a newer database was modified"

# --- files that are not case databases ---
/usr/bin/python3 -c "import sqlite3; c = sqlite3.connect('$WORK/other.db'); c.execute('CREATE TABLE t (x)'); c.commit()"
before=$(sha256sum other.db)
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/other.db"
expect_grep "is an SQLite database but not a hanganalyze case database" "$WORK/stderr"
[ "$(sha256sum other.db)" = "$before" ] || fail "a foreign SQLite database was modified"
echo "not a database at all" >text.db
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/text.db"
expect_grep "file is not a database" "$WORK/stderr"
[ "$(cat text.db)" = "not a database at all" ] || fail "a text file was modified"

# --- migrations: a version-1 database with a case in it is upgraded in place ---
expect_exit 0 "$PROGS/casedb-tool" create-at-version "$WORK/v1.db" 1
[ "$(sql v1.db 'PRAGMA user_version')" = 1 ] || fail "casedb-tool did not make a version-1 database"
sql v1.db "INSERT INTO signatures (hash, version, rule, text, frames, severity, summary, first_seen, last_seen, count)
	VALUES ('00112233445566ff', 1, 'lock-cycle', 'lock-cycle: futex @ a', 'a', 3, 'old deadlock', 1, 2, 7)" >/dev/null
expect_exit 0 "$HANGANALYZE" queue --db "$WORK/v1.db"
expect_grep "^00112233445566ff  critical  new            7 " "$WORK/stdout"
[ "$(sql v1.db 'PRAGMA user_version')" = 2 ] || fail "not migrated to version 2"
expect_exit 0 "$HANGANALYZE" triage --db "$WORK/v1.db" 0011223344 --status triaged
[ "$(sql v1.db 'SELECT status FROM triage_log')" = triaged ] || fail "the version-2 triage log is missing"
expect_exit 0 "$HANGANALYZE" --db "$WORK/v1.db" -q c1.hang.zst

# --- names that break naive tools: stored and shown intact ---
dir="$WORK/it's \"odd\"; DROP TABLE cases;--"
mkdir -p "$dir"
cp "$PROGS/weird-names" "$dir/weird-names"
start_target "$WORK/w.out" "$dir/weird-names"
cat /proc/"$TARGET_PID"/task/*/comm | od -An -tx1 | tr -d ' \n' >names.hex
expect_exit 0 "$HANGSNAP" -q -o weird.hang.zst "$TARGET_PID"
expect_exit 0 "$HANGANALYZE" --db "$WORK/weird.db" weird.hang.zst
cp "$WORK/stdout" weird.txt
expect_exit 0 "$HANGANALYZE" --db "$WORK/weird.db" --format=json weird.hang.zst
cp "$WORK/stdout" weird.json
validate_json weird.json
expect_exit 0 "$HANGANALYZE" show --db "$WORK/weird.db" 1
cmp "$WORK/stdout" weird.txt || fail "show of the weird case differs from its analysis"
/usr/bin/python3 - "$WORK/weird.db" names.hex "$dir/weird-names" <<'PY' || fail "names were not stored intact"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.text_factory = bytes
names = b"".join(n + b"\n" for (n,) in c.execute("SELECT name FROM threads WHERE case_id = 1 ORDER BY tid"))
want = bytes.fromhex(open(sys.argv[2]).read())
assert sorted(names.split(b"\n")) == sorted(want.split(b"\n")), (names, want)
(exe,) = c.execute("SELECT exe FROM cases WHERE id = 1").fetchone()
assert exe == sys.argv[3].encode(), exe
assert c.execute("SELECT count(*) FROM cases").fetchone() == (1,)
PY
# the terminal report shows control bytes and invalid UTF-8 escaped, never raw
! grep -q $'\x1b' weird.txt || fail "an escape byte reached the text report"
expect_grep 'x1b\[31mred\\x07\\x01\\x7f' weird.txt
expect_grep '\\xff\\xfe\\xc3(bad\\xe2\\x82' weird.txt
echo ok
