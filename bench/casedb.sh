#!/usr/bin/env bash
# bench/casedb.sh [BUILD_DIR] [REPS] [CASES] [BIG]
#
# Case database benchmark (see bench/README.md):
#   1. makes a handful of real cores with hangsnap: two of a 50-thread
#      heartbeat-target (no hang found: no signature) and one each of the
#      lock-cycle, join-connect-stall and pipe-write-full samples (2-3
#      threads, one signature each);
#   2. bench/casedb-ingest stores CASES (default 10000) distinct cases,
#      round-robin over those cores, into a fresh database and prints the
#      store rate (casedb_store() only), the database size and the rows;
#   3. times, warm (one unmeasured run first), REPS (default 11) runs each of
#      `hanganalyze queue`, `hanganalyze show ID` and `hanganalyze show SIG`
#      on that database, and the same on a database of the five cores only
#      (the fixed cost of a hanganalyze process), and prints the medians;
#   4. for the real CLI path, snapshots the 50-thread heartbeat-target 20
#      times (20 distinct cores) and times `hanganalyze --db DB2 CORE` on each
#      into a fresh database, `hanganalyze --no-db CORE` on each (the analysis
#      alone), and `hanganalyze --db DB CORE` on each into the CASES database;
#   5. both backends side by side — the SQLite file and a PostgreSQL server of
#      the benchmark's own (initdb into the temp dir, 127.0.0.1, default
#      durability: fsync and synchronous_commit on): CASES cases by 1 ingester
#      and by 8 concurrent ones (bench/casedb-ingest --first/--step: distinct
#      cases), queue/show medians at CASES cases, then the 8-ingester database
#      grown to BIG (default 100000; 0 skips it) cases and queried again;
# then prints [PASS]/[FAIL] against the targets: >= 200 cases/s ingest of
# 50-thread cases, queue <= 50 ms and show <= 20 ms at CASES cases; on the
# server >= 500 cases/s with 8 ingesters and queue <= 50 ms at BIG cases.
# Nothing here is a test: the numbers depend on the machine and its load.
set -euo pipefail
. "$(dirname "$0")/bench-subr.sh"

BUILD_DIR=${1:-build}
REPS=${2:-11}
CASES=${3:-10000}
BIG=${4:-100000}
CLI_CORES=20

die() { echo "casedb.sh: $*" >&2; exit 1; }

[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
[[ $CASES =~ ^[1-9][0-9]*$ ]] || die "CASES must be a positive integer, got '$CASES'"
[[ $BIG =~ ^[0-9]+$ ]] && { ((BIG == 0 || BIG > CASES)); } || die "BIG must be 0 or more than CASES ($CASES), got '$BIG'"
for f in hangsnap hanganalyze bench/casedb-ingest bench/heartbeat-target samples/lock-cycle \
	samples/join-connect-stall samples/pipe-write-full; do
	[[ -x $BUILD_DIR/$f ]] || die "$BUILD_DIR/$f not found: build first (cmake -S . -B $BUILD_DIR && cmake --build $BUILD_DIR -j)"
done

# everything under one temp dir, removed on exit; the tools and victims are
# copied first, so that a concurrent rebuild of BUILD_DIR cannot swap them mid-run
TMP=$(mktemp -d /tmp/casedb-bench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[[ -z ${PG_UP:-} ]] || pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir "$TMP/bin" "$TMP/cores" "$TMP/cli"
for f in hangsnap hanganalyze bench/casedb-ingest bench/heartbeat-target samples/lock-cycle \
	samples/join-connect-stall samples/pipe-write-full; do
	cp "$BUILD_DIR/$f" "$TMP/bin/"
done
B=$TMP/bin
HANGSNAP=$B/hangsnap
HANGANALYZE=$B/hanganalyze
# no user rules from this machine's config, the same for every run
export XDG_CONFIG_HOME=$TMP/config
unset HANGANALYZE_DB DEBUGINFOD_URLS

minmax() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s %s\n", lo, hi }'; }
sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { print s + 0 }'; }
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { if (ns <= 0) print "n/a"; else printf "%.0f", n / (ns / 1e9) }'; }
now_ns() { local t=$EPOCHREALTIME; echo "${t/./}000"; }	# µs resolution, no fork

# start_victim OUT CMD...: starts CMD, waits for its "ready PID" line, sets VPID
start_victim() {
	local out=$1 i
	shift
	"$@" >"$out" 2>&1 &
	PIDS+=($!)
	VPID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^ready ' "$out" 2>/dev/null && break
		kill -0 "$VPID" 2>/dev/null || { cat "$out" >&2; die "'$*' exited before it was ready"; }
		sleep 0.1
	done
	grep -q "^ready $VPID\\b" "$out" || { cat "$out" >&2; die "'$*' did not print 'ready $VPID' within 30 s"; }
}

snap() {	# snap PID OUT
	"$HANGSNAP" -q -o "$2" "$1" >"$TMP/snap.log" 2>&1 || { cat "$TMP/snap.log" >&2; die "hangsnap $1 failed"; }
}

echo "case database benchmark: $(uname -srm), $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "  $("$HANGANALYZE" --version), load average $(cut -d' ' -f1-3 /proc/loadavg), temp files under $TMP"

# ---- 1. cores ------------------------------------------------------------------
echo
echo "== Cores =="
start_victim "$TMP/hb.out" "$B/heartbeat-target" --threads 50 --heap-mib 4 --gap-file "$TMP/gap"
HB=$VPID
sleep 1
snap "$HB" "$TMP/cores/hb-1.hang.zst"
sleep 1
snap "$HB" "$TMP/cores/hb-2.hang.zst"
for s in lock-cycle join-connect-stall pipe-write-full; do
	start_victim "$TMP/$s.out" "$B/$s"
	snap "$VPID" "$TMP/cores/$s.hang.zst"
	kill -KILL "$VPID"
	wait "$VPID" 2>/dev/null || true
done
CORES=("$TMP/cores/hb-1.hang.zst" "$TMP/cores/hb-2.hang.zst" "$TMP/cores/lock-cycle.hang.zst"
	"$TMP/cores/join-connect-stall.hang.zst" "$TMP/cores/pipe-write-full.hang.zst")
for c in "${CORES[@]}"; do
	printf '  %-28s %s\n' "$(basename "$c")" "$(fmt_bytes "$(stat -c %s "$c")")"
done
# 20 distinct cores of the 50-thread process for the CLI path (each snapshot
# differs: the heartbeat thread keeps running between them)
for ((i = 1; i <= CLI_CORES; i++)); do
	snap "$HB" "$TMP/cli/hb-$i.hang.zst"
done
kill -TERM "$HB" 2>/dev/null || true
wait "$HB" 2>/dev/null || true
echo "  + $CLI_CORES more snapshots of the 50-thread heartbeat-target for the CLI runs"

# ---- 2. ingest -------------------------------------------------------------------
echo
echo "== Ingest: $CASES cases into a fresh database (bench/casedb-ingest) =="
DB=$TMP/cases.db
"$B/casedb-ingest" --db "$DB" --cases "$CASES" "${CORES[@]}" >"$TMP/ingest.out" 2>"$TMP/ingest.err" ||
	{ cat "$TMP/ingest.out" "$TMP/ingest.err" >&2; die "casedb-ingest failed"; }
grep -v '^result ' "$TMP/ingest.out" | sed "s|$TMP/cores/||g; s/^/  /"
STORE_NS=$(awk '$1 == "result" && $2 == "store_ns" { print $3 }' "$TMP/ingest.out")
RENDER_NS=$(awk '$1 == "result" && $2 == "render_ns" { print $3 }' "$TMP/ingest.out")
DB_BYTES=$(awk '$1 == "result" && $2 == "db_bytes" { print $3 }' "$TMP/ingest.out")
read -r BIG_CASES BIG_NS < <(awk '$1 == "result" && $2 == "core" && $4 == "threads" && $5 >= 50 { n += $7; ns += $9 }
	END { print n + 0, ns + 0 }' "$TMP/ingest.out")
read -r SMALL_CASES SMALL_NS SMALL_THREADS < <(awk '$1 == "result" && $2 == "core" && $4 == "threads" && $5 < 50 {
	n += $7; ns += $9; if (!lo || $5 < lo) lo = $5; if ($5 > hi) hi = $5 }
	END { print n + 0, ns + 0, (lo == hi ? lo : lo "-" hi) }' "$TMP/ingest.out")

DB0=$TMP/five.db	# the five cores once each: the fixed cost of a query
"$B/casedb-ingest" --db "$DB0" --cases ${#CORES[@]} --quiet "${CORES[@]}" >"$TMP/ingest0.out" 2>&1 ||
	{ cat "$TMP/ingest0.out" >&2; die "casedb-ingest (5 cases) failed"; }

# a case id in the middle, and the signature with the most cases (8 hex digits)
"$HANGANALYZE" queue --db "$DB" >"$TMP/queue.txt"
SIG=$(awk 'NR > 1 { print $4, $1 }' "$TMP/queue.txt" | sort -rn | head -n1 | cut -d' ' -f2)
[[ -n $SIG ]] || die "the queue is empty: $(cat "$TMP/queue.txt")"
SIG=${SIG:0:8}
SIG0=$("$HANGANALYZE" queue --db "$DB0" | awk 'NR > 1 { print substr($1, 1, 8); exit }')
ID=$((CASES / 2 + 1))
echo "  queue at $CASES cases:"
sed 's/^/    /' "$TMP/queue.txt" | cut -c1-160

# ---- 3. queries ------------------------------------------------------------------
declare -A R
# measure KEY CMD...: one warm-up run, then REPS timed runs; output checked non-empty
measure() {
	local key=$1 rep t0 t1 rc
	shift
	"$@" >"$TMP/q.out" 2>"$TMP/q.err" || { cat "$TMP/q.err" >&2; die "'$*' failed"; }
	for ((rep = 0; rep < REPS; rep++)); do
		rc=0
		t0=$(now_ns)
		"$@" >"$TMP/q.out" 2>"$TMP/q.err" || rc=$?
		t1=$(now_ns)
		if ((rc != 0)) || [[ ! -s $TMP/q.out ]]; then
			cat "$TMP/q.err" >&2
			die "'$*' failed (exit $rc) or printed nothing"
		fi
		R[$key]+="$((t1 - t0)) "
	done
}

echo
echo "== Queries: $REPS warm runs each =="
measure version "$HANGANALYZE" --version
measure queue0 "$HANGANALYZE" queue --db "$DB0"
measure show_id0 "$HANGANALYZE" show --db "$DB0" 3
measure show_sig0 "$HANGANALYZE" show --db "$DB0" "$SIG0"
measure queue "$HANGANALYZE" queue --db "$DB"
measure queue_json "$HANGANALYZE" queue --db "$DB" --format=json
measure show_id "$HANGANALYZE" show --db "$DB" "$ID"
measure show_id_json "$HANGANALYZE" show --db "$DB" --format=json "$ID"
measure show_sig "$HANGANALYZE" show --db "$DB" "$SIG"

declare -A M LO HI
for k in "${!R[@]}"; do
	# shellcheck disable=SC2086
	M[$k]=$(median ${R[$k]})
	# shellcheck disable=SC2086
	read -r LO[$k] HI[$k] < <(minmax ${R[$k]})
done
row() { printf '  %-42s %10s %10s %10s %10s\n' "$1" "$(fmt_ms "${M[$2]}")" "$(fmt_ms "${LO[$2]}")" "$(fmt_ms "${HI[$2]}")" "$3"; }
printf '  %-42s %10s %10s %10s %10s\n' command median min max target
printf '  %-42s %10s %10s %10s %10s\n' ------------------------------------------ -------- -------- -------- ------
row "hanganalyze --version (process floor)" version ""
row "queue, 5 cases" queue0 ""
row "show ID, 5 cases" show_id0 ""
row "show SIG, 5 cases" show_sig0 ""
row "queue, $CASES cases" queue "50 ms"
row "queue --format=json, $CASES cases" queue_json ""
row "show $ID, $CASES cases" show_id "20 ms"
row "show --format=json $ID, $CASES cases" show_id_json ""
row "show $SIG (signature), $CASES cases" show_sig "20 ms"

# ---- 4. the CLI path ---------------------------------------------------------------
echo
echo "== CLI path: hanganalyze on $CLI_CORES distinct cores of the 50-thread process =="
DB2=$TMP/cli.db
# cli KEY STDERR_CHECK ARGS...: one run per core, timed; counts "stored case" lines
cli() {
	local key=$1 i t0 t1 rc
	shift
	R[$key]=
	STORED=0 EXISTED=0
	for ((i = 1; i <= CLI_CORES; i++)); do
		rc=0
		t0=$(now_ns)
		"$HANGANALYZE" "$@" "$TMP/cli/hb-$i.hang.zst" >"$TMP/q.out" 2>"$TMP/q.err" || rc=$?
		t1=$(now_ns)
		((rc == 0)) || { cat "$TMP/q.err" >&2; die "hanganalyze $* hb-$i failed (exit $rc)"; }
		R[$key]+="$((t1 - t0)) "
		grep -q '^hanganalyze: stored case ' "$TMP/q.err" && ((STORED += 1))
		grep -q 'already$' "$TMP/q.err" && ((EXISTED += 1))
	done
	# shellcheck disable=SC2086
	M[$key]=$(median ${R[$key]})
	# shellcheck disable=SC2086
	T[$key]=$(sum ${R[$key]})
}
declare -A T
"$HANGANALYZE" --no-db "$TMP/cli/hb-1.hang.zst" >/dev/null	# warm the page cache and debug info
cli nodb --no-db
cli db2 --db "$DB2"
S2=$STORED X2=$EXISTED
cli dbbig --db "$DB"
SB=$STORED XB=$EXISTED
printf '  %-48s %10s %12s %s\n' run "median" "rate" "stored"
printf '  %-48s %10s %12s %s\n' ------------------------------------------------ -------- ---------- ------
printf '  %-48s %10s %12s %s\n' "hanganalyze --no-db CORE (analysis only)" "$(fmt_ms "${M[nodb]}")" "$(rate $CLI_CORES "${T[nodb]}")/s" "-"
printf '  %-48s %10s %12s %s\n' "hanganalyze --db DB2 CORE (fresh database)" "$(fmt_ms "${M[db2]}")" "$(rate $CLI_CORES "${T[db2]}")/s" "$S2 stored, $X2 already there"
printf '  %-48s %10s %12s %s\n' "hanganalyze --db DB CORE ($CASES-case database)" "$(fmt_ms "${M[dbbig]}")" "$(rate $CLI_CORES "${T[dbbig]}")/s" "$SB stored, $XB already there"
echo "  (the database's share of a CLI run: median $(fmt_ms "$(awk -v a="${M[db2]}" -v b="${M[nodb]}" 'BEGIN { print a - b }')") into a fresh database,"
echo "   $(fmt_ms "$(awk -v a="${M[dbbig]}" -v b="${M[nodb]}" 'BEGIN { print a - b }')") into the $CASES-case one, over --no-db)"

# ---- verdicts ----------------------------------------------------------------------
echo
echo "== Targets =="
verdict() { if "$@"; then echo PASS; else echo FAIL; fi; }
BIG_RATE=$(rate "$BIG_CASES" "$BIG_NS")
echo "  [$(verdict le 200 "$BIG_RATE")] ingest of 50-thread cases: $BIG_RATE cases/s (casedb_store, $BIG_CASES cases of the heartbeat cores) >= 200 cases/s"
echo "         all $CASES cases: $(rate "$CASES" "$STORE_NS") cases/s; the sample cases ($SMALL_THREADS threads): $(rate "$SMALL_CASES" "$SMALL_NS") cases/s;" \
	"rendering the stored reports (apart): $(rate "$CASES" "$RENDER_NS") cases/s"
echo "         database: $(fmt_bytes "$DB_BYTES") for $CASES cases ($(fmt_bytes $((DB_BYTES / CASES))) per case)"
echo "  [$(verdict le "${M[queue]}" 50000000)] queue at $CASES cases: median $(fmt_ms "${M[queue]}") <= 50 ms"
echo "  [$(verdict le "${M[show_id]}" 20000000)] show ID at $CASES cases: median $(fmt_ms "${M[show_id]}") <= 20 ms"
echo "  [$(verdict le "${M[show_sig]}" 20000000)] show SIGNATURE at $CASES cases: median $(fmt_ms "${M[show_sig]}") <= 20 ms"
echo "  [info] CLI path (analyze + store, one process per core): $(rate $CLI_CORES "${T[db2]}") cases/s into a fresh database," \
	"$(rate $CLI_CORES "${T[dbbig]}") cases/s into the $CASES-case one"

# ---- 5. both backends side by side ---------------------------------------------------
echo
echo "== Both backends: SQLite file and PostgreSQL server, 1 and 8 ingesters =="
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z $PG_BIN || ! -x $PG_BIN/initdb ]]; then
	echo "  PostgreSQL is not installed (scripts/deps.sh installs it): the server column is skipped"
	BACKENDS=(sqlite)
else
	BACKENDS=(sqlite pg)
	if [[ $(id -u) == 0 ]]; then
		PG_USER=postgres
		pg_as() { runuser -u postgres -- "$@"; }
	else
		PG_USER=$(id -un)
		pg_as() { "$@"; }
	fi
	mkdir "$TMP/pg" "$TMP/pgsock"
	chown "$PG_USER" "$TMP/pg" "$TMP/pgsock"
	chmod 755 "$TMP"
	pg_as "$PG_BIN/initdb" -D "$TMP/pg" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
		{ cat "$TMP/initdb.log" >&2; die "initdb failed"; }
	PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pgsock/log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $TMP/pgsock" start >/dev/null ||
		{ cat "$TMP/pgsock/log" >&2; die "PostgreSQL did not start"; }
	PG_UP=1
	echo "  PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $NF }') on 127.0.0.1:$PGPORT, defaults (fsync, synchronous_commit on)"
fi
# new_db BACKEND NAME: a fresh database's path or URI
new_db() {
	if [[ $1 == pg ]]; then
		"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U "$PG_USER" -d postgres -c "CREATE DATABASE $2" >/dev/null ||
			die "cannot create database $2"
		echo "postgresql://$PG_USER@127.0.0.1:$PGPORT/$2"
	else
		echo "$TMP/$2.db"
	fi
}
# ingest DB JOBS FROM TO: cases FROM..TO-1 by JOBS concurrent casedb-ingest processes;
# sets WALL_NS (all of them), STORE_MAX_NS (the longest one's time in casedb_store), NSTORED
ingest() {
	local db=$1 jobs=$2 from=$3 to=$4 j t0 t1 pids=()
	t0=$(now_ns)
	for ((j = 0; j < jobs; j++)); do
		"$B/casedb-ingest" --db "$db" --cases "$to" --first $((from + j)) --step "$jobs" --quiet "${CORES[@]}" \
			>"$TMP/ing.$j.out" 2>"$TMP/ing.$j.err" &
		pids+=($!)
	done
	for ((j = 0; j < jobs; j++)); do
		wait "${pids[$j]}" || { cat "$TMP/ing.$j.out" "$TMP/ing.$j.err" >&2; die "casedb-ingest $j of $jobs into $db failed"; }
	done
	t1=$(now_ns)
	WALL_NS=$((t1 - t0))
	STORE_MAX_NS=$(cat "$TMP"/ing.*.out | awk '$1 == "result" && $2 == "store_ns" && $3 > m { m = $3 } END { print m + 0 }')
	NSTORED=$(cat "$TMP"/ing.*.out | awk '$1 == "result" && $2 == "cases" { n += $3 } END { print n + 0 }')
	rm -f "$TMP"/ing.*.out "$TMP"/ing.*.err
}
# queries KEY DB: queue and show medians into M[KEY.queue] M[KEY.show] M[KEY.sig]
queries() {
	local key=$1 db=$2 sig
	sig=$("$HANGANALYZE" queue --db "$db" | awk 'NR > 1 { print $4, substr($1, 1, 8) }' | sort -rn | head -n1 | cut -d' ' -f2)
	measure "$key.queue" "$HANGANALYZE" queue --db "$db"
	measure "$key.show" "$HANGANALYZE" show --db "$db" 3
	measure "$key.sig" "$HANGANALYZE" show --db "$db" "$sig"
	for k in queue show sig; do
		# shellcheck disable=SC2086
		M[$key.$k]=$(median ${R[$key.$k]})
	done
}
declare -A RATE1 RATE8 RATE8S
for be in "${BACKENDS[@]}"; do
	db1=$(new_db "$be" one)
	ingest "$db1" 1 0 "$CASES"
	RATE1[$be]=$(rate "$NSTORED" "$WALL_NS")
	db8=$(new_db "$be" eight)
	ingest "$db8" 8 0 "$CASES"
	((NSTORED == CASES)) || die "$be: 8 ingesters stored $NSTORED of $CASES cases"
	RATE8[$be]=$(rate "$NSTORED" "$WALL_NS")
	RATE8S[$be]=$(rate "$NSTORED" "$STORE_MAX_NS")
	queries "$be.small" "$db8"
	if ((BIG > 0)); then
		ingest "$db8" 8 "$CASES" "$BIG"
		queries "$be.big" "$db8"
	fi
	echo "  $be: done ($(cut -d' ' -f1 /proc/loadavg) load)"
done
echo "  rates are cases over the wall time of all the ingesters (analysis of the five cores, varying,"
echo "  rendering the stored reports and storing: the whole ingest on ${NPROC:-$(nproc)} CPUs); in brackets cases"
echo "  over the longest single ingester's time inside casedb_store"
printf '  %-10s %12s %20s %12s %12s %12s %12s %12s %12s\n' backend "1 ingester" "8 ingesters" "queue@$CASES" "show@$CASES" \
	"sig@$CASES" "queue@$BIG" "show@$BIG" "sig@$BIG"
for be in "${BACKENDS[@]}"; do
	printf '  %-10s %12s %20s %12s %12s %12s %12s %12s %12s\n' "$([[ $be == pg ]] && echo PostgreSQL || echo SQLite)" \
		"${RATE1[$be]}/s" "${RATE8[$be]}/s (${RATE8S[$be]}/s)" "$(fmt_ms "${M[$be.small.queue]}")" \
		"$(fmt_ms "${M[$be.small.show]}")" "$(fmt_ms "${M[$be.small.sig]}")" "$(fmt_ms "${M[$be.big.queue]:--}")" \
		"$(fmt_ms "${M[$be.big.show]:--}")" "$(fmt_ms "${M[$be.big.sig]:--}")"
done
if [[ ${BACKENDS[*]} == *pg* ]]; then
	echo "  [$(verdict le 500 "${RATE8[pg]}")] server ingest with 8 ingesters: ${RATE8[pg]} cases/s >= 500 cases/s"
	((BIG == 0)) ||
		echo "  [$(verdict le "${M[pg.big.queue]}" 50000000)] server queue at $BIG cases: median $(fmt_ms "${M[pg.big.queue]}") <= 50 ms"
fi
