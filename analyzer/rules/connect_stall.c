/*
 * connect-stall: a thread is in a blocking connect(), or polls a socket that
 * is still in SYN_SENT, with no bound on the wait. The remote's accept queue
 * is full or it drops SYNs; the kernel retries for about two minutes per
 * attempt and a retry loop can make that forever.
 */
#include "analyzer/rules/rules.h"

#include <string.h>

#include <stdlib.h>

static const struct hs_socket_info *connecting_socket(const struct thread *t)
{
	for (unsigned i = 0; i < t->blocked.nfds; i++) {
		const struct hs_socket_info *s = t->blocked.fds[i].socket;
		if (socket_is_tcp_in(s, TCP_STATE_SYN_SENT))
			return s;
	}
	return NULL;
}

void rule_connect_stall(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct hs_socket_info *s = connecting_socket(t);
		struct finding *f;
		char label[64];
		char *what;

		if (t->blocked.in_resolver)
			continue;	/* dns-stall's */
		if (t->blocked.kind == WAIT_CONNECT) {
			/* without socket notes the state is unknown: a connect in progress may be seconds old */
		} else if (t->blocked.kind != WAIT_POLL || !s || t->blocked.timeout_ms != TIMEOUT_NONE) {
			continue;
		}
		if (!(what = rule_describe(rc, t)))
			return;
		if (!(f = rule_add(rc, s || m->producer == PRODUCER_HANGSNAP ? SEVERITY_HIGH
										     : SEVERITY_MEDIUM))) {
			free(what);
			return;
		}
		finding_add_thread(rc, f, t->tid);
		finding_set_summary(rc, f, "%s is stuck in %s", rule_label(rc, t, label, sizeof(label)), what);
		free(what);
		finding_thread_evidence(rc, f, t);
		if (s)
			finding_add_evidence(rc, f, "socket inode %llu: SYN_SENT, %u SYN retransmit(s), retransmit timer in %.1f s",
					     (unsigned long long)s->inode, s->retransmits, s->timer_ticks / 100.0);
		else
			finding_add_evidence(rc, f, "no socket notes in this core: the connection state is unknown");
		if (t->rt.present && rc->m->runtime.name && strcmp(rc->m->runtime.name, "python") == 0)
			finding_set_hint(rc, f, "the peer does not complete the handshake (accept queue full, or SYNs "
						"dropped): bound the connect — socket.create_connection(addr, timeout=...), "
						"sock.settimeout(), or the HTTP client's timeout= — and retry with backoff");
		else if (t->rt.present)	/* the fix, in the program's own language */
			finding_set_hint(rc, f, "the peer does not complete the handshake (accept queue full, or SYNs "
						"dropped): bound the connect — Net::HTTP#open_timeout, "
						"Socket.tcp(connect_timeout:), or IO#wait_writable(timeout) after a "
						"non-blocking connect — and retry with backoff");
		else
			finding_set_hint(rc, f, "the peer does not complete the handshake (accept queue full, or SYNs dropped): "
						"bound the connect — non-blocking connect() and poll() with a timeout, or "
						"SO_SNDTIMEO / TCP_USER_TIMEOUT — and retry with backoff");
		if (rc->err)
			return;
	}
}
