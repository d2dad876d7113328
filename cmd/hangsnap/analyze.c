/*
 * Running hanganalyze on a core we wrote: the one next to our own
 * executable (a build tree, or an install's bin/), else the first in PATH.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/hangsnap/hangsnap.h"

/* The directory of our own executable into buf ("?" when unknown). */
const char *self_dir(char *buf, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (len <= 0 || !(buf[len] = '\0', slash = strrchr(buf, '/')))
		return strcpy(buf, "?");
	*slash = '\0';
	return buf;
}

/* The hanganalyze next to our own executable (a new string), or NULL: then PATH's. */
char *sibling_analyzer(void)
{
	char exe[PATH_MAX], *sibling = NULL;

	if (strcmp(self_dir(exe, sizeof(exe)), "?") == 0)
		return NULL;
	if (asprintf(&sibling, "%s/hanganalyze", exe) < 0)
		return NULL;
	if (access(sibling, X_OK) != 0) {
		free(sibling);
		return NULL;
	}
	return sibling;
}

int spawn_analyzer(const struct options *o, const char *sibling, char *const *paths, size_t npaths,
		   const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr, pid_t *pid_ret)
{
	char **argv = calloc(npaths + 5, sizeof(*argv));
	size_t argc = 0;
	int e;

	if (!argv)
		return ENOMEM;
	argv[argc++] = "hanganalyze";
	if (o->db) {
		argv[argc++] = "--db";
		argv[argc++] = (char *)o->db;
	} else if (o->no_db) {
		argv[argc++] = "--no-db";
	}
	for (size_t i = 0; i < npaths; i++)
		argv[argc++] = paths[i];
	argv[argc] = NULL;
	e = sibling ? posix_spawn(pid_ret, sibling, actions, attr, argv, environ)
		    : posix_spawnp(pid_ret, "hanganalyze", actions, attr, argv, environ);
	free(argv);
	return e;
}

/*
 * --analyze: hanganalyze [--db PATH | --no-db] CORE (or the --tree DIR), its
 * report on our stdout. Returns its exit status (0, or 1 for a finding at or above --fail-on never
 * set here), or EXIT_ANALYZE_FAILED.
 */
int analyze_core(const struct options *o, const char *core)
{
	char *sibling = sibling_analyzer();
	int e, status;
	pid_t pid;

	fflush(stdout);
	e = spawn_analyzer(o, sibling, (char *const[]){ (char *)core }, 1, NULL, NULL, &pid);
	if (e) {
		fprintf(stderr, "%s: error: cannot run '%s': %s; the core is '%s'\n", progname,
			sibling ? sibling : "hanganalyze", strerror(e), core);
		free(sibling);
		return EXIT_ANALYZE_FAILED;
	}
	free(sibling);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_ANALYZE_FAILED;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		fprintf(stderr, "%s: error: hanganalyze failed on '%s'\n", progname, core);
		return EXIT_ANALYZE_FAILED;
	}
	return EXIT_OK;
}
