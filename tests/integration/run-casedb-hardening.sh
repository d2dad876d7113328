#!/bin/bash
# The case database as untrusted input: a damaged schema version (negative
# user_version) or NULL / wrongly typed columns are a damaged database
# (exit 3), never a crash or "out of memory".
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

sql() {	# sql DB QUERY...: runs each query, prints the rows of the last
	/usr/bin/python3 - "$@" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for q in sys.argv[2:]:
    rows = c.execute(q).fetchall()
c.commit()
for row in rows:
    print(*row)
PY
}

start_target "$WORK/c.out" "$SAMPLES/lock-cycle"
expect_exit 0 "$HANGSNAP" -q --interval 0 -o cycle1.hang.zst "$TARGET_PID"
expect_exit 0 "$HANGSNAP" -q --interval 0 -o cycle2.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"
expect_exit 0 "$HANGANALYZE" --no-db cycle1.hang.zst
cp "$WORK/stdout" cycle1.txt
expect_exit 0 "$HANGANALYZE" --no-db cycle2.hang.zst
cp "$WORK/stdout" cycle2.txt
expect_exit 0 "$HANGANALYZE" --db "$WORK/good.db" -q cycle1.hang.zst

# --- a negative schema version is damage, not an index into the migrations ---
for v in -1 -1000 -2147483648; do
	cp good.db neg.db
	sql neg.db "PRAGMA user_version = $v" >/dev/null
	expect_exit 3 "$HANGANALYZE" queue --db "$WORK/neg.db"
	[ "$(cat "$WORK/stderr")" = "hanganalyze: database '$WORK/neg.db' is damaged: schema version $v" ] ||
		fail "user_version $v: $(cat "$WORK/stderr")"
	expect_exit 3 "$HANGANALYZE" --db "$WORK/neg.db" cycle2.hang.zst
done

# --- NULL and wrongly typed columns: damaged (exit 3), not out of memory ---
# (the NOT NULL constraints are taken out of the schema the way a damaged or hand-edited file would lose them)
damage() {	# damage COLUMN-DEFINITION REPLACEMENT UPDATE
	cp good.db damaged.db
	sql damaged.db "PRAGMA writable_schema = ON" \
		"UPDATE sqlite_schema SET sql = replace(sql, '$1', '$2') WHERE name = 'signatures'" >/dev/null
	sql damaged.db "$3" >/dev/null
}
damage "summary TEXT NOT NULL" "summary TEXT" "UPDATE signatures SET summary = NULL"
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/damaged.db"
expect_grep "^hanganalyze: database '$WORK/damaged.db' is damaged: signatures.summary is NULL$" "$WORK/stderr"
damage "hash TEXT NOT NULL UNIQUE" "hash TEXT UNIQUE" "UPDATE signatures SET hash = NULL"
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/damaged.db"
expect_grep "is damaged: signatures.hash is NULL$" "$WORK/stderr"
damage "status TEXT" "status TEXT" "UPDATE signatures SET hash = x'00ff'"
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/damaged.db"
expect_grep "is damaged: signatures.hash is a blob, not text$" "$WORK/stderr"
damage "count INTEGER NOT NULL DEFAULT 0" "count INTEGER" "UPDATE signatures SET count = 'many'"
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/damaged.db"
expect_grep "is damaged: signatures.count is text, not an integer$" "$WORK/stderr"
expect_exit 3 "$HANGANALYZE" show --db "$WORK/damaged.db" "$(sql good.db 'SELECT substr(hash, 1, 8) FROM signatures')"
# a NULL status met while filing a case into the group
damage "status TEXT NOT NULL DEFAULT" "status TEXT DEFAULT" "UPDATE signatures SET status = NULL"
expect_exit 3 "$HANGANALYZE" --db "$WORK/damaged.db" cycle2.hang.zst
expect_grep "is damaged: signatures.status is NULL$" "$WORK/stderr"

echo ok
