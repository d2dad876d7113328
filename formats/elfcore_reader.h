/*
 * Reading an ELF core from any producer — hangsnap, gdb's gcore, the kernel,
 * systemd-coredump — through core_file (plain or zstd). The byte layout it
 * expects is the one in elfcore_writer.c; the quirks of other producers are
 * listed at the top of elfcore_reader.c.
 *
 * elfcore_open() validates the ELF header, program headers and notes, and
 * decodes the notes it knows. Damage that is local (one bad note, a segment
 * past the end of the file) becomes a warning and the rest is kept; damage
 * that leaves nothing to analyze is an HS_ERR_FORMAT error naming the problem
 * and its offset. Every count, size and string is capped (ELFCORE_MAX_*).
 */
#ifndef HS_FORMATS_ELFCORE_READER_H
#define HS_FORMATS_ELFCORE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/vec.h"
#include "formats/core_file.h"
#include "formats/hangsnap_notes.h"

#define ELFCORE_MAX_PHDRS 4000000u
#define ELFCORE_MAX_NOTES_BYTES (512u << 20)
#define ELFCORE_MAX_NOTES 4000000u
#define ELFCORE_MAX_THREADS 100000u
#define ELFCORE_MAX_FILES 1000000u
#define ELFCORE_MAX_WARNINGS 64u

/* x86_64 general registers in NT_PRSTATUS (struct user_regs_struct) order. */
enum x86_64_greg {
	GREG_R15, GREG_R14, GREG_R13, GREG_R12, GREG_RBP, GREG_RBX, GREG_R11, GREG_R10,
	GREG_R9, GREG_R8, GREG_RAX, GREG_RCX, GREG_RDX, GREG_RSI, GREG_RDI, GREG_ORIG_RAX,
	GREG_RIP, GREG_CS, GREG_EFLAGS, GREG_RSP, GREG_SS, GREG_FS_BASE, GREG_GS_BASE,
	GREG_DS, GREG_ES, GREG_FS, GREG_GS, GREG_COUNT
};

struct elfcore_segment {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;	/* filesz clipped to the file */
	uint32_t flags;			/* PF_R | PF_W | PF_X */
};

struct elfcore_thread {
	int32_t tid;
	int32_t cursig;
	uint64_t regs[GREG_COUNT];
};

struct elfcore_file_mapping {
	uint64_t start, end, offset;	/* offset in bytes */
	char *path;
};

struct elfcore_note_region {
	uint64_t offset, size;
};

struct elfcore {
	struct core_file *file;
	VEC(struct elfcore_segment) segments;	/* ascending vaddr */
	VEC(struct elfcore_thread) threads;	/* NT_PRSTATUS order */
	VEC(struct elfcore_file_mapping) files;	/* NT_FILE */
	unsigned char *auxv;
	size_t auxv_len;
	bool has_psinfo;
	int32_t psinfo_pid;
	char psinfo_fname[17];
	char psinfo_args[81];
	bool has_hangsnap;
	struct hangsnap_context ctx;		/* HANGSNAP notes, when present */
	VEC(char *) warnings;			/* local damage, at most ELFCORE_MAX_WARNINGS */
	/* the note segments, for elfcore_content_hash() */
	VEC(struct elfcore_note_region) note_regions;
	uint64_t content_hash;		/* its value once computed */
	bool content_hashed;
};

/*
 * FNV-1a over the core's size and its note segments (every thread's
 * registers, pids, HANGSNAP capture time): the same snapshot, plain or
 * compressed, hashes the same; two snapshots do not. Computed on first use
 * (only a stored case needs it: an analysis without a database reads no
 * note twice).
 */
uint64_t elfcore_content_hash(struct elfcore *core);

/* Opens and parses path. */
struct hs_error *elfcore_open(const char *path, struct elfcore **ret);

/* Same, on an already open core_file (taken over, also on failure). */
struct hs_error *elfcore_open_file(struct core_file *file, struct elfcore **ret);

void elfcore_destroy(struct elfcore *core);

/*
 * Copies target memory at addr into buf and returns how many leading bytes
 * were available (in a segment's file bytes); 0 when addr is not in the core.
 */
size_t elfcore_read_memory(struct elfcore *core, uint64_t addr, void *buf, size_t len);

/* The segment containing addr (in memsz), or NULL. Binary search. */
const struct elfcore_segment *elfcore_segment_at(const struct elfcore *core, uint64_t addr);

/* An auxv entry's value, or 0 when absent. */
uint64_t elfcore_auxv(const struct elfcore *core, uint64_t type);

#endif
