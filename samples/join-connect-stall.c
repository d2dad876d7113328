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

static struct sockaddr_in remote;

/* Connects without blocking; returns 1 if the handshake completed within 200 ms. */
static int try_fill(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd pfd = { fd, POLLOUT, 0 };

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) == 0)
		return 1;
	if (errno != EINPROGRESS)
		return -1;
	return poll(&pfd, 1, 200) == 1 ? 1 : 0;	/* fds stay open: they hold the queue */
}

static _Atomic pid_t out_tid;

static void *output_thread(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int syncnt = 127;

	(void)arg;
	atomic_store(&out_tid, (pid_t)syscall(SYS_gettid));
	setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(syncnt));
	/* the HTTP client's connect: blocking, no timeout */
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) != 0)
		perror("connect");
	return NULL;
}

int main(void)
{
	socklen_t len = sizeof(remote);
	pthread_t out;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&remote, 0, sizeof(remote));
	remote.sin_family = AF_INET;
	remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&remote, sizeof(remote)) != 0 || listen(lfd, 0) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&remote, &len) != 0) {
		perror("listener");
		return 1;
	}
	/* fill the accept queue until a handshake no longer completes */
	for (int i = 0; i < 64; i++) {
		int r = try_fill();
		if (r < 0) {
			perror("fill");
			return 1;
		}
		if (r == 0)
			break;
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
