/*
 * signal-unsafe-reentry: a signal handler re-entered code that the
 * interrupted frames were in the middle of, and now waits on a lock those
 * frames hold — the thread waits for itself. Seen on the stack as a signal
 * frame (__restore_rt) with a lock wait above it, and either the lock's owner
 * is the thread itself or the same function runs on both sides of the signal
 * frame (malloc inside malloc).
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>
#include <string.h>

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The first function above the signal frame at sig (from the top of the
 * stack down) that also runs below it, __futex* aside; NULL when none. The
 * functions below are sorted once and searched: MODEL_MAX_FRAMES^2 string
 * compares per thread were too many for a core of many threads.
 */
static const char *function_on_both_sides(const struct thread *t, size_t sig)
{
	const char *below[MODEL_MAX_FRAMES];
	size_t n = 0;

	for (size_t z = sig + 1; z < t->frames.len && n < MODEL_MAX_FRAMES; z++)
		if (t->frames.items[z].function)
			below[n++] = t->frames.items[z].function;
	qsort(below, n, sizeof(below[0]), compare_names);
	for (size_t a = 0; a < sig; a++) {
		const char *fn = t->frames.items[a].function;
		if (fn && t->frames.items[a].pc != 0 && strncmp(fn, "__futex", 7) != 0 &&
		    bsearch(&fn, below, n, sizeof(below[0]), compare_names))
			return fn;
	}
	return NULL;
}

void rule_signal_unsafe_reentry(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct blocked_on *b = &t->blocked;
		const char *handler = NULL, *interrupted = NULL, *both = NULL;
		size_t sig = 0;
		struct finding *f;
		char label[64];

		if (!b->signal_frame || (b->kind != WAIT_MUTEX && b->kind != WAIT_RWLOCK && b->kind != WAIT_STDIO_LOCK &&
					 b->kind != WAIT_FUTEX))
			continue;
		while (sig < t->frames.len && !(t->frames.items[sig].function &&
						 strcmp(t->frames.items[sig].function, "__restore_rt") == 0))
			sig++;
		if (sig == 0 || sig + 1 >= t->frames.len)
			continue;
		handler = t->frames.items[sig - 1].function;
		/* the code the signal interrupted: the first frame below the signal frame outside libc */
		for (size_t z = sig + 1; z < t->frames.len && !interrupted; z++)
			if (!frame_is_runtime_module(t->frames.items[z].module))
				interrupted = t->frames.items[z].function;
		if (!interrupted)
			interrupted = t->frames.items[sig + 1].function;
		both = function_on_both_sides(t, sig);
		if (b->owner != t->tid && !both)
			continue;
		if (!(f = rule_add(rc, SEVERITY_CRITICAL)))
			return;
		finding_add_thread(rc, f, t->tid);
		if (b->owner == t->tid)
			finding_set_summary(rc, f, "%s deadlocked on itself: signal handler %s interrupted %s while it held "
						   "%s 0x%llx, and waits for that same lock",
					    rule_label(rc, t, label, sizeof(label)), handler ? handler : "(unknown)",
					    interrupted ? interrupted : "(unknown)", wait_kind_name(b->kind),
					    (unsigned long long)b->addr);
		else
			finding_set_summary(rc, f, "%s deadlocked on itself: signal handler %s re-entered %s, which the "
						   "interrupted code (%s) was already inside",
					    rule_label(rc, t, label, sizeof(label)), handler ? handler : "(unknown)", both,
					    interrupted ? interrupted : "(unknown)");
		finding_thread_evidence(rc, f, t);
		finding_add_evidence(rc, f, "signal frame at #%zu: handler %s above it, %s below it", sig,
				     handler ? handler : "?", interrupted ? interrupted : "?");
		finding_set_hint(rc, f, "a signal handler may only call async-signal-safe functions (signal-safety(7)): "
				        "set a flag or write to a pipe in the handler and do the work outside it");
		if (rc->err)
			return;
	}
}
