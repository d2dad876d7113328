/*
 * signal-unsafe-reentry: a signal handler calls a non-reentrant function
 * that the interrupted code was in the middle of, and deadlocks on the lock
 * that code holds.
 *
 * Thread "logger" (T) calls log_append(), which takes log_lock (a default,
 * non-recursive pthread mutex) and, while holding it, gets SIGUSR1 (sent to
 * itself with pthread_kill from rotate_if_needed(), standing in for a timer
 * or a kill(1) arriving at that moment: this makes it happen every time).
 * The handler on_usr1() logs too — log_append() again — and blocks forever
 * in futex(&log_lock, FUTEX_WAIT_PRIVATE, 2) on the lock its own thread holds.
 *
 * T's stack, innermost first: __lll_lock_wait / pthread_mutex_lock <-
 * log_append <- on_usr1 <- __restore_rt (the signal frame) <-
 * pthread_kill internals <- rotate_if_needed <- log_append <- logger_thread.
 *
 * Expected finding (hanganalyze): signal-unsafe-reentry on T — the handler
 * on_usr1 (SIGUSR1) re-entered log_append, which waits for log_lock held by
 * the interrupted frame of the same thread. (The same facts also form a
 * lock cycle of length 1; signal-unsafe-reentry is the precise finding and
 * should be the one reported.) main sleeps in clock_nanosleep and is not
 * involved.
 *
 * Threads: T in futex (202), first argument = &log_lock.
 *
 * Prints "ready PID rule=signal-unsafe-reentry tids=T signal=SIGUSR1" once T is blocked.
 * No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[4096];
static size_t log_len;
static _Atomic pid_t logger_tid;

static void log_append(const char *msg);

static __attribute__((noinline)) void rotate_if_needed(void)
{
	/* the signal arrives right here, inside the critical section */
	pthread_kill(pthread_self(), SIGUSR1);
}

static __attribute__((noinline)) void log_append(const char *msg)
{
	size_t n = strlen(msg);

	pthread_mutex_lock(&log_lock);
	if (log_len + n > sizeof(log_buf))
		log_len = 0;
	memcpy(log_buf + log_len, msg, n);
	log_len += n;
	if (log_len > 8)
		rotate_if_needed();
	pthread_mutex_unlock(&log_lock);
}

static void on_usr1(int sig)
{
	(void)sig;
	log_append("got SIGUSR1\n");	/* not async-signal-safe: deadlocks */
}

static void *logger_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "logger");
	atomic_store(&logger_tid, gettid());
	log_append("logger started\n");
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	if (pthread_create(&t, NULL, logger_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid = sample_wait_tid(&logger_tid);
	sample_wait_blocked(getpid(), tid, SYS_futex, (uintptr_t)&log_lock);
	printf("ready %d rule=signal-unsafe-reentry tids=%d signal=SIGUSR1\n", (int)getpid(), (int)tid);
	fflush(stdout);
	sample_sleep_forever();
}
