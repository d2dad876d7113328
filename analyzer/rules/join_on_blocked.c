/*
 * join-on-blocked: a thread joins another that is itself blocked, so the
 * joiner (often a shutdown path) waits as long as the root blocker does. The
 * sentence follows the chain down to that root.
 */
#include "analyzer/rules/rules.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/names.h"
#include "analyzer/waitgraph.h"

static const char *hint_for(const struct model *m, const struct thread *root)
{
	bool python = root->rt.present && m->runtime.name && strcmp(m->runtime.name, "python") == 0;
	const char *hint_for_connect = python
		? "bound the connect (socket.create_connection(addr, timeout=...), sock.settimeout(), or the "
		  "client library's timeout= argument), and let shutdown stop the thread (close or shutdown() its "
		  "socket) instead of joining it unconditionally"
		: root->rt.present
		? "bound the connect (Net::HTTP#open_timeout, Socket.tcp(connect_timeout:), or a non-blocking "
		  "connect with IO#wait_writable(timeout)), and let shutdown interrupt the thread (Thread#raise, or "
		  "close its socket) instead of joining it unconditionally"
		: "bound the connect (non-blocking connect() and poll() with a timeout, SO_SNDTIMEO or "
		  "TCP_USER_TIMEOUT), and let shutdown interrupt the thread (shutdown() its socket) instead of "
		  "joining it unconditionally";

	switch (root->blocked.kind) {
	case WAIT_CONNECT:
		return hint_for_connect;
	case WAIT_POLL:
		for (unsigned i = 0; i < root->blocked.nfds; i++)
			if (socket_is_tcp_in(root->blocked.fds[i].socket, TCP_STATE_SYN_SENT))
				return hint_for_connect;
		return "give the poll a timeout, or a wakeup fd that shutdown signals, before joining the thread";
	case WAIT_READ: case WAIT_WRITE: case WAIT_ACCEPT:
		return "set a timeout on the blocking call (SO_RCVTIMEO/SO_SNDTIMEO, or poll() with a timeout), or "
		       "shutdown() its fd before joining the thread";
	case WAIT_QUEUE:
		if (python)
			return "the joined thread waits for something nobody sends: put() a sentinel on its queue "
			       "(or set() its Event, notify() its Condition) before joining it, or wait with a timeout";
		return "the joined thread waits on a queue nobody fills: push it a value, or close the queue "
		       "(Queue#close wakes every pop) before joining the thread";
	case WAIT_MUTEX: case WAIT_RWLOCK: case WAIT_STDIO_LOCK:
		return "the joined thread waits for a lock: find who holds it (see the other findings)";
	default:
		return "give the joined thread a way to stop (a timeout or a wakeup) before joining it";
	}
}

void rule_join_on_blocked(struct rule_context *rc)
{
	struct model *m = rc->m;

	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *j = &m->threads.items[i], *target, *root;
		struct finding *f;
		char a[64], b[64];
		char *chain;
		size_t steps = 0;
		bool timed;

		if (j->blocked.kind != WAIT_JOIN || !j->blocked.owner_alive || !(target = model_thread(m, j->blocked.owner)))
			continue;
		if (target->blocked.kind == WAIT_NONE || target->blocked.kind == WAIT_RUNNING)
			continue;
		root = waitgraph_root(m, target);
		if (!(chain = rule_chain(rc, target)))
			return;
		/*
		 * A join on a thread in a wait with a timeout, with nothing to say it is
		 * stuck beyond the snapshot's own sample (no stalled connect under it), is how launchers and
		 * supervisors wait for a healthy worker (a JVM's launcher joins its main
		 * thread, asleep in Thread.sleep): low, not an alarm.
		 */
		timed = !root->in_cycle && root->blocked.timeout_ms >= 0 &&
			root->blocked.stalled_ns <= root->blocked.sample_ns;
		if (!(f = rule_add(rc, root->in_cycle ? SEVERITY_CRITICAL : timed ? SEVERITY_LOW : SEVERITY_HIGH))) {
			free(chain);
			return;
		}
		rc->sb.len = 0;
		if (!rule_append_where(&rc->sb, j, false) ||
		    (j->blocked.call && !strbuf_appendf(&rc->sb, " (%s)", j->blocked.call))) {
			free(chain);
			rc->err = &hs_error_nomem;
			return;
		}
		/* "main (4711) at agent.rb:102 in 'shutdown' (Thread#join) is joining ..." */
		finding_set_summary(rc, f, "%s%s is joining %s%s", rule_label(rc, j, a, sizeof(a)),
				    rc->sb.len ? rc->sb.buf + (rc->sb.buf[0] == ',') : "", rule_label(rc, target, b, sizeof(b)),
				    chain);
		free(chain);
		finding_add_thread(rc, f, j->tid);
		finding_thread_evidence(rc, f, j);
		for (const struct thread *t = target; t && steps++ <= m->threads.len;
		     t = t == root ? NULL : model_thread(m, t->waits_for)) {
			finding_add_thread(rc, f, t->tid);
			finding_thread_evidence(rc, f, t);
		}
		if (timed)
			finding_set_hint(rc, f, "the joined thread waits with a timeout (%lld ms) and may well be healthy "
						"(a launcher or supervisor waiting for its worker): snapshot again later; if it "
						"is still there, %s", (long long)root->blocked.timeout_ms, hint_for(m, root));
		else
			finding_set_hint(rc, f, "%s", hint_for(m, root));
		if (rc->err)
			return;
	}
}
