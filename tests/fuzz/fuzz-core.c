/*
 * Fuzz target for the core reader and the HANGSNAP note decoders: whatever
 * the bytes, elfcore_open() and hs_*_info_decode() must fail cleanly or give
 * a core whose memory reads stay in bounds — no crash, no hang, no leak, no
 * allocation sized by a claim in the input.
 *
 * One input is used three ways:
 *  - as a whole core file (plain, seekable zstd or one zstd stream: the
 *    reader sniffs it), through a memfd opened by path the way hanganalyze
 *    opens a core; then the memory around every thread's registers and at
 *    every segment's edges is read;
 *  - as the descriptor of each kind of HANGSNAP record;
 *  - a record that decodes is encoded again, and that must decode too (the
 *    decoders accept everything the encoders write).
 *
 * Built with -fsanitize=fuzzer as fuzz-core (clang), and with replay-main.c
 * as fuzz-core-replay, which runs it over the corpus in every build.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "tests/fuzz/fuzz-input.h"
#include "formats/elfcore_reader.h"
#include "formats/hangsnap_notes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Threads and segments whose memory is read: enough to reach every path, bounded per input. */
#define FUZZ_MAX_THREADS 64u
#define FUZZ_MAX_SEGMENTS 64u
#define FUZZ_READ_LEN 512u

/* Touches every byte of s so that ASan sees a bad string. */
static size_t touch_string(const char *s)
{
	return s ? strlen(s) : 0;
}

static uint64_t read_at(struct elfcore *core, uint64_t addr, size_t len)
{
	static unsigned char buf[FUZZ_READ_LEN];
	size_t n = elfcore_read_memory(core, addr, buf, len);
	uint64_t sum = 0;

	if (n > len)
		abort();	/* more than asked for */
	for (size_t i = 0; i < n; i++)
		sum += buf[i];
	return sum;
}

static void exercise_core(struct elfcore *core)
{
	static const enum x86_64_greg regs[] = { GREG_RSP, GREG_RBP, GREG_RIP, GREG_RDI, GREG_RSI };
	uint64_t sum = 0;

	for (size_t i = 0; i < core->threads.len && i < FUZZ_MAX_THREADS; i++) {
		const struct elfcore_thread *t = &core->threads.items[i];
		for (size_t r = 0; r < sizeof(regs) / sizeof(regs[0]); r++) {
			uint64_t v = t->regs[regs[r]];
			sum += read_at(core, v - FUZZ_READ_LEN / 2, FUZZ_READ_LEN);
			sum += read_at(core, v, 8);
		}
	}
	for (size_t i = 0; i < core->segments.len && i < FUZZ_MAX_SEGMENTS; i++) {
		const struct elfcore_segment *s = &core->segments.items[i];
		const struct elfcore_segment *found = elfcore_segment_at(core, s->vaddr);

		if (found != s)
			abort();	/* segments are sorted and disjoint: the search finds each one */
		sum += read_at(core, s->vaddr, FUZZ_READ_LEN);
		sum += read_at(core, s->vaddr + s->filesz - 1, 2);		/* across the end of the file bytes */
		sum += read_at(core, s->vaddr + s->memsz - 4, FUZZ_READ_LEN);	/* across the end of the segment */
	}
	sum += elfcore_auxv(core, AT_PHDR) + elfcore_auxv(core, AT_SYSINFO_EHDR);
	for (size_t i = 0; i < core->files.len; i++)
		sum += touch_string(core->files.items[i].path);
	for (size_t i = 0; i < core->warnings.len; i++)
		sum += touch_string(core->warnings.items[i]);
	sum += touch_string(core->psinfo_fname) + touch_string(core->psinfo_args);
	sum += touch_string(core->ctx.process.comm) + touch_string(core->ctx.process.exe);
	for (size_t i = 0; i < core->ctx.threads.len; i++)
		sum += touch_string(core->ctx.threads.items[i].comm) + touch_string(core->ctx.threads.items[i].wchan);
	/* keep the reads from being optimized away */
	__asm__ volatile("" : : "r"(sum));
}

static void fuzz_core_file(const uint8_t *data, size_t size)
{
	char path[64];
	struct elfcore *core = NULL;
	struct hs_error *err;
	int fd = fuzz_input_fd("fuzz-core", data, size);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = elfcore_open(path, &core);
	if (err) {
		if (!hs_error_message(err)[0])
			abort();	/* every error says something */
		hs_error_destroy(err);
	} else {
		exercise_core(core);
		elfcore_destroy(core);
	}
	close(fd);
}

/*
 * Decodes data as one kind of record; when that works, encodes the result
 * and decodes that again, which must work and give the same leading field.
 */
#define FUZZ_RECORD(type, key)                                                                  \
	static void fuzz_##type(const uint8_t *data, size_t size)                              \
	{                                                                                       \
		struct hs_##type##_info rec, again;                                             \
		struct hs_error *err = hs_##type##_info_decode(data, size, &rec);               \
		struct strbuf sb;                                                               \
                                                                                                \
		if (err) {                                                                      \
			hs_error_destroy(err);                                                  \
			hs_##type##_info_deinit(&rec);                                          \
			return;                                                                 \
		}                                                                               \
		strbuf_init(&sb);                                                               \
		if ((err = hs_##type##_info_encode(&rec, &sb))) {                               \
			if (err != &hs_error_nomem)                                             \
				abort(); /* an encoder only fails when memory runs out */       \
			hs_error_destroy(err);                                                  \
		} else {                                                                        \
			if ((err = hs_##type##_info_decode(sb.buf, sb.len, &again))) {          \
				fprintf(stderr, "fuzz-core: re-encoded " #type " record: %s\n", \
					hs_error_message(err));                                 \
				abort();                                                        \
			}                                                                       \
			if (again.key != rec.key)                                               \
				abort();                                                        \
			hs_##type##_info_deinit(&again);                                        \
		}                                                                               \
		strbuf_deinit(&sb);                                                             \
		hs_##type##_info_deinit(&rec);                                                  \
	}

FUZZ_RECORD(process, pid)
FUZZ_RECORD(thread, tid)
FUZZ_RECORD(fd, fd)
FUZZ_RECORD(socket, inode)
FUZZ_RECORD(pipe, inode)
FUZZ_RECORD(lock, id)
FUZZ_RECORD(child, pid)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_core_file(data, size);
	fuzz_process(data, size);
	fuzz_thread(data, size);
	fuzz_fd(data, size);
	fuzz_socket(data, size);
	fuzz_pipe(data, size);
	fuzz_lock(data, size);
	fuzz_child(data, size);
	return 0;
}
