/*
 * connect-stall: connections that can never complete, waited for without a
 * bound, both ways a program does it.
 *
 * The remote is a loopback listener with a backlog of 0 whose accept queue we
 * fill ourselves (as in join-connect-stall), so every further SYN is dropped
 * and a new connection stays in SYN_SENT, retransmitting. Both connecting
 * sockets set TCP_SYNCNT to the maximum (127), so the kernel keeps trying for
 * hours instead of giving up after ~2 minutes: the hang outlives any test.
 *
 *   "conn_block" (T1): a blocking connect() to 127.0.0.1:PORT, no timeout.
 *   "conn_poll"  (T2): a non-blocking connect() (EINPROGRESS), then
 *                      poll({fd, POLLOUT}, 1, -1) on the SYN_SENT socket.
 *
 * Expected finding (hanganalyze): connect-stall on T1 (in connect() to
 * 127.0.0.1:PORT, SYN_SENT, no timeout) and connect-stall on T2 (polls a
 * socket still in SYN_SENT to 127.0.0.1:PORT, timeout -1). No join-on-blocked
 * (nobody joins them). main sleeps in clock_nanosleep and is not involved;
 * it holds the listener and the sockets that fill its queue (one of those is
 * itself in SYN_SENT, but no thread waits on it).
 *
 * Threads: T1 in connect (42); T2 in poll (7), first argument = the address of
 * its pollfd, timeout (third argument) -1.
 *
 * Prints "ready PID rule=connect-stall tids=T1,T2 port=PORT" once both are blocked.
 * Loopback only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static struct sockaddr_in remote;
static _Atomic pid_t block_tid, poll_tid;

static void *blocking_connect_thread(void *arg)
{
	int fd = sample_stubborn_socket(0);

	(void)arg;
	pthread_setname_np(pthread_self(), "conn_block");
	atomic_store(&block_tid, gettid());
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) != 0)
		perror("connect");
	return NULL;
}

static void *polling_connect_thread(void *arg)
{
	int fd = sample_stubborn_socket(SOCK_NONBLOCK);
	struct pollfd pfd = { fd, POLLOUT, 0 };

	(void)arg;
	pthread_setname_np(pthread_self(), "conn_poll");
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) == 0 || errno != EINPROGRESS) {
		perror("non-blocking connect");
		return NULL;
	}
	atomic_store(&poll_tid, gettid());
	if (poll(&pfd, 1, -1) < 0)	/* waits for the handshake, no timeout */
		perror("poll");
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (sample_full_listener(&remote) != 0) {
		perror("listener");
		return 1;
	}
	if (pthread_create(&t, NULL, blocking_connect_thread, NULL) != 0 ||
	    pthread_create(&t, NULL, polling_connect_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t t1 = sample_wait_tid(&block_tid), t2 = sample_wait_tid(&poll_tid);
	sample_wait_blocked(getpid(), t1, SYS_connect, SAMPLE_ANY_ARG);
	sample_wait_blocked(getpid(), t2, SYS_poll, SAMPLE_ANY_ARG);
	printf("ready %d rule=connect-stall tids=%d,%d port=%d\n", (int)getpid(), (int)t1, (int)t2,
	       ntohs(remote.sin_port));
	fflush(stdout);
	sample_sleep_forever();
}
