/*
 * lock-cycle: the classic ABBA deadlock between two threads.
 *
 * Thread "xfer_a" (A) locks accounts_lock and then wants journal_lock;
 * thread "xfer_b" (B) locks journal_lock and then wants accounts_lock. A
 * barrier makes each hold its first lock before it asks for the second, so
 * both block forever. Both mutexes are default (non-robust, non-PI) pthread
 * mutexes: each waiter sits in futex(&mutex, FUTEX_WAIT_PRIVATE, 2) from
 * __lll_lock_wait, and the owner's TID is in the mutex's __owner field.
 *
 * Expected finding (hanganalyze): lock-cycle over A and B, a cycle of length
 * 2 — A waits for journal_lock owned by B, B waits for accounts_lock owned
 * by A. No other finding. main sleeps in clock_nanosleep and is not involved.
 *
 * Threads: A and B in futex (202), first argument = the address of the mutex
 * each waits for.
 *
 * Prints "ready PID rule=lock-cycle tids=A,B" once both are blocked.
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

static pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

struct transfer {
	const char *name;
	pthread_mutex_t *first, *second;
	_Atomic pid_t tid;
};

static struct transfer a = { "xfer_a", &accounts_lock, &journal_lock, 0 };
static struct transfer b = { "xfer_b", &journal_lock, &accounts_lock, 0 };

static void *transfer_thread(void *arg)
{
	struct transfer *t = arg;

	pthread_setname_np(pthread_self(), t->name);
	atomic_store(&t->tid, gettid());
	pthread_mutex_lock(t->first);
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(t->second);	/* never returns */
	pthread_mutex_unlock(t->second);
	pthread_mutex_unlock(t->first);
	return NULL;
}

int main(void)
{
	pthread_t ta, tb;

	pthread_barrier_init(&both_hold, NULL, 2);
	if (pthread_create(&ta, NULL, transfer_thread, &a) != 0 ||
	    pthread_create(&tb, NULL, transfer_thread, &b) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid_a = sample_wait_tid(&a.tid), tid_b = sample_wait_tid(&b.tid);
	sample_wait_blocked(getpid(), tid_a, SYS_futex, (uintptr_t)&journal_lock);
	sample_wait_blocked(getpid(), tid_b, SYS_futex, (uintptr_t)&accounts_lock);
	printf("ready %d rule=lock-cycle tids=%d,%d\n", (int)getpid(), (int)tid_a, (int)tid_b);
	fflush(stdout);
	sample_sleep_forever();
}
