/*
 * dstate-target SECONDS: one thread sits in uninterruptible sleep (a vfork
 * parent waits for its child, state D) for SECONDS, which PTRACE_INTERRUPT
 * cannot stop; another thread idles in pause(). Prints "ready PID" once the
 * vfork is under way and "vfork done" when it returns.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int seconds;

static void *vforker(void *arg)
{
	pid_t child;
	(void)arg;
	child = vfork();
	if (child == 0) {
		struct timespec ts = { seconds, 0 };
		syscall(SYS_nanosleep, &ts, NULL);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	printf("vfork done\n");
	fflush(stdout);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	seconds = argc > 1 ? atoi(argv[1]) : 3;
	pthread_create(&t, NULL, vforker, NULL);
	pthread_setname_np(t, "vforker");
	usleep(200 * 1000);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	pthread_join(t, NULL);
	for (;;)
		pause();
}
