/*
 * file-lock-wait: threads wait for a file lock that another process holds
 * and never releases.
 *
 * main creates a temporary file PATH (mkstemp under $TMPDIR, default /tmp)
 * and forks a child "lock_holder" (HOLDER) which opens PATH itself, takes
 * both flock(LOCK_EX) and a POSIX write lock (fcntl F_SETLK, whole file) on
 * it, and then sleeps in pause() forever. Two threads of the parent then ask
 * for the same locks through their own open file descriptions:
 *
 *   "flock_wait" (T1): flock(fd, LOCK_EX)              — blocks in flock
 *   "fcntl_wait" (T2): fcntl(fd, F_SETLKW, {F_WRLCK})  — blocks in fcntl
 *
 * (flock and POSIX locks do not conflict with each other on Linux; each
 * thread conflicts only with the child's lock of its own kind.)
 *
 * Expected finding (hanganalyze): file-lock-wait on T1 and on T2 — each waits
 * for a lock on PATH held by pid HOLDER (/proc/locks: FLOCK ... WRITE HOLDER and
 * POSIX ... WRITE HOLDER). No other finding. main sleeps in clock_nanosleep.
 *
 * Threads: T1 in flock (73), first argument = its fd, second = LOCK_EX (2);
 * T2 in fcntl (72), first argument = its fd, second = F_SETLKW (7).
 * The child: pause (34).
 *
 * The child dies with the parent (PR_SET_PDEATHSIG): it gets SIGTERM, whose
 * handler unlinks PATH before exiting; the parent also unlinks PATH on
 * SIGTERM/SIGINT/SIGHUP. Only a SIGKILL sent to the child itself leaves PATH
 * behind — point TMPDIR at a directory the test removes.
 *
 * Prints "ready PID rule=file-lock-wait tids=T1,T2 holder=HOLDER path=PATH"
 * once both threads are blocked.
 * No network.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static char path[PATH_MAX];
static _Atomic pid_t flock_tid, fcntl_tid;

/* Signal handler: removes PATH, then dies of sig as if there had been no handler. */
static void unlink_and_die(int sig)
{
	unlink(path);
	signal(sig, SIG_DFL);
	raise(sig);	/* delivered as soon as the handler returns */
}

static void __attribute__((noreturn)) unlink_and_exit(void)
{
	unlink(path);
	_exit(1);
}

static void on_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void __attribute__((noreturn)) lock_holder(pid_t parent, int ready_fd)
{
	struct flock whole = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	on_signals(unlink_and_die);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)	/* the parent died before prctl() */
		unlink_and_exit();
	prctl(PR_SET_NAME, "lock_holder");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) != 0 || fcntl(fd, F_SETLK, &whole) != 0) {
		perror("lock_holder");
		unlink_and_exit();
	}
	if (write(ready_fd, "L", 1) != 1)
		unlink_and_exit();
	for (;;)
		pause();	/* holds both locks forever */
}

static void *flock_thread(void *arg)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	(void)arg;
	pthread_setname_np(pthread_self(), "flock_wait");
	atomic_store(&flock_tid, gettid());
	if (fd < 0 || flock(fd, LOCK_EX) != 0)	/* never returns */
		perror("flock");
	return NULL;
}

static void *fcntl_thread(void *arg)
{
	struct flock whole = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR | O_CLOEXEC);

	(void)arg;
	pthread_setname_np(pthread_self(), "fcntl_wait");
	atomic_store(&fcntl_tid, gettid());
	if (fd < 0 || fcntl(fd, F_SETLKW, &whole) != 0)	/* never returns */
		perror("fcntl");
	return NULL;
}

static void __attribute__((noreturn)) fail(const char *what, pid_t child)
{
	perror(what);
	if (child > 0)
		kill(child, SIGTERM);	/* the child unlinks PATH */
	unlink(path);
	exit(1);
}

int main(void)
{
	const char *dir = getenv("TMPDIR");
	pid_t parent = getpid(), holder;
	pthread_t t;
	int sync[2], fd;
	char c;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/file-lock-wait.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	close(fd);
	on_signals(unlink_and_die);
	if (pipe(sync) != 0)
		fail("pipe", 0);
	holder = fork();
	if (holder < 0)
		fail("fork", 0);
	if (holder == 0) {
		close(sync[0]);
		lock_holder(parent, sync[1]);
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1)
		fail("lock_holder did not take its locks", holder);
	close(sync[0]);
	if (pthread_create(&t, NULL, flock_thread, NULL) != 0 || pthread_create(&t, NULL, fcntl_thread, NULL) != 0)
		fail("pthread_create", holder);
	pid_t t1 = sample_wait_tid(&flock_tid), t2 = sample_wait_tid(&fcntl_tid);
	sample_wait_blocked(getpid(), t1, SYS_flock, SAMPLE_ANY_ARG);
	sample_wait_blocked(getpid(), t2, SYS_fcntl, SAMPLE_ANY_ARG);
	printf("ready %d rule=file-lock-wait tids=%d,%d holder=%d path=%s\n", (int)getpid(), (int)t1, (int)t2,
	       (int)holder, path);
	fflush(stdout);
	sample_sleep_forever();
}
