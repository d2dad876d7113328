/*
 * The analysis of one core, as a table of named stages.
 *
 * analyze_core() creates an empty model of the core and runs the stages in
 * order; each reads what the stages before it wrote and writes its own part
 * of the model (model.h says which part is whose):
 *
 *   process         process identity, the core's warnings    (threads.c)
 *   threads         threads, registers, syscalls; tid index  (threads.c)
 *   unwind          frames, modules; restarted syscalls named (unwind.c, threads.c)
 *   runtime-stacks  interpreter frames and waits: empty for now (see below)
 *   groups          threads with identical stacks             (threads.c)
 *   evidence        what each thread waits for                (evidence.c)
 *   waitgraph       who waits for whom, cycles                (waitgraph.c)
 *   rules           the built-in rules' findings              (rules/)
 *   user-rules      the stack-pattern rules of rule files     (user_rules.c)
 *                   then every finding ranked, most severe first (rules/rules.c)
 *   signature       the hang's signature                      (signature.c)
 *
 * How to add a stage:
 *  1. write `static struct hs_error *stage_NAME(struct analysis *a)` in
 *     analyze.c: it calls into the module that does the work (a function
 *     that takes the model and what else it needs from struct analysis);
 *     library rules apply: no printing, errors are values, damage in one
 *     thread is a warning or a thread's own error, not a failure;
 *  2. add a row {"NAME", stage_NAME} to the table in analyze.c where its
 *     inputs are ready (ANALYZE_STAGES_MAX bounds the table);
 *  3. if it needs state that is no part of the model (a session, a cache),
 *     put it in struct analysis, owned by analyze.c and released in
 *     analysis_deinit() — the model stays plain data.
 *
 * Where a runtime walker goes: the "runtime-stacks" stage runs after the
 * native unwind (so the interpreter's C frames, registers and the unwinder
 * session are there) and before grouping and evidence (so interpreter frames
 * count in groups, and waits such as a Ruby GVL or a Python GIL can become
 * evidence). A Ruby or Python walker (analyzer/runtimes/, DESIGN.md)
 * becomes one function called from stage_runtime_stacks(): it recognizes its
 * interpreter from the model's modules and adds frames to the threads it
 * finds; a core without that interpreter costs it a module lookup.
 */
#ifndef HS_ANALYZER_ANALYZE_H
#define HS_ANALYZER_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/model.h"
#include "common/error.h"
#include "formats/elfcore_reader.h"

struct user_rules;

struct analyze_options {
	const struct user_rules *user_rules;	/* extra stack-pattern rules, or NULL */
	const char *sysroot;		/* prefix for the paths in the core; NULL: none */
	const char *exe;		/* the executable, when not at its recorded path */
	const char *const *search_dirs;	/* ELF files by build-id under these (--search) */
	size_t nsearch;
	const char *const *debug_dirs;	/* .build-id debug trees (--debug-dir) */
	size_t ndebug;
	const int *bundle_fds;		/* a bundle's files, open: looked up by build-id before any path */
	size_t nbundle;
	bool resolve_all;		/* find every module's files, not only those frames are in (modules[].elf_path) */
	const char *cache_dir;		/* the symbol cache's directory (symcache.h), NULL: none */
	const char *analyzer_id;	/* hanganalyze's own build-id, which the cache's files must carry */
	bool no_inline;			/* do not expand inlined calls */
	bool no_demangle;		/* frames show raw symbol names (and no linkage_name) */
	bool no_runtime;		/* skip the interpreter walkers (runtime-stacks stage) */
};

#define ANALYZE_STAGES_MAX 16u

/* How long each stage that ran took, in table order. */
struct analyze_stats {
	struct analyze_stage_time {
		const char *name;	/* the stage's name (static) */
		uint64_t ns;		/* wall-clock (CLOCK_MONOTONIC) time it took */
	} stages[ANALYZE_STAGES_MAX];
	unsigned nstages;		/* how many ran: all of them unless one failed */
	/* the symbol cache (analyze_options.cache_dir): modules whose cached derivations were used, and written anew */
	size_t cache_hits, cache_new;
};

/*
 * Analyzes core (taken over, also on failure: the model owns it, or it is
 * closed) with opts (NULL: defaults) into *ret, for model_destroy(). When
 * stats is not NULL it gets each stage's time, also when a stage fails (the
 * failed stage is the last one counted). Fails when memory runs out or the
 * unwinder cannot be set up; damage in the core is reported in the model
 * (warnings, missing, unwind_error), not as a failure.
 */
struct hs_error *analyze_core(struct elfcore *core, const struct analyze_options *opts, struct analyze_stats *stats,
			      struct model **ret);

#endif
