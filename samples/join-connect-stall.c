/*
 * join-connect-stall: the story this project started from.
 *
 * A daemon shuts down: its main thread joins the output thread "out_metrics",
 * which is stuck in a blocking connect() with no timeout because the remote's
 * accept queue is full. Here the remote is a loopback listener with a backlog
 * of 0 whose queue we fill ourselves, so the next SYN is dropped and
 * connect() sits in SYN_SENT, retrying, for about two minutes.
 *
 * Expected finding (hanganalyze): join-on-blocked — main joins out_metrics,
 * which is in connect() to 127.0.0.1:PORT (SYN_SENT) with no timeout — backed
 * by connect-stall on out_metrics.
 *
 * Prints "ready PID PORT rule=join-on-blocked tids=MAIN,OUT port=PORT" on
 * stdout once out_metrics is in connect(). The SYN retry count is raised
 * (TCP_SYNCNT) so the connect stays in SYN_SENT for hours, not ~2 minutes.
 * Loopback only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static struct sockaddr_in remote;

static _Atomic pid_t out_tid;

static void *output_thread(void *arg)
{
	int fd = sample_stubborn_socket(0);

	(void)arg;
	atomic_store(&out_tid, (pid_t)syscall(SYS_gettid));
	/* the HTTP client's connect: blocking, no timeout */
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) != 0)
		perror("connect");
	return NULL;
}

int main(void)
{
	pthread_t out;

	if (sample_full_listener(&remote) != 0) {
		perror("listener");
		return 1;
	}
	pthread_create(&out, NULL, output_thread, NULL);
	pthread_setname_np(out, "out_metrics");
	usleep(100 * 1000);
	printf("ready %d %d rule=join-on-blocked tids=%d,%d port=%d\n", (int)getpid(), ntohs(remote.sin_port),
	       (int)getpid(), (int)atomic_load(&out_tid), ntohs(remote.sin_port));
	fflush(stdout);
	/* shutdown: wait for the output thread to finish — forever */
	pthread_join(out, NULL);
	return 0;
}
