/*
 * pipe-write-full: a thread writes to a pipe nobody reads until the pipe is
 * full, then blocks in write() forever.
 *
 * main creates a pipe (default capacity, 64 KiB) and keeps its read end RFD
 * open but never reads it — the reader that should drain it "forgot". Thread
 * "log_writer" (T) writes 4 KiB records to the write end WFD; after 16 the
 * pipe is full and the 17th write() sleeps waiting for room.
 *
 * Expected finding (hanganalyze): pipe-write-full on T — blocked writing fd
 * WFD, a pipe with 65536 of 65536 bytes queued, whose read end (RFD) is held
 * by this same process (PID) and read by no thread. No other finding. main
 * sleeps in clock_nanosleep and is not involved.
 *
 * Threads: T in write (1), first argument = WFD, third = 4096.
 *
 * Prints "ready PID rule=pipe-write-full tids=T fd=WFD read_fd=RFD" once T is blocked.
 * No network, no files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static int log_pipe[2];
static _Atomic pid_t writer_tid;

static void *writer_thread(void *arg)
{
	static char record[4096];

	(void)arg;
	pthread_setname_np(pthread_self(), "log_writer");
	memset(record, 'x', sizeof(record));
	record[sizeof(record) - 1] = '\n';
	atomic_store(&writer_tid, gettid());
	for (;;) {
		if (write(log_pipe[1], record, sizeof(record)) < 0) {	/* blocks once the pipe is full */
			perror("write");
			return NULL;
		}
	}
}

int main(void)
{
	pthread_t t;

	if (pipe(log_pipe) != 0) {
		perror("pipe");
		return 1;
	}
	if (pthread_create(&t, NULL, writer_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid = sample_wait_tid(&writer_tid);
	sample_wait_blocked(getpid(), tid, SYS_write, (unsigned long)log_pipe[1]);
	printf("ready %d rule=pipe-write-full tids=%d fd=%d read_fd=%d\n", (int)getpid(), (int)tid, log_pipe[1],
	       log_pipe[0]);
	fflush(stdout);
	sample_sleep_forever();
}
