/*
 * What the seed writers (ruby-seed.c, python-seed.c) share: a reader over a
 * core that records every successful read of at most SEED_READ_MAX bytes,
 * and the writer of those reads as the regions of fuzz-image.h, sorted,
 * overlapping or touching ones joined. Header-only; a seed writer aborts
 * when memory runs out.
 */
#ifndef HS_TESTS_FUZZ_SEED_RECORDER_H
#define HS_TESTS_FUZZ_SEED_RECORDER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/unwind.h"

struct seed_rec {
	uint64_t addr;
	size_t len;
	unsigned char *bytes;
};

static struct seed_rec *seed_recs;
static size_t seed_nrecs, seed_caprecs;

/* A walker's read() over the unwinder ctx, recording what it returns. */
static size_t seed_recording_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	size_t got = unwind_read(ctx, addr, buf, len);

	if (got && got <= SEED_READ_MAX) {
		if (seed_nrecs == seed_caprecs &&
		    !(seed_recs = realloc(seed_recs, (seed_caprecs = seed_caprecs ? 2 * seed_caprecs : 1024) * sizeof(*seed_recs))))
			abort();
		seed_recs[seed_nrecs].addr = addr;
		seed_recs[seed_nrecs].len = got;
		if (!(seed_recs[seed_nrecs].bytes = malloc(got)))
			abort();
		memcpy(seed_recs[seed_nrecs++].bytes, buf, got);
	}
	return got;
}

static int seed_by_addr(const void *a, const void *b)
{
	const struct seed_rec *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Writes the recorded reads to out as regions, and forgets them. */
static void seed_write_regions(FILE *out)
{
	qsort(seed_recs, seed_nrecs, sizeof(*seed_recs), seed_by_addr);
	for (size_t i = 0; i < seed_nrecs;) {
		uint64_t start = seed_recs[i].addr, end = seed_recs[i].addr + seed_recs[i].len;
		size_t j = i + 1;
		unsigned char *buf;
		uint32_t len;

		while (j < seed_nrecs && seed_recs[j].addr <= end) {
			if (seed_recs[j].addr + seed_recs[j].len > end)
				end = seed_recs[j].addr + seed_recs[j].len;
			j++;
		}
		len = (uint32_t)(end - start);
		if (!(buf = calloc(1, len)))
			abort();
		for (size_t k = i; k < j; k++)
			memcpy(buf + (seed_recs[k].addr - start), seed_recs[k].bytes, seed_recs[k].len);
		fwrite(&start, 8, 1, out);
		fwrite(&len, 4, 1, out);
		fwrite(buf, 1, len, out);
		free(buf);
		i = j;
	}
	for (size_t i = 0; i < seed_nrecs; i++)
		free(seed_recs[i].bytes);
	free(seed_recs);
	seed_recs = NULL;
	seed_nrecs = seed_caprecs = 0;
}

#endif
