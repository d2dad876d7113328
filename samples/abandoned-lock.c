/*
 * abandoned-lock: a thread exits while holding a mutex; another thread then
 * waits for that mutex forever.
 *
 * Thread "cfg_reload" (the owner, DEAD) takes config_lock and returns from its
 * start routine on an error path without unlocking; main joins it, so DEAD
 * is no longer a thread of the process (its TID is gone from /proc/PID/task)
 * but config_lock's __owner field still says DEAD. Then thread "cfg_reader"
 * (W), started before DEAD so the two TIDs cannot coincide, locks config_lock
 * and waits in futex(&config_lock, FUTEX_WAIT_PRIVATE, 2) from __lll_lock_wait.
 *
 * Expected finding (hanganalyze): abandoned-lock — W waits for config_lock,
 * whose owner TID DEAD is not a live thread of the process. No other finding
 * (in particular no lock-cycle). main sleeps in clock_nanosleep and is not
 * involved.
 *
 * Threads: W in futex (202), first argument = &config_lock. DEAD has exited.
 *
 * Prints "ready PID rule=abandoned-lock tids=W owner=DEAD" once W is blocked.
 * No network, no files.
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

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t reload_done;
static _Atomic pid_t reload_tid, reader_tid;

static void *reload_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "cfg_reload");
	atomic_store(&reload_tid, gettid());
	pthread_mutex_lock(&config_lock);
	/* parse error: bail out — and forget to unlock */
	return NULL;
}

static void *reader_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "cfg_reader");
	atomic_store(&reader_tid, gettid());
	while (sem_wait(&reload_done) != 0)
		;
	pthread_mutex_lock(&config_lock);	/* never returns */
	pthread_mutex_unlock(&config_lock);
	return NULL;
}

int main(void)
{
	pthread_t reader, reload;
	char path[64];

	sem_init(&reload_done, 0, 0);
	if (pthread_create(&reader, NULL, reader_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t waiter = sample_wait_tid(&reader_tid);
	if (pthread_create(&reload, NULL, reload_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pthread_join(reload, NULL);
	pid_t dead = atomic_load(&reload_tid);
	/* join returns when the kernel clears the TID, a moment before the task leaves /proc */
	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)dead);
	for (int ms = 0; access(path, F_OK) == 0; ms++) {
		if (ms > SAMPLE_TIMEOUT_MS) {
			fprintf(stderr, "abandoned-lock: thread %d did not go away\n", (int)dead);
			return 1;
		}
		sample_sleep_ms(1);
	}
	sem_post(&reload_done);
	sample_wait_blocked(getpid(), waiter, SYS_futex, (uintptr_t)&config_lock);
	printf("ready %d rule=abandoned-lock tids=%d owner=%d\n", (int)getpid(), (int)waiter, (int)dead);
	fflush(stdout);
	sample_sleep_forever();
}
