/* hanganalyze queue [--all] [--format=text|json] [--db PATH]: the triage queue, most urgent first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/rules/rules.h"
#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"
#include "reports/json_writer.h"

static void usage(FILE *out)
{
	fputs("usage: hanganalyze queue [--all] [--format=text|json] [--db PATH]\n"
	      "\n"
	      "Lists the hang signatures of the case database, most urgent first: regressed (a fixed\n"
	      "hang seen again), then new, then triaged; within each, by severity, count and last seen.\n"
	      "Fixed and ignored signatures are left out unless --all is given.\n",
	      out);
}

static const char *when(int64_t ns, char *buf, size_t size)
{
	return ns ? report_time_utc((uint64_t)ns, buf, size) : "-";
}

void queue_group_json(struct json_writer *w, const struct casedb_group *g)
{
	char t[32];

	json_object_begin(w);
	json_key(w, "signature");
	json_string(w, g->hash);
	json_key(w, "rule");
	json_string(w, g->rule);
	json_key(w, "severity");
	json_string(w, severity_name((enum severity)g->severity));
	json_key(w, "status");
	json_string(w, g->status);
	json_key(w, "count");
	json_int(w, g->count);
	json_key(w, "hosts");
	json_string(w, g->hosts);
	json_key(w, "first_seen");
	json_string(w, when(g->first_seen, t, sizeof(t)));
	json_key(w, "last_seen");
	json_string(w, when(g->last_seen, t, sizeof(t)));
	json_key(w, "summary");
	json_string(w, g->summary);
	json_key(w, "text");
	json_string(w, g->text);
	json_key(w, "note");
	json_string(w, g->note);
	json_key(w, "ticket");
	json_string(w, g->ticket);
	json_key(w, "fixed_in");
	json_string(w, g->fixed_in);
	json_key(w, "latest_case");
	json_int(w, g->latest_case);
	json_object_end(w);
}

bool queue_group_line(struct strbuf *sb, const struct casedb_group *g)
{
	char first[32], last[32];

	return strbuf_appendf(sb, "%-16s  %-8s  %-9s  %5lld  %-20s  %-20s  ", g->hash,
			      severity_name((enum severity)g->severity), g->status, (long long)g->count,
			      when(g->first_seen, first, sizeof(first)), when(g->last_seen, last, sizeof(last))) &&
	       report_append_safe(sb, g->hosts ? g->hosts : "-") && strbuf_addstr(sb, "  ") &&
	       report_append_safe(sb, g->summary) && strbuf_addstr(sb, "\n");
}

int cmd_queue(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "format", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct casedb_group_list groups = VEC_INIT;
	const char *db_path = NULL;
	bool all = false, json = false, ok = true;
	struct casedb *db;
	struct hs_error *err;
	struct strbuf out;
	char *path;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_ALL: all = true; break;
		case OPT_DB: db_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				fprintf(stderr, "hanganalyze: unknown format '%s': use text or json\n", optarg);
				return EXIT_USAGE;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'h': usage(stdout); return EXIT_DONE;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hanganalyze: queue takes no arguments\n");
		return EXIT_USAGE;
	}
	/* an empty queue is not an error: the database is created on first use */
	if (!(path = db_path ? strdup(db_path) : casedb_default_path())) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	if ((err = casedb_open(path, true, &db))) {
		rc = report_db_error(err, path);
		hs_error_destroy(err);
		free(path);
		return rc;
	}
	free(path);
	if ((err = casedb_queue(db, all, &groups))) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
		casedb_close(db);
		return rc;
	}
	strbuf_init(&out);
	if (json) {
		struct json_writer w;
		json_writer_init(&w, &out);
		json_object_begin(&w);
		json_key(&w, "schema");
		json_string(&w, "hanganalyze-queue/1");
		json_key(&w, "groups");
		json_array_begin(&w);
		for (size_t i = 0; i < groups.len; i++)
			queue_group_json(&w, &groups.items[i]);
		json_array_end(&w);
		json_object_end(&w);
		ok = json_writer_ok(&w) && strbuf_addstr(&out, "\n");
	} else if (groups.len == 0) {
		ok = strbuf_addstr(&out, all ? "no cases\n" : "no open hang signatures\n");
	} else {
		ok = strbuf_appendf(&out, "%-16s  %-8s  %-9s  %5s  %-20s  %-20s  %s  %s\n", "SIGNATURE", "SEVERITY", "STATUS",
				    "COUNT", "FIRST SEEN", "LAST SEEN", "HOSTS", "SUMMARY");
		for (size_t i = 0; ok && i < groups.len; i++)
			ok = queue_group_line(&out, &groups.items[i]);
	}
	rc = ok ? write_stdout(out.buf, out.len) : EXIT_INTERNAL;
	strbuf_deinit(&out);
	casedb_group_list_deinit(&groups);
	casedb_close(db);
	return rc;
}
