/*
 * lock-held-during-io: threads wait for a lock whose holder is itself
 * blocked in I/O or another unbounded wait — every waiter is as stuck as the
 * holder's I/O. One finding per holder.
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>

static bool is_blocking_io(const struct blocked_on *b)
{
	switch (b->kind) {
	case WAIT_CONNECT: case WAIT_ACCEPT: case WAIT_READ: case WAIT_WRITE: case WAIT_CHILD: case WAIT_FILE_LOCK:
	case WAIT_CONDVAR: case WAIT_JOIN: case WAIT_SIGNAL:
		return true;
	case WAIT_POLL: case WAIT_FUTEX:
		return b->timeout_ms == TIMEOUT_NONE;
	case WAIT_SLEEP:
		return b->timeout_ms < 0 || b->timeout_ms >= 1000;
	default:
		return false;
	}
}

void rule_lock_held_during_io(struct rule_context *rc)
{
	struct model *m = rc->m;
	/* the lock waiters by owner tid, in thread order within one owner */
	struct thread_key *waiters_by_owner = malloc((m->threads.len ? m->threads.len : 1) * sizeof(*waiters_by_owner));
	size_t nwaiters = 0;

	if (!waiters_by_owner) {
		rc->err = &hs_error_nomem;
		return;
	}
	for (size_t j = 0; j < m->threads.len; j++) {
		const struct thread *w = &m->threads.items[j];
		if (wait_is_lock(w->blocked.kind))
			waiters_by_owner[nwaiters++] = (struct thread_key){ (uint64_t)(int64_t)w->blocked.owner, 0, j };
	}
	thread_keys_sort(waiters_by_owner, nwaiters);
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *holder = &m->threads.items[i];
		struct finding *f = NULL;
		size_t waiters = 0;
		uint64_t addr = 0;
		enum wait_kind kind = WAIT_MUTEX;
		char label[64];
		char *what;

		if (!is_blocking_io(&holder->blocked))
			continue;
		for (size_t k = thread_keys_find(waiters_by_owner, nwaiters, (uint64_t)(int64_t)holder->tid, 0);
		     k < nwaiters && waiters_by_owner[k].a == (uint64_t)(int64_t)holder->tid; k++) {
			const struct thread *w = &m->threads.items[waiters_by_owner[k].index];
			if (w == holder)
				continue;
			if (!f) {
				if (!(f = rule_add(rc, SEVERITY_HIGH)))
					goto out;
				finding_add_thread(rc, f, holder->tid);
				finding_thread_evidence(rc, f, holder);
				addr = w->blocked.addr;
				kind = w->blocked.kind;
			}
			finding_add_thread(rc, f, w->tid);
			finding_thread_evidence(rc, f, w);
			waiters++;
		}
		if (!f)
			continue;
		if (!(what = rule_describe(rc, holder)))
			goto out;
		if (waiters == 1)
			finding_set_summary(rc, f, "%s waits for %s 0x%llx held by %s, which is blocked in %s",
					    rule_label(rc, model_thread(m, f->threads.items[1]), label, sizeof(label)),
					    wait_kind_name(kind), (unsigned long long)addr,
					    model_thread_label(m, holder->tid, (char[64]){ 0 }, 64), what);
		else
			finding_set_summary(rc, f, "%zu threads wait for %s 0x%llx held by %s, which is blocked in %s",
					    waiters, wait_kind_name(kind), (unsigned long long)addr,
					    rule_label(rc, holder, label, sizeof(label)), what);
		free(what);
		finding_set_hint(rc, f, "do not hold a lock across blocking I/O: copy what the I/O needs, release the "
				        "lock, then do the I/O (or bound it with a timeout)");
		if (rc->err)
			goto out;
	}
out:
	free(waiters_by_owner);
}
