/*
 * idle-server: NOT a hang — a server with no clients (for the no-false-alarm
 * test: hanganalyze must report no finding).
 *
 * Two loopback TCP listeners, no clients ever connect:
 *   "event_loop" (E): epoll_wait(ep, ..., -1) on an epoll set holding the
 *                     listener on 127.0.0.1:PORT1 — epoll_wait (232);
 *   "acceptor"   (A): accept() on the listener on 127.0.0.1:PORT2 — accept (43).
 * main sleeps in clock_nanosleep. Waiting without a timeout for clients that
 * may come is what servers do: none of this is a stall.
 *
 * Prints "ready PID tids=E,A ports=PORT1,PORT2" once both wait.
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../samples/sample.h"

static _Atomic pid_t loop_tid, accept_tid;

/* A listener on 127.0.0.1, ephemeral port; returns the fd and sets *port. */
static int listener(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		perror("listener");
		_exit(1);
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void *event_loop_thread(void *arg)
{
	int lfd = *(int *)arg, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, events[16];

	pthread_setname_np(pthread_self(), "event_loop");
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		perror("epoll");
		return NULL;
	}
	atomic_store(&loop_tid, gettid());
	for (;;) {
		int n = epoll_wait(ep, events, 16, -1);
		for (int i = 0; i < n; i++) {
			int c = accept(events[i].data.fd, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
	return NULL;
}

static void *acceptor_thread(void *arg)
{
	int lfd = *(int *)arg;

	pthread_setname_np(pthread_self(), "acceptor");
	atomic_store(&accept_tid, gettid());
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return NULL;
}

int main(void)
{
	static int lfd1, lfd2;
	int port1, port2;
	pthread_t t;

	lfd1 = listener(&port1);
	lfd2 = listener(&port2);
	if (pthread_create(&t, NULL, event_loop_thread, &lfd1) != 0 ||
	    pthread_create(&t, NULL, acceptor_thread, &lfd2) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t e = sample_wait_tid(&loop_tid), a = sample_wait_tid(&accept_tid);
	sample_wait_blocked(getpid(), e, SYS_epoll_wait, SAMPLE_ANY_ARG);
	sample_wait_blocked(getpid(), a, SYS_accept, (unsigned long)lfd2);
	printf("ready %d tids=%d,%d ports=%d,%d\n", (int)getpid(), (int)e, (int)a, port1, port2);
	fflush(stdout);
	sample_sleep_forever();
}
