/*
 * copy-floor BYTES [REPS]: what copying BYTES of memory costs on this machine
 * at best, the floor under a freeze's copy phase, for bench/snapshot.sh.
 * Prints three medians over REPS (default 5), in nanoseconds:
 *   memcpy-1   memcpy() of BYTES by one thread
 *   memcpy-N   the same split over every online CPU
 *   readv-N    process_vm_readv() of BYTES from this process itself, split
 *              over every CPU, in 1 MiB calls: the system call hangsnap
 *              copies with, with its page pinning, from 4 KiB pages (as
 *              malloc'd memory is without transparent huge pages)
 * The destination is faulted in beforehand, as hangsnap's arena is.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define UNIT (1u << 20)
#define MAX_THREADS 64

static unsigned char *src, *dst;
static size_t bytes;
static unsigned nthreads;
static int use_readv;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *worker(void *arg)
{
	size_t id = (size_t)(uintptr_t)arg, per = (bytes / nthreads + 4095) & ~(size_t)4095;
	size_t from = id * per, to = from + per < bytes ? from + per : bytes;

	if (!use_readv) {
		if (from < to)
			memcpy(dst + from, src + from, to - from);
		return NULL;
	}
	for (size_t off = from; off < to; off += UNIT) {
		size_t len = to - off < UNIT ? to - off : UNIT;
		struct iovec l = { dst + off, len }, r = { src + off, len };
		if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)len) {
			perror("process_vm_readv");
			exit(1);
		}
	}
	return NULL;
}

static uint64_t run(unsigned n, int readv)
{
	pthread_t t[MAX_THREADS];
	uint64_t t0 = now_ns();

	nthreads = n;
	use_readv = readv;
	for (unsigned i = 1; i < n; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) != 0)
			exit(1);
	worker((void *)(uintptr_t)0);
	for (unsigned i = 1; i < n; i++)
		pthread_join(t[i], NULL);
	return now_ns() - t0;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	uint64_t t[3][101];

	if (argc < 2 || (bytes = strtoull(argv[1], NULL, 10)) == 0 || reps < 1 || reps > 101) {
		fprintf(stderr, "usage: copy-floor BYTES [REPS (1-101)]\n");
		return 2;
	}
	if (cpus < 1)
		cpus = 1;
	if (cpus > MAX_THREADS)
		cpus = MAX_THREADS;
	src = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(src, bytes, MADV_NOHUGEPAGE);
	madvise(dst, bytes, MADV_HUGEPAGE);
	for (size_t i = 0; i < bytes; i += 8)
		*(uint64_t *)(src + i) = i * 0x9e3779b97f4a7c15ull;
	memset(dst, 1, bytes);
	for (int r = 0; r < reps; r++) {
		t[0][r] = run(1, 0);
		t[1][r] = run((unsigned)cpus, 0);
		t[2][r] = run((unsigned)cpus, 1);
	}
	for (int k = 0; k < 3; k++)
		qsort(t[k], (size_t)reps, sizeof(t[k][0]), cmp);
	printf("memcpy-1 %llu\nmemcpy-N %llu\nreadv-N %llu\ncpus %ld\n", (unsigned long long)t[0][reps / 2],
	       (unsigned long long)t[1][reps / 2], (unsigned long long)t[2][reps / 2], cpus);
	return 0;
}
