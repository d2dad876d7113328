/*
 * The case database's housekeeping, for a fleet's shared server:
 *   hanganalyze push [--db URI]                     send the spooled cases
 *   hanganalyze copy --from FILE.db [--to PATH|URI] move a history over
 *   hanganalyze schema [--role NAME]                the SQL for the owner
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"

static void push_usage(FILE *out)
{
	fputs("usage: hanganalyze push [--db URI]\n"
	      "\n"
	      "Sends the cases an analysis kept in the local spool while the PostgreSQL case\n"
	      "database was unreachable (${XDG_STATE_HOME:-~/.local/state}/hanganalyze/spool/), each\n"
	      "exactly once. The next analysis that reaches the server sends them too.\n"
	      "\n"
	      "options:\n"
	      "      --db=URI         the case database server (default $HANGANALYZE_DB)\n"
	      "  -h, --help           show this help\n",
	      out);
}

int cmd_push(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db_path = cli_globals.db_path;
	struct casedb *db;
	struct hs_error *err;
	int64_t sent, left;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_DB: db_path = optarg; break;
		case 'h': push_usage(stdout); return EXIT_DONE;
		default: push_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hanganalyze: push takes no arguments\n");
		return EXIT_USAGE;
	}
	if ((rc = needs_database("push", db_path)) != EXIT_DONE || (rc = open_database(db_path, &db)) != EXIT_DONE)
		return rc;
	if ((err = casedb_push(db, &sent, &left))) {
		if (sent)
			fprintf(stderr, "hanganalyze: sent %lld spooled case%s to '%s'\n", (long long)sent,
				sent == 1 ? "" : "s", casedb_name(db));
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
		if (left)
			fprintf(stderr, "hanganalyze: %lld case%s still in the spool '%s'\n", (long long)left,
				left == 1 ? " is" : "s are", casedb_spool_path(db));
	} else {
		printf("sent %lld spooled case%s to '%s'\n", (long long)sent, sent == 1 ? "" : "s", casedb_name(db));
	}
	casedb_close(db);
	return rc;
}

static void copy_usage(FILE *out)
{
	fputs("usage: hanganalyze copy --from FILE.db [--to PATH|URI]\n"
	      "\n"
	      "Copies every case of an SQLite case database into another case database, usually\n"
	      "a fleet's PostgreSQL server: cases the destination has (the same core) are skipped,\n"
	      "so copying twice adds nothing. Counts, hosts and first/last seen are the\n"
	      "destination's own; a triage status (with its note, ticket and fixed-in) comes along\n"
	      "for signatures the destination still has as new.\n"
	      "\n"
	      "options:\n"
	      "      --from=FILE      the SQLite case database to copy (required; not modified)\n"
	      "      --to=PATH|URI    the destination (default $HANGANALYZE_DB, or the global\n"
	      "                       database option given before copy)\n"
	      "  -h, --help           show this help\n",
	      out);
}

int cmd_copy(int argc, char **argv)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = cli_globals.db_path;
	struct casedb_copied copied;
	struct casedb *db;
	struct hs_error *err;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_FROM: from = optarg; break;
		case OPT_TO: to = optarg; break;
		case 'h': copy_usage(stdout); return EXIT_DONE;
		default: copy_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || !from || !*from) {
		fprintf(stderr, "hanganalyze: %s\n", optind != argc ? "copy takes no arguments (give --from FILE.db)"
								     : "copy needs --from FILE.db");
		return EXIT_USAGE;
	}
	if ((rc = needs_database("copy", to)) != EXIT_DONE)
		return rc;
	if (!to && !getenv("HANGANALYZE_DB")) {
		fprintf(stderr, "hanganalyze: copy needs a destination: --to PATH|URI or HANGANALYZE_DB\n");
		return EXIT_USAGE;
	}
	if (casedb_is_server(from)) {
		fprintf(stderr, "hanganalyze: copy --from takes an SQLite case database file, not a server\n");
		return EXIT_USAGE;
	}
	if (to && strcmp(to, from) == 0) {
		fprintf(stderr, "hanganalyze: --from and --to are the same database\n");
		return EXIT_USAGE;
	}
	{
		char *path = to ? strdup(to) : casedb_default_path();

		if (!path) {
			fputs("hanganalyze: out of memory\n", stderr);
			return EXIT_INTERNAL;
		}
		err = casedb_open(path, true, &db);
		free(path);
	}
	if (err) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
		return rc;
	}
	if ((err = casedb_copy(from, db, &copied))) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
	}
	printf("%s %lld case%s from '%s' to '%s' (%lld there already), %lld triage status%s\n", err ? "copied only" : "copied",
	       (long long)copied.copied, copied.copied == 1 ? "" : "s", from, casedb_name(db), (long long)copied.existed,
	       (long long)copied.triaged, copied.triaged == 1 ? "" : "es");
	casedb_close(db);
	return rc;
}

static void schema_usage(FILE *out)
{
	fputs("usage: hanganalyze schema [--role NAME]\n"
	      "\n"
	      "Prints the SQL that creates the case database's tables on PostgreSQL, for a\n"
	      "database owner to run once (hanganalyze creates them itself on first use when its\n"
	      "role may). With --role, it grants that role what ingesting and triage need and no\n"
	      "more: SELECT, INSERT and UPDATE on the case tables, USAGE of their sequences.\n"
	      "    hanganalyze schema --role hangs | psql -d hangs\n"
	      "\n"
	      "options:\n"
	      "      --role=NAME      the role the hosts connect as\n"
	      "  -h, --help           show this help\n",
	      out);
}

int cmd_schema(int argc, char **argv)
{
	static const struct option options[] = {
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL;
	struct hs_error *err;
	char *sql;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_ROLE: role = optarg; break;
		case 'h': schema_usage(stdout); return EXIT_DONE;
		default: schema_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || (role && !*role)) {
		fprintf(stderr, "hanganalyze: %s\n", role && !*role ? "--role needs a name" : "schema takes no arguments");
		return EXIT_USAGE;
	}
	if ((err = casedb_schema_sql(role, &sql))) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
		return rc;
	}
	rc = write_stdout(sql, strlen(sql));
	free(sql);
	return rc;
}
