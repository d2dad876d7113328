/*
 * harm-target: a process hangsnap must not disturb.
 *
 * Threads block in read, epoll_wait, nanosleep, poll, accept, sigtimedwait and
 * pthread_cond_wait. Each loop that wakes writes a line to the status file
 * ("EINTR epoll_wait", "woke read"...): a snapshot must leave it empty.
 * The main thread takes realtime signals (SIGRTMIN, value = sequence number)
 * and on SIGUSR1 appends "rt count=N dup=D" to the status file, so a test can
 * check that every signal sent during a snapshot arrived exactly once.
 *
 * Options: --status PATH (required), --heap-mib N (resident heap, makes the
 * freeze longer), --lockfile PATH (hold a POSIX write lock on it and fork a
 * child that blocks waiting for the same lock), --pipe-fill N (write N bytes
 * into a pipe nobody reads).
 * Prints "ready PID" when every thread is blocked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int status_fd = -1;
static int quiet_pipe[2], full_pipe[2], listen_fd, epoll_fd;
static volatile sig_atomic_t rt_count, rt_dup;
static unsigned char rt_seen[1 << 16];

static void status(const char *what, int err)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s %s\n", err == EINTR ? "EINTR" : "woke", what);
	if (write(status_fd, line, (size_t)n) < 0)
		_exit(3);
}

static void *reader(void *arg)
{
	char c;
	(void)arg;
	for (;;) {
		ssize_t n = read(quiet_pipe[0], &c, 1);
		status("read", n < 0 ? errno : 0);
	}
	return NULL;
}

static void *epoller(void *arg)
{
	struct epoll_event ev;
	(void)arg;
	for (;;) {
		int n = epoll_wait(epoll_fd, &ev, 1, -1);
		status("epoll_wait", n < 0 ? errno : 0);
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = { 100000, 0 };
		int r = nanosleep(&ts, NULL);
		status("nanosleep", r < 0 ? errno : 0);
	}
	return NULL;
}

static void *poller(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd pfd = { quiet_pipe[0], POLLIN, 0 };
		int n = poll(&pfd, 1, -1);
		status("poll", n < 0 ? errno : 0);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		status("accept", fd < 0 ? errno : 0);
	}
	return NULL;
}

static void *sigwaiter(void *arg)
{
	sigset_t set;
	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);	/* never sent */
	for (;;) {
		int r = sigtimedwait(&set, NULL, NULL);
		status("sigtimedwait", r < 0 ? errno : 0);
	}
	return NULL;
}

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&idle_lock);
	for (;;) {
		pthread_cond_wait(&idle_cond, &idle_lock);
		status("pthread_cond_wait", 0);
	}
	return NULL;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	unsigned v = (unsigned)si->si_value.sival_int & 0xffff;
	(void)sig;
	(void)uc;
	if (rt_seen[v])
		rt_dup++;
	rt_seen[v] = 1;
	rt_count++;
}

static void on_usr1(int sig)
{
	char line[64];
	int n;
	(void)sig;
	n = snprintf(line, sizeof(line), "rt count=%d dup=%d\n", (int)rt_count, (int)rt_dup);
	if (write(status_fd, line, (size_t)n) < 0)
		_exit(3);
}

static void hold_lock(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	pid_t child;

	if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0) {
		perror("lock");
		exit(2);
	}
	child = fork();
	if (child == 0) {
		int cfd = open(path, O_RDWR | O_CLOEXEC);
		fcntl(cfd, F_SETLKW, &fl);	/* waits for the parent: forever */
		_exit(0);
	}
}

static void start(void *(*fn)(void *), const char *name)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, NULL) != 0) {
		perror("pthread_create");
		exit(2);
	}
	pthread_setname_np(t, name);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block, old;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t heap_mib = 0, pipe_fill = 0;
	const char *lockfile = NULL;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--status"))
			status_fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		else if (!strcmp(argv[i], "--heap-mib"))
			heap_mib = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--lockfile"))
			lockfile = argv[i + 1];
		else if (!strcmp(argv[i], "--pipe-fill"))
			pipe_fill = strtoul(argv[i + 1], NULL, 10);
	}
	if (status_fd < 0) {
		fprintf(stderr, "usage: harm-target --status PATH [--heap-mib N] [--lockfile PATH] [--pipe-fill N]\n");
		return 2;
	}
	if (heap_mib) {
		unsigned char *heap = malloc(heap_mib << 20);
		for (size_t i = 0; heap && i < heap_mib << 20; i++)
			heap[i] = (unsigned char)(i * 2654435761u >> 24);
		/* the heap is never read: without this, clang -O2 drops the
		 * malloc and the stores, and the process has no heap to dump */
		__asm__ volatile("" : : "r"(heap) : "memory");
	}
	if (pipe(quiet_pipe) != 0 || pipe(full_pipe) != 0)
		return 2;
	if (pipe_fill) {
		char *buf = calloc(1, pipe_fill);
		if (!buf || write(full_pipe[1], buf, pipe_fill) != (ssize_t)pipe_fill)
			return 2;
		free(buf);
	}
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(listen_fd, 8) != 0)
		return 2;
	epoll_fd = epoll_create1(0);
	if (lockfile)
		hold_lock(lockfile);

	/* only the main thread takes the test's signals */
	sigemptyset(&block);
	sigaddset(&block, SIGRTMIN);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	start(reader, "reader");
	start(epoller, "epoller");
	start(sleeper, "sleeper");
	start(poller, "poller");
	start(acceptor, "acceptor");
	start(sigwaiter, "sigwaiter");
	start(waiter, "waiter");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGRTMIN, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigdelset(&block, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	usleep(200 * 1000);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
