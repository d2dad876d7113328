/*
 * event-loop-connect: an event loop that waits, one bounded poll after
 * another, for a connect that can never complete.
 *
 * The remote is a loopback listener with a backlog of 0 whose accept queue we
 * fill ourselves (sample_full_listener()), so every further SYN is dropped.
 * Thread "evloop" (T) makes a non-blocking connect() to it (EINPROGRESS;
 * TCP_SYNCNT 127, so the kernel keeps retrying for hours) and then, in
 * wait_connected(), loops on poll({fd, POLLOUT}, 1, 1000) — each poll times
 * out and is re-armed, as curl's and most event loops' do. The sample prints
 * "ready" only once the socket shows 2 SYN retransmits (about 2 s, 3 s on a
 * kernel without tcp_syn_linear_timeouts), read from /proc/net/tcp.
 *
 * Expected finding (hanganalyze): connect-stall [medium] on T — keeps
 * polling a connect to 127.0.0.1:PORT (SYN_SENT) with a 1000 ms timeout,
 * naming fd FD, the peer, "poll timeout 1000 ms, re-armed in a loop" and
 * the frame wait_connected. No other finding: main sleeps in
 * clock_nanosleep holding the listener and the sockets that fill its queue.
 *
 * With --retransmits N it prints "ready" once the socket shows N SYN
 * retransmits instead (0: at once, a connect that just started — no
 * finding; 1: low). With --listen-only, it only makes the full listener and
 * prints "ready PID port=PORT", for a client of our own (the test runs curl
 * at it).
 *
 * Threads: T in poll (7), timeout (third argument) 1000.
 *
 * Prints "ready PID rule=connect-stall tids=T port=PORT fd=FD" once T polls.
 * Loopback only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sample.h"

static struct sockaddr_in remote;
static _Atomic pid_t loop_tid;
static _Atomic int loop_fd = -1;
static volatile unsigned long timeouts;

/* The SYN retransmits of the socket with inode ino, from /proc/net/tcp; -1 when not found. */
static int syn_retransmits(unsigned long ino)
{
	char line[512];
	int got = -1;
	FILE *f = fopen("/proc/net/tcp", "re");

	while (f && fgets(line, sizeof(line), f)) {
		unsigned retr;
		unsigned long inode;
		if (sscanf(line, " %*u: %*x:%*x %*x:%*x %*x %*x:%*x %*x:%*x %x %*u %*d %lu", &retr, &inode) == 2 &&
		    inode == ino)
			got = (int)retr;
	}
	if (f)
		fclose(f);
	return got;
}

/* The event loop's wait: bounded polls, re-armed until the socket is writable. */
__attribute__((noinline)) static int wait_connected(int fd)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };

	for (;;) {
		int n = poll(&pfd, 1, 1000);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		timeouts++;	/* the loop's timers would run here */
	}
}

static void *event_loop_thread(void *arg)
{
	int fd = sample_stubborn_socket(SOCK_NONBLOCK);

	(void)arg;
	pthread_setname_np(pthread_self(), "evloop");
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) == 0 || errno != EINPROGRESS) {
		perror("non-blocking connect");
		return NULL;
	}
	atomic_store(&loop_fd, fd);
	atomic_store(&loop_tid, gettid());
	if (wait_connected(fd) != 0)
		perror("poll");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	struct stat st;
	int want = 2;

	if (sample_full_listener(&remote) != 0) {
		perror("listener");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--listen-only") == 0) {
		printf("ready %d port=%d\n", (int)getpid(), ntohs(remote.sin_port));
		fflush(stdout);
		sample_sleep_forever();
	}
	if (argc > 2 && strcmp(argv[1], "--retransmits") == 0)
		want = atoi(argv[2]);
	if (pthread_create(&t, NULL, event_loop_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pid_t tid = sample_wait_tid(&loop_tid);
	int fd = atomic_load(&loop_fd);
	if (fstat(fd, &st) != 0) {
		perror("fstat");
		return 1;
	}
	/* two SYN retransmits: 2 s with tcp_syn_linear_timeouts, 3 s without */
	for (int ms = 0; syn_retransmits((unsigned long)st.st_ino) < want; ms += 10) {
		if (ms > 4 * SAMPLE_TIMEOUT_MS) {
			fprintf(stderr, "sample: the connect shows no %d SYN retransmits\n", want);
			return 1;
		}
		sample_sleep_ms(10);
	}
	sample_wait_blocked(getpid(), tid, SYS_poll, SAMPLE_ANY_ARG);
	printf("ready %d rule=connect-stall tids=%d port=%d fd=%d\n", (int)getpid(), (int)tid, ntohs(remote.sin_port), fd);
	fflush(stdout);
	sample_sleep_forever();
}
