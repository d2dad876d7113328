/*
 * socket-read-stall: a thread waits to read from a connection it opened
 * (client side) that has nothing queued, with no timeout: the peer never
 * answered. Server-side reads — on connections accepted from a listening
 * port of the same process — are idle clients, not hangs, and do not count.
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>
#include <poll.h>

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

static const struct hs_socket_info *stalled_socket(const struct thread_key *listening, size_t nlistening,
						   const struct thread *t)
{
	const struct blocked_on *b = &t->blocked;

	if (b->timeout_ms != TIMEOUT_NONE || (b->kind != WAIT_READ && b->kind != WAIT_POLL))
		return NULL;
	for (unsigned i = 0; i < b->nfds; i++) {
		const struct hs_socket_info *s = b->fds[i].socket;
		if (b->kind == WAIT_POLL && !(b->fds[i].events & POLLIN))
			continue;
		if (socket_is_tcp_in(s, TCP_STATE_ESTABLISHED) && s->rx_queue == 0 &&
		    !is_server_side(listening, nlistening, s))
			return s;
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

		if (t->blocked.in_resolver || !(s = stalled_socket(listening, nlistening, t)))
			continue;
		if (!(what = rule_describe(rc, t)))
			break;
		if (!(f = rule_add(rc, SEVERITY_MEDIUM))) {
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
		finding_set_hint(rc, f, "the peer accepted the connection but does not answer: set a receive timeout "
				        "(SO_RCVTIMEO, or poll() with a timeout) and treat expiry as a failed request");
		if (rc->err)
			break;
	}
	free(listening);
}
