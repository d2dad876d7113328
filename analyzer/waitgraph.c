/* See waitgraph.h. */
#include "analyzer/waitgraph.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyzer/names.h"
#include "analyzer/syscalls.h"
#include "common/util.h"

bool waitgraph_thread_edge(const struct thread *t)
{
	return t->waits_for > 0;
}

static bool is_lock(enum wait_kind k)
{
	return k == WAIT_MUTEX || k == WAIT_RWLOCK || k == WAIT_STDIO_LOCK || k == WAIT_SEMAPHORE;
}

/* The socket of a connect in progress among t's fds, or NULL. */
static const struct fd_target *syn_sent(const struct thread *t)
{
	for (unsigned i = 0; i < t->blocked.nfds; i++) {
		const struct hs_socket_info *s = t->blocked.fds[i].socket;
		if (socket_is_tcp_in(s, TCP_STATE_SYN_SENT))
			return &t->blocked.fds[i];
	}
	return NULL;
}

/* "127.0.0.1:8080" for a connect: the socket's peer, else the sockaddr decoded in the syscall text. */
static bool append_connect_peer(struct strbuf *sb, const struct thread *t)
{
	const struct fd_target *ft = syn_sent(t);
	const char *text = t->syscall.text, *open, *comma, *close;

	if (!ft && t->blocked.nfds && t->blocked.fds[0].socket)
		ft = &t->blocked.fds[0];
	if (ft && ft->socket && ft->socket->remote_port) {
		struct strbuf tmp;
		bool ok;
		char *arrow;

		strbuf_init(&tmp);
		ok = evidence_describe_fd(&tmp, ft);
		/* keep "ADDR:PORT STATE" after the arrow */
		if (ok && tmp.buf && (arrow = strstr(tmp.buf, " -> ")))
			ok = strbuf_append(sb, arrow + 4, strcspn(arrow + 4, " ")) &&
			     strbuf_appendf(sb, " (%s)", tcp_state_name(ft->socket->state));
		else if (ok && tmp.buf)
			ok = strbuf_append(sb, tmp.buf, tmp.len);
		strbuf_deinit(&tmp);
		return ok;
	}
	if (text && (open = strchr(text, '{')) && (comma = strchr(open, ',')) && (close = strchr(comma, '}')))
		return strbuf_append(sb, comma + 2, (size_t)(close - comma - 2));
	return strbuf_addstr(sb, "an unknown address");
}

static bool append_timeout(struct strbuf *sb, int64_t ms)
{
	if (ms == TIMEOUT_NONE)
		return strbuf_addstr(sb, " with no timeout");
	if (ms >= 0)
		return strbuf_appendf(sb, " with a %" PRId64 " ms timeout", ms);
	return true;
}

static bool append_fds(struct strbuf *sb, const struct blocked_on *b)
{
	bool ok = true;

	if (!b->nfds)
		return true;
	for (unsigned i = 0; ok && i < b->nfds; i++)
		ok = strbuf_append(sb, i ? ", " : " on ", i ? 2 : 4) && evidence_describe_fd(sb, &b->fds[i]);
	return ok;
}

bool waitgraph_describe_wait(struct strbuf *sb, const struct model *m, const struct thread *t)
{
	const struct blocked_on *b = &t->blocked;
	const char *call = t->syscall.name ? t->syscall.name : "a system call";
	char label[64];
	bool ok = true;

	switch (b->kind) {
	case WAIT_MUTEX: case WAIT_RWLOCK: case WAIT_STDIO_LOCK: case WAIT_SEMAPHORE:
		if (b->call)	/* an interpreter's lock: "Mutex#lock on 0x7f..." */
			ok = strbuf_appendf(sb, "%s on 0x%" PRIx64, b->call, b->addr);
		else
			ok = strbuf_appendf(sb, "%s 0x%" PRIx64, wait_lock_phrase(b->kind), b->addr);
		if (b->owner && b->owner_alive)
			ok = ok && strbuf_appendf(sb, " held by %s%s", model_thread_label(m, b->owner, label, sizeof(label)),
						  b->layout && strcmp(b->layout, "stack reference") == 0
							  ? b->call ? " (the lock records no owner: its frames refer to it)"
								    : " (the lock records no owner: its stack refers to it)"
							  : "");
		else if (b->owner)
			ok = ok && strbuf_appendf(sb, " held by thread %d, which no longer exists", b->owner);
		else if (b->call)	/* a Python Lock: nobody is its owner */
			ok = ok && strbuf_addstr(sb, ", which records no owner");
		return ok;
	case WAIT_CONDVAR:
		return strbuf_appendf(sb, "a condition variable wait (futex 0x%" PRIx64 ")", b->addr) &&
		       append_timeout(sb, b->timeout_ms);
	case WAIT_FUTEX:
		return strbuf_appendf(sb, "a futex wait on 0x%" PRIx64, b->addr) && append_timeout(sb, b->timeout_ms);
	case WAIT_JOIN:
		return strbuf_appendf(sb, "%s on %s", b->call ? b->call : "pthread_join()",
				      model_thread_label(m, b->owner, label, sizeof(label))) &&
		       (!b->call || append_timeout(sb, b->timeout_ms));
	case WAIT_CONNECT:
		return strbuf_addstr(sb, "connect() to ") && append_connect_peer(sb, t) && append_timeout(sb, b->timeout_ms);
	case WAIT_POLL:
		if (syn_sent(t))
			return strbuf_appendf(sb, "%s() for a connect to ", call) && append_connect_peer(sb, t) &&
			       append_timeout(sb, b->timeout_ms);
		return strbuf_appendf(sb, "%s()", call) && append_fds(sb, b) && append_timeout(sb, b->timeout_ms);
	case WAIT_ACCEPT: case WAIT_READ: case WAIT_WRITE:
		return strbuf_appendf(sb, "%s()", call) && append_fds(sb, b) && append_timeout(sb, b->timeout_ms);
	case WAIT_SLEEP:
		if (b->call)
			return strbuf_addstr(sb, b->call) && append_timeout(sb, b->timeout_ms);
		return strbuf_appendf(sb, "%s()", call) && (b->timeout_ms < 0 || strbuf_appendf(sb, " for %" PRId64 " ms", b->timeout_ms));
	case WAIT_CHILD:
		ok = strbuf_appendf(sb, "%s() for ", call);
		if (b->child_info) {
			ok = ok && strbuf_appendf(sb, "child %d (%s), state %c", b->child_info->pid,
						  b->child_info->comm ? b->child_info->comm : "?", b->child_info->state ? b->child_info->state : '?');
			if (b->child_info->syscall_nr >= 0)
				ok = ok && strbuf_appendf(sb, " in %s()", syscall_name(b->child_info->syscall_nr)
									      ? syscall_name(b->child_info->syscall_nr) : "a system call");
		} else {
			ok = ok && (b->child > 0 ? strbuf_appendf(sb, "child %d", b->child) : strbuf_addstr(sb, "any child"));
		}
		return ok;
	case WAIT_FILE_LOCK:
		ok = strbuf_appendf(sb, "%s() on %s", call, b->file_lock_path ? b->file_lock_path : "a file");
		if (b->file_lock)
			ok = ok && (b->file_lock->pid > 0 ? strbuf_appendf(sb, ", held by pid %d", b->file_lock->pid)
							   : strbuf_addstr(sb, ", held through an open file description"));
		return ok;
	case WAIT_SIGNAL:
		return strbuf_appendf(sb, "%s()", call) && append_timeout(sb, b->timeout_ms);
	case WAIT_RUNNING:
		ok = strbuf_addstr(sb, "running in user space");
		if (b->sample_ns)
			ok = ok && strbuf_appendf(sb, " (%u%% CPU in the %" PRIu64 " ms sample)",
						  (unsigned)MIN(100u, b->cpu_ns * 100 / b->sample_ns), b->sample_ns / 1000000);
		return ok;
	case WAIT_OTHER_SYSCALL:
		return strbuf_appendf(sb, "%s", t->syscall.text ? t->syscall.text : call);
	case WAIT_QUEUE: {
		const struct runtime_thread *rt = &t->rt;
		ok = strbuf_appendf(sb, "%s on 0x%" PRIx64, b->call ? b->call : "a queue wait", b->addr);
		if (rt->queue_len == 0)
			ok = ok && strbuf_addstr(sb, " (empty");
		else if (rt->queue_len > 0)
			ok = ok && strbuf_appendf(sb, " (%ld queued", rt->queue_len);
		if (rt->queue_len >= 0)
			ok = ok && (rt->queue_waiters < 0 || strbuf_appendf(sb, ", %d waiting", rt->queue_waiters)) &&
			     strbuf_addstr(sb, ")");
		return ok && append_timeout(sb, b->timeout_ms);
	}
	case WAIT_NONE:
		break;
	}
	return strbuf_addstr(sb, "no known wait");
}

bool waitgraph_describe_duration(struct strbuf *sb, const struct thread *t)
{
	const struct blocked_on *b = &t->blocked;

	if (b->stalled_ns >= UINT64_C(1000000000))
		return strbuf_appendf(sb, " for at least %" PRIu64 " s", b->stalled_ns / UINT64_C(1000000000));
	if (b->no_progress)
		return strbuf_appendf(sb, " (no progress in the %" PRIu64 " ms sample)", b->sample_ns / 1000000);
	return true;
}

const struct thread *waitgraph_root(const struct model *m, const struct thread *t)
{
	size_t steps = 0;

	if (m->wait_root && t >= m->threads.items && t < m->threads.items + m->threads.len)
		return &m->threads.items[m->wait_root[t - m->threads.items]];

	/* at most one edge out of each thread: a walk longer than the thread count has looped */
	while (waitgraph_thread_edge(t) && steps++ <= m->threads.len) {
		const struct thread *next = model_thread(m, t->waits_for);
		if (!next || t->in_cycle)
			break;
		t = next;
	}
	return t;
}

/*
 * m->wait_root: what waitgraph_root() walks to, for every thread at once. A
 * walk stops at the first thread whose root is known, then every thread it
 * passed gets that root: each thread is walked through once.
 */
static struct hs_error *index_roots(struct model *m)
{
	size_t n = m->threads.len, *path;
	uint32_t *root;
	unsigned char *state;	/* 0 unknown, 1 on the current walk, 2 root known */

	free(m->wait_root);
	m->wait_root = NULL;
	root = malloc((n ? n : 1) * sizeof(*root));
	path = malloc((n ? n : 1) * sizeof(*path));
	state = calloc(n ? n : 1, 1);
	if (!root || !path || !state) {
		free(root);
		free(path);
		free(state);
		return &hs_error_nomem;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = 0, at = i, r;

		for (;;) {
			const struct thread *t = &m->threads.items[at], *next;

			if (state[at] == 2) {
				r = root[at];
				break;
			}
			if (state[at] == 1) {	/* a loop that is no cycle of the graph: cannot happen, stop anyway */
				r = at;
				break;
			}
			state[at] = 1;
			path[len++] = at;
			next = waitgraph_thread_edge(t) ? model_thread(m, t->waits_for) : NULL;
			if (!next || t->in_cycle) {
				r = at;
				break;
			}
			at = (size_t)(next - m->threads.items);
		}
		while (len > 0) {
			size_t k = path[--len];
			root[k] = (uint32_t)r;
			state[k] = 2;
		}
	}
	free(path);
	free(state);
	m->wait_root = root;
	return NULL;
}

struct hs_error *waitgraph_build(struct model *m)
{
	size_t n = m->threads.len;
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < n; i++) {
		struct thread *t = &m->threads.items[i];
		const struct blocked_on *b = &t->blocked;

		if ((is_lock(b->kind) || b->kind == WAIT_JOIN) && b->owner > 0 && b->owner_alive) {
			t->waits_for = b->owner;
			continue;
		}
		if (b->kind == WAIT_NONE)
			continue;
		sb.len = 0;
		if (!waitgraph_describe_wait(&sb, m, t) || !(t->waits_on = strdup(sb.buf ? sb.buf : ""))) {
			strbuf_deinit(&sb);
			return &hs_error_nomem;
		}
	}
	strbuf_deinit(&sb);
	return waitgraph_close(m);
}

struct hs_error *waitgraph_close(struct model *m)
{
	size_t n = m->threads.len;
	unsigned char *color;	/* 0 unvisited, 1 on the current walk, 2 done */

	for (size_t i = 0; i < n; i++)
		m->threads.items[i].in_cycle = false;
	/* cycles: walk each unvisited thread's chain; meeting the current walk again closes a cycle */
	if (!(color = calloc(n ? n : 1, 1)))
		return &hs_error_nomem;
	for (size_t i = 0; i < n; i++) {
		struct thread *t = &m->threads.items[i];
		size_t start = i;

		while (t && color[t - m->threads.items] == 0) {
			color[t - m->threads.items] = 1;
			t = waitgraph_thread_edge(t) ? model_thread(m, t->waits_for) : NULL;
		}
		if (t && color[t - m->threads.items] == 1) {
			struct thread *c = t;
			do {
				c->in_cycle = true;
				c = model_thread(m, c->waits_for);
			} while (c && c != t);
		}
		/* mark this walk done */
		for (t = &m->threads.items[start]; t && color[t - m->threads.items] == 1;) {
			color[t - m->threads.items] = 2;
			t = waitgraph_thread_edge(t) ? model_thread(m, t->waits_for) : NULL;
		}
	}
	free(color);
	return index_roots(m);
}
