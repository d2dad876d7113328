/* sigflood PID COUNT INTERVAL_US: queues COUNT SIGRTMIN signals with values 0..COUNT-1. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid;
	int count, interval, sent = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: sigflood PID COUNT INTERVAL_US\n");
		return 2;
	}
	pid = atoi(argv[1]);
	count = atoi(argv[2]);
	interval = atoi(argv[3]);
	for (int i = 0; i < count; i++) {
		union sigval v = { .sival_int = i };
		if (sigqueue(pid, SIGRTMIN, v) == 0)
			sent++;
		if (interval)
			usleep((useconds_t)interval);
	}
	printf("%d\n", sent);
	return sent == count ? 0 : 1;
}
