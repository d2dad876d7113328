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
#include "seed-recorder.h"

static struct unwinder *unwinder;

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
	tg->read = seed_recording_read;
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
	seed_write_regions(out);
	fclose(out);
	fprintf(stderr, "ruby-seed: %s: Ruby %s, %zu threads\n", argv[2], ct.version, m->threads.len);
	ruby_core_target_deinit(&ct);
	unwind_destroy(unwinder);
	model_destroy(m);
	return 0;
}
