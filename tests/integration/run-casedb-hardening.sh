#!/bin/bash
# The case database as untrusted input and a place that can fail:
#  - a damaged schema version (negative user_version) or NULL / wrongly
#    typed columns are a damaged database (exit 3), never a crash or "out
#    of memory";
#  - a symlink above the database is fine, a symlink as the database itself
#    is refused; so is a database another user owns or others may write
#    (as ssh refuses loose key files), with the fix in the message;
#  - when the case cannot be filed (refused, or the disk is full) the report
#    is printed all the same, then the filing error, and no empty database
#    file is left behind.
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
	cmp "$WORK/stdout" cycle2.txt || fail "user_version $v: the report was not printed"
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
cmp "$WORK/stdout" cycle2.txt || fail "a damaged database: the report was not printed"
expect_grep "is damaged: signatures.status is NULL$" "$WORK/stderr"

# --- symlinks: above the database fine (the default path under a symlinked /home), the database itself refused ---
mkdir real
ln -s real link
expect_exit 0 "$HANGANALYZE" --db "$WORK/link/sub/cases.db" cycle1.hang.zst
cmp "$WORK/stdout" cycle1.txt || fail "a symlink above the database: the report was not printed"
expect_grep "^hanganalyze: stored case 1 in '$WORK/link/sub/cases.db'" "$WORK/stderr"
HOME=$WORK/link XDG_DATA_HOME='' HANGANALYZE_DB='' expect_exit 0 "$HANGANALYZE" -q cycle1.hang.zst
[ -s real/.local/share/hanganalyze/cases.db ] || fail "the default path under a symlinked home has no database"
expect_exit 0 "$HANGANALYZE" queue --db "$WORK/link/sub/cases.db"
ln -s real/sub/cases.db final.db
expect_exit 3 "$HANGANALYZE" --db "$WORK/final.db" cycle2.hang.zst
cmp "$WORK/stdout" cycle2.txt || fail "a symlinked database: the report was not printed"
expect_grep "^hanganalyze: refusing database '$WORK/final.db': it is a symbolic link (give the path it points to)$" "$WORK/stderr"
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/final.db"
ln -s nowhere/cases.db dangling.db
expect_exit 3 "$HANGANALYZE" --db "$WORK/dangling.db" cycle2.hang.zst
expect_grep "^hanganalyze: refusing database '$WORK/dangling.db': it is a symbolic link" "$WORK/stderr"
[ ! -e nowhere ] || fail "a dangling symlink was followed"
mkdir dir.db
expect_exit 3 "$HANGANALYZE" queue --db "$WORK/dir.db"
expect_grep "^hanganalyze: refusing database '$WORK/dir.db': not a regular file$" "$WORK/stderr"

# --- loose permissions and foreign owners are refused, as ssh refuses key files ---
cp good.db loose.db
for mode in 666 620 602; do
	chmod "$mode" loose.db
	expect_exit 3 "$HANGANALYZE" show --db "$WORK/loose.db" --format=html 1
	[ ! -s "$WORK/stdout" ] || fail "mode $mode: the stored HTML was printed"
	expect_grep "^hanganalyze: refusing database '$WORK/loose.db': writable by group or others (chmod go-w '$WORK/loose.db')$" "$WORK/stderr"
	expect_exit 3 "$HANGANALYZE" --db "$WORK/loose.db" cycle2.hang.zst
	cmp "$WORK/stdout" cycle2.txt || fail "mode $mode: the report was not printed"
done
chmod 644 loose.db
expect_exit 0 "$HANGANALYZE" queue --db "$WORK/loose.db"
if [ "$(id -u)" = 0 ]; then
	cp good.db foreign.db
	chown 65534 foreign.db
	expect_exit 3 "$HANGANALYZE" queue --db "$WORK/foreign.db"
	[ "$(cat "$WORK/stderr")" = "hanganalyze: refusing database '$WORK/foreign.db': owned by uid 65534, not by uid 0 (chown 0 '$WORK/foreign.db')" ] ||
		fail "a foreign owner: $(cat "$WORK/stderr")"
else
	note "not root: the foreign-owner check is not exercised"
fi

# --- a full disk: the report is printed, then the error; no empty database is left ---
if [ "$(id -u)" = 0 ] && mkdir tiny && mount -t tmpfs -o size=8k,mode=0755 tmpfs tiny 2>/dev/null; then
	trap 'umount "$WORK/tiny" 2>/dev/null; cleanup' EXIT
	expect_exit 4 "$HANGANALYZE" --db "$WORK/tiny/cases.db" cycle1.hang.zst
	cmp "$WORK/stdout" cycle1.txt || fail "a full disk: the report was not printed"
	expect_grep "^hanganalyze: .*full" "$WORK/stderr"
	[ ! -e tiny/cases.db ] || fail "an empty database was left behind on a full disk: $(ls -l tiny)"
	umount tiny
	# room for the schema and a case, not for a second one
	mount -t tmpfs -o size=512k,mode=0755 tmpfs tiny
	expect_exit 0 "$HANGANALYZE" --db "$WORK/tiny/cases.db" -q cycle1.hang.zst
	dd if=/dev/zero of=tiny/filler bs=4k 2>/dev/null
	expect_exit 4 "$HANGANALYZE" --db "$WORK/tiny/cases.db" cycle2.hang.zst
	cmp "$WORK/stdout" cycle2.txt || fail "a full disk: the report was not printed"
	# (sqlite may find out extending its -shm file: "disk I/O error", or writing: "database or disk is full")
	expect_grep "^hanganalyze: cannot .* in '$WORK/tiny/cases.db': " "$WORK/stderr"
	rm tiny/filler
	[ "$(sql tiny/cases.db 'PRAGMA integrity_check')" = ok ] || fail "the database is damaged after a full disk"
	[ "$(sql tiny/cases.db 'SELECT count(*) FROM cases')" = 1 ] || fail "half a case was stored on a full disk"
	umount tiny
else
	note "cannot mount a tmpfs: the full-disk case is not exercised"
fi
echo ok
