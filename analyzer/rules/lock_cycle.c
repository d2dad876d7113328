/*
 * lock-cycle: threads wait on locks owned by each other — a deadlock. A
 * cycle of length 1 is a thread waiting for a lock it holds itself. Reported
 * once per cycle, starting from its lowest tid so the sentence is stable.
 * A self-deadlock through a signal handler is left to signal-unsafe-reentry.
 */
#include "analyzer/rules/rules.h"

#include <string.h>

#include <stdlib.h>

/*
 * Marks in starts[] the thread each finding starts from: the lowest tid of a
 * cycle whose every edge is a lock. Each cycle is walked once (seen[]), not
 * once per member: a cycle of k threads costs k, not k^2.
 */
static void find_starts(const struct model *m, unsigned char *starts, unsigned char *seen)
{
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *start = &m->threads.items[i], *t = start, *lowest = start;
		bool all_locks = true;
		size_t len = 0;

		if (!start->in_cycle || seen[i])
			continue;
		do {
			seen[t - m->threads.items] = 1;
			all_locks &= wait_is_lock(t->blocked.kind);
			if (t->tid < lowest->tid)
				lowest = t;
			t = model_thread(m, t->waits_for);
			len++;
		} while (t && t != start && len <= m->threads.len);
		if (t && all_locks)
			starts[lowest - m->threads.items] = 1;
	}
}

void rule_lock_cycle(struct rule_context *rc)
{
	struct model *m = rc->m;
	unsigned char *starts = calloc(m->threads.len ? m->threads.len : 1, 1);
	unsigned char *seen = calloc(m->threads.len ? m->threads.len : 1, 1);

	if (!starts || !seen) {
		rc->err = &hs_error_nomem;
		goto out;
	}
	find_starts(m, starts, seen);
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *start = &m->threads.items[i], *t;
		struct finding *f;
		char label[64];
		bool all_locks = true, lowest = true, probable = false;
		size_t len = 0;

		if (!start->in_cycle || !starts[i])
			continue;
		/* walk the cycle once: is every edge a lock, and is start its lowest tid? */
		t = start;
		do {
			all_locks &= wait_is_lock(t->blocked.kind);
			lowest &= t->tid >= start->tid;
			t = model_thread(m, t->waits_for);
			len++;
		} while (t && t != start && len <= m->threads.len);
		if (!t || !all_locks || !lowest)
			continue;
		/* an owner found by a stack reference (the lock records none) makes the cycle probable */
		t = start;
		do {
			probable |= t->blocked.layout && strcmp(t->blocked.layout, "stack reference") == 0;
			t = model_thread(m, t->waits_for);
		} while (t && t != start);
		if (len == 1 && start->blocked.signal_frame)
			continue;
		if (!(f = rule_add(rc, SEVERITY_CRITICAL)))
			goto out;
		if (probable)
			f->confidence = CONFIDENCE_PROBABLE;
		rc->sb.len = 0;
		if (len == 1) {
			finding_set_summary(rc, f, "self-deadlock: %s waits for %s 0x%llx, which it already holds",
					    rule_label(rc, start, label, sizeof(label)), wait_kind_name(start->blocked.kind),
					    (unsigned long long)start->blocked.addr);
			finding_set_hint(rc, f, "a non-recursive lock taken twice by one thread: release it before calling "
					        "code that takes it again, or make it recursive");
		} else {
			struct strbuf s;
			strbuf_init(&s);
			t = start;
			do {
				const struct thread *next = model_thread(m, t->waits_for);
				char l2[64];
				size_t at;
				strbuf_appendf(&s, "%s%s", t == start ? "" : ", which",
					       t == start ? rule_label(rc, t, label, sizeof(label)) : "");
				/* where an interpreter thread is in its own code: " at app.rb:28 in 'reload'" */
				at = s.len;
				rule_append_where(&s, t, false);
				if (s.len > at && s.buf[at] == ',')
					memmove(s.buf + at, s.buf + at + 1, s.len-- - at);
				strbuf_appendf(&s, " waits for %s 0x%llx held by %s", wait_kind_name(t->blocked.kind),
					       (unsigned long long)t->blocked.addr, rule_label(rc, next, l2, sizeof(l2)));
				t = next;
			} while (t != start);
			if (!s.buf || !finding_set_summary(rc, f, "%sdeadlock of %zu threads: %s", probable ? "probable " : "",
							   len, s.buf))
				rc->err = rc->err ? rc->err : &hs_error_nomem;
			strbuf_deinit(&s);
			finding_set_hint(rc, f, "the threads take the same locks in different orders: take them in one "
					        "global order, or use %s and back off",
					 !start->rt.present ? "pthread_mutex_trylock"
					 : m->runtime.name && strcmp(m->runtime.name, "python") == 0 ? "acquire(timeout=...)"
					 : "Mutex#try_lock");
		}
		t = start;
		do {
			finding_add_thread(rc, f, t->tid);
			finding_thread_evidence(rc, f, t);
			t = model_thread(m, t->waits_for);
		} while (t && t != start && !rc->err);
		if (rc->err)
			goto out;
	}
out:
	free(starts);
	free(seen);
}
