/*
 * abandoned-lock: threads wait for a lock whose owner tid is not a thread of
 * the process any more — it exited holding the lock, or the lock was copied
 * locked into a child by fork(). One finding per lock.
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>

void rule_abandoned_lock(struct rule_context *rc)
{
	struct model *m = rc->m;
	/* every thread by (lock address, owner), in thread order within one lock */
	struct thread_key *by_lock = malloc((m->threads.len ? m->threads.len : 1) * sizeof(*by_lock));

	if (!by_lock) {
		rc->err = &hs_error_nomem;
		return;
	}
	for (size_t j = 0; j < m->threads.len; j++) {
		const struct blocked_on *o = &m->threads.items[j].blocked;
		by_lock[j] = (struct thread_key){ o->addr, (uint64_t)(int64_t)o->owner, j };
	}
	thread_keys_sort(by_lock, m->threads.len);
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct blocked_on *b = &t->blocked;
		struct finding *f;
		size_t waiters = 0, first;
		char label[64];

		if (!wait_is_lock(b->kind) || b->owner <= 0 || b->owner_alive)
			continue;
		/* one finding per lock, from the first thread (of any kind) that names it */
		first = thread_keys_find(by_lock, m->threads.len, b->addr, (uint64_t)(int64_t)b->owner);
		if (by_lock[first].index != i)
			continue;
		if (!(f = rule_add(rc, SEVERITY_CRITICAL)))
			break;
		for (size_t k = first; k < m->threads.len && by_lock[k].a == b->addr &&
				       by_lock[k].b == (uint64_t)(int64_t)b->owner; k++) {
			const struct thread *o = &m->threads.items[by_lock[k].index];
			if (wait_is_lock(o->blocked.kind)) {
				finding_add_thread(rc, f, o->tid);
				finding_thread_evidence(rc, f, o);
				waiters++;
			}
		}
		if (waiters == 1)
			finding_set_summary(rc, f, "%s waits for %s 0x%llx, whose owner, thread %d, no longer exists: it "
						   "exited (or was lost across fork()) without unlocking it",
					    rule_label(rc, t, label, sizeof(label)), wait_kind_name(b->kind),
					    (unsigned long long)b->addr, b->owner);
		else
			finding_set_summary(rc, f, "%zu threads wait for %s 0x%llx, whose owner, thread %d, no longer "
						   "exists: it exited (or was lost across fork()) without unlocking it",
					    waiters, wait_kind_name(b->kind), (unsigned long long)b->addr, b->owner);
		finding_add_evidence(rc, f, "owner tid %d read from the lock (%s layout) is not among the %zu threads",
				     b->owner, b->layout ? b->layout : "glibc", m->threads.len);
		finding_set_hint(rc, f, "unlock on every exit path of the owner (pthread_cleanup_push, or a robust "
				        "mutex to detect it); do not fork() while other threads may hold locks");
		if (rc->err)
			break;
	}
	free(by_lock);
}
