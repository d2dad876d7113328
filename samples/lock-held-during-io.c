/*
 * lock-held-during-io: a thread does blocking I/O while holding a mutex that
 * other threads need.
 *
 * Thread "stats_flush" (A, the holder) takes stats_lock and then read()s the
 * response of a collector over a pipe whose write end the process keeps open
 * but never writes — so A sleeps in read() forever, still owning stats_lock.
 * Threads "worker_1" (B) and "worker_2" (C) then lock stats_lock and wait in
 * futex(&stats_lock, FUTEX_WAIT_PRIVATE, 2) from __lll_lock_wait; the
 * mutex's __owner is A.
 *
 * Expected finding (hanganalyze): lock-held-during-io — B and C wait for
 * stats_lock, held by A, which is itself blocked in read() on a pipe (fd
 * RFD) with no timeout. No lock-cycle, no abandoned-lock. main sleeps in
 * clock_nanosleep and is not involved.
 *
 * Threads: A (holder) in read (0), first argument = RFD; B and C in futex
 * (202), first argument = &stats_lock.
 *
 * Prints "ready PID rule=lock-held-during-io tids=A,B,C holder=A fd=RFD" once
 * all three are blocked (the holder is listed first).
 * No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int collector[2];	/* the collector's answers: [0] read by A, [1] never written */

struct worker {
	const char *name;
	_Atomic pid_t tid;
};

static struct worker flusher = { "stats_flush", 0 };
static struct worker workers[2] = { { "worker_1", 0 }, { "worker_2", 0 } };

static void *flush_thread(void *arg)
{
	char reply[64];

	(void)arg;
	pthread_setname_np(pthread_self(), flusher.name);
	pthread_mutex_lock(&stats_lock);
	atomic_store(&flusher.tid, gettid());
	/* wait for the collector's acknowledgement — with the lock held, no timeout */
	if (read(collector[0], reply, sizeof(reply)) < 0)
		perror("read");
	pthread_mutex_unlock(&stats_lock);
	return NULL;
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	pthread_setname_np(pthread_self(), w->name);
	atomic_store(&w->tid, gettid());
	pthread_mutex_lock(&stats_lock);	/* never returns */
	pthread_mutex_unlock(&stats_lock);
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pipe(collector) != 0) {
		perror("pipe");
		return 1;
	}
	if (pthread_create(&t, NULL, flush_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t holder = sample_wait_tid(&flusher.tid);
	sample_wait_blocked(getpid(), holder, SYS_read, (unsigned long)collector[0]);
	for (int i = 0; i < 2; i++) {
		if (pthread_create(&t, NULL, worker_thread, &workers[i]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	pid_t b = sample_wait_tid(&workers[0].tid), c = sample_wait_tid(&workers[1].tid);
	sample_wait_blocked(getpid(), b, SYS_futex, (uintptr_t)&stats_lock);
	sample_wait_blocked(getpid(), c, SYS_futex, (uintptr_t)&stats_lock);
	printf("ready %d rule=lock-held-during-io tids=%d,%d,%d holder=%d fd=%d\n", (int)getpid(), (int)holder,
	       (int)b, (int)c, (int)holder, collector[0]);
	fflush(stdout);
	sample_sleep_forever();
}
