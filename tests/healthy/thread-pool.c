/*
 * thread-pool: NOT a hang — an idle worker pool (for the no-false-alarm test:
 * hanganalyze must report no finding).
 *
 * Eight workers "worker_0".."worker_7" wait in pthread_cond_wait() for jobs
 * on an empty queue — futex (202) on the condvar, FUTEX_WAIT_BITSET_PRIVATE,
 * no timeout; a condvar has no owner and the queue's mutex is free. main
 * ticks in a bounded loop of nanosleep(100 ms) — clock_nanosleep (230) — and
 * after SECONDS (argument, default 600) shuts the pool down cleanly and exits 0.
 *
 * Prints "ready PID tids=W0,...,W7" once all eight wait.
 * No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../samples/sample.h"

#define WORKERS 8

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_nonempty = PTHREAD_COND_INITIALIZER;
static int queued, shutting_down;
static _Atomic pid_t worker_tids[WORKERS];

/* 1 if the thread sleeps in futex on a word of queue_nonempty (not on queue_lock). */
static int waits_on_condvar(pid_t tid)
{
	for (size_t off = 0; off < sizeof(queue_nonempty); off += 4)
		if (sample_task_blocked_in(getpid(), tid, SYS_futex, (uintptr_t)&queue_nonempty + off))
			return 1;
	return 0;
}

static void *worker_thread(void *arg)
{
	int id = (int)(long)arg;
	char name[16];

	snprintf(name, sizeof(name), "worker_%d", id);
	pthread_setname_np(pthread_self(), name);
	atomic_store(&worker_tids[id], gettid());
	pthread_mutex_lock(&queue_lock);
	for (;;) {
		while (!queued && !shutting_down)
			pthread_cond_wait(&queue_nonempty, &queue_lock);
		if (shutting_down)
			break;
		queued--;	/* "run" the job */
	}
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? atol(argv[1]) : 600;
	pthread_t workers[WORKERS];
	pid_t tids[WORKERS];

	for (long i = 0; i < WORKERS; i++) {
		if (pthread_create(&workers[i], NULL, worker_thread, (void *)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	for (int i = 0; i < WORKERS; i++) {
		tids[i] = sample_wait_tid(&worker_tids[i]);
		for (int ms = 0; !waits_on_condvar(tids[i]); ms++) {
			if (ms > SAMPLE_TIMEOUT_MS) {
				fprintf(stderr, "thread-pool: worker %d does not wait\n", (int)tids[i]);
				return 1;
			}
			sample_sleep_ms(1);
		}
	}
	printf("ready %d tids=", (int)getpid());
	for (int i = 0; i < WORKERS; i++)
		printf("%s%d", i ? "," : "", (int)tids[i]);
	printf("\n");
	fflush(stdout);
	for (long tick = 0; tick < seconds * 10; tick++) {
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&queue_lock);
	shutting_down = 1;
	pthread_cond_broadcast(&queue_nonempty);
	pthread_mutex_unlock(&queue_lock);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	return 0;
}
