/*
 * hanganalyze triage SIGNATURE --status triaged|fixed|ignored|new [--note TEXT]
 *                   [--ticket URL] [--fixed-in VERSION] [--db PATH|URI]
 * A fixed signature that is seen again becomes "regressed" by itself.
 */
#include <stdio.h>
#include <string.h>

#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"

static void usage(FILE *out)
{
	fputs("usage: hanganalyze triage SIGNATURE --status triaged|fixed|ignored|new [--note TEXT]\n"
	      "                          [--ticket URL] [--fixed-in VERSION] [--db PATH|URI]\n"
	      "\n"
	      "Sets the triage status of a signature group (4 to 16 leading hex digits of its hash).\n"
	      "A fixed signature seen again in a later case becomes 'regressed' and goes to the top\n"
	      "of the queue. Every change is kept in the database's triage log.\n"
	      "\n"
	      "options:\n"
	      "      --status=STATUS  triaged, fixed, ignored or new (required)\n"
	      "      --note=TEXT      a note for the group\n"
	      "      --ticket=URL     the ticket that tracks it\n"
	      "      --fixed-in=VERSION  the version that fixes it\n"
	      "      --db=PATH|URI    the case database: an SQLite file, or a PostgreSQL server's\n"
	      "                       postgresql:// URI (default $HANGANALYZE_DB, else\n"
	      "                       ${XDG_DATA_HOME:-~/.local/share}/hanganalyze/cases.db)\n"
	      "  -h, --help           show this help\n",
	      out);
}

int cmd_triage(int argc, char **argv)
{
	static const struct option options[] = {
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "note", required_argument, NULL, OPT_NOTE },
		{ "ticket", required_argument, NULL, OPT_TICKET },
		{ "fixed-in", required_argument, NULL, OPT_FIXED_IN },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db_path = cli_globals.db_path, *status = NULL, *note = NULL, *ticket = NULL, *fixed_in = NULL;
	struct casedb_group_list groups = VEC_INIT;
	struct casedb *db;
	struct hs_error *err;
	struct strbuf out;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_STATUS: status = optarg; break;
		case OPT_NOTE: note = optarg; break;
		case OPT_TICKET: ticket = optarg; break;
		case OPT_FIXED_IN: fixed_in = optarg; break;
		case OPT_DB: db_path = optarg; break;
		case 'h': usage(stdout); return EXIT_DONE;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "hanganalyze: triage takes one signature\n");
		return EXIT_USAGE;
	}
	if (!status || (strcmp(status, "triaged") && strcmp(status, "fixed") && strcmp(status, "ignored") &&
			strcmp(status, "new"))) {
		fprintf(stderr, "hanganalyze: %s: use --status triaged, fixed, ignored or new\n",
			status ? "unknown status" : "no --status given");
		return EXIT_USAGE;
	}
	if ((rc = needs_database("triage", db_path)) != EXIT_DONE || (rc = open_database(db_path, &db)) != EXIT_DONE)
		return rc;
	if ((err = casedb_triage(db, argv[optind], status, note, ticket, fixed_in, &groups))) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
	} else {
		struct report_queue_row row;

		queue_row_from_group(&row, &groups.items[0]);
		strbuf_init(&out);
		rc = report_queue_line(&out, &row) ? write_stdout(out.buf, out.len) : EXIT_INTERNAL;
		strbuf_deinit(&out);
	}
	casedb_group_list_deinit(&groups);
	casedb_close(db);
	return rc;
}
