/*
 * The input of a fuzz target that reads a file (fuzz-core, fuzz-analyze):
 * a memfd holding exactly the input, opened by path (/proc/self/fd/N) the
 * way hanganalyze opens a core. Header-only: each target is one program.
 */
#ifndef HS_TESTS_FUZZ_INPUT_H
#define HS_TESTS_FUZZ_INPUT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd named name holding exactly data; returns its fd. Aborts when the system refuses: no input is lost silently. */
static inline int fuzz_input_fd(const char *name, const uint8_t *data, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0) {
		fprintf(stderr, "%s: memfd_create: %s\n", name, strerror(errno));
		abort();
	}
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: write to memfd: %s\n", name, strerror(errno));
			abort();
		}
		done += (size_t)n;
	}
	return fd;
}

#endif
