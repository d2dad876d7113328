/*
 * busy-spin: a thread burns CPU in user space without system calls across
 * both of hangsnap's CPU samples (at least half a CPU, or at least 10% while
 * being preempted — a spinner on a busy machine) — a spin loop waiting for something that
 * does not happen. Needs the HANGSNAP samples; cores without them cannot
 * tell a spin from a thread that happened to be running.
 */
#include "analyzer/rules/rules.h"

#include <inttypes.h>

void rule_busy_spin(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct blocked_on *b = &t->blocked;
		const struct frame *at;
		struct finding *f;
		char label[64];
		unsigned pct;

		if (!t->ctx || !b->sample_ns || t->syscall.nr >= 0 || t->state != 'R')
			continue;
		pct = (unsigned)(b->cpu_ns * 100 / b->sample_ns);
		/*
		 * Voluntary switches mean it blocked somewhere in between: not a spin.
		 * On a loaded machine a spinner gets only its share of a CPU, so being
		 * preempted (involuntary switches) while burning any real share counts.
		 */
		if (t->ctx->vcsw[1] != t->ctx->vcsw[0] ||
		    !(pct >= 50 || (pct >= 10 && t->ctx->nvcsw[1] != t->ctx->nvcsw[0])))
			continue;
		if (!(f = rule_add(rc, SEVERITY_MEDIUM)))
			return;
		at = t->frames.len ? &t->frames.items[0] : NULL;
		finding_add_thread(rc, f, t->tid);
		finding_set_summary(rc, f, "%s is spinning: %u%% of a CPU in user space over the %" PRIu64
					   " ms sample without a system call, at %s",
				    rule_label(rc, t, label, sizeof(label)), pct > 100 ? 100 : pct, b->sample_ns / 1000000,
				    at && at->function ? at->function : at && at->module ? at->module : "an unknown pc");
		finding_thread_evidence(rc, f, t);
		finding_add_evidence(rc, f, "utime %" PRIu64 " -> %" PRIu64 " ticks, voluntary switches %" PRIu64
					    " -> %" PRIu64, t->ctx->utime[0], t->ctx->utime[1], t->ctx->vcsw[0], t->ctx->vcsw[1]);
		finding_set_hint(rc, f, "a loop that polls a condition without blocking: wait on a condition variable or "
				        "futex, or back off with a sleep");
		if (rc->err)
			return;
	}
}
