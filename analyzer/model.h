/*
 * The analysis model: what hanganalyze knows about one process, built from a
 * core (and its HANGSNAP notes when present). Reports render it; nothing in
 * it points at the core's buffers except `core` itself.
 *
 * model_build() opens nothing: it takes an elfcore that the caller opened and
 * hands over, unwinds and symbolizes every thread, decodes syscalls, and
 * groups threads with identical stacks. model_destroy() frees everything,
 * including the core.
 */
#ifndef HS_ANALYZER_MODEL_H
#define HS_ANALYZER_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/evidence.h"
#include "common/error.h"
#include "common/vec.h"
#include "formats/elfcore_reader.h"

#define MODEL_MAX_FRAMES 256u	/* per thread, like eu-stack's default */

enum frame_how {
	FRAME_INITIAL,		/* the thread's registers */
	FRAME_CFI,		/* DWARF call frame information */
	FRAME_FP,		/* frame-pointer fallback: no CFI covered the caller */
	FRAME_INLINE,		/* an inlined call at the same pc, from DWARF scopes */
};

struct frame {
	uint64_t pc;		/* for frames past the first: the return address */
	uint64_t sp;		/* the stack pointer of this frame, 0 if unknown */
	const char *function;	/* NULL when unknown (interned) */
	uint64_t offset;	/* pc - symbol start (adjusted pc for callers) */
	const char *module;	/* module basename or NULL (interned) */
	const char *file;	/* source file or NULL (interned) */
	int line;		/* 0 when unknown */
	bool inlined;		/* this function was inlined into the next frame */
	enum frame_how how;
};

struct syscall_call {
	int64_t nr;		/* -1: not in a syscall */
	const char *name;	/* "futex", or NULL for unknown numbers */
	uint64_t args[6];
	char *text;		/* decoded: futex(0x7f.., FUTEX_WAIT_PRIVATE, 2, NULL); NULL only without memory */
	bool restarted;		/* the registers said restart_syscall; nr is the call it resumes */
};

struct thread {
	int32_t tid;
	const char *name;	/* comm (interned), "" when unknown */
	char state;		/* /proc state letter, 0 when unknown */
	bool has_registers;	/* false: it never stopped; pc/sp from /proc only */
	uint64_t regs[GREG_COUNT];
	struct syscall_call syscall;
	const char *wchan;	/* interned, "" when unknown */
	VEC(struct frame) frames;
	char *unwind_error;	/* why the stack ends where it does, or NULL */
	const struct hs_thread_info *ctx;	/* HANGSNAP record, or NULL */
	size_t group;		/* index into model.groups */
	struct blocked_on blocked;	/* evidence: what it waits for */
	/* wait-for graph: at most one edge out of each thread */
	int32_t waits_for;	/* tid this thread waits on (lock owner, join target), 0 none */
	char *waits_on;		/* the object it waits on, described, or NULL */
	bool in_cycle;		/* part of a cycle of thread edges */
};

enum severity { SEVERITY_LOW, SEVERITY_MEDIUM, SEVERITY_HIGH, SEVERITY_CRITICAL };

struct tid_list {
	int32_t *items;
	size_t len, cap;
};

/* Threads with identical stacks and syscalls, shown once. */
struct thread_group {
	size_t first;		/* index of the first thread */
	size_t count;
};

struct module_info {
	const char *name;	/* interned path from NT_FILE or the module name */
	uint64_t start, end;
	char *build_id;		/* hex, or NULL */
	bool used;		/* some frame is in it (elf_found, has_debuginfo are known) */
	bool elf_found;		/* its ELF file was found */
	bool has_debuginfo;
};

/* Owned strings, in the order they were added. */
struct string_list {
	char **items;
	size_t len, cap;
};

enum core_producer { PRODUCER_UNKNOWN, PRODUCER_HANGSNAP };

/* A diagnosis: one rule's conclusion about some threads (DESIGN.md, "Findings"). */
struct finding {
	const char *rule;		/* stable id: "lock-cycle" */
	enum severity severity;
	char *summary;			/* one sentence a person can act on */
	struct tid_list threads;	/* every thread involved */
	struct string_list evidence;	/* the facts it rests on */
	char *hint;			/* what to do about it */
};

struct unwinder;

struct model {
	struct elfcore *core;
	enum core_producer producer;
	/* process */
	int32_t pid;
	const char *comm;
	const char *exe;
	const char *cmdline;		/* arguments joined by spaces */
	const char *host;
	const char *build_id;
	uint64_t captured_real_ns;	/* 0 when unknown */
	uint64_t freeze_ns;		/* 0 when unknown */
	VEC(struct thread) threads;	/* core order: the main thread first */
	VEC(struct thread_group) groups;
	struct tid_index { int32_t tid; uint32_t index; } *tid_index;	/* sorted by tid */
	VEC(struct module_info) modules;
	struct finding_list {
		struct finding *items;
		size_t len, cap;
	} findings;			/* most severe first */
	struct signature {
		char *hash;		/* 16 hex digits; NULL: no hang, no signature */
		char *text;		/* "join-on-blocked: connect SYN_SENT @ output_thread" */
		int version;
		const char *rule;	/* the hang class: the top finding's rule */
		char *frames;		/* every normalized frame of the root blocker(s), one per line */
	} signature;
	struct string_list missing;	/* evidence this core could not provide */
	struct string_list warnings;	/* damage and fallbacks worth saying */
	struct unwinder *unwinder;	/* the libdwfl session, for type lookups */
	/* string interning (hash set of owned strings) */
	char **strings;
	size_t nstrings, strings_cap;
};

struct user_rules;

struct model_options {
	const struct user_rules *user_rules;	/* extra stack-pattern rules, or NULL */
	const char *sysroot;		/* prefix for the paths in the core; NULL: none */
	const char *exe;		/* the executable, when not at its recorded path */
	bool no_inline;			/* do not expand inlined calls */
};

/* Builds the model from core (taken over, also on failure). */
struct hs_error *model_build(struct elfcore *core, const struct model_options *opts, struct model **ret);
void model_destroy(struct model *m);

void string_list_deinit(struct string_list *l);
void finding_deinit(struct finding *f);

/* The thread with tid, or NULL (binary search). */
struct thread *model_thread(const struct model *m, int32_t tid);

/* "main (4711)": a thread as findings name it, into buf. */
const char *model_thread_label(const struct model *m, int32_t tid, char *buf, size_t size);

/* Returns an interned copy of s (NULL on allocation failure). */
const char *model_intern(struct model *m, const char *s);

/* Adds a printf-formatted line to m->warnings / m->missing (best effort). */
void model_warn(struct model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void model_missing(struct model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
