/*
 * bounded-poll: NOT a hang — a thread polls a quiet pipe with a 100 ms
 * timeout, in a loop (for the no-false-alarm test: hanganalyze must report
 * no finding).
 *
 * main creates a pipe, keeps its write end open (and never writes), and
 * sleeps in clock_nanosleep. Thread "poller" (T) loops on
 * poll({RFD, POLLIN}, 1, 100): each wait is bounded; between them it runs.
 * Most of the time it is in poll (7), third argument 100.
 *
 * Prints "ready PID tids=T fd=RFD" once T polls.
 * No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../samples/sample.h"

static int events[2];
static _Atomic pid_t poll_tid;
static volatile unsigned long timeouts;

static void *poll_thread(void *arg)
{
	struct pollfd pfd = { 0, POLLIN, 0 };
	char buf[256];

	(void)arg;
	pthread_setname_np(pthread_self(), "poller");
	pfd.fd = events[0];
	atomic_store(&poll_tid, gettid());
	for (;;) {
		int n = poll(&pfd, 1, 100);
		if (n == 0)
			timeouts++;	/* the periodic work would go here */
		else if (n > 0 && read(events[0], buf, sizeof(buf)) <= 0)
			break;
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pipe(events) != 0) {
		perror("pipe");
		return 1;
	}
	if (pthread_create(&t, NULL, poll_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid = sample_wait_tid(&poll_tid);
	sample_wait_blocked(getpid(), tid, SYS_poll, SAMPLE_ANY_ARG);
	printf("ready %d tids=%d fd=%d\n", (int)getpid(), (int)tid, events[0]);
	fflush(stdout);
	sample_sleep_forever();
}
