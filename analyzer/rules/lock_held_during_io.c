/*
 * lock-held-during-io: threads wait for a lock whose holder is itself
 * blocked in I/O or another unbounded wait — every waiter is as stuck as the
 * holder's I/O. One finding per holder.
 *
 * A holder inferred from a reference to the lock (an rwlock held by readers,
 * a semaphore, a mutex that records no owner: evidence.c infer_ownerless())
 * makes the finding probable: the summary says "probably held by", an
 * evidence line says where the holder's stack or registers hold the lock,
 * and the finding's confidence is CONFIDENCE_PROBABLE.
 */
#include "analyzer/rules/rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static bool inferred(const struct blocked_on *b)
{
	return b->layout && strcmp(b->layout, "stack reference") == 0;
}

/* "rwlock cfg_lock (0x55d0...)" or "rwlock 0x55d0...", into sb (reset). */
static const char *lock_name(struct strbuf *sb, const struct blocked_on *b)
{
	sb->len = 0;
	if (b->holder.object)
		strbuf_appendf(sb, "%s %s (0x%" PRIx64 ")", wait_kind_name(b->kind), b->holder.object, b->addr);
	else
		strbuf_appendf(sb, "%s 0x%" PRIx64, wait_kind_name(b->kind), b->addr);
	return sb->buf ? sb->buf : "";
}

/*
 * "reader (4712) probably holds rwlock cfg_lock (0x55d0): its stack holds
 * &cfg_lock at frame #2 reader() (stack address 0x7f..., 1 thread refers to it)"
 */
static bool holder_evidence(struct rule_context *rc, struct finding *f, const struct thread *holder,
			    const struct blocked_on *b)
{
	const struct probable_holder *h = &b->holder;
	const struct frame *fr = h->frame >= 0 && (size_t)h->frame < holder->frames.len ? &holder->frames.items[h->frame] : NULL;
	char label[64], ref[160], where[96], extra[64] = "";
	struct strbuf name;
	bool ok;

	if (h->object && h->ref == b->addr)
		snprintf(ref, sizeof(ref), "&%s", h->object);
	else if (h->object)
		snprintf(ref, sizeof(ref), "&%s+0x%" PRIx64, h->object, h->ref - b->addr);
	else
		snprintf(ref, sizeof(ref), "0x%" PRIx64, h->ref);
	if (h->reg)
		snprintf(where, sizeof(where), "its register %s", h->reg);
	else {
		snprintf(where, sizeof(where), "its stack");
		snprintf(extra, sizeof(extra), "stack address 0x%" PRIx64 ", ", h->where);
	}
	strbuf_init(&name);
	ok = finding_add_evidence(rc, f, "%s %s %s: %s holds %s at frame #%d %s() (%s%u thread%s refer%s to it)",
				  rule_label(rc, holder, label, sizeof(label)),
				  b->kind == WAIT_SEMAPHORE ? "probably is to post" : "probably holds", lock_name(&name, b), where, ref, h->frame,
				  fr && fr->function ? fr->function : "??", extra, h->candidates,
				  h->candidates == 1 ? "" : "s", h->candidates == 1 ? "s" : "");
	strbuf_deinit(&name);
	return ok;
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
		const struct blocked_on *lock = NULL;	/* the first waiter's: the lock named */
		bool probable = false;
		char label[64];
		char *what;
		struct strbuf name;

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
				lock = &w->blocked;
			}
			finding_add_thread(rc, f, w->tid);
			finding_thread_evidence(rc, f, w);
			/* the holder is inferred for this waiter: say where its stack refers to the lock, once per lock */
			if (inferred(&w->blocked) && w->blocked.holder.tid == holder->tid &&
			    (!probable || w->blocked.addr != lock->addr))
				holder_evidence(rc, f, holder, &w->blocked);
			probable |= inferred(&w->blocked);
			waiters++;
		}
		if (!f)
			continue;
		if (probable)
			f->confidence = CONFIDENCE_PROBABLE;
		if (!(what = rule_describe(rc, holder)))
			goto out;
		strbuf_init(&name);
		if (!probable)
			lock_name(&name, &(struct blocked_on){ .kind = lock->kind, .addr = lock->addr });
		else
			lock_name(&name, lock);
		if (waiters == 1)
			finding_set_summary(rc, f, "%s waits for %s %s%s by %s, which is blocked in %s",
					    rule_label(rc, model_thread(m, f->threads.items[1]), label, sizeof(label)),
					    name.buf ? name.buf : "", probable ? "probably " : "",
					    lock->kind == WAIT_SEMAPHORE ? "to be posted" : "held",
					    model_thread_label(m, holder->tid, (char[64]){ 0 }, 64), what);
		else
			finding_set_summary(rc, f, "%zu threads wait for %s %s%s by %s, which is blocked in %s",
					    waiters, name.buf ? name.buf : "", probable ? "probably " : "",
					    lock->kind == WAIT_SEMAPHORE ? "to be posted" : "held",
					    rule_label(rc, holder, label, sizeof(label)), what);
		strbuf_deinit(&name);
		free(what);
		finding_set_hint(rc, f, "do not hold a lock across blocking I/O: copy what the I/O needs, release the "
				        "lock, then do the I/O (or bound it with a timeout)");
		if (rc->err)
			goto out;
	}
out:
	free(waiters_by_owner);
}
