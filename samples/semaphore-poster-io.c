/*
 * lock-held-during-io, probable holder: a semaphore's waiter and the thread
 * that would post it, itself blocked in read().
 *
 * Thread "poster" (A) is handed a pointer to the semaphore `done` (a job
 * struct on its stack, as a worker keeps its completion), then read()s a
 * pipe nobody writes before it would sem_post(&done). Thread "waiter" (B)
 * sem_wait()s on `done` (value 0): futex(&done, FUTEX_WAIT_BITSET...). A
 * semaphore has no owner; the probable poster is the one other thread whose
 * stack holds &done.
 *
 * Expected finding (hanganalyze): lock-held-during-io, probable — B waits for
 * semaphore done, probably held by A, which is blocked in read() on a pipe
 * with no timeout. main sleeps in clock_nanosleep and is not involved.
 *
 * Prints "ready PID rule=lock-held-during-io tids=A,B holder=A waiter=B
 * fd=RFD" once both are blocked. No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static sem_t done;
static int input[2];	/* [0] read by A, [1] never written */
static _Atomic pid_t poster_tid, waiter_tid;

struct job {
	sem_t *volatile done;	/* posted when the job is finished; volatile: it stays in the job */
	int fd;
};

__attribute__((noinline)) static void run_job(struct job *j)
{
	char buf[64];

	atomic_store(&poster_tid, gettid());
	if (read(j->fd, buf, sizeof(buf)) < 0)
		perror("read");
	sem_post(j->done);
}

static void *poster(void *arg)
{
	struct job j = { &done, input[0] };

	(void)arg;
	pthread_setname_np(pthread_self(), "poster");
	run_job(&j);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "waiter");
	atomic_store(&waiter_tid, gettid());
	sem_wait(&done);	/* never returns */
	return NULL;
}

int main(void)
{
	pthread_t t;
	pid_t a, b;

	if (pipe(input) != 0 || sem_init(&done, 0, 0) != 0) {
		perror("pipe");
		return 1;
	}
	if (pthread_create(&t, NULL, poster, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	a = sample_wait_tid(&poster_tid);
	sample_wait_blocked(getpid(), a, SYS_read, (unsigned long)input[0]);
	if (pthread_create(&t, NULL, waiter, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	b = sample_wait_tid(&waiter_tid);
	sample_wait_blocked(getpid(), b, SYS_futex, (uintptr_t)&done);
	printf("ready %d rule=lock-held-during-io tids=%d,%d holder=%d waiter=%d fd=%d\n", (int)getpid(), (int)a,
	       (int)b, (int)a, (int)b, input[0]);
	fflush(stdout);
	sample_sleep_forever();
}
