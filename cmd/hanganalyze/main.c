/*
 * hanganalyze: post-mortem analysis of a hung process's core.
 *
 *   hanganalyze [OPTIONS] CORE          analyze a core (the default subcommand)
 *   hanganalyze analyze [OPTIONS] CORE  the same, spelled out
 *   hanganalyze queue | show | triage | check ...   the case database and CI
 *
 * The first argument picks a subcommand from the table below; anything else
 * is taken as the analyze subcommand's arguments (so a core literally named
 * like a subcommand must be given as ./NAME).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"

static const struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} subcommands[] = {
	{ "analyze", cmd_analyze, "analyze a core, report it and store the case (default)" },
	{ "queue", cmd_queue, "list the open hang signatures, most urgent first" },
	{ "show", cmd_show, "print a stored case (by id) or signature group (by hash)" },
	{ "triage", cmd_triage, "set a signature's status: triaged, fixed, ignored or new" },
	{ "check", cmd_check, "CI: pass when every hang in the cores is a known, expected one" },
};

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

int parse_stored_format(const char *arg, const char **ret)
{
	if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0 && strcmp(arg, "html") != 0) {
		fprintf(stderr, "hanganalyze: unknown format '%s': use text, json or html\n", arg);
		return EXIT_USAGE;
	}
	*ret = arg;
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

static void usage(FILE *out)
{
	fprintf(out, "usage: hanganalyze [OPTIONS] CORE\n"
		     "       hanganalyze SUBCOMMAND [ARGS]\n\nsubcommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n'hanganalyze SUBCOMMAND --help' describes each one; 'hanganalyze --help' the default.\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			if (strcmp(argv[1], subcommands[i].name) == 0)
				return subcommands[i].run(argc - 1, argv + 1);
		if (strcmp(argv[1], "help") == 0) {
			usage(stdout);
			return EXIT_DONE;
		}
	}
	/* everything else belongs to the default subcommand, argv[0] standing in for its name */
	return cmd_analyze(argc, argv);
}
