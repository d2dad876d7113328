/*
 * weird-names: threads whose names hold what breaks naive tools — quotes and
 * SQL, terminal escapes and control bytes, invalid UTF-8, markup — each
 * blocked in read() on a pipe. Prints "ready PID" when all are named.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int quiet_pipe[2];

static void *blocker(void *arg)
{
	char c;

	(void)arg;
	for (;;)
		if (read(quiet_pipe[0], &c, 1) <= 0)
			pause();
	return NULL;
}

int main(void)
{
	/* at most 15 bytes each: the kernel's comm limit */
	static const char *const names[] = {
		"q'\"`;DROP cases",
		"\x1b[31mred\x07\x01\x7f",
		"\xff\xfe\xc3(bad\xe2\x82",
		"<script>x</sc",
		"back\\slash\t%s%n",
	};
	pthread_t t;

	if (pipe(quiet_pipe) != 0)
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (pthread_create(&t, NULL, blocker, NULL) != 0 || pthread_setname_np(t, names[i]) != 0)
			return 1;
	}
	usleep(200 * 1000);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
