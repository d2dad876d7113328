/*
 * abandoned-lock: threads wait for a lock whose owner tid is not a thread of
 * the process any more — it exited holding the lock, or the lock was copied
 * locked into a child by fork(). One finding per lock.
 */
#include "analyzer/rules/rules.h"

void rule_abandoned_lock(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct blocked_on *b = &t->blocked;
		struct finding *f;
		size_t waiters = 0;
		bool first = true;
		char label[64];

		if ((b->kind != WAIT_MUTEX && b->kind != WAIT_RWLOCK && b->kind != WAIT_STDIO_LOCK) || b->owner <= 0 ||
		    b->owner_alive)
			continue;
		for (size_t j = 0; j < m->threads.len && first; j++) {
			const struct blocked_on *o = &m->threads.items[j].blocked;
			if (j < i && o->addr == b->addr && o->owner == b->owner)
				first = false;
		}
		if (!first)
			continue;
		if (!(f = rule_add(rc, SEVERITY_CRITICAL)))
			return;
		for (size_t j = i; j < m->threads.len; j++) {
			const struct thread *o = &m->threads.items[j];
			if (o->blocked.addr == b->addr && o->blocked.owner == b->owner &&
			    (o->blocked.kind == WAIT_MUTEX || o->blocked.kind == WAIT_RWLOCK ||
			     o->blocked.kind == WAIT_STDIO_LOCK)) {
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
			return;
	}
}
