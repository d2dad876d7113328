/*
 * What the two modes of hangsnap share: the parsed command line, the exit
 * codes, and the few helpers both print through. main.c parses the command
 * line; snapshot.c runs one snapshot (`hangsnap PID`, and each process of
 * the watchdog); watchdog.c runs `hangsnap --timeout SECS -- CMD`.
 * Snapshots themselves are capture_snapshot() (capture/capture.h); only
 * this directory prints or chooses exit codes.
 */
#ifndef HS_CMD_HANGSNAP_H
#define HS_CMD_HANGSNAP_H

#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 2,
	EXIT_NO_PROCESS = 3,
	EXIT_INTERNAL = 4,
	EXIT_PERMISSION = 5,
	EXIT_ZOMBIE = 6,
	EXIT_SELF = 7,
	EXIT_OUTPUT = 8,
	EXIT_ANALYZE_FAILED = 9,	/* --analyze: the core was written, the analysis failed */
	/* watchdog mode, as timeout(1) */
	EXIT_TIMED_OUT = 124,
	EXIT_CANNOT_INVOKE = 126,
	EXIT_NOT_FOUND = 127,
};

struct options {
	pid_t pid;
	const char *output;	/* with --timeout or --tree: a directory */
	const char *plain_copy;
	bool compress;
	int level;
	unsigned interval_ms;
	unsigned stop_timeout_ms;
	uint64_t memory_budget;
	bool force;
	bool quiet;
	bool stats;			/* --stats: each step's time on stderr */
	bool analyze;			/* run hanganalyze on the core */
	bool tree;			/* --tree: PID and its descendants into a directory */
	bool bundle;			/* --bundle: the core and its files in one bundle */
	/* watchdog mode */
	bool watchdog;
	uint64_t timeout_ns;
	const char *timeout_arg;	/* as given, for messages */
	const char *db;
	bool no_db;
	char **command;			/* NULL-terminated argv of CMD */
};

extern const char *progname;

/* Prints "hangsnap: error: MESSAGE", frees err and returns code. */
int fail(struct hs_error *err, int code);

/*
 * Snapshots pid into output and prints the warnings and summary line, or
 * the error. Returns an exit code. With catch_signals, SIGINT, SIGTERM and
 * SIGHUP remove a named temporary output before hangsnap dies (the watchdog
 * blocks them instead).
 */
int snapshot_process(const struct options *opts, pid_t pid, const char *output, bool catch_signals);

/*
 * hangsnap --tree PID (tree.c): snapshots PID and its live descendants into
 * a directory, one core each, with a tree.manifest. Returns the root's
 * snapshot exit code (0 when it was written), EXIT_OUTPUT for a directory
 * that cannot be used, or analyze_core()'s with --analyze.
 */
int tree_run(const struct options *opts);

/*
 * --analyze: hanganalyze [--db PATH | --no-db] CORE, its report on our stdout.
 * CORE may be a directory written by --tree.
 * Returns its exit status (0, or 1 for a finding at or above --fail-on never
 * set here), or EXIT_ANALYZE_FAILED.
 */
int analyze_core(const struct options *o, const char *core);

/*
 * hangsnap --bundle PID (bundle.c): snapshots pid, then has hanganalyze
 * bundle the core with its files into bundle. An exit code: the
 * snapshot's, or EXIT_ANALYZE_FAILED when the core was written (and kept)
 * but could not be bundled.
 */
int bundle_run(const struct options *o, pid_t pid, const char *bundle);
/* core.PID.TIME.bundle (a new string, NULL when out of memory) */
char *bundle_default_path(pid_t pid);

/* The directory of our own executable into buf ("?" when unknown). */
const char *self_dir(char *buf, size_t size);

/*
 * Starts hanganalyze [--db PATH | --no-db] PATH..., the npaths paths (cores,
 * or a --tree directory) analyzed as one case, as o says: sibling
 * (sibling_analyzer()) when not NULL, else the one in PATH. Returns
 * posix_spawn's error number (ENOMEM when the argument vector cannot be
 * allocated), 0 when *pid_ret runs.
 */
int spawn_analyzer(const struct options *o, const char *sibling, char *const *paths, size_t npaths,
		   const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr, pid_t *pid_ret);

/* The hanganalyze next to our own executable (a new string), or NULL: then PATH's. */
char *sibling_analyzer(void);

#endif
