/* See rules.h: the table, and what every rule shares. */
#include "analyzer/rules/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/waitgraph.h"
#include "common/util.h"

#define FINDINGS_MAX 10000u

static const struct {
	const char *id;
	void (*run)(struct rule_context *rc);
} rules[] = {
	{ "lock-cycle", rule_lock_cycle },
	{ "signal-unsafe-reentry", rule_signal_unsafe_reentry },
	{ "abandoned-lock", rule_abandoned_lock },
	{ "join-on-blocked", rule_join_on_blocked },
	{ "lock-held-during-io", rule_lock_held_during_io },
	{ "connect-stall", rule_connect_stall },
	{ "dns-stall", rule_dns_stall },
	{ "socket-read-stall", rule_socket_read_stall },
	{ "pipe-write-full", rule_pipe_write_full },
	{ "file-lock-wait", rule_file_lock_wait },
	{ "child-wait", rule_child_wait },
	{ "busy-spin", rule_busy_spin },
};

bool rules_is_builtin(const char *id)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (strcmp(rules[i].id, id) == 0)
			return true;
	return false;
}

struct finding *rule_add(struct rule_context *rc, enum severity severity)
{
	struct finding *f;

	if (rc->err || rc->m->findings.len >= FINDINGS_MAX)
		return NULL;
	if (!(f = VEC_PUSH(&rc->m->findings))) {
		rc->err = &hs_error_nomem;
		return NULL;
	}
	f->rule = rc->rule;
	f->severity = severity;
	return f;
}

void rule_context_deinit(struct rule_context *rc)
{
	strbuf_deinit(&rc->sb);
	free(rc->tid_set);
	rc->tid_set = NULL;
	rc->tid_set_cap = rc->tid_set_len = rc->tid_set_finding = 0;
}

/* Adds tid to the set; false when it was there already. The set has room (load at most 1/2). */
static bool tid_set_insert(struct rule_context *rc, int32_t tid)
{
	size_t mask = rc->tid_set_cap - 1, slot = ((uint32_t)tid * 2654435761u) & mask;

	for (; rc->tid_set[slot] != INT64_MIN; slot = (slot + 1) & mask)
		if (rc->tid_set[slot] == tid)
			return false;
	rc->tid_set[slot] = tid;
	rc->tid_set_len++;
	return true;
}

/* Makes the set hold f's threads, with room for one more; false when out of memory. */
static bool tid_set_load(struct rule_context *rc, const struct finding *f, size_t which)
{
	size_t want = 16;

	if (rc->tid_set_finding == which && rc->tid_set_len == f->threads.len && 2 * (rc->tid_set_len + 1) <= rc->tid_set_cap)
		return true;
	while (want < 2 * (f->threads.len + 1))
		want *= 2;
	if (want > rc->tid_set_cap) {
		int64_t *set = realloc(rc->tid_set, want * sizeof(*set));
		if (!set)
			return false;
		rc->tid_set = set;
		rc->tid_set_cap = want;
	}
	for (size_t i = 0; i < rc->tid_set_cap; i++)
		rc->tid_set[i] = INT64_MIN;
	rc->tid_set_len = 0;
	rc->tid_set_finding = which;
	for (size_t i = 0; i < f->threads.len; i++)
		tid_set_insert(rc, f->threads.items[i]);
	rc->tid_set_len = f->threads.len;	/* duplicates put there by hand count too */
	return true;
}

bool finding_add_thread(struct rule_context *rc, struct finding *f, int32_t tid)
{
	int32_t *slot;

	if (!tid_set_load(rc, f, (size_t)(f - rc->m->findings.items) + 1)) {
		rc->err = &hs_error_nomem;
		return false;
	}
	if (!tid_set_insert(rc, tid))
		return true;
	if (!(slot = VEC_PUSH(&f->threads))) {
		rc->tid_set_finding = 0;
		rc->err = &hs_error_nomem;
		return false;
	}
	*slot = tid;
	return true;
}

static int compare_thread_keys(const void *pa, const void *pb)
{
	const struct thread_key *a = pa, *b = pb;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

void thread_keys_sort(struct thread_key *keys, size_t n)
{
	if (n > 1)
		qsort(keys, n, sizeof(*keys), compare_thread_keys);
}

size_t thread_keys_find(const struct thread_key *keys, size_t n, uint64_t a, uint64_t b)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid].a < a || (keys[mid].a == a && keys[mid].b < b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static char *vformat(struct rule_context *rc, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		rc->err = &hs_error_nomem;
		return NULL;
	}
	return s;
}

bool finding_set_summary(struct rule_context *rc, struct finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(f->summary);
	f->summary = vformat(rc, fmt, ap);
	va_end(ap);
	return f->summary != NULL;
}

bool finding_set_hint(struct rule_context *rc, struct finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(f->hint);
	f->hint = vformat(rc, fmt, ap);
	va_end(ap);
	return f->hint != NULL;
}

bool finding_add_evidence(struct rule_context *rc, struct finding *f, const char *fmt, ...)
{
	va_list ap;
	char *s, **slot;

	va_start(ap, fmt);
	s = vformat(rc, fmt, ap);
	va_end(ap);
	if (!s)
		return false;
	if (!(slot = VEC_PUSH(&f->evidence))) {
		free(s);
		rc->err = &hs_error_nomem;
		return false;
	}
	*slot = s;
	return true;
}

const char *rule_label(struct rule_context *rc, const struct thread *t, char *buf, size_t size)
{
	return model_thread_label(rc->m, t->tid, buf, size);
}

/* "agent.rb:102 in 'shutdown'" or "metrics/client.rb:23 in 'post_service_metrics'" */
static bool append_runtime_location(struct strbuf *sb, const struct runtime_frame *f)
{
	struct frame_source src;

	frame_source(f->path, &src);
	return strbuf_addstr(sb, src.rel) && (!f->line || strbuf_appendf(sb, ":%d", f->line)) &&
	       strbuf_addstr(sb, " in '") && strbuf_addstr(sb, f->label) && strbuf_addstr(sb, "'");
}

/* The component a Ruby frame is in: its library, or the first directory of its stdlib path. */
static bool same_component(const struct runtime_frame *a, const struct runtime_frame *b)
{
	struct frame_source x, y;

	frame_source(a->path, &x);
	frame_source(b->path, &y);
	if (x.kind != y.kind)
		return false;
	if (x.kind == SOURCE_LIBRARY)
		return strcmp(x.lib, y.lib) == 0;
	if (x.kind == SOURCE_STDLIB)
		return strcspn(x.rel, "/.") == strcspn(y.rel, "/.") && strncmp(x.rel, y.rel, strcspn(x.rel, "/.")) == 0;
	return strcmp(a->path, b->path) == 0;
}

#define VIA_MAX 3u
#define RUNTIME_VIA_SCAN 64u

bool rule_append_where(struct strbuf *sb, const struct thread *t, bool via)
{
	const struct runtime_frame *f = t->rt.frames.items;
	size_t app = frame_runtime_app(t), groups[RUNTIME_VIA_SCAN], n = 0, last = SIZE_MAX;
	bool ok;

	if (app == SIZE_MAX) {
		/*
		 * A headline (via false) names where a C++ or Rust thread is in its own
		 * code — ", at cache_refresh.cc:40 in 'app::Cache::refresh'" — from its
		 * innermost own frame with a mangled name; C's headlines stay as they are
		 * (their evidence lines say where).
		 */
		const struct frame *own = via ? NULL : frame_app(t);
		const char *raw;
		const char *base;

		if (!own || !own->function || frame_is_library_code(own))
			return true;
		raw = own->linkage_name ? own->linkage_name : own->function;
		if (!(raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R')))
			return true;
		base = own->file && strrchr(own->file, '/') ? strrchr(own->file, '/') + 1 : own->file;
		return strbuf_addstr(sb, ", at ") && (!base || strbuf_addstr(sb, base)) &&
		       (!base || !own->line || strbuf_appendf(sb, ":%d", own->line)) &&
		       strbuf_addstr(sb, base ? " in '" : "in '") && strbuf_addstr(sb, own->function) && strbuf_addstr(sb, "'");
	}
	ok = strbuf_addstr(sb, ", at ") && append_runtime_location(sb, &f[app]);
	/* the innermost frame of each run of frames in one component, from the top down to the thread's code */
	for (size_t i = 0; via && i < app && n < RUNTIME_VIA_SCAN; i++) {
		if (f[i].cfunc || same_component(&f[i], &f[app]))
			continue;
		if (last == SIZE_MAX || !same_component(&f[i], &f[last]))
			groups[n++] = i;
		last = i;
	}
	/* the VIA_MAX nearest the thread's code, outermost first */
	for (size_t k = 0; ok && k < MIN(n, VIA_MAX); k++)
		ok = strbuf_addstr(sb, k ? ", " : " (via ") && append_runtime_location(sb, &f[groups[n - 1 - k]]);
	return ok && (!n || strbuf_addstr(sb, ")"));
}

char *rule_describe(struct rule_context *rc, const struct thread *t)
{
	char *s;

	rc->sb.len = 0;
	if (!waitgraph_describe_wait(&rc->sb, rc->m, t) || !waitgraph_describe_duration(&rc->sb, t) ||
	    !rule_append_where(&rc->sb, t, true) ||
	    !(s = strdup(rc->sb.buf ? rc->sb.buf : ""))) {
		rc->err = &hs_error_nomem;
		return NULL;
	}
	return s;
}

char *rule_chain(struct rule_context *rc, const struct thread *from)
{
	const struct model *m = rc->m;
	const struct thread *t = from;
	struct strbuf s;
	char label[64];
	size_t steps = 0;
	char *out;

	strbuf_init(&s);
	for (;;) {
		const struct thread *next = waitgraph_thread_edge(t) ? model_thread(m, t->waits_for) : NULL;
		bool ok;

		if (next && !t->in_cycle && steps++ <= m->threads.len) {
			if (t->blocked.kind == WAIT_JOIN)
				ok = strbuf_appendf(&s, ", which is joining %s",
						    model_thread_label(m, next->tid, label, sizeof(label)));
			else
				ok = strbuf_appendf(&s, ", which waits for %s 0x%llx held by %s", wait_kind_name(t->blocked.kind),
						    (unsigned long long)t->blocked.addr,
						    model_thread_label(m, next->tid, label, sizeof(label)));
			t = next;
		} else if (t->in_cycle) {
			ok = strbuf_addstr(&s, ", which is part of a deadlock cycle");
			t = NULL;
		} else {
			ok = strbuf_addstr(&s, ", which is stuck in ") && waitgraph_describe_wait(&s, m, t) &&
			     waitgraph_describe_duration(&s, t) && rule_append_where(&s, t, true);
			t = NULL;
		}
		if (!ok) {
			strbuf_deinit(&s);
			rc->err = &hs_error_nomem;
			return NULL;
		}
		if (!t)
			break;
	}
	out = strdup(s.buf ? s.buf : "");
	strbuf_deinit(&s);
	if (!out)
		rc->err = &hs_error_nomem;
	return out;
}

bool finding_thread_evidence(struct rule_context *rc, struct finding *f, const struct thread *t)
{
	const struct frame *app = frame_app(t);
	char label[64], where[256] = "";
	char *what = rule_describe(rc, t);
	bool ok;

	if (!what)
		return false;
	if (t->rt.frames.len) {
		/* the Ruby location is in `what` already */
	} else if (app && app->function) {
		const char *file = app->file ? strrchr(app->file, '/') ? strrchr(app->file, '/') + 1 : app->file : NULL;
		if (file && app->line)
			snprintf(where, sizeof(where), "; in %s (%s) %s:%d", app->function, app->module, file, app->line);
		else
			snprintf(where, sizeof(where), "; in %s (%s)", app->function, app->module);
	} else if (app) {
		snprintf(where, sizeof(where), "; in %s+0x%llx", app->module, (unsigned long long)app->offset);
	}
	ok = finding_add_evidence(rc, f, "%s: %s%s", rule_label(rc, t, label, sizeof(label)), what, where);
	free(what);
	return ok;
}

struct hs_error *rules_run(struct model *m)
{
	struct rule_context rc = { .m = m };

	strbuf_init(&rc.sb);
	for (size_t i = 0; i < ARRAY_SIZE(rules) && !rc.err; i++) {
		rc.rule = rules[i].id;
		rules[i].run(&rc);
	}
	rule_context_deinit(&rc);
	return rc.err;
}

struct hs_error *rules_rank(struct model *m)
{
	struct finding *sorted;
	size_t n = m->findings.len, k = 0;

	if (n < 2)
		return NULL;
	if (!(sorted = malloc(n * sizeof(*sorted))))
		return &hs_error_nomem;
	for (int s = SEVERITY_CRITICAL; s >= SEVERITY_LOW; s--)
		for (size_t i = 0; i < n; i++)
			if ((int)m->findings.items[i].severity == s)
				sorted[k++] = m->findings.items[i];
	memcpy(m->findings.items, sorted, n * sizeof(*sorted));
	free(sorted);
	return NULL;
}
