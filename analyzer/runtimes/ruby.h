/*
 * The Ruby walker: CRuby's own view of every thread, read from the core
 * with no debug info. It finds the VM through libruby's (or a static ruby's)
 * exported ruby_current_vm_ptr, takes the version from ruby_version and the
 * struct layout from the built-in table (ruby_layout.h), walks the main
 * ractor's thread list and fills, for each Ruby thread's native thread,
 * t->rt: Thread#name and status, who holds the GVL, every control frame the
 * way Thread#backtrace shows it (path, exact line, label; C methods by name),
 * merged above the native rb_vm_exec() frame that runs it, and the waits the
 * VM records: Thread#join (join lists), Mutex#lock (the mutex's owner
 * fiber), Queue/SizedQueue/ConditionVariable (the blocking frame's
 * receiver), sleep with no timeout. m->runtime says which Ruby it was.
 */
#ifndef HS_ANALYZER_RUNTIMES_RUBY_H
#define HS_ANALYZER_RUNTIMES_RUBY_H

#include "analyzer/model.h"
#include "analyzer/runtimes/ruby_layout.h"
#include "analyzer/unwind.h"

/*
 * Does nothing for a process without Ruby. A version with no layout, or a
 * VM that cannot be read, is a warning (the native report is unchanged).
 * Fails only when memory runs out.
 */
struct hs_error *ruby_walk(struct model *m, struct unwinder *u);

/* A range of memory to search for the VM's global symbol table. */
struct ruby_range {
	uint64_t start, len;
};

/*
 * Where the walker reads from: ruby_walk() sets it up over a core; the
 * fuzzer over an image of its own. read() returns the bytes read from the
 * start of the range (short or 0 past what exists).
 */
struct ruby_target {
	size_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
	uint64_t vm_ptr;		/* address of ruby_current_vm_ptr */
	uint64_t single_ractor_ptr;	/* address of ruby_single_main_ractor, 0 unknown */
	const char *version;		/* ruby_version: "3.1.2"; NULL or "" unknown */
	const struct ruby_range *data;	/* the module's writable data */
	size_t ndata;
	const struct ruby_layout *layout;	/* read from libruby's DWARF (ruby_dwarf.h); NULL: the built-in table */
	bool no_builtin;		/* HANGANALYZE_RUBY_LAYOUT=dwarf: no built-in table either */
};

/* ruby_walk() over any target: the same checks, caps and warnings. */
struct hs_error *ruby_walk_target(struct model *m, const struct ruby_target *target);

/* ruby_walk()'s target over a core, with the storage it points into. */
struct ruby_core_target {
	bool found;			/* the process exports a Ruby VM */
	struct ruby_target target;
	struct ruby_range *ranges;
	char version[16];
	struct ruby_layout dwarf_layout;
};

/*
 * Sets ct up over m's core through u (ct->found false: no Ruby in it; the
 * reads can be wrapped before ruby_walk_target(), as tests/fuzz/ruby-seed.c
 * does). Fails only when memory runs out; ruby_core_target_deinit() in any case.
 */
struct hs_error *ruby_core_target_init(struct model *m, struct unwinder *u, struct ruby_core_target *ct);
void ruby_core_target_deinit(struct ruby_core_target *ct);

#endif
