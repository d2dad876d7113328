/*
 * hangsnap --bundle PID: the snapshot and the files it needs in one bundle
 * (formats/bundle.h). The core is written under its usual name in a hidden
 * directory beside the bundle; `hanganalyze bundle --pid PID` then gathers the files — looked up
 * under /proc/PID/root, so that a process in a container gets its own
 * root's, and taken from /proc/PID/map_files when the one on disk was
 * replaced since it was mapped — and the hidden core is removed. Should bundling fail, the core
 * is kept under a visible name and said so.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cmd/hangsnap/hangsnap.h"

extern char **environ;

/*
 * The core is written as core.PID.TIME.hang.zst (the name it keeps in the
 * bundle) in a private directory (mkdtemp, 0700) beside the bundle, removed
 * with it after bundling, or by SIGINT, SIGTERM and SIGHUP meanwhile.
 */
static char hidden_dir[PATH_MAX], hidden_core[PATH_MAX];

static void remove_hidden(void)
{
	if (hidden_core[0])
		unlink(hidden_core);
	if (hidden_dir[0])
		rmdir(hidden_dir);
	hidden_core[0] = hidden_dir[0] = '\0';
}

static void on_signal(int sig)
{
	remove_hidden();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* path less a .hang.zst, .hang or .bundle ending, plus suffix (a new string) */
static char *with_suffix(const char *path, const char *suffix)
{
	static const char *const ends[] = { ".hang.zst", ".hang", ".bundle" };
	size_t len = strlen(path);
	char *out;

	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		size_t n = strlen(ends[i]);
		if (len > n && strcmp(path + len - n, ends[i]) == 0) {
			len -= n;
			break;
		}
	}
	return asprintf(&out, "%.*s%s", (int)len, path, suffix) < 0 ? NULL : out;
}

/* hanganalyze bundle -q [-f] --pid=PID -o BUNDLE CORE; its exit status, or -1 */
static int run_bundler(const struct options *o, pid_t pid, const char *core, const char *bundle)
{
	char *sibling = sibling_analyzer(), pid_arg[32];
	char *argv[12];
	size_t argc = 0;
	int e, status;
	pid_t child;

	argv[argc++] = "hanganalyze";
	argv[argc++] = "bundle";
	argv[argc++] = "-q";
	if (o->force)
		argv[argc++] = "--force";
	/* the files under /proc/PID/root, and those replaced since they were mapped from /proc/PID/map_files */
	snprintf(pid_arg, sizeof(pid_arg), "--pid=%d", (int)pid);
	argv[argc++] = pid_arg;
	argv[argc++] = "-o";
	argv[argc++] = (char *)bundle;
	argv[argc++] = (char *)core;
	argv[argc] = NULL;
	fflush(stdout);
	e = sibling ? posix_spawn(&child, sibling, NULL, NULL, argv, environ)
		    : posix_spawnp(&child, "hanganalyze", NULL, NULL, argv, environ);
	if (e) {
		fprintf(stderr, "%s: error: cannot run '%s': %s\n", progname, sibling ? sibling : "hanganalyze", strerror(e));
		free(sibling);
		return -1;
	}
	free(sibling);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int bundle_run(const struct options *o, pid_t pid, const char *bundle)
{
	const char *dir_end = strrchr(bundle, '/');
	char *core_name, *kept = NULL;
	int rc, brc;

	if (!o->force && access(bundle, F_OK) == 0) {
		fprintf(stderr, "%s: error: '%s' exists (use --force to replace it)\n", progname, bundle);
		return EXIT_OUTPUT;
	}
	if (!(core_name = capture_default_path(NULL, pid, o->compress)))
		return fail(&hs_error_nomem, EXIT_INTERNAL);
	if (snprintf(hidden_dir, sizeof(hidden_dir), "%.*s.hangsnap-bundle.XXXXXX", dir_end ? (int)(dir_end - bundle + 1) : 0,
		     bundle) >= (int)sizeof(hidden_dir) ||
	    snprintf(hidden_core, sizeof(hidden_core), "%s/%s", hidden_dir, core_name) >= (int)sizeof(hidden_core)) {
		free(core_name);
		hidden_core[0] = hidden_dir[0] = '\0';
		fprintf(stderr, "%s: error: '%s': the path is too long\n", progname, bundle);
		return EXIT_USAGE;
	}
	if (!mkdtemp(hidden_dir)) {
		fprintf(stderr, "%s: error: cannot create a directory beside '%s': %s\n", progname, bundle, strerror(errno));
		free(core_name);
		hidden_core[0] = hidden_dir[0] = '\0';
		return EXIT_OUTPUT;
	}
	/* hidden_core began with the template: now with the directory's name, the same length */
	memcpy(hidden_core, hidden_dir, strlen(hidden_dir));
	if ((rc = snapshot_process(o, pid, hidden_core, true)) != EXIT_OK) {
		hidden_core[0] = '\0';
		remove_hidden();
		free(core_name);
		return rc;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	brc = run_bundler(o, pid, hidden_core, bundle);
	if (brc == 0) {
		remove_hidden();
		if (!o->quiet)
			fprintf(stderr, "%s: bundled the snapshot of pid %d and its files into '%s'\n", progname, (int)pid,
				bundle);
		rc = EXIT_OK;
	} else {
		/* the snapshot is not lost: it gets the name it would have had without --bundle */
		if ((kept = with_suffix(bundle, o->compress ? ".hang.zst" : ".hang")) &&
		    renameat2(AT_FDCWD, hidden_core, AT_FDCWD, kept, RENAME_NOREPLACE) == 0) {
			hidden_core[0] = '\0';
			fprintf(stderr, "%s: error: the bundle could not be written; the core is '%s'\n", progname, kept);
			remove_hidden();
		} else {
			fprintf(stderr, "%s: error: the bundle could not be written; the core is '%s'\n", progname,
				hidden_core);
			hidden_core[0] = hidden_dir[0] = '\0';
		}
		rc = EXIT_ANALYZE_FAILED;
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	free(kept);
	free(core_name);
	return rc;
}

char *bundle_default_path(pid_t pid)
{
	char *core = capture_default_path(NULL, pid, true), *out;

	if (!core)
		return NULL;
	out = with_suffix(core, ".bundle");
	free(core);
	return out;
}
