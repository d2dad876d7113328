/*
 * file-lock-wait: a thread waits on flock()/fcntl(F_SETLKW)/lockf(); names
 * the file and the process that holds the lock (from /proc/locks, recorded
 * by hangsnap).
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>

void rule_file_lock_wait(struct rule_context *rc)
{
	struct model *m = rc->m;
	const struct hangsnap_context *ctx = &m->core->ctx;
	/* the children by pid: a holder's name is a binary search away (the last record of that pid) */
	struct thread_key *children = malloc((ctx->children.len ? ctx->children.len : 1) * sizeof(*children));

	if (!children) {
		rc->err = &hs_error_nomem;
		return;
	}
	for (size_t c = 0; c < ctx->children.len; c++)
		children[c] = (struct thread_key){ (uint64_t)(int64_t)ctx->children.items[c].pid, 0, c };
	thread_keys_sort(children, ctx->children.len);
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct blocked_on *b = &t->blocked;
		const char *holder_comm = NULL;
		struct finding *f;
		char label[64];
		char *what;

		if (b->kind != WAIT_FILE_LOCK)
			continue;
		if (b->file_lock && b->file_lock->pid > 0) {
			size_t end = thread_keys_find(children, ctx->children.len, (uint64_t)b->file_lock->pid + 1, 0);
			if (end > 0 && children[end - 1].a == (uint64_t)b->file_lock->pid)
				holder_comm = ctx->children.items[children[end - 1].index].comm;
		}
		if (!(what = rule_describe(rc, t)) || !(f = rule_add(rc, SEVERITY_MEDIUM))) {
			free(what);
			break;
		}
		finding_add_thread(rc, f, t->tid);
		if (b->file_lock && b->file_lock->pid > 0)
			finding_set_summary(rc, f, "%s waits for a %s lock on %s held by pid %d%s%s%s",
					    rule_label(rc, t, label, sizeof(label)),
					    b->file_lock->kind == HS_LOCK_FLOCK ? "flock" : b->file_lock->kind == HS_LOCK_OFD ? "OFD" : "POSIX",
					    b->file_lock_path ? b->file_lock_path : "a file", b->file_lock->pid,
					    holder_comm ? " (" : "", holder_comm ? holder_comm : "", holder_comm ? ", a child of this process)" : "");
		else
			finding_set_summary(rc, f, "%s is stuck in %s", rule_label(rc, t, label, sizeof(label)), what);
		free(what);
		finding_thread_evidence(rc, f, t);
		if (!b->file_lock)
			finding_add_evidence(rc, f, "the holder is unknown: no /proc/locks row for it in the core");
		finding_set_hint(rc, f, "find out why the holder keeps the lock (snapshot it with hangsnap too); take "
				        "the lock with LOCK_NB / F_SETLK and a retry deadline instead of waiting forever");
		if (rc->err)
			break;
	}
	free(children);
}
