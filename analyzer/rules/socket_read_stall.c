/*
 * socket-read-stall: a thread waits to read from a connection it opened
 * (client side) that has nothing queued: the peer never answered. Server-side
 * reads — on connections accepted from a listening port of the same process
 * — are idle clients, not hangs, and do not count.
 *
 * With no timeout (a blocking read(), a poll with timeout -1): medium.
 *
 * A poll for POLLIN with a timeout, re-armed in a loop (an event loop waiting
 * for a TLS or HTTP reply), is another matter: the socket notes cannot tell
 * an ESTABLISHED connection that has been quiet for 2 s from one quiet for
 * 2 days — /proc/net/tcp has no "last received" time, and a keepalive
 * timer's remaining time says nothing without the keepalive interval, which
 * is per socket and not recorded. An idle keep-alive pool looks exactly the
 * same. So a bounded poll gets a finding only with a stated reason that
 * the connection itself is stuck, and only when the thread made no progress
 * across the two CPU samples:
 *  - our request is unacknowledged (tx queue > 0) and the kernel is
 *    retransmitting it (retransmit timer, retransmits >= 1): the peer or the
 *    path is gone — medium with 3 or more retransmits, low with 1 or 2
 *    (a lossy path may recover). No duration is claimed: the retransmit
 *    timeout's floor is a per-route setting the core does not record.
 * A quiet connection with nothing unacknowledged is no finding.
 */
#include "analyzer/rules/rules.h"

#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>

/* listening: the (protocol, local port) of every LISTEN socket, sorted, for is_server_side() */
static struct thread_key *listening_ports(const struct model *m, size_t *n_ret)
{
	const struct hangsnap_context *ctx = &m->core->ctx;
	struct thread_key *keys = malloc((ctx->sockets.len ? ctx->sockets.len : 1) * sizeof(*keys));
	size_t n = 0;

	if (!keys)
		return NULL;
	for (size_t i = 0; i < ctx->sockets.len; i++) {
		const struct hs_socket_info *l = &ctx->sockets.items[i];
		if (l->state == TCP_STATE_LISTEN)
			keys[n++] = (struct thread_key){ l->protocol, l->local_port, i };
	}
	thread_keys_sort(keys, n);
	*n_ret = n;
	return keys;
}

/* A connection to a port this process listens on: accepted, not opened. */
static bool is_server_side(const struct thread_key *listening, size_t n, const struct hs_socket_info *s)
{
	size_t k = thread_keys_find(listening, n, s->protocol, s->local_port);

	return k < n && listening[k].a == s->protocol && listening[k].b == s->local_port;
}

/* Our data is unacknowledged and being retransmitted: the peer or the path is gone. */
static bool unacked_retransmitting(const struct hs_socket_info *s)
{
	return s->tx_queue > 0 && s->timer == 1 /* retransmit */ && s->retransmits >= 1;
}

/*
 * The socket t waits to read with nothing to read, or NULL; *fd_ret its fd.
 * A bounded poll counts only with unacked_retransmitting() and no progress.
 */
static const struct hs_socket_info *stalled_socket(const struct thread_key *listening, size_t nlistening,
						   const struct thread *t, int32_t *fd_ret)
{
	const struct blocked_on *b = &t->blocked;
	bool bounded = b->timeout_ms != TIMEOUT_NONE;

	if (b->kind != WAIT_READ && b->kind != WAIT_POLL)
		return NULL;
	if (bounded && (b->kind != WAIT_POLL || b->timeout_ms < 0 || !b->no_progress))
		return NULL;
	for (unsigned i = 0; i < b->nfds; i++) {
		const struct hs_socket_info *s = b->fds[i].socket;
		if (b->kind == WAIT_POLL && !(b->fds[i].events & POLLIN))
			continue;
		if (socket_is_tcp_in(s, TCP_STATE_ESTABLISHED) && s->rx_queue == 0 &&
		    !is_server_side(listening, nlistening, s) && (!bounded || unacked_retransmitting(s))) {
			*fd_ret = b->fds[i].fd;
			return s;
		}
	}
	return NULL;
}

void rule_socket_read_stall(struct rule_context *rc)
{
	struct model *m = rc->m;
	size_t nlistening = 0;
	struct thread_key *listening = listening_ports(m, &nlistening);

	if (!listening) {
		rc->err = &hs_error_nomem;
		return;
	}
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct hs_socket_info *s;
		struct finding *f;
		char label[64];
		char *what;
		int32_t fd = -1;
		bool bounded;

		if (t->blocked.in_resolver || !(s = stalled_socket(listening, nlistening, t, &fd)))
			continue;
		bounded = t->blocked.timeout_ms != TIMEOUT_NONE;
		if (!(what = rule_describe(rc, t)))
			break;
		if (!(f = rule_add(rc, !bounded || s->retransmits >= 3 ? SEVERITY_MEDIUM : SEVERITY_LOW))) {
			free(what);
			break;
		}
		finding_add_thread(rc, f, t->tid);
		finding_set_summary(rc, f, "%s waits for a reply that never comes: %s", rule_label(rc, t, label, sizeof(label)),
				    what);
		free(what);
		finding_thread_evidence(rc, f, t);
		finding_add_evidence(rc, f, "socket inode %llu: ESTABLISHED, nothing to read, %u bytes unacknowledged",
				     (unsigned long long)s->inode, s->tx_queue);
		if (bounded) {
			finding_add_evidence(rc, f, "fd %d: %u retransmit(s) of the unacknowledged bytes, retransmit timer "
						    "in %.1f s: the peer or the path does not acknowledge",
					     fd, s->retransmits, s->timer_ticks / 100.0);
			finding_add_evidence(rc, f, "%s timeout %" PRId64 " ms, re-armed in a loop; no CPU time and no context "
						    "switch in the %" PRIu64 " ms between the two samples",
					     t->syscall.name ? t->syscall.name : "poll", t->blocked.timeout_ms,
					     t->blocked.sample_ns / 1000000);
			finding_set_hint(rc, f, "the peer stopped acknowledging what was sent (gone, or the path drops "
						"packets) and each poll timeout only re-arms the wait: give the request a "
						"deadline of its own, or TCP_USER_TIMEOUT, and reconnect on expiry");
		} else {
			finding_set_hint(rc, f, "the peer accepted the connection but does not answer: set a receive timeout "
					"(SO_RCVTIMEO, or poll() with a timeout) and treat expiry as a failed request");
		}
		if (rc->err)
			break;
	}
	free(listening);
}
