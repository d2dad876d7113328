/*
 * Fuzz target for the Ruby walker (analyzer/runtimes/ruby.c): whatever the
 * interpreter's memory holds, ruby_walk_target() must finish with the frames
 * it could read, marked partial, and warnings — no crash, no hang (every
 * list, loop and length is capped), no leak, no allocation sized by the
 * input.
 *
 * An input is a memory image of the process and what the walker is given:
 *
 *   u8  layout index (modulo the number of built-in layouts)
 *   u8  thread count n (at most FUZZ_RUBY_THREADS)
 *   n x { i32 tid, u64 fs_base }      the native threads of the model
 *   u64 address of ruby_current_vm_ptr
 *   u64 address of ruby_single_main_ractor (0: none)
 *   then regions to the end: { u64 addr, u32 len, len bytes } (a short last
 *   region is cut to what remains); every region is also a range searched
 *   for the global symbol table
 *
 * tests/fuzz/ruby-seed.c writes such images from real Ruby cores (every
 * read the walker made), the corpus's seeds. Built with -fsanitize=fuzzer as
 * fuzz-ruby (clang), and with replay-main.c as fuzz-ruby-replay, run over
 * corpus-ruby/ in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-image.h"

#include "analyzer/model.h"
#include "analyzer/runtimes/ruby.h"
#include "analyzer/runtimes/ruby_layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RUBY_THREADS 16u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_image img;
	static struct ruby_range ranges[FUZZ_IMAGE_REGIONS];
	const uint8_t *p = data, *end = data + size;
	struct ruby_target tg = { .read = fuzz_image_read, .ctx = &img };
	const struct ruby_layout *L;
	uint8_t which, nthreads;
	size_t nlayouts = 0;
	struct model *m;

	while (ruby_layout_at(nlayouts))
		nlayouts++;
	if (!fuzz_take(&p, end, &which, 1) || !fuzz_take(&p, end, &nthreads, 1) || !nlayouts)
		return 0;
	L = ruby_layout_at(which % nlayouts);
	if (model_create(NULL, &m))
		return 0;
	for (unsigned i = 0; i < nthreads && i < FUZZ_RUBY_THREADS; i++) {
		int32_t tid;
		uint64_t fs;
		struct thread *t;

		if (!fuzz_take(&p, end, &tid, 4) || !fuzz_take(&p, end, &fs, 8) || !(t = VEC_PUSH(&m->threads)))
			break;
		t->tid = tid;
		t->name = "";
		t->has_registers = true;
		t->regs[GREG_FS_BASE] = fs;
	}
	if (model_index_threads(m) || !fuzz_take(&p, end, &tg.vm_ptr, 8) || !fuzz_take(&p, end, &tg.single_ractor_ptr, 8)) {
		model_destroy(m);
		return 0;
	}
	fuzz_image_parse(&img, p, end);
	for (size_t i = 0; i < img.n; i++)
		ranges[i] = (struct ruby_range){ img.r[i].addr, img.r[i].len };
	tg.data = ranges;
	tg.ndata = img.n;
	tg.version = L->headers;
	ruby_walk_target(m, &tg);
	if (getenv("FUZZ_RUBY_PRINT")) {	/* to check a seed: what the walker made of it */
		for (size_t i = 0; i < m->threads.len; i++) {
			const struct runtime_thread *rt = &m->threads.items[i].rt;
			fprintf(stderr, "thread %d: %zu Ruby frames%s%s%s\n", m->threads.items[i].tid, rt->frames.len,
				rt->wait_call ? ", in " : "", rt->wait_call ? rt->wait_call : "",
				rt->frames.len && rt->frames.items[0].cfunc ? ", top is a C method" : "");
			for (size_t k = 0; k < rt->frames.len; k++)
				fprintf(stderr, "    %s:%d:in '%s'\n", rt->frames.items[k].path, rt->frames.items[k].line,
					rt->frames.items[k].label);
		}
		for (size_t i = 0; i < m->warnings.len; i++)
			fprintf(stderr, "warning: %s\n", m->warnings.items[i]);
	}
	model_destroy(m);
	return 0;
}
