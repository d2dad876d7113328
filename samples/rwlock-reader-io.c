/*
 * lock-held-during-io, probable holder: a reader holds an rwlock across a
 * read() that never returns, and a writer waits for it.
 *
 * Thread "reader" (A) takes pthread_rwlock_rdlock(&cfg_lock) and then read()s
 * a pipe whose write end the process keeps open but never writes. It keeps
 * the lock's address on its stack while it holds it (the `held` local, what a
 * guard object does), so A sleeps in read() forever with &cfg_lock in its
 * frame. Thread "reloader" (B) then takes pthread_rwlock_wrlock(&cfg_lock)
 * and waits in futex(&cfg_lock.__data.__wrphase_futex, FUTEX_WAIT_BITSET...)
 * for the readers to leave. glibc counts readers (__readers) but records no
 * reader's tid, so the lock names no owner: the holder is inferred.
 *
 * Expected finding (hanganalyze): lock-held-during-io, probable — B waits for
 * rwlock cfg_lock, probably held by A (its stack holds &cfg_lock in reader()),
 * which is blocked in read() on a pipe with no timeout; confidence
 * "probable". main sleeps in clock_nanosleep and is not involved.
 *
 * Prints "ready PID rule=lock-held-during-io tids=A,B holder=A writer=B
 * fd=RFD" once both are blocked; main never passes &cfg_lock anywhere, so
 * that no stale copy of it sits in main's frames. No network, no files.
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

static pthread_rwlock_t cfg_lock = PTHREAD_RWLOCK_INITIALIZER;
static int config_pipe[2];	/* [0] read by A, [1] never written */
static _Atomic pid_t reader_tid, reloader_tid;

/* noinline: reader() keeps its own frame, named in the evidence */
__attribute__((noinline)) static void *reader(void *arg)
{
	/* the reference a guard keeps while the lock is held; volatile: it lives in this frame */
	pthread_rwlock_t *volatile held;
	char buf[64];

	(void)arg;
	pthread_setname_np(pthread_self(), "reader");
	held = &cfg_lock;
	pthread_rwlock_rdlock(held);
	atomic_store(&reader_tid, gettid());
	/* waits for the new configuration — with the read lock held, no timeout */
	if (read(config_pipe[0], buf, sizeof(buf)) < 0)
		perror("read");
	pthread_rwlock_unlock(held);
	return NULL;
}

static void *reloader(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reloader");
	atomic_store(&reloader_tid, gettid());
	pthread_rwlock_wrlock(&cfg_lock);	/* never returns */
	pthread_rwlock_unlock(&cfg_lock);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pid_t a, b;

	if (pipe(config_pipe) != 0) {
		perror("pipe");
		return 1;
	}
	if (pthread_create(&t, NULL, reader, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	a = sample_wait_tid(&reader_tid);
	sample_wait_blocked(getpid(), a, SYS_read, (unsigned long)config_pipe[0]);
	if (pthread_create(&t, NULL, reloader, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	b = sample_wait_tid(&reloader_tid);
	sample_wait_blocked(getpid(), b, SYS_futex, SAMPLE_ANY_ARG);
	printf("ready %d rule=lock-held-during-io tids=%d,%d holder=%d writer=%d fd=%d\n", (int)getpid(), (int)a,
	       (int)b, (int)a, (int)b, config_pipe[0]);
	fflush(stdout);
	sample_sleep_forever();
}
