/*
 * event-loop-server: NOT a hang — an idle epoll server with connected,
 * quiet clients (for the no-false-alarm test: hanganalyze must report no
 * finding at all, not even a low one).
 *
 *   "server_loop" (S): epoll_wait(ep, ..., 1000) in a loop on an epoll set
 *                      holding the listener on 127.0.0.1:PORT and the
 *                      NCLIENTS connections it accepted (ESTABLISHED, nothing
 *                      to read) — epoll_wait (232), timeout 1000;
 *   "client_pool" (C): holds the client ends of those connections, a
 *                      keep-alive pool, and loops on poll() for POLLIN on all
 *                      of them with a 1000 ms timeout (to notice a close) —
 *                      poll (7), timeout 1000.
 * main sleeps in clock_nanosleep. Quiet connections waited on with a short
 * timeout are what event loops do between requests: not a stall, on either
 * side (connect-stall: nothing in SYN_SENT; socket-read-stall: nothing
 * unacknowledged, no retransmits).
 *
 * Prints "ready PID tids=S,C port=PORT" once both wait.
 * Loopback only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../samples/sample.h"

#define NCLIENTS 3

static _Atomic pid_t server_tid, client_tid;
static _Atomic int accepted;
static struct sockaddr_in addr;
static int lfd;

static void *server_loop_thread(void *arg)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, events[16];
	char buf[256];

	(void)arg;
	pthread_setname_np(pthread_self(), "server_loop");
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		perror("epoll");
		return NULL;
	}
	atomic_store(&server_tid, gettid());
	for (;;) {
		int n = epoll_wait(ep, events, 16, 1000);
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			if (fd == lfd) {
				struct epoll_event cev = { .events = EPOLLIN };
				int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				cev.data.fd = c;
				if (c >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) == 0)
					atomic_fetch_add(&accepted, 1);
			} else if (read(fd, buf, sizeof(buf)) <= 0) {
				close(fd);
			}
		}
	}
	return NULL;
}

static void *client_pool_thread(void *arg)
{
	struct pollfd pfd[NCLIENTS];
	char buf[256];

	(void)arg;
	pthread_setname_np(pthread_self(), "client_pool");
	for (int i = 0; i < NCLIENTS; i++) {
		pfd[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0 || connect(pfd[i].fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
			perror("client connect");
			return NULL;
		}
	}
	atomic_store(&client_tid, gettid());
	for (;;) {
		int n = poll(pfd, NCLIENTS, 1000);
		for (int i = 0; n > 0 && i < NCLIENTS; i++)
			if (pfd[i].revents && read(pfd[i].fd, buf, sizeof(buf)) <= 0)
				pfd[i].fd = -1;	/* closed by the server: drop it from the pool */
	}
	return NULL;
}

int main(void)
{
	socklen_t len = sizeof(addr);
	pthread_t t;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 128) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len) != 0) {
		perror("listener");
		return 1;
	}
	if (pthread_create(&t, NULL, server_loop_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t s = sample_wait_tid(&server_tid);
	if (pthread_create(&t, NULL, client_pool_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t c = sample_wait_tid(&client_tid);
	for (int ms = 0; atomic_load(&accepted) < NCLIENTS; ms++) {
		if (ms > SAMPLE_TIMEOUT_MS) {
			fprintf(stderr, "event-loop-server: the clients were not accepted\n");
			return 1;
		}
		sample_sleep_ms(1);
	}
	sample_wait_blocked(getpid(), s, SYS_epoll_wait, SAMPLE_ANY_ARG);
	sample_wait_blocked(getpid(), c, SYS_poll, SAMPLE_ANY_ARG);
	printf("ready %d tids=%d,%d port=%d\n", (int)getpid(), (int)s, (int)c, ntohs(addr.sin_port));
	fflush(stdout);
	sample_sleep_forever();
}
