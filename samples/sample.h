/*
 * sample.h: helpers shared by the hang samples (header only, no state).
 *
 * A sample prints its one "ready PID key=value..." line only when every thread
 * it names is in the hang state. sample_wait_blocked() establishes that from
 * /proc: the thread sleeps (state S) inside the expected system call, and,
 * where the sample knows it, with the expected first argument (the futex word
 * of a mutex, the fd of a read). Any sample that cannot reach its hang within
 * SAMPLE_TIMEOUT_MS says why on stderr and exits 1 instead of printing "ready".
 */
#ifndef HS_SAMPLE_H
#define HS_SAMPLE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_ANY_ARG (~0UL) /* sample_wait_blocked(): don't check the first argument */
#define SAMPLE_TIMEOUT_MS 3000

static inline void sample_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Waits until a thread has published its TID (with atomic_store) in *slot. */
static inline pid_t sample_wait_tid(_Atomic pid_t *slot)
{
	for (int ms = 0; ms < SAMPLE_TIMEOUT_MS; ms++) {
		pid_t tid = atomic_load(slot);
		if (tid > 0)
			return tid;
		sample_sleep_ms(1);
	}
	fprintf(stderr, "sample: a thread never started\n");
	exit(1);
}

/* Reads /proc/PID/task/TID/NAME into buf (NUL-terminated); returns the length or -1. */
static inline int sample_read_task_file(pid_t pid, pid_t tid, const char *name, char *buf, size_t size)
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* The state letter of a thread ('S', 'R', ...), or 0 if it is gone. */
static inline char sample_task_state(pid_t pid, pid_t tid)
{
	char buf[512];
	const char *p;

	if (sample_read_task_file(pid, tid, "stat", buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return 0;
	return p[1] == ' ' ? p[2] : 0;
}

/* User-mode CPU ticks of a thread (field 14 of stat), or -1. */
static inline long sample_task_utime(pid_t pid, pid_t tid)
{
	char buf[512];
	const char *p;
	long utime = -1;

	if (sample_read_task_file(pid, tid, "stat", buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* after ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld", &utime) != 1)
		return -1;
	return utime;
}

/* 1 if the thread sleeps (S) in system call nr whose first argument is arg0 (or any). */
static inline int sample_task_blocked_in(pid_t pid, pid_t tid, long nr, unsigned long arg0)
{
	char buf[512];
	char *end;
	long got;
	unsigned long a0;

	if (sample_read_task_file(pid, tid, "syscall", buf, sizeof(buf)) < 0)
		return 0;
	got = strtol(buf, &end, 10);
	if (end == buf || got != nr)
		return 0;
	if (arg0 != SAMPLE_ANY_ARG) {
		a0 = strtoul(end, NULL, 16);
		if (a0 != arg0)
			return 0;
	}
	return sample_task_state(pid, tid) == 'S';
}

/* Waits until the thread sleeps in system call nr (first argument arg0), or exits 1. */
static inline void sample_wait_blocked(pid_t pid, pid_t tid, long nr, unsigned long arg0)
{
	for (int ms = 0; ms < SAMPLE_TIMEOUT_MS; ms++) {
		if (sample_task_blocked_in(pid, tid, nr, arg0))
			return;
		sample_sleep_ms(1);
	}
	fprintf(stderr, "sample: thread %d of %d is not blocked in system call %ld\n", (int)tid, (int)pid, nr);
	exit(1);
}

/* Waits until the thread runs (R) and has been burning user CPU, or exits 1. */
static inline void sample_wait_spinning(pid_t pid, pid_t tid)
{
	long first = sample_task_utime(pid, tid);

	for (int ms = 0; ms < SAMPLE_TIMEOUT_MS; ms++) {
		long now = sample_task_utime(pid, tid);
		if (first >= 0 && now > first + 1 && sample_task_state(pid, tid) == 'R')
			return;
		sample_sleep_ms(1);
	}
	fprintf(stderr, "sample: thread %d is not spinning\n", (int)tid);
	exit(1);
}

/* The calling thread's part once the hang is established: sleep, forever. */
static inline void sample_sleep_forever(void)
{
	for (;;)
		sleep(3600);
}

/*
 * A loopback TCP listener whose accept queue is full: backlog 0, filled with
 * our own non-blocking connects until a handshake no longer completes. The
 * next SYN to *addr is dropped, so a connect() to it sits in SYN_SENT. The
 * listener and the filling sockets stay open (they hold the queue). Returns
 * -1 (with errno) on failure.
 */
static inline int sample_full_listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)addr, sizeof(*addr)) != 0 || listen(lfd, 0) != 0 ||
	    getsockname(lfd, (struct sockaddr *)addr, &len) != 0)
		return -1;
	for (int i = 0; i < 64; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct pollfd pfd = { fd, POLLOUT, 0 };

		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)addr, sizeof(*addr)) == 0)
			continue;
		if (errno != EINPROGRESS)
			return -1;
		if (poll(&pfd, 1, 200) != 1)
			return 0;	/* this handshake did not complete: the queue is full */
	}
	errno = EAGAIN;
	return -1;
}

/* A TCP socket that keeps retrying its SYN for hours (TCP_SYNCNT), not ~2 minutes. */
static inline int sample_stubborn_socket(int flags)
{
	int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
	int syncnt = 127;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(syncnt));
	return fd;
}

#endif
