/*
 * mem-target: memory laid out the way that makes a freeze's copy work hard,
 * every word of it a function of its address, so a page copied to the wrong
 * place, twice or not at all shows in the core:
 *   - a 48 MiB anonymous region with pages touched in an irregular pattern
 *     (runs of 1 to 9 pages, gaps of 1 to 5): thousands of page runs;
 *   - a 5 MiB region touched whole: one run cut into several copy units;
 *   - 400 two-page mappings between PROT_NONE guards: many small runs;
 *   - 24 threads blocked in read() of a pipe, 64 KiB of each one's stack
 *     filled.
 * Then every thread blocks and nothing changes until it is killed. Prints
 * "ready PID" once all is in place.
 *
 * mem-target --sparse-mib N adds an N MiB mapping, every page of it
 * resident but only one in each MiB holding anything but zeros: a plain core
 * of hundreds of MiB that takes a few on disk.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u
#define NTHREADS 24
#define NSMALL 400

static int pipefd[2];
static pthread_barrier_t ready;

static void fill(void *p, size_t len)
{
	uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = ((uintptr_t)&w[i] * 0x9e3779b97f4a7c15ull) ^ 0x5a5a5a5a5a5a5a5aull;
}

static void *blocked(void *arg)
{
	unsigned char stack_data[64 * 1024];
	char c;

	(void)arg;
	fill(stack_data, sizeof(stack_data));
	pthread_barrier_wait(&ready);
	/* nothing is ever written: the threads stay in read() until killed */
	while (read(pipefd[0], &c, 1) != 0)
		;
	/* keep stack_data alive */
	return stack_data[0] == 1 ? arg : NULL;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	size_t sparse_len = 48u << 20, dense_len = 5u << 20;
	unsigned char *sparse = map(sparse_len), *dense = map(dense_len);
	pthread_t threads[NTHREADS];
	uint64_t rng = 88172645463325252ull;

	/* irregular runs of touched pages */
	for (size_t page = 0; page < sparse_len / PAGE;) {
		size_t run, gap;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		run = 1 + rng % 9;
		gap = 1 + (rng >> 8) % 5;
		for (size_t i = 0; i < run && page + i < sparse_len / PAGE; i++)
			fill(sparse + (page + i) * PAGE, PAGE);
		page += run + gap;
	}
	fill(dense, dense_len);
	if (argc == 3 && strcmp(argv[1], "--sparse-mib") == 0) {
		size_t mib = (size_t)strtoul(argv[2], NULL, 10);
		unsigned char *big = map(mib << 20);

		/* every page resident (zeros, which a plain core leaves as holes), one in each MiB with data */
		memset(big, 0, mib << 20);
		for (size_t i = 0; i < mib; i++)
			fill(big + (i << 20) + ((i * 7) % 256) * PAGE, PAGE);
	} else if (argc != 1) {
		fprintf(stderr, "usage: mem-target [--sparse-mib N]\n");
		return 2;
	}
	for (int i = 0; i < NSMALL; i++) {
		unsigned char *p = map(3 * PAGE);
		fill(p, 2 * PAGE);
		mprotect(p + 2 * PAGE, PAGE, PROT_NONE);
	}
	if (pipe(pipefd) != 0 || pthread_barrier_init(&ready, NULL, NTHREADS + 1) != 0)
		return 1;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&threads[i], NULL, blocked, NULL) != 0)
			return 1;
	pthread_barrier_wait(&ready);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
