/*
 * Writes a seed for fuzz-ruby from a real Ruby core: runs the Ruby walker
 * over the core through a reader that records every successful read, then
 * writes the image format of fuzz-ruby.c (the core's threads, the VM symbol
 * addresses, the bytes read, merged into regions). Reads longer than
 * SEED_READ_MAX (the walker's scan for the symbol table) are not kept: the
 * walker re-reads the table it finds on its own.
 *
 *   ruby-seed CORE OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"
#include "analyzer/runtimes/ruby.h"
#include "analyzer/runtimes/ruby_layout.h"
#include "analyzer/threads.h"
#include "analyzer/unwind.h"
#include "formats/elfcore_reader.h"

#define SEED_READ_MAX 4096u

struct rec {
	uint64_t addr;
	size_t len;
	unsigned char *bytes;
};

static struct unwinder *unwinder;
static struct rec *recs;
static size_t nrecs, caprecs;

static size_t recording_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	size_t got = unwind_read(ctx, addr, buf, len);

	if (got && got <= SEED_READ_MAX) {
		if (nrecs == caprecs && !(recs = realloc(recs, (caprecs = caprecs ? 2 * caprecs : 1024) * sizeof(*recs))))
			abort();
		recs[nrecs].addr = addr;
		recs[nrecs].len = got;
		if (!(recs[nrecs].bytes = malloc(got)))
			abort();
		memcpy(recs[nrecs++].bytes, buf, got);
	}
	return got;
}

static int by_addr(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int main(int argc, char **argv)
{
	struct elfcore *core;
	struct model *m;
	struct ruby_core_target ct;
	struct ruby_target *tg = &ct.target;
	unsigned char which = 0, n;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: ruby-seed CORE OUT\n");
		return 2;
	}
	/* the target ruby_walk() would use, its reads recorded */
	if (elfcore_open(argv[1], &core) || model_create(core, &m) || threads_read_process(m) || threads_read(m) ||
	    unwind_threads(m, NULL, &unwinder) || ruby_core_target_init(m, unwinder, &ct) || !ct.found) {
		fprintf(stderr, "ruby-seed: %s: not a Ruby core hanganalyze can read\n", argv[1]);
		return 1;
	}
	tg->read = recording_read;
	for (const struct ruby_layout *L; (L = ruby_layout_at(which)) && strncmp(ct.version, L->version, strlen(L->version)); )
		which++;
	ruby_walk_target(m, tg);

	if (!(out = fopen(argv[2], "wbx"))) {
		perror(argv[2]);
		return 1;
	}
	n = (unsigned char)(m->threads.len < 16 ? m->threads.len : 16);
	fwrite(&which, 1, 1, out);
	fwrite(&n, 1, 1, out);
	for (unsigned i = 0; i < n; i++) {
		fwrite(&m->threads.items[i].tid, 4, 1, out);
		fwrite(&m->threads.items[i].regs[GREG_FS_BASE], 8, 1, out);
	}
	fwrite(&tg->vm_ptr, 8, 1, out);
	fwrite(&tg->single_ractor_ptr, 8, 1, out);
	/* merge the reads into regions: sorted, overlapping or touching ones joined */
	qsort(recs, nrecs, sizeof(*recs), by_addr);
	for (size_t i = 0; i < nrecs;) {
		uint64_t start = recs[i].addr, end = recs[i].addr + recs[i].len;
		size_t j = i + 1;
		unsigned char *buf;
		uint32_t len;

		while (j < nrecs && recs[j].addr <= end) {
			if (recs[j].addr + recs[j].len > end)
				end = recs[j].addr + recs[j].len;
			j++;
		}
		len = (uint32_t)(end - start);
		if (!(buf = calloc(1, len)))
			abort();
		for (size_t k = i; k < j; k++)
			memcpy(buf + (recs[k].addr - start), recs[k].bytes, recs[k].len);
		fwrite(&start, 8, 1, out);
		fwrite(&len, 4, 1, out);
		fwrite(buf, 1, len, out);
		free(buf);
		i = j;
	}
	fclose(out);
	for (size_t i = 0; i < nrecs; i++)
		free(recs[i].bytes);
	free(recs);
	fprintf(stderr, "ruby-seed: %s: Ruby %s, %zu threads\n", argv[2], ct.version, m->threads.len);
	ruby_core_target_deinit(&ct);
	unwind_destroy(unwinder);
	model_destroy(m);
	return 0;
}
