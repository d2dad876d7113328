/*
 * hanganalyze show [--format=text|json|html] [--db PATH|URI] ID|SIGNATURE: a
 * stored case, byte for byte as its analysis printed it, or a signature
 * group: its triage state, then its latest case (html: the latest case's
 * page alone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"

static void usage(FILE *out)
{
	char names[64];

	fprintf(out, "usage: hanganalyze show [--format=%s] [--db PATH|URI] ID|SIGNATURE\n",
		report_format_synopsis(REPORT_CASE, true, names, sizeof(names)));
	fputs("\n"
	      "ID (a case number, as analyze and queue print it): the case's report, exactly as its\n"
	      "analysis printed it in that format. SIGNATURE (4 to 16 leading hex digits of a hash):\n"
	      "the group's triage state, then its latest case; with --format=html, the latest case's\n"
	      "page alone. Cases stored by a hanganalyze older than the HTML report have no html.\n"
	      "\n"
	      "options:\n"
	      "  -f, --format=FORMAT  text (default), json or html: the stored report in that format\n"
	      "      --db=PATH|URI    the case database: an SQLite file, or a PostgreSQL server's\n"
	      "                       postgresql:// URI (default $HANGANALYZE_DB, else\n"
	      "                       ${XDG_DATA_HOME:-~/.local/share}/hanganalyze/cases.db)\n"
	      "  -h, --help           show this help\n",
	      out);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int cmd_show(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct report_format *format = report_format_default(REPORT_CASE);
	const char *db_path = cli_globals.db_path;
	struct casedb_group_list groups = VEC_INIT;
	struct casedb *db;
	struct hs_error *err = NULL;
	struct strbuf out;
	char *report = NULL;
	size_t len = 0;
	int opt, rc;
	bool ok = true;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_DB: db_path = optarg; break;
		case 'f':
			if (parse_format(optarg, REPORT_CASE, true, &format) != EXIT_DONE)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return EXIT_DONE;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "hanganalyze: show takes one case id or signature\n");
		return EXIT_USAGE;
	}
	if ((rc = needs_database("show", db_path)) != EXIT_DONE || (rc = open_database(db_path, &db)) != EXIT_DONE)
		return rc;
	strbuf_init(&out);
	if (all_digits(argv[optind]) && strlen(argv[optind]) < 19) {
		if (!(err = casedb_case_report(db, strtoll(argv[optind], NULL, 10), format->name, &report, &len)))
			ok = strbuf_append(&out, report, len);
	} else if (!(err = casedb_find_group(db, argv[optind], &groups))) {
		const struct casedb_group *g = &groups.items[0];
		struct report_queue_row row;

		if (g->latest_case && (err = casedb_case_report(db, g->latest_case, format->name, &report, &len)))
			goto out;
		queue_row_from_group(&row, g);
		if (format == report_format_find("json", REPORT_CASE))
			ok = report_group_json(&row, report, len, &out);
		else if (format == report_format_find("text", REPORT_CASE))
			ok = report_group_text(&row, report, len, &out);
		else if (report)
			/* a page is one case: the group's state is in the queue page */
			ok = strbuf_append(&out, report, len);
	}
out:
	if (err) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
	} else {
		rc = ok ? write_stdout(out.buf, out.len) : EXIT_INTERNAL;
	}
	free(report);
	strbuf_deinit(&out);
	casedb_group_list_deinit(&groups);
	casedb_close(db);
	return rc;
}
