/*
 * lock-self: a thread locks a default (non-recursive) mutex it already owns —
 * a self-deadlock, the lock cycle of length 1.
 *
 * Thread "cache_evict" (T) takes cache_lock in evict_one() and calls
 * cache_stats(), which takes cache_lock again. A default pthread mutex does
 * not detect this: T waits in futex(&cache_lock, FUTEX_WAIT_PRIVATE, 2) from
 * __lll_lock_wait, and cache_lock's __owner is T itself.
 *
 * Expected finding (hanganalyze): lock-cycle over T alone (a cycle of length
 * 1: T waits for cache_lock, owned by T). No other finding. main sleeps in
 * clock_nanosleep and is not involved.
 *
 * Threads: T in futex (202), first argument = &cache_lock.
 *
 * Prints "ready PID rule=lock-cycle tids=T" once T is blocked.
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

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic pid_t evict_tid;
static volatile long cache_entries = 100;

static __attribute__((noinline)) long cache_stats(void)
{
	long n;

	pthread_mutex_lock(&cache_lock);	/* already ours: never returns */
	n = cache_entries;
	pthread_mutex_unlock(&cache_lock);
	return n;
}

static __attribute__((noinline)) void evict_one(void)
{
	pthread_mutex_lock(&cache_lock);
	cache_entries--;
	if (cache_stats() < 0)
		cache_entries = 0;
	pthread_mutex_unlock(&cache_lock);
}

static void *evict_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "cache_evict");
	atomic_store(&evict_tid, gettid());
	evict_one();
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, evict_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid = sample_wait_tid(&evict_tid);
	sample_wait_blocked(getpid(), tid, SYS_futex, (uintptr_t)&cache_lock);
	printf("ready %d rule=lock-cycle tids=%d\n", (int)getpid(), (int)tid);
	fflush(stdout);
	sample_sleep_forever();
}
