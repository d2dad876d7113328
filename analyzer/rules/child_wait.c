/*
 * child-wait: a thread waits for a child process that is itself stuck — not
 * running, not in a sleep with a deadline, not waiting for children of its
 * own (a shell waiting for its foreground job is not a hang).
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>

static bool child_is_stuck(const struct hs_child_info *c)
{
	switch (c->syscall_nr) {
	case 35: case 230:		/* nanosleep, clock_nanosleep: it will wake */
	case 61: case 247:		/* wait4, waitid: it waits for its own children */
	case HS_SYSCALL_RUNNING:
		return false;
	}
	return c->state == 'S' || c->state == 'D' || c->state == 'T' || c->state == 't';
}

void rule_child_wait(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct hs_child_info *c = t->blocked.child_info;
		struct finding *f;
		char label[64];
		char *what;

		if (t->blocked.kind != WAIT_CHILD || !c || t->blocked.timeout_ms == 0 || !child_is_stuck(c))
			continue;
		if (!(what = rule_describe(rc, t)) || !(f = rule_add(rc, SEVERITY_MEDIUM))) {
			free(what);
			return;
		}
		finding_add_thread(rc, f, t->tid);
		finding_set_summary(rc, f, "%s waits in %s, and the child is itself stuck", rule_label(rc, t, label, sizeof(label)),
				    what);
		free(what);
		finding_thread_evidence(rc, f, t);
		finding_add_evidence(rc, f, "child %d (%s): state %c, %u thread(s), /proc syscall: %s", c->pid,
				     c->comm ? c->comm : "?", c->state ? c->state : '?', c->nthreads,
				     c->syscall_line && *c->syscall_line ? c->syscall_line : "?");
		finding_set_hint(rc, f, "snapshot the child (hangsnap %d) to see why it is stuck; wait for it with a "
				        "deadline (waitid with WNOHANG in a loop, or a pidfd with poll)", c->pid);
		if (rc->err)
			return;
	}
}
