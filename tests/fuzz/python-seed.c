/*
 * Writes a seed for fuzz-python from a real Python core: runs the Python
 * walker over the core through a reader that records every successful read,
 * then writes the image format of fuzz-python.c (the core's threads and
 * their futex waits, the runtime's addresses, the bytes read, merged into
 * regions). Reads longer than SEED_READ_MAX (a long line table) are not
 * kept: that frame's line is then unknown in the seed.
 *
 *   python-seed CORE OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"
#include "analyzer/runtimes/python.h"
#include "analyzer/runtimes/python_layout.h"
#include "analyzer/threads.h"
#include "analyzer/unwind.h"
#include "formats/elfcore_reader.h"

#define SEED_READ_MAX 65536u
#include "seed-recorder.h"

static struct unwinder *unwinder;

int main(int argc, char **argv)
{
	struct elfcore *core;
	struct model *m;
	struct python_core_target ct;
	struct python_target *tg = &ct.target;
	unsigned char which = 0, n;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: python-seed CORE OUT\n");
		return 2;
	}
	/* the target python_walk() would use, its reads recorded */
	if (elfcore_open(argv[1], &core) || model_create(core, &m) || threads_read_process(m) || threads_read(m) ||
	    unwind_threads(m, NULL, &unwinder) || (python_core_target_init(m, unwinder, &ct), !ct.found)) {
		fprintf(stderr, "python-seed: %s: not a Python core hanganalyze can read\n", argv[1]);
		return 1;
	}
	tg->read = seed_recording_read;
	{
		char v[16];
		snprintf(v, sizeof(v), "%s", ct.version);
		if (tg->hexversion)
			snprintf(v, sizeof(v), "%u.%u", (unsigned)(tg->hexversion >> 24), (unsigned)(tg->hexversion >> 16) & 0xff);
		for (const struct py_layout *L; (L = py_layout_at(which)) && strcmp(v, L->version); )
			which++;
		if (!py_layout_at(which)) {
			fprintf(stderr, "python-seed: %s: Python %s has no built-in layout\n", argv[1], v);
			return 1;
		}
		tg->layout = py_layout_at(which);
	}
	python_walk_target(m, tg);

	if (!(out = fopen(argv[2], "wbx"))) {
		perror(argv[2]);
		return 1;
	}
	n = (unsigned char)(m->threads.len < 16 ? m->threads.len : 16);
	fwrite(&which, 1, 1, out);
	fwrite(&n, 1, 1, out);
	for (unsigned i = 0; i < n; i++) {
		const struct thread *t = &m->threads.items[i];
		uint64_t word = t->syscall.name && strcmp(t->syscall.name, "futex") == 0 ? t->syscall.args[0] : 0;
		uint64_t timeout = word ? t->syscall.args[3] : 0;

		fwrite(&t->tid, 4, 1, out);
		fwrite(&t->regs[GREG_FS_BASE], 8, 1, out);
		fwrite(&word, 8, 1, out);
		fwrite(&timeout, 8, 1, out);
	}
	fwrite(&tg->runtime, 8, 1, out);
	fwrite(&tg->code_type, 8, 1, out);
	fwrite(&tg->hexversion, 8, 1, out);
	seed_write_regions(out);
	fclose(out);
	fprintf(stderr, "python-seed: %s: Python %s, %zu threads\n", argv[2], m->runtime.version, m->threads.len);
	unwind_destroy(unwinder);
	model_destroy(m);
	return 0;
}
