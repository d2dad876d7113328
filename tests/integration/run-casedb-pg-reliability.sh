#!/bin/bash
# The shared case database on a real PostgreSQL server (its own, on
# 127.0.0.1): four ingesters at once, as four hosts, each filing all 24
# cores — 24 cases, one signature counted 24 times on 4 hosts, first/last
# seen exact, a triage made meanwhile kept; kill -9 mid-transaction leaves no
# half case; a server restart mid-ingest loses nothing (cases wait in the
# spool and are sent exactly once); a newer schema is refused untouched;
# hostile strings are stored byte-exact; copy moves an SQLite history, twice
# adding nothing; a least-privilege role ingests and triages but cannot
# delete or create; a password never shows in a message.
. "$(dirname "$0")/test-subr.sh"
. "$(dirname "$0")/pg-subr.sh"
cd "$WORK"
pg_start
export XDG_STATE_HOME=$WORK/state
uri() { echo "postgresql://$PG_USER@127.0.0.1:$PGPORT/$1"; }
q() { PGDB=$1 psql_q "$2"; }	# q DB SQL: one value per line
# every signature's count is the number of its cases, and no case is half-written
consistent() {
	local bad
	bad=$(q "$1" "SELECT count(*) FROM signatures s WHERE s.count != (SELECT count(*) FROM cases c WHERE c.signature_id = s.id)")
	[ "$bad" = 0 ] || fail "$1: $bad signature count(s) differ from their cases"
	bad=$(q "$1" "SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM reports r WHERE r.case_id = c.id) != 3
		OR NOT EXISTS (SELECT 1 FROM threads t WHERE t.case_id = c.id)")
	[ "$bad" = 0 ] || fail "$1: $bad half-written case(s)"
}

# --- 24 cores of one hang, captured on four hosts (UTS namespaces named h1..h4) ---
start_target "$WORK/cycle.out" "$SAMPLES/lock-cycle"
hosts=4
if ! unshare --uts true 2>/dev/null; then
	note "no UTS namespaces here (not root): one host"
	hosts=1
fi
for i in $(seq 24); do
	h=$(( (i - 1) % 4 + 1 ))
	if [ "$hosts" = 4 ]; then
		unshare --uts sh -c 'hostname "$1" && exec "$2" -q --interval 0 -o "$3" "$4"' sh "h$h" "$HANGSNAP" "c$i.hang.zst" "$TARGET_PID" ||
			fail "hangsnap on h$h"
	else
		expect_exit 0 "$HANGSNAP" -q --interval 0 -o "c$i.hang.zst" "$TARGET_PID"
	fi
done
kill -9 "$TARGET_PID"

# --- eight ingesters at once on a new database: one creates the schema, none fails ---
psql_q "CREATE DATABASE first" >/dev/null
pids=""
for w in $(seq 8); do
	"$HANGANALYZE" --db "$(uri first)" -q "c$w.hang.zst" >/dev/null 2>"first.$w.err" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a first-use ingester failed: $(cat first.*.err)"; done
[ "$(q first 'SELECT count(*) FROM cases')" = 8 ] || fail "first use by 8 at once: $(q first 'SELECT count(*) FROM cases') of 8 cases"
[ "$(q first 'SELECT version FROM hanganalyze_schema')" = 2 ] || fail "first use: schema $(q first 'SELECT version FROM hanganalyze_schema')"

# --- four ingesters at once, each filing every core, while triage notes change ---
psql_q "CREATE DATABASE par" >/dev/null
PAR=$(uri par)
expect_exit 0 "$HANGANALYZE" --db "$PAR" -q --format=json c1.hang.zst
sig=$(json_query "$WORK/stdout" 'd["signature"]["hash"]')
expect_exit 0 "$HANGANALYZE" triage --db "$PAR" "$sig" --status triaged --note "note 0"
pids=""
for w in 1 2 3 4; do
	(
		for i in $(seq 24 | shuf); do
			"$HANGANALYZE" --db "$PAR" -q --format=json "c$i.hang.zst" >/dev/null 2>>"$WORK/par.$w.err" ||
				echo "exit $? on c$i" >>"$WORK/par.$w.err"
		done
	) &
	pids="$pids $!"
done
(
	for n in $(seq 1 20); do
		"$HANGANALYZE" triage --db "$PAR" "$sig" --status triaged --note "note $n" >/dev/null 2>>"$WORK/par.t.err" ||
			echo "triage exit $?" >>"$WORK/par.t.err"
	done
) &
pids="$pids $!"
# shellcheck disable=SC2086
wait $pids
cat par.*.err >par.err
[ ! -s par.err ] || fail "concurrent ingest failed: $(cat par.err)"
[ "$(q par 'SELECT count(*) FROM cases')" = 24 ] || fail "4 ingesters × 24 cores: $(q par 'SELECT count(*) FROM cases') cases, not 24"
consistent par
[ "$(q par "SELECT count || ' ' || status || ' ' || encode(note, 'escape') FROM signatures")" = "24 triaged note 20" ] ||
	fail "the group after concurrent ingest and triage: $(q par "SELECT count, status, encode(note, 'escape') FROM signatures")"
[ "$(q par "SELECT (first_seen = (SELECT min(captured_ns) FROM cases) AND last_seen = (SELECT max(captured_ns) FROM cases))::text FROM signatures")" = true ] ||
	fail "first/last seen are not the cases' first and last capture"
[ "$(q par 'SELECT count(*) FROM triage_log')" = 21 ] || fail "triage log: $(q par 'SELECT count(*) FROM triage_log') of 21 decisions"
expect_exit 0 "$HANGANALYZE" queue --db "$PAR"
if [ "$hosts" = 4 ]; then
	expect_grep "^$sig  critical  triaged  *24 .*h1, h2, h3, h4" "$WORK/stdout"
	[ "$(q par 'SELECT count(*) FROM signature_hosts')" = 4 ] || fail "hosts: $(q par 'SELECT count(*) FROM signature_hosts')"
fi
note "4 ingesters × 24 cores on $hosts host(s): 24 cases, count 24, the 20 concurrent triage notes kept"

# --- the same under SERIALIZABLE: conflicts abort transactions, which are retried ---
psql_q "CREATE DATABASE ser" >/dev/null
psql_q "ALTER DATABASE ser SET default_transaction_isolation = 'serializable'" >/dev/null
SER=$(uri ser)
expect_exit 0 "$HANGANALYZE" --db "$SER" -q c1.hang.zst
pids=""
for w in 1 2 3 4; do
	(
		for i in $(seq 24 | shuf); do
			"$HANGANALYZE" --db "$SER" -q "c$i.hang.zst" 2>>"$WORK/ser.$w.err" || echo "exit $? on c$i" >>"$WORK/ser.$w.err"
		done
	) &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
cat ser.*.err >ser.err
[ ! -s ser.err ] || fail "ingest under SERIALIZABLE failed: $(head -3 ser.err)"
[ "$(q ser 'SELECT count(*) FROM cases')" = 24 ] || fail "SERIALIZABLE: $(q ser 'SELECT count(*) FROM cases') of 24 cases"
consistent ser
aborted=$(psql_q "SELECT xact_rollback FROM pg_stat_database WHERE datname = 'ser'")
note "4 ingesters under SERIALIZABLE: 24 cases, count $(q ser 'SELECT count FROM signatures'); $aborted transactions rolled back and retried"

# --- kill -9 in the middle of ingests ---
psql_q "CREATE DATABASE kill" >/dev/null
KILL=$(uri kill)
expect_exit 0 "$HANGANALYZE" --db "$KILL" -q c1.hang.zst
for i in $(seq 2 24); do
	"$HANGANALYZE" --db "$KILL" -q "c$i.hang.zst" >/dev/null 2>&1 &
	victim=$!
	sleep "0.0$((RANDOM % 9))"
	kill -9 "$victim" 2>/dev/null
	wait "$victim" 2>/dev/null
done
consistent kill
stored=$(q kill 'SELECT count(*) FROM cases')
for i in $(seq 24); do
	expect_exit 0 "$HANGANALYZE" --db "$KILL" -q "c$i.hang.zst"
done
[ "$(q kill 'SELECT count(*) FROM cases')" = 24 ] || fail "after re-ingest: $(q kill 'SELECT count(*) FROM cases') cases"
consistent kill
note "kill -9 during ingest: $stored complete cases survived, none half-written; 24 after re-ingest"

# --- the server goes away: the case waits in the spool, and is sent exactly once ---
psql_q "CREATE DATABASE spool" >/dev/null
SPOOL=$(uri spool)
expect_exit 0 "$HANGANALYZE" --db "$SPOOL" -q c1.hang.zst
pg_stop
expect_exit 0 "$HANGANALYZE" --db "$SPOOL" -q c2.hang.zst
[ ! -s "$WORK/stderr" ] || fail "-q printed while spooling: $(cat "$WORK/stderr")"
expect_exit 0 "$HANGANALYZE" --db "$SPOOL" --format=json c3.hang.zst
expect_grep "^hanganalyze: cannot connect to '$SPOOL': " "$WORK/stderr"
expect_grep "^hanganalyze: kept the case in the spool '$XDG_STATE_HOME/hanganalyze/spool/[0-9a-f]\{16\}.db' until the server is back" "$WORK/stderr"
expect_exit 4 "$HANGANALYZE" push --db "$SPOOL"
expect_grep "^hanganalyze: cannot connect to '$SPOOL': " "$WORK/stderr"
expect_exit 4 "$HANGANALYZE" queue --db "$SPOOL"
pg_start
expect_exit 0 "$HANGANALYZE" --db "$SPOOL" c4.hang.zst
expect_grep "^hanganalyze: sent 2 spooled cases to '$SPOOL'$" "$WORK/stderr"
[ "$(q spool 'SELECT count(*) FROM cases')" = 4 ] || fail "after the spool drained: $(q spool 'SELECT count(*) FROM cases') of 4 cases"
expect_exit 0 "$HANGANALYZE" push --db "$SPOOL"
expect_grep "^sent 0 spooled cases to '$SPOOL'$" "$WORK/stdout"
consistent spool
# a restart in the middle of a run of ingests: every one exits 0, nothing is lost or doubled
(
	for i in $(seq 5 20); do
		"$HANGANALYZE" --db "$SPOOL" -q "c$i.hang.zst" 2>>"$WORK/restart.err" || echo "exit $? on c$i" >>"$WORK/restart.err"
	done
) &
run=$!
sleep 0.5
pg_stop
sleep 4
pg_start
wait "$run"
[ ! -s restart.err ] || fail "ingest across a restart failed: $(cat restart.err)"
expect_exit 0 "$HANGANALYZE" push --db "$SPOOL"
[ "$(q spool 'SELECT count(*) FROM cases')" = 20 ] || fail "across a server restart: $(q spool 'SELECT count(*) FROM cases') of 20 cases"
consistent spool
[ "$(q spool 'SELECT count FROM signatures')" = 20 ] || fail "count after the restart: $(q spool 'SELECT count FROM signatures')"
note "server down and restarted mid-ingest: 20 of 20 cases, each once ($(grep -c . "$WORK/stdout") push line)"

# --- a newer schema is refused and the database is not modified ---
psql_q "CREATE DATABASE newer" >/dev/null
NEWER=$(uri newer)
expect_exit 0 "$HANGANALYZE" --db "$NEWER" -q c1.hang.zst
q newer "UPDATE hanganalyze_schema SET version = 99" >/dev/null
fingerprint() { q newer "SELECT (SELECT count(*) FROM cases) || ' ' || (SELECT count(*) FROM frames) || ' ' || (SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM signatures s)"; }
before=$(fingerprint)
expect_exit 3 "$HANGANALYZE" queue --db "$NEWER"
[ "$(cat "$WORK/stderr")" = "hanganalyze: database '$NEWER' has schema version 99, newer than this hanganalyze's 2: use a newer hanganalyze (the database was not modified)" ] ||
	fail "newer schema: $(cat "$WORK/stderr")"
expect_exit 3 "$HANGANALYZE" --db "$NEWER" c2.hang.zst
[ "$(fingerprint)" = "$before" ] || fail "a newer database was modified"

# --- migrations: a version-1 database is upgraded in place ---
psql_q "CREATE DATABASE v1" >/dev/null
expect_exit 0 "$PROGS/casedb-tool" create-at-version "$(uri v1)" 1
[ "$(q v1 'SELECT version FROM hanganalyze_schema')" = 1 ] || fail "casedb-tool did not make a version-1 database"
[ "$(q v1 "SELECT to_regclass('triage_log') IS NULL")" = t ] || fail "version 1 has the version-2 table"
expect_exit 0 "$HANGANALYZE" --db "$(uri v1)" -q c1.hang.zst
[ "$(q v1 'SELECT version FROM hanganalyze_schema')" = 2 ] || fail "not migrated to version 2"
expect_exit 0 "$HANGANALYZE" triage --db "$(uri v1)" "$sig" --status fixed
[ "$(q v1 'SELECT status FROM triage_log')" = fixed ] || fail "the version-2 triage log is missing"

# --- hostile names: stored byte-exact, shown as on SQLite ---
dir="$WORK/it's \"odd\"; DROP TABLE cases;--"
mkdir -p "$dir"
cp "$PROGS/weird-names" "$dir/weird-names"
start_target "$WORK/w.out" "$dir/weird-names"
cat /proc/"$TARGET_PID"/task/*/comm | tr -d '\n' | od -An -tx1 | tr -d ' \n' >names.hex
expect_exit 0 "$HANGSNAP" -q -o weird.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"
psql_q "CREATE DATABASE weird" >/dev/null
expect_exit 0 "$HANGANALYZE" --db "$(uri weird)" weird.hang.zst
cp "$WORK/stdout" weird.txt
expect_exit 0 "$HANGANALYZE" show --db "$(uri weird)" 1
cmp "$WORK/stdout" weird.txt || fail "show of the weird case differs from its analysis"
have=$(q weird "SELECT encode(string_agg(name, ''::bytea ORDER BY tid), 'hex') FROM threads WHERE case_id = 1")
[ "$(/usr/bin/python3 -c 'import sys; print(sorted(bytes.fromhex(sys.argv[1])) == sorted(bytes.fromhex(sys.argv[2])))' "$have" "$(cat names.hex)")" = True ] ||
	fail "thread names not stored byte-exact: $have vs $(cat names.hex)"
[ "$(q weird "SELECT encode(exe, 'hex') FROM cases WHERE id = 1")" = "$(printf '%s' "$dir/weird-names" | od -An -tx1 | tr -d ' \n')" ] ||
	fail "the executable's path was not stored byte-exact"
expect_grep '\\xff\\xfe\\xc3(bad\\xe2\\x82' weird.txt

# --- copy: an SQLite history moves over, its triage along; twice adds nothing ---
for i in 1 2 3; do expect_exit 0 "$HANGANALYZE" --db "$WORK/local.db" -q "c$i.hang.zst"; done
expect_exit 0 "$HANGANALYZE" --db "$WORK/local.db" -q weird.hang.zst
expect_exit 0 "$HANGANALYZE" triage --db "$WORK/local.db" "$sig" --status fixed --note "copied along" --fixed-in 9.9
psql_q "CREATE DATABASE fleet" >/dev/null
expect_exit 0 "$HANGANALYZE" copy --from "$WORK/local.db" --to "$(uri fleet)"
expect_grep "^copied 4 cases from '$WORK/local.db' to '$(uri fleet)' (0 there already), 1 triage status$" "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" copy --from "$WORK/local.db" --to "$(uri fleet)"
expect_grep "^copied 0 cases from .* (4 there already), 0 triage statuses$" "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" queue --all --db "$WORK/local.db"
cp "$WORK/stdout" local.queue
expect_exit 0 "$HANGANALYZE" queue --all --db "$(uri fleet)"
cmp "$WORK/stdout" local.queue || fail "the copied queue differs: $(diff local.queue "$WORK/stdout")"
expect_exit 0 "$HANGANALYZE" show --db "$WORK/local.db" 4
cp "$WORK/stdout" local.show
expect_exit 0 "$HANGANALYZE" show --db "$(uri fleet)" 4
cmp "$WORK/stdout" local.show || fail "a copied case shows differently"
consistent fleet
expect_exit 2 "$HANGANALYZE" copy --from "$(uri fleet)" --to "$WORK/x.db"

# --- a least-privilege role: ingests and triages; cannot delete, cannot create ---
psql_q "CREATE ROLE ingest LOGIN" >/dev/null
psql_q "CREATE DATABASE owned" >/dev/null
expect_exit 0 "$HANGANALYZE" schema --role ingest
cp "$WORK/stdout" schema.sql
PGDB=owned "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U "$PG_USER" -d owned -f schema.sql >/dev/null ||
	fail "the printed schema does not run"
INGEST="postgresql://ingest@127.0.0.1:$PGPORT/owned"
expect_exit 0 "$HANGANALYZE" --db "$INGEST" -q c1.hang.zst
expect_exit 0 "$HANGANALYZE" --db "$INGEST" -q c2.hang.zst
expect_exit 0 "$HANGANALYZE" triage --db "$INGEST" "$sig" --status triaged
expect_exit 0 "$HANGANALYZE" show --db "$INGEST" "$sig"
! "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U ingest -d owned -c "DELETE FROM triage_log" 2>/dev/null ||
	fail "the ingest role may delete"
psql_q "CREATE DATABASE notyet" >/dev/null
expect_exit 4 "$HANGANALYZE" --db "postgresql://ingest@127.0.0.1:$PGPORT/notyet" c1.hang.zst
[ "$(cat "$WORK/stderr")" = "hanganalyze: cannot create the case tables in 'postgresql://ingest@127.0.0.1:$PGPORT/notyet': permission denied for schema public: role 'ingest' may not create the case tables; have the database's owner run: hanganalyze schema --role 'ingest' | psql -d DATABASE" ] ||
	fail "no tables, no right to create them: $(cat "$WORK/stderr")"
[ "$(PGDB=notyet psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] || fail "a refused creation left tables"

# --- passwords: from PGPASSFILE, never in a message; a refusal is an error, not a spool ---
psql_q "CREATE ROLE pw LOGIN PASSWORD 'Sekr1t-pw'" >/dev/null
PGDB=owned psql_q "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO pw; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO pw" >/dev/null
{ echo "host all pw 127.0.0.1/32 scram-sha-256"; cat "$PG_DATA/pg_hba.conf"; } >hba && cp hba "$PG_DATA/pg_hba.conf"
pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null
printf '127.0.0.1:%s:owned:pw:Sekr1t-pw\n' "$PGPORT" >pgpass
chmod 600 pgpass
msgs() { cat "$WORK/stdout" "$WORK/stderr" >>"$WORK/messages"; }
PGPASSFILE=$WORK/pgpass expect_exit 0 "$HANGANALYZE" --db "postgresql://pw@127.0.0.1:$PGPORT/owned" c3.hang.zst
expect_grep "^hanganalyze: stored case 3 in 'postgresql://pw@127.0.0.1:$PGPORT/owned'" "$WORK/stderr"
msgs
expect_exit 0 "$HANGANALYZE" --db "postgresql://pw:Sekr1t-pw@127.0.0.1:$PGPORT/owned" c4.hang.zst
expect_grep "^hanganalyze: stored case 4 in 'postgresql://pw@127.0.0.1:$PGPORT/owned'" "$WORK/stderr"
msgs
expect_exit 0 "$HANGANALYZE" queue --format=html --db "host=127.0.0.1 port=$PGPORT dbname=owned user=pw password=Sekr1t-pw"
expect_grep "<html" "$WORK/stdout"
msgs
expect_exit 4 "$HANGANALYZE" --db "postgresql://pw:wrong-Sekr1t@127.0.0.1:$PGPORT/owned" c5.hang.zst
expect_grep "password authentication failed" "$WORK/stderr"
! grep -q "spool" "$WORK/stderr" || fail "a refused password spooled the case"
msgs
expect_exit 4 "$HANGANALYZE" queue --db "host=127.0.0.1 port=$PGPORT dbname=nosuch user=pw password=Sekr1t-pw"
expect_grep "^hanganalyze: cannot connect to 'postgresql://pw@127.0.0.1:$PGPORT/nosuch'" "$WORK/stderr"
msgs
! grep -rq "Sekr1t" "$WORK/messages" "$XDG_STATE_HOME" || fail "a password reached a message or the spool"
[ "$(q owned 'SELECT count(*) FROM cases')" = 4 ] || fail "owned: $(q owned 'SELECT count(*) FROM cases') cases"
# --- no libpq on the machine: SQLite works, a server is a clear error (libpq is loaded only for a server) ---
libpq=$(readlink -f "$(ldconfig -p | awk '$1 == "libpq.so.5" && /x86-64/ { print $NF; exit }')")
if [ "$(id -u)" = 0 ] && [ -f "$libpq" ] && unshare -m true 2>/dev/null; then
	unshare -m sh -c 'mount --bind /dev/null "$1" && shift && "$@"' sh "$libpq" \
		"$HANGANALYZE" queue --db "postgresql://pw:Sekr1t-pw@127.0.0.1:$PGPORT/owned" >nolib.out 2>nolib.err && fail "no libpq, yet a server worked"
	expect_grep "^hanganalyze: cannot use the database server 'postgresql://pw@127.0.0.1:$PGPORT/owned': the PostgreSQL client library is not installed (libpq5)" nolib.err
	! grep -q Sekr1t nolib.err || fail "without libpq, the password reached the message"
	unshare -m sh -c 'mount --bind /dev/null "$1" && shift && "$@"' sh "$libpq" \
		"$HANGANALYZE" --db "$WORK/nolib.db" -q c1.hang.zst >/dev/null 2>nolib.err || fail "without libpq, SQLite failed: $(cat nolib.err)"
fi
echo ok
