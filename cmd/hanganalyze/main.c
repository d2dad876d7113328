/*
 * hanganalyze: post-mortem analysis of a hung process's core.
 *
 *   hanganalyze [OPTIONS] CORE          analyze a core (the default subcommand)
 *   hanganalyze [GLOBAL] analyze [OPTIONS] CORE   the same, spelled out
 *   hanganalyze [GLOBAL] queue | show | triage | check ...   the case database and CI
 *
 * GLOBAL options (--db PATH, --no-db, -q, --help, --version) may come before
 * the subcommand's name, as in `git -C DIR log`, and apply to it. The first
 * other argument picks a subcommand from the table below; a core file (an
 * existing file, or any path with a '/') or an analyze option means the
 * analyze subcommand, which then parses the whole command line itself, so
 * `hanganalyze [analyze options] CORE` means what it always has. A core
 * literally named like a subcommand must be given as ./NAME; any other word
 * is a mistyped subcommand and a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/hanganalyze/hanganalyze.h"
#include "common/util.h"
#include "common/version.h"

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
	{ "push", cmd_push, "send the cases spooled while the database server was unreachable" },
	{ "copy", cmd_copy, "copy the cases of an SQLite case database into another (a server's)" },
	{ "bundle", cmd_bundle, "write a core and the files it needs into one file to analyze anywhere" },
	{ "schema", cmd_schema, "print the SQL that creates the case tables on PostgreSQL" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: hanganalyze [OPTIONS] CORE\n"
		     "       hanganalyze [--db PATH|URI | --no-db] [-q] SUBCOMMAND [ARGS]\n\nsubcommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n'hanganalyze SUBCOMMAND --help' describes each one; 'hanganalyze --help' the default.\n");
}

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return &subcommands[i];
	return NULL;
}

/* Is word meant as a core: a file that exists, or a path (so a missing core is still "cannot read core")? */
static bool names_a_core(const char *word)
{
	struct stat st;

	return strchr(word, '/') || stat(word, &st) == 0;
}

/*
 * libdebuginfod waits 90 s for a server's first byte, per lookup, and
 * retries: a server that accepts and never answers would hold an analysis
 * for minutes. Unless the user chose otherwise, a lookup gives up after
 * HS_DEBUGINFOD_TIMEOUT s without data and is not retried; the downloads
 * are cached where libdebuginfod puts them ($XDG_CACHE_HOME/debuginfod_client).
 */
#define HS_DEBUGINFOD_TIMEOUT "5"
#define HS_DEBUGINFOD_RETRY_LIMIT "0"

static void debuginfod_defaults(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	if (!urls || !*urls)
		return;
	setenv("DEBUGINFOD_TIMEOUT", HS_DEBUGINFOD_TIMEOUT, 0);
	setenv("DEBUGINFOD_RETRY_LIMIT", HS_DEBUGINFOD_RETRY_LIMIT, 0);
}

int main(int argc, char **argv)
{
	struct global_options g = { 0 };
	const struct subcommand *sub;
	char *help_argv[] = { NULL, "--help", NULL };
	bool help = false, version = false;
	int i;

	debuginfod_defaults();
	/*
	 * The global options, up to the first word. Anything else that starts
	 * with '-' is an analyze option: the default subcommand's command line.
	 */
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--db") == 0 && i + 1 < argc) {
			g.db_path = argv[++i];
			g.no_db = false;
		} else if (strncmp(arg, "--db=", 5) == 0) {
			g.db_path = arg + 5;
			g.no_db = false;
		} else if (strcmp(arg, "--no-db") == 0) {
			g.no_db = true;
		} else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
			g.quiet = true;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			help = true;
		} else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			version = true;
		} else {
			break;
		}
	}
	if (i < argc && argv[i][0] != '-') {
		if ((sub = find_subcommand(argv[i]))) {
			if (version) {
				printf("hanganalyze %s\n", HANGSNAP_VERSION_STRING);
				return EXIT_DONE;
			}
			if (help) {
				help_argv[0] = argv[i];
				return sub->run(2, help_argv);
			}
			if (g.db_path && !*g.db_path) {
				fputs("hanganalyze: --db needs a path\n", stderr);
				return EXIT_USAGE;
			}
			cli_globals = g;
			return sub->run(argc - i, argv + i);
		}
		if (strcmp(argv[i], "help") == 0) {
			usage(stdout);
			return EXIT_DONE;
		}
		if (!help && !version && !names_a_core(argv[i])) {
			fprintf(stderr, "hanganalyze: '%s' is not a hanganalyze command or a core file\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	/* everything else belongs to the default subcommand, argv[0] standing in for its name */
	return cmd_analyze(argc, argv);
}
