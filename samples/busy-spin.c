/*
 * busy-spin: a thread burns CPU in user space forever, making no system
 * calls, while the rest of the process sleeps.
 *
 * Thread "crc_spin" (T) waits for a "done" flag that nobody ever sets, in a
 * tight loop in spin_until_done() over a volatile counter — no syscalls, no
 * sched_yield. Thread "housekeeper" wakes once a second (a bounded sleep)
 * and main sleeps in clock_nanosleep; neither is involved.
 *
 * Expected finding (hanganalyze): busy-spin on T — running (R) in user space,
 * at spin_until_done, with no system call, in both samples of the snapshot
 * and with its user CPU time growing between them. No finding for
 * housekeeper or main.
 *
 * Threads: T in no syscall: state R, /proc/PID/task/T/syscall reads
 * "running" (the kernel says so for any runnable task); in a core, orig_rax
 * is -1 and the PC is in spin_until_done.
 * This sample keeps one CPU busy until it is killed.
 *
 * Prints "ready PID rule=busy-spin tids=T" once T has been spinning for a few ticks.
 * No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "sample.h"

static volatile int done;
static volatile unsigned long spins;
static _Atomic pid_t spin_tid;

static __attribute__((noinline)) void spin_until_done(void)
{
	while (!done)
		spins++;
}

static void *spin_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "crc_spin");
	atomic_store(&spin_tid, gettid());
	spin_until_done();
	return NULL;
}

static void *housekeeper_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "housekeeper");
	for (;;)
		sleep(1);
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, spin_thread, NULL) != 0 ||
	    pthread_create(&t, NULL, housekeeper_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid = sample_wait_tid(&spin_tid);
	sample_wait_spinning(getpid(), tid);
	printf("ready %d rule=busy-spin tids=%d\n", (int)getpid(), (int)tid);
	fflush(stdout);
	sample_sleep_forever();
}
