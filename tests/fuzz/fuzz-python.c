/*
 * Fuzz target for the Python walker (analyzer/runtimes/python.c): whatever
 * the interpreter's memory holds, python_walk_target() must finish with the
 * frames it could read, marked partial, and warnings — no crash, no hang
 * (every list, chain and length is capped), no leak, no allocation sized by
 * the input.
 *
 * An input is a memory image of the process and what the walker is given:
 *
 *   u8  layout index (modulo the number of built-in layouts)
 *   u8  thread count n (at most FUZZ_PY_THREADS)
 *   n x { i32 tid, u64 fs_base, u64 futex word (0: not in a futex wait),
 *         u64 futex timeout argument }   the native threads of the model
 *   u64 address of _PyRuntime
 *   u64 address of PyCode_Type (0: unknown)
 *   u64 Py_Version (0: unknown)
 *   then regions to the end: { u64 addr, u32 len, len bytes } (a short last
 *   region is cut to what remains)
 *
 * tests/fuzz/python-seed.c writes such images from real Python cores (every
 * read the walker made), the corpus's seeds. Built with -fsanitize=fuzzer as
 * fuzz-python (clang), and with replay-main.c as fuzz-python-replay, run
 * over corpus-python/ in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-image.h"

#include "analyzer/model.h"
#include "analyzer/runtimes/python.h"
#include "analyzer/runtimes/python_layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PY_THREADS 16u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_image img;
	const uint8_t *p = data, *end = data + size;
	struct python_target tg = { .read = fuzz_image_read, .ctx = &img };
	const struct py_layout *L;
	uint8_t which, nthreads;
	size_t nlayouts = 0;
	struct model *m;

	while (py_layout_at(nlayouts))
		nlayouts++;
	if (!fuzz_take(&p, end, &which, 1) || !fuzz_take(&p, end, &nthreads, 1) || !nlayouts)
		return 0;
	L = py_layout_at(which % nlayouts);
	if (model_create(NULL, &m))
		return 0;
	for (unsigned i = 0; i < nthreads && i < FUZZ_PY_THREADS; i++) {
		int32_t tid;
		uint64_t fs, word, timeout;
		struct thread *t;

		if (!fuzz_take(&p, end, &tid, 4) || !fuzz_take(&p, end, &fs, 8) || !fuzz_take(&p, end, &word, 8) ||
		    !fuzz_take(&p, end, &timeout, 8) || !(t = VEC_PUSH(&m->threads)))
			break;
		t->tid = tid;
		t->name = "";
		t->has_registers = true;
		t->regs[GREG_FS_BASE] = fs;
		t->syscall.nr = word ? 202 : -1;
		t->syscall.name = word ? "futex" : NULL;
		t->syscall.args[0] = word;
		t->syscall.args[3] = timeout;
	}
	if (model_index_threads(m) || !fuzz_take(&p, end, &tg.runtime, 8) || !fuzz_take(&p, end, &tg.code_type, 8) ||
	    !fuzz_take(&p, end, &tg.hexversion, 8)) {
		model_destroy(m);
		return 0;
	}
	fuzz_image_parse(&img, p, end);
	tg.version = L->headers;
	tg.layout = L;
	python_walk_target(m, &tg);
	if (getenv("FUZZ_PY_PRINT")) {	/* to check a seed: what the walker made of it */
		for (size_t i = 0; i < m->threads.len; i++) {
			const struct runtime_thread *rt = &m->threads.items[i].rt;
			fprintf(stderr, "thread %d: %zu Python frames%s%s%s\n", m->threads.items[i].tid, rt->frames.len,
				rt->wait_call ? ", in " : "", rt->wait_call ? rt->wait_call : "", rt->gvl ? ", holds the GIL" : "");
			for (size_t k = 0; k < rt->frames.len; k++)
				fprintf(stderr, "    %s:%d in %s\n", rt->frames.items[k].path, rt->frames.items[k].line,
					rt->frames.items[k].label);
		}
		for (size_t i = 0; i < m->warnings.len; i++)
			fprintf(stderr, "warning: %s\n", m->warnings.items[i]);
	}
	model_destroy(m);
	return 0;
}
