/*
 * connect-stall: a thread is in a blocking connect(), or polls a socket that
 * is still in SYN_SENT (a non-blocking connect in progress). The remote's
 * accept queue is full or it drops SYNs; the kernel retries for about two
 * minutes per attempt and a retry loop can make that forever.
 *
 * Severity:
 *  - connect(), or a poll with no timeout, on a SYN_SENT socket: high
 *    (medium for a connect() in a core without socket notes);
 *  - a poll with a timeout (an event loop: poll/ppoll/select/epoll_wait
 *    re-armed each time it expires, as curl does) is judged by how long the
 *    handshake is known to have lasted, from its SYN retransmits: each is
 *    at least 1 s (evidence.c, syn_sent_at_least_ns()), so
 *      0 retransmits: no finding — a connect that just started is normal;
 *      1: low — one SYN lost, the next one often gets through;
 *      2 or more (at least 2 s in the handshake; 3 s without
 *        tcp_syn_linear_timeouts): medium — SYNs are being dropped.
 *    Also medium with 1 retransmit when the thread did not come back from a
 *    poll that should have expired within the CPU samples. Never high: an
 *    overall deadline around the loop (curl's --connect-timeout) is in the
 *    program's memory, not in anything the core shows.
 * The evidence names the fd, the peer, the poll's timeout and the frame
 * that polls (the first frame outside libc, as finding_thread_evidence()).
 */
#include "analyzer/rules/rules.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyzer/evidence.h"

static const struct fd_target *connecting_fd(const struct thread *t)
{
	for (unsigned i = 0; i < t->blocked.nfds; i++)
		if (socket_is_tcp_in(t->blocked.fds[i].socket, TCP_STATE_SYN_SENT))
			return &t->blocked.fds[i];
	return NULL;
}

/* "127.0.0.1:8080" / "[::1]:8080" into buf */
static const char *peer(const struct hs_socket_info *s, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(s->family == AF_INET6 ? AF_INET6 : AF_INET, s->remote_addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, size, s->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, s->remote_port);
	return buf;
}

/* The severity of a bounded poll on a connect in progress; -1: no finding. */
static int bounded_severity(const struct thread *t, const struct hs_socket_info *s)
{
	const struct blocked_on *b = &t->blocked;
	bool overslept = b->no_progress && b->timeout_ms >= 0 && (uint64_t)b->timeout_ms * 1000000u < b->sample_ns;

	if (s->retransmits >= 2 || (s->retransmits == 1 && overslept))
		return SEVERITY_MEDIUM;
	if (s->retransmits == 1)
		return SEVERITY_LOW;
	return -1;
}

static void set_hint(struct rule_context *rc, struct finding *f, const struct thread *t)
{
	if (t->rt.present && rc->m->runtime.name && strcmp(rc->m->runtime.name, "python") == 0)
		finding_set_hint(rc, f, "the peer does not complete the handshake (accept queue full, or SYNs "
					"dropped): bound the connect — socket.create_connection(addr, timeout=...), "
					"sock.settimeout(), or the HTTP client's timeout= — and retry with backoff");
	else if (t->rt.present)	/* the fix, in the program's own language */
		finding_set_hint(rc, f, "the peer does not complete the handshake (accept queue full, or SYNs "
					"dropped): bound the connect — Net::HTTP#open_timeout, "
					"Socket.tcp(connect_timeout:), or IO#wait_writable(timeout) after a "
					"non-blocking connect — and retry with backoff");
	else if (t->blocked.kind == WAIT_POLL && t->blocked.timeout_ms >= 0)
		finding_set_hint(rc, f, "the peer does not complete the handshake (accept queue full, or SYNs dropped) "
					"and each poll timeout only re-arms the wait: give the connect a deadline of its "
					"own (curl --connect-timeout, CURLOPT_CONNECTTIMEOUT_MS), check the listener's "
					"backlog and accept loop, and retry with backoff");
	else
		finding_set_hint(rc, f, "the peer does not complete the handshake (accept queue full, or SYNs dropped): "
					"bound the connect — non-blocking connect() and poll() with a timeout, or "
					"SO_SNDTIMEO / TCP_USER_TIMEOUT — and retry with backoff");
}

/*
 * The socket's evidence; for a bounded poll on a SYN_SENT socket, the fd and
 * its peer, the retransmits, the poll's timeout and the CPU samples.
 */
static void socket_evidence(struct rule_context *rc, struct finding *f, const struct thread *t,
			    const struct fd_target *ft)
{
	const struct blocked_on *b = &t->blocked;
	const struct hs_socket_info *s = ft->socket;
	const char *call = t->syscall.name ? t->syscall.name : "poll";
	uint64_t secs = b->stalled_ns / UINT64_C(1000000000);
	const struct frame *app = frame_app(t), *named = NULL;
	char addr[64];

	for (size_t i = app ? (size_t)(app - t->frames.items) : t->frames.len; i < t->frames.len && !named; i++)
		if (t->frames.items[i].function && t->frames.items[i].module &&
		    !frame_is_runtime_module(t->frames.items[i].module))
			named = &t->frames.items[i];

	if (b->kind != WAIT_POLL || b->timeout_ms == TIMEOUT_NONE) {
		finding_add_evidence(rc, f, "socket inode %llu: SYN_SENT, %u SYN retransmit(s), retransmit timer in %.1f s",
				     (unsigned long long)s->inode, s->retransmits, s->timer_ticks / 100.0);
		return;
	}
	rc->sb.len = 0;
	if (!evidence_describe_fd(&rc->sb, ft)) {
		rc->err = &hs_error_nomem;
		return;
	}
	finding_add_evidence(rc, f, "%s (socket inode %llu), connecting to %s: %u SYN retransmit(s)%s, "
				    "retransmit timer in %.1f s",
			     rc->sb.buf, (unsigned long long)s->inode, peer(s, addr, sizeof(addr)), s->retransmits,
			     s->retransmits ? ", at least 1 s each" : "", s->timer_ticks / 100.0);
	if (app && !app->function && named) /* no symbol for the frame that polls: the nearest that has one */
		finding_add_evidence(rc, f, "polled below %s (%s)", named->function, named->module);
	if (b->timeout_ms >= 0 && secs * 1000 > (uint64_t)b->timeout_ms)
		finding_add_evidence(rc, f, "%s timeout %" PRId64 " ms, re-armed in a loop: the handshake is older "
					    "(at least %" PRIu64 " s) than one timeout", call, b->timeout_ms, secs);
	else if (b->timeout_ms >= 0)
		finding_add_evidence(rc, f, "%s timeout %" PRId64 " ms", call, b->timeout_ms);
	if (b->no_progress)
		finding_add_evidence(rc, f, "no CPU time and no context switch in the %" PRIu64 " ms between the two samples",
				     b->sample_ns / 1000000);
}

void rule_connect_stall(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct fd_target *ft = connecting_fd(t);
		const struct hs_socket_info *s = ft ? ft->socket : NULL;
		bool bounded = false;
		int severity;
		struct finding *f;
		char label[64];
		char *what;

		if (t->blocked.in_resolver)
			continue;	/* dns-stall's */
		if (t->blocked.kind == WAIT_CONNECT) {
			/* without socket notes the state is unknown: a connect in progress may be seconds old */
			severity = s || m->producer == PRODUCER_HANGSNAP ? SEVERITY_HIGH : SEVERITY_MEDIUM;
		} else if (t->blocked.kind != WAIT_POLL || !s) {
			continue;
		} else if (t->blocked.timeout_ms == TIMEOUT_NONE) {
			severity = SEVERITY_HIGH;
		} else if ((severity = bounded_severity(t, s)) < 0) {
			continue;
		} else {
			bounded = true;
		}
		if (!(what = rule_describe(rc, t)))
			return;
		if (!(f = rule_add(rc, (enum severity)severity))) {
			free(what);
			return;
		}
		finding_add_thread(rc, f, t->tid);
		if (bounded)
			finding_set_summary(rc, f, "%s keeps polling a connect that does not complete: %s",
					    rule_label(rc, t, label, sizeof(label)), what);
		else
			finding_set_summary(rc, f, "%s is stuck in %s", rule_label(rc, t, label, sizeof(label)), what);
		free(what);
		finding_thread_evidence(rc, f, t);
		if (s)
			socket_evidence(rc, f, t, ft);
		else
			finding_add_evidence(rc, f, "no socket notes in this core: the connection state is unknown");
		set_hint(rc, f, t);
		if (rc->err)
			return;
	}
}
