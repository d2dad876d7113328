/*
 * hanganalyze show [--format=text|json|html] [--db PATH] ID|SIGNATURE: a
 * stored case, byte for byte as its analysis printed it, or a signature
 * group: its triage state, then its latest case (html: the latest case's
 * page alone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"
#include "reports/json_writer.h"

static void usage(FILE *out)
{
	fputs("usage: hanganalyze show [--format=text|json|html] [--db PATH] ID|SIGNATURE\n"
	      "\n"
	      "ID (a case number, as analyze and queue print it): the case's report, exactly as its\n"
	      "analysis printed it in that format. SIGNATURE (4 to 16 leading hex digits of a hash):\n"
	      "the group's triage state, then its latest case; with --format=html, the latest case's\n"
	      "page alone. Cases stored by a hanganalyze older than the HTML report have no html.\n",
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
	const char *db_path = NULL, *format = "text";
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
			if (parse_stored_format(optarg, &format) != EXIT_DONE)
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
	if ((rc = open_database(db_path, &db)) != EXIT_DONE)
		return rc;
	strbuf_init(&out);
	if (all_digits(argv[optind]) && strlen(argv[optind]) < 19) {
		if (!(err = casedb_case_report(db, strtoll(argv[optind], NULL, 10), format, &report, &len)))
			ok = strbuf_append(&out, report, len);
	} else if (!(err = casedb_find_group(db, argv[optind], &groups))) {
		const struct casedb_group *g = &groups.items[0];
		if (g->latest_case && (err = casedb_case_report(db, g->latest_case, format, &report, &len)))
			goto out;
		if (strcmp(format, "html") == 0) {
			/* a page is one case: the group's state is in the queue page */
			if (report)
				ok = strbuf_append(&out, report, len);
		} else if (strcmp(format, "json") == 0) {
			struct json_writer w;
			json_writer_init(&w, &out);
			json_object_begin(&w);
			json_key(&w, "schema");
			json_string(&w, "hanganalyze-group/1");
			json_key(&w, "group");
			queue_group_json(&w, g);
			/* the latest case's own document, as its analysis printed it */
			json_key(&w, "latest");
			if (report)
				json_raw(&w, report, len);
			else
				json_null(&w);
			json_object_end(&w);
			ok = json_writer_ok(&w) && strbuf_addstr(&out, "\n");
		} else {
			ok = strbuf_addstr(&out, "signature ") && strbuf_addstr(&out, g->hash) &&
			     strbuf_appendf(&out, " (%s)\n", g->status) && strbuf_addstr(&out, "  ") &&
			     report_append_safe(&out, g->text) && strbuf_addstr(&out, "\n  ") && queue_group_line(&out, g);
			if (ok && g->note)
				ok = strbuf_addstr(&out, "  note: ") && report_append_safe(&out, g->note) && strbuf_addstr(&out, "\n");
			if (ok && g->ticket)
				ok = strbuf_addstr(&out, "  ticket: ") && report_append_safe(&out, g->ticket) && strbuf_addstr(&out, "\n");
			if (ok && g->fixed_in)
				ok = strbuf_addstr(&out, "  fixed in: ") && report_append_safe(&out, g->fixed_in) &&
				     strbuf_addstr(&out, "\n");
			if (ok && report)
				ok = strbuf_appendf(&out, "\nlatest case %lld:\n", (long long)g->latest_case) &&
				     strbuf_append(&out, report, len);
		}
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
