# A PostgreSQL server of the test's own (sourced after test-subr.sh):
# Debian's postgresql, initdb into $WORK/pg, listening on 127.0.0.1 at a free
# port and on a socket in $WORK, stopped (and removed with $WORK) at exit.
# Skips the test (exit 77) when PostgreSQL is not installed.
# pg_start sets PGPORT, PG_URI (the superuser's URI), and exports nothing else.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || { echo "SKIP: PostgreSQL is not installed (scripts/deps.sh)"; exit 77; }
PG_DATA=$WORK/pg
PG_RUN=""
# the server refuses to run as root: it runs as postgres, or as us
if [ "$(id -u)" = 0 ]; then
	PG_USER=postgres
	pg_as() { runuser -u postgres -- "$@"; }
else
	PG_USER=$(id -un)
	pg_as() { "$@"; }
fi

pg_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_stop() {
	[ -n "$PG_RUN" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
	PG_RUN=""
}

pg_cleanup() {
	pg_stop
	cleanup
}
trap pg_cleanup EXIT

# pg_start: the first start initializes the cluster; later ones restart it on the same port
pg_start() {
	if [ ! -d "$PG_DATA" ]; then
		mkdir -p "$PG_DATA" "$WORK/pgsock"
		chown "$PG_USER" "$PG_DATA" "$WORK/pgsock"
		chmod 700 "$PG_DATA"
		pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 ||
			{ cat "$WORK/initdb.log" >&2; fail "initdb failed"; }
		PGPORT=$(pg_free_port)
	fi
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pgsock/pg.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pgsock -c fsync=off -c max_connections=60" start >/dev/null ||
		{ cat "$WORK/pgsock/pg.log" >&2; fail "the test's PostgreSQL did not start"; }
	PG_RUN=1
	PG_URI="postgresql://$PG_USER@127.0.0.1:$PGPORT/postgres"
}

# psql_q SQL...: runs SQL as the superuser on database ${PGDB:-postgres}, unaligned, tuples only
psql_q() {
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U "$PG_USER" -d "${PGDB:-postgres}" -c "$*"
}
