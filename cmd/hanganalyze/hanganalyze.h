/*
 * hanganalyze's subcommands and what they share.
 *
 * How to add a subcommand:
 *  1. write cmd/hanganalyze/cmd-NAME.c defining `int cmd_NAME(int argc, char **argv)`;
 *     argv[0] is the subcommand's name, the return value is the exit code;
 *  2. declare it below and add a row to the table in main.c;
 *  3. add the file to hanganalyze's sources in CMakeLists.txt and document it
 *     in the README's hanganalyze(1) section.
 * Only cmd/ prints to the user or picks exit codes.
 */
#ifndef HS_CMD_HANGANALYZE_H
#define HS_CMD_HANGANALYZE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "analyzer/analyze.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/report.h"

struct casedb;

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

/* Prints "hanganalyze: <prefix>: <message>" and returns the exit code for err's kind. */
int report_error(const struct hs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A database error: the message as is, exit 2 for a bad argument, 3 for a foreign/newer file, else 4. */
int report_db_error(const struct hs_error *err, const char *path);

/* Writes all of buf to stdout; false (and a message) when that fails. */
int write_stdout(const char *buf, size_t len);

/* "low".."critical" → 0..3, -1 for anything else. */
int parse_severity(const char *s);

/* --format for queue and show: text, json or html into *ret; EXIT_USAGE (and a message) otherwise. */
int parse_stored_format(const char *arg, const char **ret);

/* Opens the database at path (NULL: the default) for a subcommand; returns an exit code. */
int open_database(const char *path, struct casedb **ret);

/* A queue row, as text (one line) and as a JSON object (cmd-queue.c; show and triage use them too). */
struct casedb_group;
struct json_writer;
bool queue_group_line(struct strbuf *sb, const struct casedb_group *g);
void queue_group_json(struct json_writer *w, const struct casedb_group *g);

/* ---- the analysis pipeline (analyze, check) ---------------------------- */

enum analysis_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_HTML, FORMAT_DOT, FORMAT_EXTRA };

enum {
	OPT_SYSROOT = 256, OPT_NO_INLINE, OPT_NO_DEMANGLE, OPT_STATS, OPT_RULES, OPT_NO_DEFAULT_RULES, OPT_FAIL_ON, OPT_DB, OPT_NO_DB,
	OPT_KNOWN, OPT_STATUS, OPT_NOTE, OPT_TICKET, OPT_FIXED_IN, OPT_ALL,
};

/* The options analyze and check share (short ones: "f:ae:q"). */
#define ANALYSIS_LONG_OPTIONS                                                                                   \
	{ "format", required_argument, NULL, 'f' }, { "all-threads", no_argument, NULL, 'a' },                  \
	{ "exe", required_argument, NULL, 'e' }, { "quiet", no_argument, NULL, 'q' },                           \
	{ "sysroot", required_argument, NULL, OPT_SYSROOT }, { "no-inline", no_argument, NULL, OPT_NO_INLINE }, \
	{ "no-demangle", no_argument, NULL, OPT_NO_DEMANGLE },                                                  \
	{ "stats", no_argument, NULL, OPT_STATS }, { "rules", required_argument, NULL, OPT_RULES },             \
	{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES },                                        \
	{ "db", required_argument, NULL, OPT_DB }, { "no-db", no_argument, NULL, OPT_NO_DB }

struct analysis_options {
	enum analysis_format format;
	const char *extra_formats;	/* a subcommand's own format name ("junit"), or NULL */
	struct analyze_options model;
	struct report_options report;
	bool stats, quiet, no_default_rules, no_db;
	const char *rule_dirs[32];
	size_t nrule_dirs;
	const char *db_path;
	/* set up by analysis_begin() */
	struct user_rules *user_rules;
	struct casedb *db;
	char *db_path_owned;
};

/* Handles one of the shared options: EXIT_DONE, an error exit code, or -1 when opt is not one of them. */
int analysis_parse_option(struct analysis_options *a, int opt, const char *arg);
/* Loads the user rules (the case database is opened with the first case to store); returns an exit code. */
int analysis_begin(struct analysis_options *a);
void analysis_end(struct analysis_options *a);
/*
 * Analyzes core_path, appends the report in a->format to out (when not NULL),
 * stores the case (with its text, JSON and HTML reports); on EXIT_DONE
 * *model_ret is the caller's to destroy.
 */
int analysis_run(struct analysis_options *a, const char *core_path, struct model **model_ret, struct strbuf *out);

#endif
