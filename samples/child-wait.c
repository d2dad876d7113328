/*
 * child-wait: a thread waits for a child process that is itself stuck — the
 * two wait for each other, as with popen() when the parent forgets to close
 * the child's stdin.
 *
 * main creates a pipe and forks a child "stuck_child" (CHILD) that reads its
 * input from the pipe until EOF. The parent keeps the pipe's write end open
 * and never writes or closes it, so the child sleeps in read() forever.
 * Thread "reaper" (T) of the parent waits for the child with waitpid(CHILD)
 * — no WNOHANG, no timeout.
 *
 * Expected finding (hanganalyze): child-wait on T — waits for child CHILD
 * (stuck_child), which is sleeping (S) in read() on a pipe whose write end is
 * held by this process (PID). No other finding. main sleeps in
 * clock_nanosleep and is not involved.
 *
 * Threads: T in wait4 (61; glibc's waitpid() is wait4(pid, status, 0, NULL)),
 * first argument = CHILD. The child: read (0), first argument = its pipe fd.
 *
 * The child dies with the parent (PR_SET_PDEATHSIG, SIGKILL).
 *
 * Prints "ready PID rule=child-wait tids=T child=CHILD" once T and the child are blocked.
 * No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sample.h"

static pid_t child;
static _Atomic pid_t reaper_tid;

static void *reaper_thread(void *arg)
{
	int status;

	(void)arg;
	pthread_setname_np(pthread_self(), "reaper");
	atomic_store(&reaper_tid, gettid());
	if (waitpid(child, &status, 0) < 0)	/* never returns */
		perror("waitpid");
	return NULL;
}

int main(void)
{
	pid_t parent = getpid();
	pthread_t t;
	int input[2];

	if (pipe(input) != 0) {
		perror("pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		char buf[512];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		prctl(PR_SET_NAME, "stuck_child");
		close(input[1]);
		while (read(input[0], buf, sizeof(buf)) > 0)	/* until EOF: never */
			;
		_exit(0);
	}
	close(input[0]);	/* input[1] stays open, never written: the child never sees EOF */
	if (pthread_create(&t, NULL, reaper_thread, NULL) != 0) {
		perror("pthread_create");
		kill(child, SIGKILL);
		return 1;
	}
	pid_t tid = sample_wait_tid(&reaper_tid);
	sample_wait_blocked(child, child, SYS_read, SAMPLE_ANY_ARG);
	sample_wait_blocked(getpid(), tid, SYS_wait4, (unsigned long)child);
	printf("ready %d rule=child-wait tids=%d child=%d\n", (int)getpid(), (int)tid, (int)child);
	fflush(stdout);
	sample_sleep_forever();
}
