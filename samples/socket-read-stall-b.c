/*
 * socket-read-stall-b: the second story. A daemon shuts down: main joins the
 * output thread "out_http", which sent its request over a connected socket and
 * is blocked in read() for the reply, with no timeout — and the server never
 * answers.
 *
 * The server is a loopback listener on 127.0.0.1:PORT that never calls
 * accept(): the kernel completes the handshake, so out_http's connection is
 * ESTABLISHED and its request sits unread in the queued (not yet accepted)
 * server socket; nothing will ever be written back.
 *
 * Expected findings (hanganalyze): join-on-blocked — main (MAIN = PID) joins
 * out_http (OUT), which has been stuck in read() on fd FD, a TCP socket
 * ESTABLISHED to 127.0.0.1:PORT with nothing to read and no timeout —
 * reported down to OUT, the root blocker; backed by socket-read-stall on OUT.
 *
 * Threads: MAIN in futex (202; FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME on the
 * tid word of OUT's struct pthread, from pthread_clockjoin_ex); OUT in read (0),
 * first argument = FD. A short-lived "reporter" thread prints the ready line
 * (main is already joining) and exits, so the process has just the two.
 *
 * Prints "ready PID rule=join-on-blocked tids=MAIN,OUT port=PORT fd=FD" once
 * both are blocked.
 * Loopback only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static struct sockaddr_in server;
static _Atomic pid_t out_tid;
static _Atomic int out_fd = -1;

static void *output_thread(void *arg)
{
	static const char request[] = "POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";
	char reply[512];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof(server)) != 0 ||
	    write(fd, request, sizeof(request) - 1) < 0) {
		perror("output");
		return NULL;
	}
	atomic_store(&out_fd, fd);
	atomic_store(&out_tid, gettid());
	/* the HTTP client's read of the status line: blocking, no timeout */
	if (read(fd, reply, sizeof(reply)) < 0)
		perror("read");
	return NULL;
}

static void *reporter_thread(void *arg)
{
	pid_t out = sample_wait_tid(&out_tid);

	(void)arg;
	pthread_setname_np(pthread_self(), "reporter");
	sample_wait_blocked(getpid(), out, SYS_read, (unsigned long)atomic_load(&out_fd));
	sample_wait_blocked(getpid(), getpid(), SYS_futex, SAMPLE_ANY_ARG);	/* main, in pthread_join */
	printf("ready %d rule=join-on-blocked tids=%d,%d port=%d fd=%d\n", (int)getpid(), (int)getpid(), (int)out,
	       ntohs(server.sin_port), atomic_load(&out_fd));
	fflush(stdout);
	return NULL;
}

int main(void)
{
	socklen_t len = sizeof(server);
	pthread_t out, reporter;
	pthread_attr_t detached;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&server, sizeof(server)) != 0 || listen(lfd, 8) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&server, &len) != 0) {
		perror("listener");
		return 1;
	}
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&out, NULL, output_thread, NULL) != 0 ||
	    pthread_create(&reporter, &detached, reporter_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pthread_setname_np(out, "out_http");
	/* shutdown: wait for the output thread to finish — forever */
	pthread_join(out, NULL);
	return 0;
}
