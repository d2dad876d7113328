/* A process tree as one case (see analyzer/tree.h). */
#include "analyzer/tree.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "analyzer/names.h"
#include "analyzer/rules/rules.h"
#include "analyzer/signature.h"
#include "analyzer/waitgraph.h"

enum edge_kind { EDGE_NONE, EDGE_CHILD, EDGE_PIPE, EDGE_LISTEN, EDGE_PEER, EDGE_FLOCK };

/* One edge out of a thread into another process. */
struct edge {
	enum edge_kind kind;
	size_t to;			/* index into m->procs */
	const struct hs_socket_info *socket;	/* EDGE_LISTEN, EDGE_PEER */
	const struct hs_pipe_info *pipe;	/* EDGE_PIPE */
};

const struct process_part *tree_process_of(const struct model *m, const struct thread *t)
{
	return m->procs.len && t->proc < m->procs.len ? &m->procs.items[t->proc] : NULL;
}

static const struct hangsnap_context *proc_context(const struct model *m, size_t k)
{
	const struct model *p = m->procs.items[k].part ? m->procs.items[k].part : m;
	return p->core ? &p->core->ctx : NULL;
}

static ssize_t proc_by_pid(const struct model *m, int32_t pid)
{
	for (size_t k = 0; pid > 0 && k < m->procs.len; k++)
		if (m->procs.items[k].pid == pid)
			return (ssize_t)k;
	return -1;
}

/* ---- merging ---------------------------------------------------------------- */

static bool grow_to(void **items, size_t *cap, size_t want, size_t elem)
{
	void *p;

	if (want <= *cap)
		return true;
	if (want > (size_t)-1 / elem || !(p = realloc(*items, want * elem)))
		return false;
	*items = p;
	*cap = want;
	return true;
}

#define GROW_TO(v, want) grow_to((void **)&(v)->items, &(v)->cap, (want), sizeof(*(v)->items))

static void move_strings(struct model *m, struct string_list *from, const struct process_part *pp, bool missing)
{
	for (size_t i = 0; i < from->len; i++) {
		if (missing)
			model_missing(m, "pid %d (%s): %s", (int)pp->pid, pp->comm, from->items[i]);
		else
			model_warn(m, "pid %d (%s): %s", (int)pp->pid, pp->comm, from->items[i]);
		free(from->items[i]);
	}
	from->len = 0;
}

static struct process_part describe(struct model *p, struct model *owner, const char *path, size_t first)
{
	return (struct process_part){
		.pid = p->pid, .ppid = p->ppid, .comm = p->comm ? p->comm : "", .exe = p->exe, .cmdline = p->cmdline,
		.runtime = p->runtime, .first = first, .count = p->threads.len, .part = p == owner ? NULL : p,
		.core_path = path ? model_intern(owner, path) : NULL,
	};
}

/* Moves p's threads, groups, modules, findings and messages into m (all room reserved first: nothing fails midway). */
static struct hs_error *move_part(struct model *m, struct model *p, uint32_t proc)
{
	size_t toff = m->threads.len, goff = m->groups.len;
	const struct process_part *pp = &m->procs.items[proc];

	if (!GROW_TO(&m->threads, m->threads.len + p->threads.len) || !GROW_TO(&m->groups, m->groups.len + p->groups.len) ||
	    !GROW_TO(&m->modules, m->modules.len + p->modules.len) ||
	    !GROW_TO(&m->findings, m->findings.len + p->findings.len))
		return &hs_error_nomem;
	for (size_t i = 0; i < p->threads.len; i++) {
		struct thread *t = &m->threads.items[m->threads.len++];
		*t = p->threads.items[i];
		t->proc = proc;
		t->group += goff;
	}
	p->threads.len = 0;
	for (size_t i = 0; i < p->groups.len; i++) {
		struct thread_group *g = &m->groups.items[m->groups.len++];
		*g = p->groups.items[i];
		g->first += toff;
	}
	p->groups.len = 0;
	if (p->modules.len)	/* (an empty vector's items may be NULL) */
		memcpy(m->modules.items + m->modules.len, p->modules.items, p->modules.len * sizeof(*p->modules.items));
	m->modules.len += p->modules.len;
	p->modules.len = 0;
	if (p->findings.len)
		memcpy(m->findings.items + m->findings.len, p->findings.items, p->findings.len * sizeof(*p->findings.items));
	m->findings.len += p->findings.len;
	p->findings.len = 0;
	move_strings(m, &p->warnings, pp, false);
	move_strings(m, &p->missing, pp, true);
	return NULL;
}

/* Root first, then breadth first by parent, then the parts no parent links (in the order given). */
static void order_parts(struct model **parts, size_t n, int32_t root_pid, size_t *order)
{
	bool used[TREE_MAX_PARTS] = { false };
	size_t len = 0, root = 0;
	bool found = false;

	for (size_t i = 0; i < n && !found; i++)
		if (root_pid > 0 && parts[i]->pid == root_pid)
			root = i, found = true;
	for (size_t i = 0; i < n && !found; i++) {
		bool has_parent = false;
		for (size_t j = 0; j < n; j++)
			has_parent |= j != i && parts[i]->ppid > 0 && parts[j]->pid == parts[i]->ppid;
		if (!has_parent)
			root = i, found = true;
	}
	order[len++] = root;
	used[root] = true;
	for (size_t head = 0; head < len; head++)
		for (size_t i = 0; i < n; i++)
			if (!used[i] && parts[i]->ppid > 0 && parts[i]->ppid == parts[order[head]]->pid) {
				order[len++] = i;
				used[i] = true;
			}
	for (size_t i = 0; i < n; i++)
		if (!used[i])
			order[len++] = i;
}

/* ---- edges between processes ------------------------------------------------ */

static bool is_loopback(const struct hs_socket_info *s, const uint8_t *addr)
{
	static const uint8_t v6_loop[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (s->family == AF_INET)
		return addr[0] == 127;
	return memcmp(addr, v6_loop, 16) == 0 || (memcmp(addr, v4_mapped, 12) == 0 && addr[12] == 127);
}

static bool addr_any(const struct hs_socket_info *s, const uint8_t *addr)
{
	static const uint8_t zero[16];
	return memcmp(addr, zero, s->family == AF_INET ? 4 : 16) == 0;
}

/* A listener in process k for a connect from s (to a loopback address). */
static const struct hs_socket_info *find_listener(const struct model *m, size_t k, const struct hs_socket_info *s)
{
	const struct hangsnap_context *ctx = proc_context(m, k);

	for (size_t i = 0; ctx && i < ctx->sockets.len; i++) {
		const struct hs_socket_info *l = &ctx->sockets.items[i];
		if (socket_is_tcp_in(l, TCP_STATE_LISTEN) && l->local_port == s->remote_port &&
		    (l->family == s->family || l->family == AF_INET6) &&
		    (addr_any(l, l->local_addr) || memcmp(l->local_addr, s->remote_addr, l->family == AF_INET ? 4 : 16) == 0))
			return l;
	}
	return NULL;
}

/* The other end of the established connection s in process k. */
static const struct hs_socket_info *find_peer(const struct model *m, size_t k, const struct hs_socket_info *s)
{
	const struct hangsnap_context *ctx = proc_context(m, k);

	for (size_t i = 0; ctx && i < ctx->sockets.len; i++) {
		const struct hs_socket_info *o = &ctx->sockets.items[i];
		if (o->family == s->family && socket_is_tcp(o) && o->local_port == s->remote_port &&
		    o->remote_port == s->local_port && memcmp(o->local_addr, s->remote_addr, 16) == 0 &&
		    memcmp(o->remote_addr, s->local_addr, 16) == 0)
			return o;
	}
	return NULL;
}

static bool wants_read(const struct thread *t, const struct fd_target *ft)
{
	return t->blocked.kind == WAIT_READ || (t->blocked.kind == WAIT_POLL && (ft->events & POLLIN));
}

static bool wants_write(const struct thread *t, const struct fd_target *ft)
{
	return t->blocked.kind == WAIT_WRITE || (t->blocked.kind == WAIT_POLL && (ft->events & POLLOUT));
}

/* top: each process's top finding (index into m->findings), -1 none */
static struct edge find_edge(const struct model *m, const struct thread *t, const ssize_t *top)
{
	const struct blocked_on *b = &t->blocked;
	int32_t self = m->procs.items[t->proc].pid;
	struct edge e = { .kind = EDGE_NONE };
	ssize_t k;

	if (b->kind == WAIT_CHILD) {
		int32_t c = b->child > 0 ? b->child : b->child_info ? b->child_info->pid : -1;
		if (c > 0 && (k = proc_by_pid(m, c)) >= 0)
			return (struct edge){ .kind = EDGE_CHILD, .to = (size_t)k };
		if (c <= 0) {	/* any child: of ours in the tree, the one with the most severe finding, else the first */
			ssize_t best = -1;
			for (size_t j = 0; j < m->procs.len; j++) {
				if (m->procs.items[j].ppid != self)
					continue;
				if (best < 0 || (top[j] >= 0 && (top[best] < 0 || m->findings.items[top[j]].severity >
										      m->findings.items[top[best]].severity)))
					best = (ssize_t)j;
			}
			if (best >= 0)
				return (struct edge){ .kind = EDGE_CHILD, .to = (size_t)best };
		}
		return e;
	}
	if (b->kind == WAIT_FILE_LOCK && b->file_lock && b->file_lock->pid != self &&
	    (k = proc_by_pid(m, b->file_lock->pid)) >= 0)
		return (struct edge){ .kind = EDGE_FLOCK, .to = (size_t)k };
	for (unsigned i = 0; i < b->nfds; i++) {
		const struct fd_target *ft = &b->fds[i];
		const struct hs_socket_info *s = ft->socket;

		if (ft->pipe) {
			for (uint32_t h = 0; h < ft->pipe->nholders && h < HS_PIPE_MAX_HOLDERS; h++) {
				const struct hs_pipe_holder *ho = &ft->pipe->holders[h];
				bool other_end = (wants_read(t, ft) && ho->mode != 'r') || (wants_write(t, ft) && ho->mode != 'w');
				if (ho->pid != self && other_end && (k = proc_by_pid(m, ho->pid)) >= 0)
					return (struct edge){ .kind = EDGE_PIPE, .to = (size_t)k, .pipe = ft->pipe };
			}
		}
		if (!s || !socket_is_tcp(s) || !is_loopback(s, s->remote_addr))
			continue;
		for (size_t j = 0; j < m->procs.len; j++) {
			if (m->procs.items[j].pid == self)
				continue;
			if (socket_is_tcp_in(s, TCP_STATE_SYN_SENT) && find_listener(m, j, s))
				return (struct edge){ .kind = EDGE_LISTEN, .to = j, .socket = s };
			if (socket_is_tcp_in(s, TCP_STATE_ESTABLISHED) && wants_read(t, ft) && s->rx_queue == 0 &&
			    find_peer(m, j, s))
				return (struct edge){ .kind = EDGE_PEER, .to = j, .socket = s };
		}
	}
	return e;
}

/* ---- findings across processes -------------------------------------------- */

struct tree_state {
	struct model *m;
	struct rule_context rc;
	ssize_t *top;		/* per process: its top finding's index, -1 none */
	bool *superseded;	/* per finding (as they were before the tree findings) */
	size_t nbefore;
};

static bool append_relation(struct strbuf *sb, const struct model *m, const struct thread *t, const struct edge *e)
{
	const struct process_part *q = &m->procs.items[e->to];
	const char *call = t->syscall.name ? t->syscall.name : "a system call";

	switch (e->kind) {
	case EDGE_CHILD:
		return strbuf_appendf(sb, "waits in %s() for child %d (%s)", call, (int)q->pid, q->comm);
	case EDGE_PIPE:
		return strbuf_appendf(sb, "waits in %s() on a pipe whose other end pid %d (%s) holds", call, (int)q->pid,
				      q->comm);
	case EDGE_LISTEN:
		return strbuf_appendf(sb, "connects to port %u, whose listener pid %d (%s) does not accept",
				      (unsigned)e->socket->remote_port, (int)q->pid, q->comm);
	case EDGE_PEER:
		return strbuf_appendf(sb, "waits in %s() for an answer from pid %d (%s) over loopback port %u", call,
				      (int)q->pid, q->comm, (unsigned)e->socket->remote_port);
	case EDGE_FLOCK:
		return strbuf_appendf(sb, "waits in %s() for a file lock that pid %d (%s) holds", call, (int)q->pid, q->comm);
	case EDGE_NONE:
		break;
	}
	return false;
}

/* The finding for t's edge into a stuck process: "X waits ... for child N (c), where <its top finding>". */
static void add_tree_finding(struct tree_state *st, const struct thread *t, const struct edge *e)
{
	struct model *m = st->m;
	struct rule_context *rc = &st->rc;
	const struct process_part *q = &m->procs.items[e->to];
	const struct finding *qtop;
	struct finding *f;
	size_t fi;
	char label[64];

	if (st->top[e->to] < 0)
		return;
	rc->rule = e->kind == EDGE_CHILD ? "child-wait" : "process-wait";
	if (!(f = rule_add(rc, m->findings.items[st->top[e->to]].severity)))
		return;
	/* only rule_add() moves the findings: from here on f and qtop stay put */
	fi = (size_t)(f - m->findings.items);
	qtop = &m->findings.items[st->top[e->to]];
	rc->sb.len = 0;
	if (!strbuf_appendf(&rc->sb, "%s ", rule_label(rc, t, label, sizeof(label))) || !append_relation(&rc->sb, m, t, e)) {
		rc->err = &hs_error_nomem;
		return;
	}
	finding_set_summary(rc, f, "%s, where %s", rc->sb.buf, qtop->summary ? qtop->summary : "it is stuck");
	finding_add_thread(rc, f, t->tid);
	for (size_t i = 0; i < qtop->threads.len; i++)
		finding_add_thread(rc, f, qtop->threads.items[i]);
	finding_thread_evidence(rc, f, t);
	finding_add_evidence(rc, f, "pid %d (%s), child of %d: %zu thread(s); its own finding: [%s] %s", (int)q->pid,
			     q->comm, (int)q->ppid, q->count, severity_name(qtop->severity), qtop->rule);
	for (size_t i = 0; i < qtop->evidence.len; i++)
		finding_add_evidence(rc, f, "%s", qtop->evidence.items[i]);
	if (qtop->hint)
		finding_set_hint(rc, f, "%s", qtop->hint);
	/* this process is now stuck because of the other: its top finding is this one */
	if (st->top[t->proc] < 0 || m->findings.items[st->top[t->proc]].severity <= f->severity)
		st->top[t->proc] = (ssize_t)fi;
	/* the part's own child-wait for this thread said less */
	for (size_t i = 0; e->kind == EDGE_CHILD && i < st->nbefore; i++) {
		const struct finding *o = &m->findings.items[i];
		if (strcmp(o->rule, "child-wait") == 0 && o->threads.len && o->threads.items[0] == t->tid)
			st->superseded[i] = true;
	}
}

/* Tree findings first, then the rest, superseded ones dropped; then ranked (stable: tree findings lead among equals). */
static struct hs_error *reorder_findings(struct tree_state *st)
{
	struct model *m = st->m;
	size_t n = m->findings.len, k = 0;
	struct finding *sorted;

	if (!n)
		return NULL;
	if (!(sorted = malloc(n * sizeof(*sorted))))
		return &hs_error_nomem;
	/* created deepest process first: the root's come first */
	for (size_t i = n; i-- > st->nbefore;)
		sorted[k++] = m->findings.items[i];
	for (size_t i = 0; i < st->nbefore; i++) {
		if (st->superseded[i])
			finding_deinit(&m->findings.items[i]);
		else
			sorted[k++] = m->findings.items[i];
	}
	if (k)
		memcpy(m->findings.items, sorted, k * sizeof(*sorted));
	m->findings.len = k;
	free(sorted);
	return rules_rank(m);
}

static struct hs_error *connect_processes(struct model *m, const size_t *first_finding, const size_t *nfindings)
{
	struct tree_state st = { .m = m, .rc = { .m = m }, .nbefore = m->findings.len };
	struct edge *edges;
	struct hs_error *err = NULL;
	size_t n = m->threads.len;

	strbuf_init(&st.rc.sb);
	st.top = malloc(m->procs.len * sizeof(*st.top));
	st.superseded = calloc(st.nbefore ? st.nbefore : 1, 1);
	edges = calloc(n ? n : 1, sizeof(*edges));
	if (!st.top || !st.superseded || !edges) {
		err = &hs_error_nomem;
		goto out;
	}
	for (size_t k = 0; k < m->procs.len; k++)
		st.top[k] = nfindings[k] ? (ssize_t)first_finding[k] : -1;
	/* each edge goes to the first thread of the process's top finding (its main thread without one) */
	for (size_t i = 0; i < n; i++) {
		struct thread *t = &m->threads.items[i];
		const struct thread *to;
		const struct finding *top;

		edges[i] = find_edge(m, t, st.top);
		if (edges[i].kind == EDGE_NONE || waitgraph_thread_edge(t))
			continue;
		top = st.top[edges[i].to] >= 0 ? &m->findings.items[st.top[edges[i].to]] : NULL;
		to = top && top->threads.len ? model_thread(m, top->threads.items[0]) : NULL;
		if (!to && m->procs.items[edges[i].to].count)
			to = &m->threads.items[m->procs.items[edges[i].to].first];
		if (to)
			t->waits_for = to->tid;
	}
	if ((err = waitgraph_close(m)))
		goto out;
	/* deepest processes first, so that a parent's sentence includes its child's */
	for (size_t k = m->procs.len; k-- > 0 && !st.rc.err;) {
		const struct process_part *p = &m->procs.items[k];
		for (size_t i = p->first; i < p->first + p->count && !st.rc.err; i++) {
			const struct thread *t = &m->threads.items[i];
			if (edges[i].kind != EDGE_NONE && t->waits_for && t->blocked.timeout_ms != 0)
				add_tree_finding(&st, t, &edges[i]);
		}
	}
	if (!(err = st.rc.err))
		err = reorder_findings(&st);
out:
	rule_context_deinit(&st.rc);
	free(st.top);
	free(st.superseded);
	free(edges);
	return err;
}

/* ---- the entry point -------------------------------------------------------- */

struct hs_error *tree_merge(struct model **parts, const char *const *paths, size_t n, int32_t root_pid,
			    struct model **ret)
{
	size_t order[TREE_MAX_PARTS], first_finding[TREE_MAX_PARTS], nfindings[TREE_MAX_PARTS];
	struct hs_error *err = NULL;
	struct model *m;
	size_t taken = 0;

	*ret = NULL;
	if (n == 0 || n > TREE_MAX_PARTS) {
		for (size_t i = 0; i < n; i++)
			model_destroy(parts[i]);
		return hs_error_create(HS_ERR_INVALID, "a process tree is 1 to %u cores", TREE_MAX_PARTS);
	}
	order_parts(parts, n, root_pid, order);
	m = parts[order[0]];
	if (!VEC_PUSH(&m->procs)) {
		err = &hs_error_nomem;
		goto fail;
	}
	m->procs.items[0] = describe(m, m, paths ? paths[order[0]] : NULL, 0);
	first_finding[0] = 0;
	nfindings[0] = m->findings.len;
	taken = 1;
	for (; taken < n; taken++) {
		struct model *p = parts[order[taken]];
		size_t first = m->threads.len;

		if (!VEC_PUSH(&m->procs)) {
			err = &hs_error_nomem;
			goto fail;
		}
		/* owned by m from here on */
		m->procs.items[taken] = describe(p, m, paths ? paths[order[taken]] : NULL, first);
		first_finding[taken] = m->findings.len;
		nfindings[taken] = p->findings.len;
		if ((err = move_part(m, p, (uint32_t)taken))) {
			taken++;
			goto fail;
		}
	}
	if ((err = model_index_threads(m)))
		goto fail;
	for (size_t i = 1; i < m->threads.len; i++)
		if (m->tid_index[i].tid == m->tid_index[i - 1].tid) {
			err = hs_error_create(HS_ERR_FORMAT,
					      "thread %d is in two of the cores: they are not one process tree of one host",
					      (int)m->tid_index[i].tid);
			goto fail;
		}
	for (size_t k = 1; k < m->procs.len; k++) {
		const struct model *p = m->procs.items[k].part;
		if (p->host && m->host && strcmp(p->host, m->host) != 0)
			model_warn(m, "pid %d was snapshotted on host '%s', pid %d on '%s'", (int)p->pid, p->host,
				   (int)m->pid, m->host);
	}
	/* the parts' roots index their own threads: find them again over all of them */
	free(m->wait_root);
	m->wait_root = NULL;
	if ((err = waitgraph_close(m)) || (err = connect_processes(m, first_finding, nfindings)))
		goto fail;
	free(m->signature.hash);
	free(m->signature.text);
	free(m->signature.frames);
	memset(&m->signature, 0, sizeof(m->signature));
	if ((err = signature_compute(m)))
		goto fail;
	*ret = m;
	return NULL;
fail:
	/* m owns parts order[1..taken) through procs; the rest are still ours */
	for (size_t i = taken ? taken : 1; i < n; i++)
		model_destroy(parts[order[i]]);
	model_destroy(m);
	return err;
}
