/*
 * See case_graph.h. Everything is built by sorting (never by hashing
 * pointers), so the same model always gives the same nodes in the same
 * order: thread nodes by their first thread in core order, objects by the
 * first thread that waits on them.
 */
#include "reports/case_graph.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyzer/frames.h"
#include "analyzer/names.h"
#include "analyzer/waitgraph.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "reports/report.h"

enum { F_FINDING = 1, F_WAITED = 2, F_DRAWN = 4 };
enum { TARGET_NONE, TARGET_THREAD, TARGET_OBJECT };

/* What one drawn thread waits on: a thread (its index) or an object (its index), or nothing drawable. */
struct target {
	int type;
	size_t value;
};

struct object {
	char *key;
	const char *kind;
	char *label, *detail, *title;
	size_t first_thread;
	size_t nthreads;
	size_t nobjects;
	size_t src_node;	/* the thread node waiting on it, SIZE_MAX: none kept */
	bool shared;		/* several thread nodes wait on it */
	bool important;		/* a node in a finding or a cycle waits on it */
	size_t folded_into;	/* itself, or the object it was folded into */
	size_t node;		/* its node, or SIZE_MAX */
};

struct object_text {
	struct strbuf key, label, detail, title;
};

static void object_text_reset(struct object_text *o)
{
	o->key.len = o->label.len = o->detail.len = o->title.len = 0;
	if (o->key.buf)
		o->key.buf[0] = '\0';
	if (o->label.buf)
		o->label.buf[0] = '\0';
	if (o->detail.buf)
		o->detail.buf[0] = '\0';
	if (o->title.buf)
		o->title.buf[0] = '\0';
}

static char *dup_buf(const struct strbuf *sb)
{
	return strdup(sb->buf ? sb->buf : "");
}

/* One fd as an object: its key, what it is, and its description without the "fd N " prefix. */
static bool fd_object(struct object_text *o, const struct fd_target *ft, const char **kind)
{
	size_t start = o->detail.len;
	const char *rest;
	bool ok;

	if (ft->socket) {
		*kind = "socket";
		ok = strbuf_appendf(&o->key, "sock:%" PRIu64, ft->socket->inode) &&
		     strbuf_addstr(&o->label, ft->socket->family == AF_UNIX	  ? "unix socket"
					      : socket_is_udp(ft->socket) ? "udp socket"
									  : "tcp socket");
	} else if (ft->pipe) {
		const struct hs_pipe_info *p = ft->pipe;
		bool fifo = p->path && *p->path, known = p->queued != HS_PIPE_UNKNOWN && p->capacity != HS_PIPE_UNKNOWN;
		*kind = "pipe";
		return strbuf_appendf(&o->key, "pipe:%" PRIu64, p->inode) && strbuf_addstr(&o->label, fifo ? "FIFO" : "pipe") &&
		       (!fifo || strbuf_addstr(&o->detail, p->path)) && (!fifo || !known || strbuf_addstr(&o->detail, ", ")) &&
		       (!known || strbuf_appendf(&o->detail, "%u of %u bytes queued", p->queued, p->capacity));
	} else if (ft->info && ft->info->inode) {
		*kind = "file";
		ok = strbuf_appendf(&o->key, "ino:%" PRIu64, ft->info->inode) && strbuf_addstr(&o->label, "file");
	} else {
		*kind = "fd";
		return strbuf_appendf(&o->key, "fd:%d", ft->fd) && strbuf_appendf(&o->label, "fd %d", ft->fd);
	}
	ok = ok && evidence_describe_fd(&o->detail, ft);
	if (!ok)
		return false;
	/*
	 * Short enough for a box: drop the "fd N" that starts the description
	 * (the same object has other fd numbers elsewhere), the protocol (the
	 * label says it) and our own address of a connection.
	 */
	rest = o->detail.buf + start;
	if (strncmp(rest, "fd ", 3) == 0 && (rest = strchr(rest + 3, ' ')))
		rest++;
	else
		rest = o->detail.buf + start;
	if (ft->socket && (strncmp(rest, "tcp ", 4) == 0 || strncmp(rest, "udp ", 4) == 0))
		rest += 4;
	if (ft->socket && strstr(rest, " -> "))
		rest = strstr(rest, " -> ") + 4;
	if (rest != o->detail.buf + start) {
		size_t skip = (size_t)(rest - (o->detail.buf + start));
		memmove(o->detail.buf + start, rest, o->detail.len - start - skip + 1);
		o->detail.len -= skip;
	}
	return true;
}

/*
 * What t waits on as an object node, or *kind = NULL when it is not waiting
 * on anything worth a node (a sleep, a signal wait, running). False only
 * when memory runs out.
 */
static bool describe_object(const struct model *m, const struct thread *t, struct object_text *o, const char **kind)
{
	const struct blocked_on *b = &t->blocked;
	const char *call = t->syscall.name ? t->syscall.name : "wait";
	bool ok = true;

	object_text_reset(o);
	*kind = NULL;
	switch (b->kind) {
	case WAIT_MUTEX: case WAIT_RWLOCK: case WAIT_STDIO_LOCK: case WAIT_SEMAPHORE:
		*kind = "lock";
		ok = strbuf_appendf(&o->key, "lock:%" PRIx64, b->addr) &&
		     strbuf_appendf(&o->label, "%s 0x%" PRIx64, wait_lock_phrase(b->kind), b->addr) &&
		     (b->owner > 0 ? strbuf_appendf(&o->detail, b->owner_alive ? "held by %d" : "owner %d is gone", b->owner)
				   : strbuf_addstr(&o->detail, "owner unknown"));
		break;
	case WAIT_CONDVAR:
		*kind = "condvar";
		ok = strbuf_appendf(&o->key, "cond:%" PRIx64, b->addr) && strbuf_addstr(&o->label, "condvar") &&
		     strbuf_appendf(&o->detail, "0x%" PRIx64, b->addr);
		break;
	case WAIT_QUEUE:	/* an interpreter's queue or condition variable: drawn as a condvar */
		*kind = "condvar";
		ok = strbuf_appendf(&o->key, "queue:%" PRIx64, b->addr) &&
		     strbuf_addstr(&o->label, b->call ? b->call : "queue") && strbuf_appendf(&o->detail, "0x%" PRIx64, b->addr);
		break;
	case WAIT_FUTEX:
		*kind = "futex";
		ok = strbuf_appendf(&o->key, "futex:%" PRIx64, b->addr) && strbuf_addstr(&o->label, "futex") &&
		     strbuf_appendf(&o->detail, "0x%" PRIx64, b->addr);
		break;
	case WAIT_JOIN:
		*kind = "thread";
		ok = strbuf_appendf(&o->key, "thread:%d", b->owner) && strbuf_appendf(&o->label, "thread %d", b->owner) &&
		     strbuf_addstr(&o->detail, "not in the core");
		break;
	case WAIT_CONNECT: case WAIT_ACCEPT: case WAIT_READ: case WAIT_WRITE: case WAIT_POLL:
		if (b->nfds == 1) {
			ok = fd_object(o, &b->fds[0], kind);
		} else if (b->nfds > 1) {
			struct object_text one = { 0 };
			const char *k;
			*kind = "fds";
			ok = strbuf_addstr(&o->key, "fds") && strbuf_appendf(&o->label, "%u fds", b->nfds);
			for (unsigned i = 0; ok && i < b->nfds; i++) {
				object_text_reset(&one);
				ok = fd_object(&one, &b->fds[i], &k) && strbuf_addstr(&o->key, ":") &&
				     strbuf_addstr(&o->key, one.key.buf) && (!i || strbuf_addstr(&o->detail, "; ")) &&
				     strbuf_addstr(&o->detail, one.label.buf) &&
				     (!one.detail.len || (strbuf_addstr(&o->detail, " ") && strbuf_addstr(&o->detail, one.detail.buf)));
			}
			strbuf_deinit(&one.key);
			strbuf_deinit(&one.label);
			strbuf_deinit(&one.detail);
			strbuf_deinit(&one.title);
		} else {
			*kind = "wait";
			ok = strbuf_addstr(&o->key, "wait:") && strbuf_addstr(&o->key, t->waits_on ? t->waits_on : call) &&
			     strbuf_appendf(&o->label, "%s()", call) && strbuf_addstr(&o->detail, t->waits_on ? t->waits_on : "");
		}
		break;
	case WAIT_CHILD:
		*kind = "child";
		if (b->child_info)
			ok = strbuf_appendf(&o->key, "child:%d", b->child_info->pid) &&
			     strbuf_appendf(&o->label, "child %d", b->child_info->pid) &&
			     strbuf_addstr(&o->detail, b->child_info->comm ? b->child_info->comm : "?") &&
			     strbuf_appendf(&o->detail, ", state %c", b->child_info->state ? b->child_info->state : '?');
		else if (b->child > 0)
			ok = strbuf_appendf(&o->key, "child:%d", b->child) && strbuf_appendf(&o->label, "child %d", b->child);
		else
			ok = strbuf_addstr(&o->key, "child:any") && strbuf_addstr(&o->label, "any child");
		break;
	case WAIT_FILE_LOCK:
		*kind = "file";
		ok = strbuf_addstr(&o->key, "flock:") &&
		     strbuf_addstr(&o->key, b->file_lock_path ? b->file_lock_path : "?") && strbuf_addstr(&o->label, "file lock") &&
		     strbuf_addstr(&o->detail, b->file_lock_path ? b->file_lock_path : "unknown file");
		if (ok && b->file_lock && b->file_lock->pid > 0)
			ok = strbuf_appendf(&o->detail, ", held by pid %d", b->file_lock->pid);
		break;
	case WAIT_NONE: case WAIT_RUNNING: case WAIT_SLEEP: case WAIT_SIGNAL: case WAIT_OTHER_SYSCALL:
		return true;
	}
	/* the tooltip: the wait as the text report says it */
	return ok && waitgraph_describe_wait(&o->title, m, t) && waitgraph_describe_duration(&o->title, t) &&
	       o->key.buf && o->label.buf;
}

static const char *plural(const char *kind)
{
	static const char *const names[][2] = {
		{ "socket", "sockets" }, { "pipe", "pipes" }, { "file", "files" }, { "child", "children" },
		{ "lock", "locks" }, { "condvar", "condvars" }, { "futex", "futexes" }, { "thread", "threads" },
		{ "fd", "fds" }, { "fds", "fd sets" }, { "wait", "waits" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(kind, names[i][0]) == 0)
			return names[i][1];
	return "objects";
}

/* ---- sorting helpers ------------------------------------------------------ */

struct key_ref {
	const char *key;
	size_t thread;
};

static int by_key_ref(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->thread > y->thread) - (x->thread < y->thread);
}

struct member {
	size_t group;
	int type;
	size_t value;
	size_t thread;
};

static int by_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (x->thread > y->thread) - (x->thread < y->thread);
}

struct proto_node {
	size_t group, first_thread, count;
	int type;
	size_t value;		/* the target shared by its threads (when the group was split) */
	bool important;		/* in a finding or a cycle, or the root */
	bool kept;
	size_t index;		/* its index before sorting */
};

static int by_first_thread(const void *a, const void *b)
{
	const struct proto_node *x = a, *y = b;

	return (x->first_thread > y->first_thread) - (x->first_thread < y->first_thread);
}

static const struct proto_node *sort_nodes_base;

static int by_priority(const void *a, const void *b)
{
	const struct proto_node *x = &sort_nodes_base[*(const size_t *)a], *y = &sort_nodes_base[*(const size_t *)b];

	if (x->important != y->important)
		return x->important ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->first_thread > y->first_thread) - (x->first_thread < y->first_thread);
}

static const struct object *sort_objects_base;

static int by_object_src(const void *a, const void *b)
{
	const struct object *x = &sort_objects_base[*(const size_t *)a], *y = &sort_objects_base[*(const size_t *)b];
	int c;

	if (x->src_node != y->src_node)
		return x->src_node < y->src_node ? -1 : 1;
	if ((c = strcmp(x->kind, y->kind)))
		return c;
	return (x->first_thread > y->first_thread) - (x->first_thread < y->first_thread);
}

static int by_object_priority(const void *a, const void *b)
{
	const struct object *x = &sort_objects_base[*(const size_t *)a], *y = &sort_objects_base[*(const size_t *)b];

	if (x->important != y->important)
		return x->important ? -1 : 1;
	if (x->nthreads != y->nthreads)
		return x->nthreads > y->nthreads ? -1 : 1;
	return (x->first_thread > y->first_thread) - (x->first_thread < y->first_thread);
}

static int by_object_first(const void *a, const void *b)
{
	const struct object *x = &sort_objects_base[*(const size_t *)a], *y = &sort_objects_base[*(const size_t *)b];

	return (x->first_thread > y->first_thread) - (x->first_thread < y->first_thread);
}

struct edge_ref {
	size_t from, to;
	enum wait_kind kind;
	size_t thread;
};

static int by_edge_ref(const void *a, const void *b)
{
	const struct edge_ref *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->thread > y->thread) - (x->thread < y->thread);
}

/* ---- building ------------------------------------------------------------- */

struct builder {
	const struct model *m;
	struct case_graph *g;
	unsigned char *flags;		/* per thread */
	bool *group_drawn;		/* per group: in the graph (else idle) */
	struct target *targets;		/* per thread */
	VEC(struct object) objects;
	VEC(struct proto_node) protos;
	size_t root;			/* thread index of the top finding's root blocker, SIZE_MAX */
	struct strbuf sb;
};

static size_t thread_index(const struct model *m, const struct thread *t)
{
	return (size_t)(t - m->threads.items);
}

static bool mark_threads(struct builder *b)
{
	const struct model *m = b->m;

	for (size_t i = 0; i < m->findings.len; i++)
		for (size_t k = 0; k < m->findings.items[i].threads.len; k++) {
			const struct thread *t = model_thread(m, m->findings.items[i].threads.items[k]);
			if (t)
				b->flags[thread_index(m, t)] |= F_FINDING;
		}
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const struct thread *to = waitgraph_thread_edge(t) ? model_thread(m, t->waits_for) : NULL;
		if (to)
			b->flags[thread_index(m, to)] |= F_WAITED;
	}
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		if ((b->flags[i] & (F_FINDING | F_WAITED)) || t->in_cycle || waitgraph_thread_edge(t) ||
		    report_wait_is_interesting(t))
			b->group_drawn[t->group] = true;
	}
	/* a group is drawn whole: its threads share a stack */
	for (size_t i = 0; i < m->threads.len; i++)
		if (b->group_drawn[m->threads.items[i].group])
			b->flags[i] |= F_DRAWN;
		else
			b->g->idle_threads++;
	for (size_t g = 0; g < m->groups.len; g++)
		b->g->idle_groups += !b->group_drawn[g];
	b->root = SIZE_MAX;
	if (m->findings.len && m->findings.items[0].threads.len) {
		const struct thread *t = model_thread(m, m->findings.items[0].threads.items[0]);
		if (t)
			b->root = thread_index(m, waitgraph_root(m, t));
	}
	return true;
}

/* Objects: every drawn thread's object by key, one per distinct key, numbered by first waiter. */
static bool collect_objects(struct builder *b)
{
	const struct model *m = b->m;
	struct object_text ot = { 0 };
	struct key_ref *refs = calloc(m->threads.len ? m->threads.len : 1, sizeof(*refs));
	size_t nrefs = 0, *order = NULL, *renumber = NULL;
	bool ok = refs != NULL;

	for (size_t i = 0; ok && i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		const char *kind;

		if (!(b->flags[i] & F_DRAWN))
			continue;
		if (waitgraph_thread_edge(t) && model_thread(m, t->waits_for)) {
			b->targets[i] = (struct target){ TARGET_THREAD, thread_index(m, model_thread(m, t->waits_for)) };
			continue;
		}
		if (!(ok = describe_object(m, t, &ot, &kind)))
			break;
		if (!kind)
			continue;
		if (!(refs[nrefs].key = dup_buf(&ot.key)))
			ok = false;
		else
			refs[nrefs++].thread = i;
	}
	if (ok)
		qsort(refs, nrefs, sizeof(*refs), by_key_ref);
	for (size_t r = 0; ok && r < nrefs;) {
		size_t end = r;
		struct object *o;
		const char *kind;

		while (end < nrefs && strcmp(refs[end].key, refs[r].key) == 0)
			b->targets[refs[end++].thread] = (struct target){ TARGET_OBJECT, b->objects.len };
		if (!(o = VEC_PUSH(&b->objects)) || !describe_object(m, &m->threads.items[refs[r].thread], &ot, &kind)) {
			ok = false;
			break;
		}
		o->kind = kind;
		o->first_thread = refs[r].thread;
		o->nthreads = end - r;
		o->nobjects = 1;
		o->folded_into = b->objects.len - 1;
		o->src_node = SIZE_MAX;
		o->node = SIZE_MAX;
		if (!(o->key = dup_buf(&ot.key)) || !(o->label = dup_buf(&ot.label)) || !(o->detail = dup_buf(&ot.detail)) ||
		    !(o->title = dup_buf(&ot.title)))
			ok = false;
		r = end;
	}
	/* number them by first waiter, so the drawing follows core order */
	if (ok && b->objects.len) {
		order = calloc(b->objects.len, sizeof(*order));
		renumber = calloc(b->objects.len, sizeof(*renumber));
		ok = order && renumber;
	}
	if (ok && b->objects.len) {
		struct object *sorted = calloc(b->objects.len, sizeof(*sorted));
		if (!(ok = sorted != NULL))
			goto out;
		for (size_t i = 0; i < b->objects.len; i++)
			order[i] = i;
		sort_objects_base = b->objects.items;
		qsort(order, b->objects.len, sizeof(*order), by_object_first);
		for (size_t i = 0; i < b->objects.len; i++) {
			sorted[i] = b->objects.items[order[i]];
			sorted[i].folded_into = i;
			renumber[order[i]] = i;
		}
		free(b->objects.items);
		b->objects.items = sorted;
		b->objects.cap = b->objects.len;
		for (size_t i = 0; i < m->threads.len; i++)
			if (b->targets[i].type == TARGET_OBJECT)
				b->targets[i].value = renumber[b->targets[i].value];
	}
out:
	for (size_t r = 0; r < nrefs; r++)
		free((char *)refs[r].key);
	free(refs);
	free(order);
	free(renumber);
	strbuf_deinit(&ot.key);
	strbuf_deinit(&ot.label);
	strbuf_deinit(&ot.detail);
	strbuf_deinit(&ot.title);
	return ok;
}

/* Thread nodes: a group split by target when it waits on at most CASE_GRAPH_SPLIT things, else whole. */
static bool partition_groups(struct builder *b, size_t *thread_proto)
{
	const struct model *m = b->m;
	struct member *mem = calloc(m->threads.len ? m->threads.len : 1, sizeof(*mem));
	size_t n = 0;

	if (!mem)
		return false;
	for (size_t i = 0; i < m->threads.len; i++)
		if (b->flags[i] & F_DRAWN)
			mem[n++] = (struct member){ m->threads.items[i].group, b->targets[i].type, b->targets[i].value, i };
	qsort(mem, n, sizeof(*mem), by_member);
	for (size_t s = 0; s < n;) {
		size_t end = s, distinct = 0;
		bool split;

		while (end < n && mem[end].group == mem[s].group) {
			if (end == s || mem[end].type != mem[end - 1].type || mem[end].value != mem[end - 1].value)
				distinct++;
			end++;
		}
		split = distinct <= CASE_GRAPH_SPLIT;
		for (size_t k = s; k < end; k++) {
			struct proto_node *p;
			if (k == s || (split && (mem[k].type != mem[k - 1].type || mem[k].value != mem[k - 1].value))) {
				if (!(p = VEC_PUSH(&b->protos))) {
					free(mem);
					return false;
				}
				*p = (struct proto_node){ mem[k].group, mem[k].thread, 0, mem[k].type, mem[k].value, false, true,
							  b->protos.len - 1 };
			}
			p = &b->protos.items[b->protos.len - 1];
			p->count++;
			p->first_thread = MIN(p->first_thread, mem[k].thread);
			thread_proto[mem[k].thread] = b->protos.len - 1;
		}
		s = end;
	}
	free(mem);
	return true;
}

/* A thread node's label, detail and title, from its first thread t. */
static bool thread_node_text(struct builder *b, struct case_node *node, const struct thread *t, size_t count)
{
	const struct frame *app = frame_app(t);
	const char *name = t->name ? t->name : "";
	bool ok;

	b->sb.len = 0;
	if (count > 1)
		ok = strbuf_appendf(&b->sb, "%zu threads", count) &&
		     (!*name || (strbuf_addstr(&b->sb, ": ") && strbuf_addstr(&b->sb, name)));
	else
		ok = *name ? strbuf_addstr(&b->sb, name) && strbuf_appendf(&b->sb, " %d", t->tid)
			   : strbuf_appendf(&b->sb, "thread %d", t->tid);
	if (!ok || !(node->label = dup_buf(&b->sb)))
		return false;
	b->sb.len = 0;
	ok = true;
	if (app && app->function)
		ok = strbuf_addstr(&b->sb, app->function);
	if (ok && (t->syscall.name || t->blocked.kind == WAIT_RUNNING))
		ok = (!b->sb.len || strbuf_addstr(&b->sb, " \u00b7 ")) &&
		     (t->syscall.name ? strbuf_appendf(&b->sb, "%s()", t->syscall.name) : strbuf_addstr(&b->sb, "running"));
	if (!ok || !(node->detail = dup_buf(&b->sb)))
		return false;
	b->sb.len = 0;
	ok = (*name ? strbuf_addstr(&b->sb, name) && strbuf_appendf(&b->sb, " (%d): ", t->tid)
		    : strbuf_appendf(&b->sb, "thread %d: ", t->tid)) &&
	     waitgraph_describe_wait(&b->sb, b->m, t) && waitgraph_describe_duration(&b->sb, t);
	return ok && (node->title = dup_buf(&b->sb)) != NULL;
}

static bool build_thread_nodes(struct builder *b)
{
	const struct model *m = b->m;
	struct case_graph *g = b->g;
	size_t *thread_proto = malloc((m->threads.len ? m->threads.len : 1) * sizeof(size_t));
	size_t *order = NULL, *proto_node = NULL, *per_group = NULL;
	struct proto_node *protos;
	bool ok = false;

	if (!thread_proto || !partition_groups(b, thread_proto))
		goto out;
	if (!b->protos.len) {
		ok = true;	/* every group is idle */
		goto out;
	}
	protos = b->protos.items;
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		if ((b->flags[i] & F_DRAWN) && ((b->flags[i] & F_FINDING) || t->in_cycle || i == b->root))
			protos[thread_proto[i]].important = true;
	}
	order = calloc(b->protos.len + 1, sizeof(size_t));
	proto_node = calloc(b->protos.len + 1, sizeof(size_t));
	per_group = calloc(m->groups.len + 1, sizeof(size_t));
	if (!order || !proto_node || !per_group)
		goto out;
	/* over the budget: keep findings and cycles first, then the biggest */
	if (b->protos.len > CASE_GRAPH_MAX_THREAD_NODES) {
		for (size_t i = 0; i < b->protos.len; i++)
			order[i] = i;
		sort_nodes_base = protos;
		qsort(order, b->protos.len, sizeof(size_t), by_priority);
		for (size_t i = CASE_GRAPH_MAX_THREAD_NODES; i < b->protos.len; i++) {
			protos[order[i]].kept = false;
			g->omitted_nodes++;
			g->omitted_threads += protos[order[i]].count;
		}
	}
	for (size_t i = 0; i < b->protos.len; i++)
		order[i] = i;
	/* core order: sort indices by each node's first thread */
	{
		struct proto_node *copy = malloc(b->protos.len * sizeof(*copy) + 1);
		size_t *old_to_new = calloc(b->protos.len + 1, sizeof(size_t));
		if (!copy || !old_to_new) {
			free(copy);
			free(old_to_new);
			goto out;
		}
		memcpy(copy, protos, b->protos.len * sizeof(*copy));
		qsort(copy, b->protos.len, sizeof(*copy), by_first_thread);
		for (size_t i = 0; i < b->protos.len; i++)
			old_to_new[copy[i].index] = i;
		for (size_t i = 0; i < m->threads.len; i++)
			if (b->flags[i] & F_DRAWN)
				thread_proto[i] = old_to_new[thread_proto[i]];
		memcpy(protos, copy, b->protos.len * sizeof(*copy));
		free(copy);
		free(old_to_new);
	}
	for (size_t i = 0; i < b->protos.len; i++)
		if (protos[i].kept)
			per_group[protos[i].group]++;
	for (size_t i = 0; i < b->protos.len; i++) {
		const struct proto_node *p = &protos[i];
		const struct thread *t = &m->threads.items[p->first_thread];
		struct case_node *node;
		size_t part = 0;

		proto_node[i] = SIZE_MAX;
		if (!p->kept)
			continue;
		for (size_t k = 0; k < i; k++)
			part += protos[k].kept && protos[k].group == p->group;
		if (!(node = VEC_PUSH(&g->nodes)))
			goto out;
		proto_node[i] = g->nodes.len - 1;
		node->kind = CASE_NODE_THREADS;
		if (per_group[p->group] > 1)
			snprintf(node->id, sizeof(node->id), "g%zu.%zu", p->group, part);
		else
			snprintf(node->id, sizeof(node->id), "g%zu", p->group);
		node->group = p->group;
		node->nthreads = p->count;
		node->first_thread = p->first_thread;
		if (!thread_node_text(b, node, t, p->count))
			goto fail;
	}
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		size_t node;

		if (!(b->flags[i] & F_DRAWN) || (node = proto_node[thread_proto[i]]) == SIZE_MAX)
			continue;
		g->thread_node[i] = node;
		g->nodes.items[node].cycle |= t->in_cycle;
		g->nodes.items[node].root |= i == b->root;
		g->nodes.items[node].finding |= (b->flags[i] & F_FINDING) != 0;
	}
	ok = true;
	goto out;
fail:
	ok = false;
out:
	free(thread_proto);
	free(order);
	free(proto_node);
	free(per_group);
	return ok;
}

/* Object nodes: folded per (thread node, kind) when private and many; capped; numbered by first waiter. */
static bool build_object_nodes(struct builder *b)
{
	const struct model *m = b->m;
	struct case_graph *g = b->g;
	size_t nobj = b->objects.len, *order, nkept = 0;
	struct object *objs = b->objects.items;
	bool ok = true;

	if (!nobj)
		return true;
	if (!(order = calloc(nobj, sizeof(*order))))
		return false;
	for (size_t i = 0; i < m->threads.len; i++) {
		size_t node = g->thread_node[i];
		struct object *o;
		if (b->targets[i].type != TARGET_OBJECT || node == SIZE_MAX)
			continue;
		o = &objs[b->targets[i].value];
		if (o->src_node == SIZE_MAX)
			o->src_node = node;
		else if (o->src_node != node)
			o->shared = true;
		o->important |= g->nodes.items[node].finding || g->nodes.items[node].cycle;
	}
	/* fold: many objects of one kind waited on by one thread node alone */
	for (size_t i = 0; i < nobj; i++)
		if (!objs[i].shared && objs[i].src_node != SIZE_MAX)
			order[nkept++] = i;
	sort_objects_base = objs;
	qsort(order, nkept, sizeof(*order), by_object_src);
	for (size_t s = 0; ok && s < nkept;) {
		struct object *head = &objs[order[s]];
		size_t end = s;

		while (end < nkept && objs[order[end]].src_node == head->src_node && strcmp(objs[order[end]].kind, head->kind) == 0)
			end++;
		if (end - s > CASE_GRAPH_AGGREGATE) {
			b->sb.len = 0;
			for (size_t k = s; ok && k < end; k++) {
				struct object *o = &objs[order[k]];
				if (k > s) {
					o->folded_into = order[s];
					head->nthreads += o->nthreads;
					head->important |= o->important;
				}
				if (k - s < 3)
					ok = (k == s || strbuf_addstr(&b->sb, "; ")) && strbuf_addstr(&b->sb, o->title);
				else if (k - s == 3)
					ok = strbuf_addstr(&b->sb, "; \u2026");
			}
			head->nobjects = end - s;
			free(head->title);
			ok = ok && (head->title = dup_buf(&b->sb)) != NULL;
			b->sb.len = 0;
			free(head->label);
			ok = ok && strbuf_appendf(&b->sb, "%zu %s", end - s, plural(head->kind)) &&
			     (head->label = dup_buf(&b->sb)) != NULL;
		}
		s = end;
	}
	nkept = 0;
	/* over the budget: objects of findings and cycles first, then the most waited on */
	for (size_t i = 0; i < nobj; i++)
		if (objs[i].folded_into == i && objs[i].src_node != SIZE_MAX)
			order[nkept++] = i;
	if (nkept > CASE_GRAPH_MAX_OBJECT_NODES) {
		qsort(order, nkept, sizeof(*order), by_object_priority);
		g->omitted_nodes += nkept - CASE_GRAPH_MAX_OBJECT_NODES;
		nkept = CASE_GRAPH_MAX_OBJECT_NODES;
	}
	qsort(order, nkept, sizeof(*order), by_object_first);
	for (size_t k = 0; ok && k < nkept; k++) {
		struct object *o = &objs[order[k]];
		struct case_node *node = VEC_PUSH(&g->nodes);
		if (!node) {
			ok = false;
			break;
		}
		o->node = g->nodes.len - 1;
		node->kind = CASE_NODE_OBJECT;
		snprintf(node->id, sizeof(node->id), "o%zu", k);
		node->object_kind = o->kind;
		node->nthreads = o->nthreads;
		node->nobjects = o->nobjects;
		node->first_thread = o->first_thread;
		/* the strings move to the node */
		node->label = o->label;
		node->detail = o->detail;
		node->title = o->title;
		o->label = o->detail = o->title = NULL;
	}
	free(order);
	return ok;
}

static bool build_edges(struct builder *b)
{
	const struct model *m = b->m;
	struct case_graph *g = b->g;
	struct edge_ref *refs = calloc(m->threads.len ? m->threads.len : 1, sizeof(*refs));
	size_t n = 0;
	bool ok = refs != NULL;

	for (size_t i = 0; ok && i < m->threads.len; i++) {
		size_t from = g->thread_node[i], to = SIZE_MAX;
		const struct target *tg = &b->targets[i];

		if (from == SIZE_MAX)
			continue;
		if (tg->type == TARGET_THREAD)
			to = g->thread_node[tg->value];
		else if (tg->type == TARGET_OBJECT)
			to = b->objects.items[b->objects.items[tg->value].folded_into].node;
		if (to != SIZE_MAX)
			refs[n++] = (struct edge_ref){ from, to, m->threads.items[i].blocked.kind, i };
	}
	if (ok)
		qsort(refs, n, sizeof(*refs), by_edge_ref);
	for (size_t s = 0; ok && s < n;) {
		size_t end = s;
		struct case_edge *e = VEC_PUSH(&g->edges);
		const struct thread *first = &m->threads.items[refs[s].thread];

		if (!e) {
			ok = false;
			break;
		}
		*e = (struct case_edge){ refs[s].from, refs[s].to, refs[s].kind, 0, false, false, NULL };
		for (; end < n && refs[end].from == refs[s].from && refs[end].to == refs[s].to && refs[end].kind == refs[s].kind; end++) {
			const struct thread *t = &m->threads.items[refs[end].thread];
			e->count++;
			e->cycle |= t->in_cycle && b->targets[refs[end].thread].type == TARGET_THREAD;
			e->root |= refs[end].thread == b->root;
		}
		b->sb.len = 0;
		ok = waitgraph_describe_wait(&b->sb, m, first) && waitgraph_describe_duration(&b->sb, first) &&
		     (e->title = dup_buf(&b->sb)) != NULL;
		s = end;
	}
	free(refs);
	return ok;
}

static const size_t *sort_idle_counts;

static int by_idle_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (sort_idle_counts[x] != sort_idle_counts[y])
		return sort_idle_counts[x] > sort_idle_counts[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* Idle groups: a node each, in group order, the biggest CASE_GRAPH_MAX_IDLE_NODES - 1 when there are more. */
static bool build_idle_nodes(struct builder *b)
{
	const struct model *m = b->m;
	struct case_graph *g = b->g;
	size_t *idle = calloc(m->groups.len + 1, sizeof(size_t)), *counts = calloc(m->groups.len + 1, sizeof(size_t));
	size_t *group_node = calloc(m->groups.len + 1, sizeof(size_t));
	size_t nidle = 0, shown, more = SIZE_MAX;
	bool ok = idle && counts && group_node;

	g->nlaid_out = g->nodes.len;
	for (size_t gi = 0; ok && gi < m->groups.len; gi++) {
		counts[gi] = m->groups.items[gi].count;
		if (!b->group_drawn[gi])
			idle[nidle++] = gi;
	}
	shown = nidle;
	if (ok && nidle > CASE_GRAPH_MAX_IDLE_NODES) {
		sort_idle_counts = counts;
		qsort(idle, nidle, sizeof(size_t), by_idle_size);
		shown = CASE_GRAPH_MAX_IDLE_NODES - 1;
		qsort(idle, shown, sizeof(size_t), by_index);
	}
	for (size_t k = 0; ok && k < nidle; k++)
		group_node[idle[k]] = SIZE_MAX;
	for (size_t k = 0; ok && k < shown; k++) {
		size_t gi = idle[k];
		struct case_node *node = VEC_PUSH(&g->nodes);
		if (!node) {
			ok = false;
			break;
		}
		node->kind = CASE_NODE_IDLE;
		snprintf(node->id, sizeof(node->id), "g%zu", gi);
		node->group = gi;
		node->nthreads = m->groups.items[gi].count;
		node->ngroups = 1;
		node->first_thread = m->groups.items[gi].first;
		group_node[gi] = g->nodes.len - 1;
		ok = thread_node_text(b, node, &m->threads.items[node->first_thread], node->nthreads);
	}
	if (ok && shown < nidle) {
		struct case_node *node = VEC_PUSH(&g->nodes);
		size_t threads = 0;
		if (!(ok = node != NULL))
			goto out;
		more = g->nodes.len - 1;
		node->kind = CASE_NODE_IDLE_MORE;
		snprintf(node->id, sizeof(node->id), "idle");
		node->group = idle[shown];
		node->ngroups = nidle - shown;
		node->first_thread = m->groups.items[idle[shown]].first;
		for (size_t k = shown; k < nidle; k++) {
			threads += counts[idle[k]];
			node->first_thread = MIN(node->first_thread, m->groups.items[idle[k]].first);
			group_node[idle[k]] = more;
		}
		node->nthreads = threads;
		b->sb.len = 0;
		ok = strbuf_appendf(&b->sb, "%zu more idle threads", threads) && (node->label = dup_buf(&b->sb)) != NULL;
		b->sb.len = 0;
		ok = ok && strbuf_appendf(&b->sb, "in %zu groups", nidle - shown) && (node->detail = dup_buf(&b->sb)) != NULL;
		ok = ok && (node->title = strdup("idle groups past the drawing limit: see Threads")) != NULL;
	}
	for (size_t i = 0; ok && i < m->threads.len; i++)
		if (!b->group_drawn[m->threads.items[i].group])
			g->thread_node[i] = group_node[m->threads.items[i].group];
out:
	free(idle);
	free(counts);
	free(group_node);
	return ok;
}

/* Each node's process (see case_node.proc): objects take their neighbours' when they agree. */
static void assign_procs(const struct model *m, struct case_graph *g)
{
	const size_t none = SIZE_MAX, mixed = SIZE_MAX - 1;

	for (size_t i = 0; i < g->nodes.len; i++) {
		struct case_node *n = &g->nodes.items[i];

		n->proc = none;
		if (m->procs.len > 1 && (n->kind == CASE_NODE_THREADS || n->kind == CASE_NODE_IDLE) &&
		    n->first_thread < m->threads.len)
			n->proc = m->threads.items[n->first_thread].proc;
	}
	if (m->procs.len < 2)
		return;
	for (size_t k = 0; k < g->edges.len; k++) {
		const struct case_edge *e = &g->edges.items[k];
		size_t ends[2] = { e->from, e->to };

		for (int j = 0; j < 2; j++) {
			struct case_node *obj = &g->nodes.items[ends[j]];
			const struct case_node *other = &g->nodes.items[ends[1 - j]];
			size_t p;

			if (obj->kind != CASE_NODE_OBJECT)
				continue;
			p = other->kind == CASE_NODE_THREADS && other->proc != none ? other->proc : mixed;
			if (obj->proc == none)
				obj->proc = p;
			else if (obj->proc != p)
				obj->proc = mixed;
		}
	}
	for (size_t i = 0; i < g->nodes.len; i++)
		if (g->nodes.items[i].proc == mixed)
			g->nodes.items[i].proc = none;
}

struct hs_error *case_graph_build(const struct model *m, struct case_graph *g)
{
	struct builder b = { .m = m, .g = g };
	size_t n = m->threads.len ? m->threads.len : 1;
	bool ok;

	memset(g, 0, sizeof(*g));
	strbuf_init(&b.sb);
	g->thread_node = malloc(n * sizeof(size_t));
	b.flags = calloc(n, 1);
	b.targets = calloc(n, sizeof(*b.targets));
	b.group_drawn = calloc(m->groups.len + 1, sizeof(bool));
	ok = g->thread_node && b.flags && b.targets && b.group_drawn;
	if (ok) {
		for (size_t i = 0; i < m->threads.len; i++)
			g->thread_node[i] = SIZE_MAX;
		ok = mark_threads(&b) && collect_objects(&b) && build_thread_nodes(&b) && build_object_nodes(&b) &&
		     build_edges(&b) && build_idle_nodes(&b);
	}
	if (ok)
		assign_procs(m, g);
	for (size_t i = 0; i < b.objects.len; i++) {
		free(b.objects.items[i].key);
		free(b.objects.items[i].label);
		free(b.objects.items[i].detail);
		free(b.objects.items[i].title);
	}
	VEC_DEINIT(&b.objects);
	VEC_DEINIT(&b.protos);
	free(b.flags);
	free(b.targets);
	free(b.group_drawn);
	strbuf_deinit(&b.sb);
	return ok ? NULL : &hs_error_nomem;
}

void case_graph_deinit(struct case_graph *g)
{
	for (size_t i = 0; i < g->nodes.len; i++) {
		free(g->nodes.items[i].label);
		free(g->nodes.items[i].detail);
		free(g->nodes.items[i].title);
	}
	for (size_t i = 0; i < g->edges.len; i++)
		free(g->edges.items[i].title);
	VEC_DEINIT(&g->nodes);
	VEC_DEINIT(&g->edges);
	free(g->thread_node);
	g->thread_node = NULL;
}
