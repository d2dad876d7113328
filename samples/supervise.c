/*
 * supervise: a supervisor that waits for its worker, forever — with the
 * worker hung, a process tree hung as one: `supervise join-connect-stall`.
 *
 * supervise CMD [ARG...] forks and execs CMD (through PATH, or as a path;
 * a bare name of a sample is looked for next to supervise first) in the
 * child, the worker, which shares supervise's stdin, stdout and stderr: the
 * worker's own "ready" line reaches the test as if it ran alone. The main
 * thread (the only one once ready is printed) then waits for the worker in
 * supervise_child(): waitpid() with no WNOHANG and no timeout.
 *
 * Expected finding (hanganalyze, on the tree): child-wait on the supervisor's
 * main thread (PID) — waits for WORKER, which hangs by its own finding
 * (join-on-blocked for join-connect-stall).
 *
 * Threads: main in wait4 (61), first argument = WORKER. A short-lived thread
 * prints the ready line once main is blocked there, then exits.
 *
 * Prints "ready PID rule=child-wait tids=PID child=WORKER" once main waits;
 * the worker prints its own line, before or after. The worker dies with
 * supervise (PR_SET_PDEATHSIG, SIGKILL). When the worker exits, supervise
 * exits as it did.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sample.h"

static pid_t supervisor, worker;

/* the ready line, once main sleeps in wait4(worker) */
static void *announce(void *arg)
{
	(void)arg;
	sample_wait_blocked(supervisor, supervisor, SYS_wait4, (unsigned long)worker);
	printf("ready %d rule=child-wait tids=%d child=%d\n", (int)supervisor, (int)supervisor, (int)worker);
	fflush(stdout);
	return NULL;
}

/* The supervisor's wait: for the worker to exit, however long it takes. */
static int supervise_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			return 1;
		}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* CMD as given, or a sample next to our own executable when CMD is a bare name found there */
static void exec_worker(char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (!strchr(argv[0], '/') && n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", self, argv[0]);
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	}
	execvp(argv[0], argv);
	fprintf(stderr, "supervise: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc < 2) {
		fputs("usage: supervise CMD [ARG...]\n", stderr);
		return 2;
	}
	supervisor = getpid();
	fflush(stdout);
	worker = fork();
	if (worker < 0) {
		perror("fork");
		return 1;
	}
	if (worker == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != supervisor)
			_exit(1);
		exec_worker(argv + 1);
	}
	if (pthread_create(&t, NULL, announce, NULL) != 0) {
		perror("pthread_create");
		kill(worker, SIGKILL);
		return 1;
	}
	pthread_detach(t);
	return supervise_child(worker);
}
