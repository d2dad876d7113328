/*
 * See analyze.h: the stage table and the context the stages share. Each
 * stage is a thin call into the module that owns its part of the model; the
 * order of the table is the order of the analysis.
 */
#include "analyzer/analyze.h"

#include "analyzer/evidence.h"
#include "analyzer/rules/rules.h"
#include "analyzer/runtimes/python.h"
#include "analyzer/runtimes/ruby.h"
#include "analyzer/signature.h"
#include "analyzer/threads.h"
#include "analyzer/unwind.h"
#include "analyzer/user_rules.h"
#include "analyzer/waitgraph.h"
#include "common/util.h"

/* What the stages share besides the model: nothing in here outlives analyze_core(). */
struct analysis {
	struct model *m;
	const struct analyze_options *opts;
	struct unwinder *unwinder;	/* the unwind stage's libdwfl session, for type lookups */
};

static struct hs_error *stage_process(struct analysis *a)
{
	return threads_read_process(a->m);
}

static struct hs_error *stage_threads(struct analysis *a)
{
	return threads_read(a->m);
}

static struct hs_error *stage_unwind(struct analysis *a)
{
	const struct unwind_options uo = {
		.sysroot = a->opts->sysroot, .exe = a->opts->exe, .no_inline = a->opts->no_inline,
		.search_dirs = a->opts->search_dirs, .nsearch = a->opts->nsearch,
		.debug_dirs = a->opts->debug_dirs, .ndebug = a->opts->ndebug,
		.no_demangle = a->opts->no_demangle,
		.bundle_fds = a->opts->bundle_fds, .nbundle = a->opts->nbundle, .resolve_all = a->opts->resolve_all,
		.cache_dir = a->opts->cache_dir, .analyzer_id = a->opts->analyzer_id,
	};
	struct hs_error *err = unwind_threads(a->m, &uo, &a->unwinder);

	if (!err)
		/* restart_syscall is named by the libc wrapper on top of the stack */
		threads_resolve_restarts(a->m);
	return err;
}

/* Interpreter stacks: one walker per runtime (analyzer/runtimes/); the first that finds its interpreter. */
static struct hs_error *stage_runtime_stacks(struct analysis *a)
{
	struct hs_error *err;

	if (a->opts->no_runtime)
		return NULL;
	if ((err = ruby_walk(a->m, a->unwinder)) || a->m->runtime.name)
		return err;
	return python_walk(a->m, a->unwinder);
}

static struct hs_error *stage_groups(struct analysis *a)
{
	return threads_group(a->m);
}

static struct hs_error *stage_evidence(struct analysis *a)
{
	return evidence_collect(a->m, a->unwinder);
}

static struct hs_error *stage_waitgraph(struct analysis *a)
{
	return waitgraph_build(a->m);
}

static struct hs_error *stage_rules(struct analysis *a)
{
	return rules_run(a->m);
}

static struct hs_error *stage_user_rules(struct analysis *a)
{
	struct hs_error *err = user_rules_run(a->m, a->opts->user_rules);

	/* once, over the built-in and the user rules' findings alike */
	return err ? err : rules_rank(a->m);
}

static struct hs_error *stage_signature(struct analysis *a)
{
	return signature_compute(a->m);
}

static const struct stage {
	const char *name;
	struct hs_error *(*run)(struct analysis *a);
} stages[] = {
	{ "process", stage_process },
	{ "threads", stage_threads },
	{ "unwind", stage_unwind },
	{ "runtime-stacks", stage_runtime_stacks },
	{ "groups", stage_groups },
	{ "evidence", stage_evidence },
	{ "waitgraph", stage_waitgraph },
	{ "rules", stage_rules },
	{ "user-rules", stage_user_rules },
	{ "signature", stage_signature },
};

_Static_assert(ARRAY_SIZE(stages) <= ANALYZE_STAGES_MAX, "raise ANALYZE_STAGES_MAX");

static void analysis_deinit(struct analysis *a)
{
	unwind_destroy(a->unwinder);
	a->unwinder = NULL;
}

struct hs_error *analyze_core(struct elfcore *core, const struct analyze_options *opts, struct analyze_stats *stats,
			      struct model **ret)
{
	static const struct analyze_options defaults;
	struct analysis a = { .opts = opts ? opts : &defaults };
	struct hs_error *err;

	if (stats) {
		stats->nstages = 0;
		stats->cache_hits = stats->cache_new = 0;
	}
	if ((err = model_create(core, &a.m)))
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(stages); i++) {
		uint64_t start = stats ? hs_now_mono_ns() : 0;

		err = stages[i].run(&a);
		if (stats) {
			stats->stages[stats->nstages].name = stages[i].name;
			stats->stages[stats->nstages].ns = hs_now_mono_ns() - start;
			stats->nstages++;
		}
		if (err)
			break;
	}
	if (stats)
		unwind_cache_stats(a.unwinder, &stats->cache_hits, &stats->cache_new);
	analysis_deinit(&a);
	if (err) {
		model_destroy(a.m);
		return err;
	}
	*ret = a.m;
	return NULL;
}
