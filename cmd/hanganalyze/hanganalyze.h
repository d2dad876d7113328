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

#include "common/error.h"

/* Exit codes (DESIGN.md, CLI contract). */
enum {
	EXIT_DONE = 0,
	EXIT_FINDING = 1,	/* done, and a finding at or above --fail-on */
	EXIT_USAGE = 2,
	EXIT_BAD_INPUT = 3,	/* unreadable or corrupt input */
	EXIT_INTERNAL = 4,
};

int cmd_analyze(int argc, char **argv);

/* Prints "hanganalyze: <prefix>: <message>" and returns the exit code for err's kind. */
int report_error(const struct hs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes all of buf to stdout; false (and a message) when that fails. */
int write_stdout(const char *buf, size_t len);

#endif
