/*
 * hanganalyze's subcommands and what they share.
 *
 * How to add a subcommand:
 *  1. write cmd/hanganalyze/cmd-NAME.c defining `int cmd_NAME(int argc, char **argv)`;
 *     argv[0] is the subcommand's name, the return value is the exit code;
 *  2. declare it below and add a row to the table in main.c; start from
 *     cli_globals (the options given before its name) where they apply;
 *  3. add the file to hanganalyze's sources in CMakeLists.txt and document it
 *     in the README's hanganalyze(1) section.
 * Only cmd/ prints to the user or picks exit codes.
 */
#ifndef HS_CMD_HANGANALYZE_H
#define HS_CMD_HANGANALYZE_H

#include <getopt.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>

#include "analyzer/analyze.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/format.h"
#include "reports/report.h"

struct casedb;
struct file_case_opened;

/* Exit codes (DESIGN.md, CLI contract). */
enum {
	EXIT_DONE = 0,
	EXIT_FINDING = 1,	/* done, and a finding at or above --fail-on (check: a new or regressed hang) */
	EXIT_USAGE = 2,
	EXIT_BAD_INPUT = 3,	/* unreadable or corrupt input */
	EXIT_INTERNAL = 4,
};

int cmd_analyze(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_triage(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_bundle(int argc, char **argv);

/* ---- shared by the subcommands (cli.c) ---------------------------------- */

/*
 * The options given before the subcommand's name (`hanganalyze --db X
 * queue`, like `git -C DIR log`), set by main() before the subcommand runs;
 * a subcommand takes them as its defaults, its own options override them.
 * All zero when no subcommand was named (`hanganalyze [OPTIONS] CORE`: the
 * analyze subcommand parses every argument itself).
 */
struct global_options {
	const char *db_path;	/* --db PATH */
	bool no_db;		/* --no-db */
	bool quiet;		/* -q, --quiet */
};
extern struct global_options cli_globals;

/* Prints "hanganalyze: <prefix>: <message>" and returns the exit code for err's kind. */
int report_error(const struct hs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A database error: the message as is, exit 2 for a bad argument, 3 for a foreign/newer file, else 4. */
int report_db_error(const struct hs_error *err, const char *path);

/* Writes all of buf to stdout; EXIT_DONE, or a message and EXIT_INTERNAL. */
int write_stdout(const char *buf, size_t len);

/*
 * --format: the format of kind named arg (with stored_only, one a stored
 * case keeps) into *ret; EXIT_USAGE and "unknown format 'ARG': use text,
 * json or html" (the table's names) otherwise.
 */
int parse_format(const char *arg, enum report_kind kind, bool stored_only, const struct report_format **ret);

/* The formats of kind for a usage text, one per line: its name and its help, indented under an option. */
void print_format_help(FILE *out, enum report_kind kind);

/* Opens the database at path (NULL: the default) for a subcommand; returns an exit code. */
int open_database(const char *path, struct casedb **ret);

/*
 * EXIT_DONE, or EXIT_USAGE and a message when a global --no-db was given to
 * a subcommand that reads the database and no --db PATH (db_path) after it.
 */
int needs_database(const char *subcommand, const char *db_path);

/* A database group as a row for the queue renderers (strings borrowed from g). */
struct casedb_group;
void queue_row_from_group(struct report_queue_row *r, const struct casedb_group *g);

/* ---- the analysis pipeline (analyze, check) ---------------------------- */

enum {
	OPT_SYSROOT = 256, OPT_NO_INLINE, OPT_NO_DEMANGLE, OPT_NO_RUNTIME, OPT_STATS, OPT_RULES, OPT_NO_DEFAULT_RULES, OPT_FAIL_ON, OPT_DB, OPT_NO_DB, OPT_NO_SANDBOX,
	OPT_KNOWN, OPT_STATUS, OPT_NOTE, OPT_TICKET, OPT_FIXED_IN, OPT_ALL, OPT_FROM, OPT_TO, OPT_ROLE, OPT_SEARCH, OPT_DEBUG_DIR, OPT_NO_CACHE,
};

/* The options analyze and check share (short ones: "f:ae:q"). */
#define ANALYSIS_LONG_OPTIONS                                                                                   \
	{ "format", required_argument, NULL, 'f' }, { "all-threads", no_argument, NULL, 'a' },                  \
	{ "exe", required_argument, NULL, 'e' }, { "quiet", no_argument, NULL, 'q' },                           \
	{ "sysroot", required_argument, NULL, OPT_SYSROOT }, { "no-inline", no_argument, NULL, OPT_NO_INLINE }, \
	{ "no-demangle", no_argument, NULL, OPT_NO_DEMANGLE }, { "no-runtime", no_argument, NULL, OPT_NO_RUNTIME }, \
	{ "stats", no_argument, NULL, OPT_STATS }, { "rules", required_argument, NULL, OPT_RULES },             \
	{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES },                                        \
	{ "search", required_argument, NULL, OPT_SEARCH }, { "debug-dir", required_argument, NULL, OPT_DEBUG_DIR }, \
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },                                                        \
	{ "db", required_argument, NULL, OPT_DB }, { "no-db", no_argument, NULL, OPT_NO_DB }

struct analysis_options {
	const struct report_format *format;	/* REPORT_CASE: what analysis_run() prints */
	struct analyze_options model;
	struct report_options report;
	bool stats, quiet, no_default_rules, no_db;
	const char *rule_dirs[32];
	size_t nrule_dirs;
	/* --search, then HANGANALYZE_PATH's (in path_env); --debug-dir */
	const char *search_dirs[64], *debug_dirs[16];
	size_t nsearch, ndebug;
	char *path_env;
	bool no_cache;				/* --no-cache */
	char *cache_dir, *analyzer_id;		/* the symbol cache, set up by analysis_begin() (NULL: none) */
	const char *db_path;
	const struct file_case_opened *opened;	/* called once the cores are open (analyze: its sandbox), or NULL */
	/* set up by analysis_begin() */
	struct user_rules *user_rules;
	struct casedb *db;
};

/* Sets a's defaults: text, and the global options. */
void analysis_init(struct analysis_options *a);
/* Handles one of the shared options: EXIT_DONE, an error exit code, or -1 when opt is not one of them. */
int analysis_parse_option(struct analysis_options *a, int opt, const char *arg);
/* Loads the user rules (the case database is opened with the first case to store); returns an exit code. */
int analysis_begin(struct analysis_options *a);
void analysis_end(struct analysis_options *a);
/*
 * Analyzes core_path, writes the report in a->format to stdout (when print),
 * then stores the case (with its text, JSON and HTML reports) — in that
 * order, so the report is out even when the case cannot be filed; the
 * filing error then comes on stderr with its exit code. On EXIT_DONE
 * *model_ret is the caller's to destroy.
 */
int analysis_run(struct analysis_options *a, const char *core_path, struct model **model_ret, bool print);

/*
 * The same for a process tree as one case: paths are several cores, or
 * one directory written by `hangsnap --tree` (its tree.manifest names the
 * cores). One path that is a core file is analysis_run().
 */
int analysis_run_paths(struct analysis_options *a, const char *const *paths, size_t n, struct model **model_ret,
		       bool print);

#endif
