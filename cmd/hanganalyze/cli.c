/*
 * What hanganalyze's subcommands share: the global options, turning errors
 * into messages and exit codes, writing to stdout, parsing --format against
 * the renderer table, opening the case database, and making report rows of
 * the database's groups.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/names.h"
#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"

struct global_options cli_globals;

int report_error(const struct hs_error *err, const char *fmt, ...)
{
	va_list ap;

	fputs("hanganalyze: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", hs_error_message(err));
	switch (err->kind) {
	case HS_ERR_INVALID: return EXIT_USAGE;
	case HS_ERR_NOMEM: case HS_ERR_INTERNAL: return EXIT_INTERNAL;
	default: return EXIT_BAD_INPUT;
	}
}

int report_db_error(const struct hs_error *err, const char *path)
{
	(void)path;
	fprintf(stderr, "hanganalyze: %s\n", hs_error_message(err));
	switch (err->kind) {
	case HS_ERR_INVALID: return EXIT_USAGE;
	case HS_ERR_FORMAT: return EXIT_BAD_INPUT;
	default: return EXIT_INTERNAL;
	}
}

int parse_format(const char *arg, enum report_kind kind, bool stored_only, const struct report_format **ret)
{
	const struct report_format *f = report_format_find(arg, kind);
	char names[128];

	if (!f || (stored_only && !f->stored)) {
		fprintf(stderr, "hanganalyze: unknown format '%s': use %s\n", arg,
			report_format_list(kind, stored_only, names, sizeof(names)));
		return EXIT_USAGE;
	}
	*ret = f;
	return EXIT_DONE;
}

int open_database(const char *path, struct casedb **ret)
{
	char *p = path ? strdup(path) : casedb_default_path();
	struct hs_error *err;
	int rc = EXIT_DONE;

	if (!p) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	if ((err = casedb_open(p, false, ret))) {
		rc = report_db_error(err, p);
		hs_error_destroy(err);
	}
	free(p);
	return rc;
}

int needs_database(const char *subcommand, const char *db_path)
{
	if (!cli_globals.no_db || db_path)
		return EXIT_DONE;
	fprintf(stderr, "hanganalyze: '%s' reads the case database: --no-db does not go with it\n", subcommand);
	return EXIT_USAGE;
}

int write_stdout(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* a closed pipe (| head) is the reader's choice, not our failure */
			if (errno == EPIPE)
				return EXIT_DONE;
			fprintf(stderr, "hanganalyze: cannot write the report: %s\n", strerror(errno));
			return EXIT_INTERNAL;
		}
		buf += n;
		len -= (size_t)n;
	}
	return EXIT_DONE;
}

void queue_row_from_group(struct report_queue_row *r, const struct casedb_group *g)
{
	*r = (struct report_queue_row){
		.signature = g->hash, .rule = g->rule, .severity = severity_name((enum severity)g->severity),
		.status = g->status, .summary = g->summary, .hosts = g->hosts, .text = g->text, .note = g->note,
		.ticket = g->ticket, .fixed_in = g->fixed_in, .severity_rank = g->severity, .count = g->count,
		.first_seen_ns = g->first_seen, .last_seen_ns = g->last_seen, .case_id = g->latest_case,
	};
}

void print_format_help(FILE *out, enum report_kind kind)
{
	const struct report_format *f;

	for (size_t i = 0; (f = report_format_at(kind, false, i)); i++) {
		const char *h = f->help;
		fprintf(out, "%25s%-6s ", "", f->name);
		/* continuation lines line up under the first */
		for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
			fprintf(out, "%.*s\n%32s", (int)(nl - h), h, "");
		fprintf(out, "%s\n", h);
	}
}
