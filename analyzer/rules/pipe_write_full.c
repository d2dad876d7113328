/*
 * pipe-write-full: a thread is blocked writing to a pipe or FIFO whose buffer
 * is full (or to a socket whose send queue is), because whoever holds the
 * read end does not read. Names the holders of the read end.
 */
#include "analyzer/rules/rules.h"

#include <poll.h>
#include <stdlib.h>

#define PIPE_BUF_ 4096u

static const struct fd_target *full_target(const struct thread *t)
{
	const struct blocked_on *b = &t->blocked;

	if (b->kind != WAIT_WRITE && !(b->kind == WAIT_POLL && b->timeout_ms == TIMEOUT_NONE))
		return NULL;
	for (unsigned i = 0; i < b->nfds; i++) {
		const struct fd_target *ft = &b->fds[i];
		if (b->kind == WAIT_POLL && !(ft->events & POLLOUT))
			continue;
		if (ft->pipe && ft->pipe->queued != HS_PIPE_UNKNOWN && ft->pipe->capacity != HS_PIPE_UNKNOWN &&
		    ft->pipe->queued + PIPE_BUF_ > ft->pipe->capacity)
			return ft;
		if (ft->socket && ft->socket->tx_queue > 0 && b->kind == WAIT_WRITE)
			return ft;
	}
	return NULL;
}

void rule_pipe_write_full(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct fd_target *ft = full_target(t);
		struct finding *f;
		struct strbuf readers;
		char label[64];
		char *what;

		if (!ft)
			continue;
		strbuf_init(&readers);
		if (ft->pipe) {
			for (uint32_t h = 0; h < ft->pipe->nholders && h < HS_PIPE_MAX_HOLDERS; h++) {
				const struct hs_pipe_holder *ho = &ft->pipe->holders[h];
				if (ho->mode == 'w' || (ho->pid == m->pid && ho->fd == ft->fd))
					continue;
				strbuf_appendf(&readers, "%spid %d%s fd %d", readers.len ? ", " : "", ho->pid,
					       ho->pid == m->pid ? " (this process)" : "", ho->fd);
			}
		}
		if (!(what = rule_describe(rc, t)) || !(f = rule_add(rc, SEVERITY_HIGH))) {
			free(what);
			strbuf_deinit(&readers);
			return;
		}
		finding_add_thread(rc, f, t->tid);
		if (ft->pipe)
			finding_set_summary(rc, f, "%s is blocked writing to a full pipe: %s; the read end is held by %s, "
						   "which is not reading",
					    rule_label(rc, t, label, sizeof(label)), what,
					    readers.len ? readers.buf : "no process (its readers are gone)");
		else
			finding_set_summary(rc, f, "%s is blocked writing to a socket whose peer does not read: %s",
					    rule_label(rc, t, label, sizeof(label)), what);
		free(what);
		strbuf_deinit(&readers);
		finding_thread_evidence(rc, f, t);
		finding_set_hint(rc, f, "the reader has stopped reading (it may be blocked itself: snapshot it too); "
				        "drain the pipe in its own thread, or write non-blocking with a bound");
		if (rc->err)
			return;
	}
}
