/*
 * The hanganalyze/1 JSON document; its schema, member by member, is
 * docs/hanganalyze-1.schema.json. Addresses are hex strings ("0x7f..."), so
 * no consumer loses bits above 2^53. Members are always present: a value
 * that is unknown is null, not missing.
 */
#include "reports/report.h"

#include "analyzer/names.h"
#include "analyzer/waitgraph.h"
#include "reports/json_writer.h"

#include <stdio.h>
#include <string.h>

static const char *frame_how_name(enum frame_how how)
{
	switch (how) {
	case FRAME_INITIAL: return "initial";
	case FRAME_CFI: return "cfi";
	case FRAME_FP: return "frame_pointer";
	case FRAME_INLINE: return "inline";
	case FRAME_TAILCALL: return "tailcall";
	}
	return "unknown";
}

static void string_or_null(struct json_writer *w, const char *s)
{
	json_string(w, s && *s ? s : NULL);
}

static void write_process(struct json_writer *w, const struct model *m, const struct report_options *opts)
{
	char when[32];

	json_key(w, "core");
	json_object_begin(w);
	json_key(w, "path");
	json_string(w, opts->core_path);
	json_key(w, "format");
	json_string(w, report_core_format(m));
	json_key(w, "size");
	json_uint(w, core_file_size(m->core->file));
	json_key(w, "producer");
	json_string(w, m->producer == PRODUCER_HANGSNAP ? "hangsnap" : "unknown");
	json_object_end(w);

	json_key(w, "process");
	json_object_begin(w);
	json_key(w, "pid");
	json_int(w, m->pid);
	json_key(w, "comm");
	json_string(w, m->comm);
	json_key(w, "exe");
	string_or_null(w, m->exe);
	json_key(w, "build_id");
	string_or_null(w, m->build_id);
	json_key(w, "cmdline");
	string_or_null(w, m->cmdline);
	json_key(w, "host");
	string_or_null(w, m->host);
	json_key(w, "captured");
	json_string(w, m->captured_real_ns ? report_time_utc(m->captured_real_ns, when, sizeof(when)) : NULL);
	json_key(w, "frozen_ns");
	if (m->producer == PRODUCER_HANGSNAP)
		json_uint(w, m->freeze_ns);
	else
		json_null(w);
	json_key(w, "threads");
	json_uint(w, m->threads.len);
	json_object_end(w);
}

static void write_one_process(struct json_writer *w, int32_t pid, int32_t ppid, const char *comm, const char *core,
			      const char *runtime, size_t nthreads)
{
	json_object_begin(w);
	json_key(w, "pid");
	json_int(w, pid);
	json_key(w, "ppid");
	if (ppid > 0)
		json_int(w, ppid);
	else
		json_null(w);
	json_key(w, "comm");
	json_string(w, comm);
	json_key(w, "core");
	string_or_null(w, core);
	json_key(w, "runtime");
	string_or_null(w, runtime);
	json_key(w, "threads");
	json_uint(w, nthreads);
	json_object_end(w);
}

/* Every process of the case: one for a core, the tree's for a process tree (the first is "process"). */
static void write_processes(struct json_writer *w, const struct model *m)
{
	json_key(w, "processes");
	json_array_begin(w);
	if (m->procs.len < 2)
		write_one_process(w, m->pid, m->ppid, m->comm, NULL, m->runtime.name, m->threads.len);
	for (size_t i = 0; m->procs.len > 1 && i < m->procs.len; i++) {
		const struct process_part *p = &m->procs.items[i];
		write_one_process(w, p->pid, p->ppid, p->comm, p->core_path, p->runtime.name, p->count);
	}
	json_array_end(w);
}

static void write_frame(struct json_writer *w, const struct frame *f)
{
	json_object_begin(w);
	json_key(w, "pc");
	json_hex(w, f->pc);
	json_key(w, "function");
	json_string(w, f->function);
	if (f->linkage_name) {
		json_key(w, "linkage_name");
		json_string(w, f->linkage_name);
	}
	json_key(w, "offset");
	if (f->inlined)
		json_null(w);
	else
		json_hex(w, f->offset);
	json_key(w, "module");
	json_string(w, f->module);
	json_key(w, "file");
	json_string(w, f->file);
	json_key(w, "line");
	if (f->line)
		json_int(w, f->line);
	else
		json_null(w);
	json_key(w, "inlined");
	json_bool(w, f->inlined);
	json_key(w, "how");
	json_string(w, frame_how_name(f->how));
	json_object_end(w);
}

static void write_blocked_on(struct json_writer *w, const struct model *m, const struct thread *t)
{
	const struct blocked_on *b = &t->blocked;
	struct strbuf sb;

	if (b->kind == WAIT_NONE) {
		json_null(w);
		return;
	}
	strbuf_init(&sb);
	json_object_begin(w);
	json_key(w, "kind");
	json_string(w, wait_kind_name(b->kind));
	json_key(w, "addr");
	if (b->addr)
		json_hex(w, b->addr);
	else
		json_null(w);
	json_key(w, "owner");
	if (b->owner > 0)
		json_int(w, b->owner);
	else
		json_null(w);
	json_key(w, "owner_alive");
	json_bool(w, b->owner_alive);
	json_key(w, "layout");
	json_string(w, b->layout);
	json_key(w, "call");
	json_string(w, b->call);
	json_key(w, "fds");
	json_array_begin(w);
	for (unsigned i = 0; i < b->nfds; i++) {
		sb.len = 0;
		json_object_begin(w);
		json_key(w, "fd");
		json_int(w, b->fds[i].fd);
		json_key(w, "what");
		json_string(w, evidence_describe_fd(&sb, &b->fds[i]) && sb.buf ? sb.buf : NULL);
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "timeout_ms");
	if (b->timeout_ms >= 0)
		json_int(w, b->timeout_ms);
	else
		json_null(w);
	json_key(w, "unbounded");
	json_bool(w, b->timeout_ms == TIMEOUT_NONE);
	json_key(w, "child");
	if (b->child > 0)
		json_int(w, b->child);
	else
		json_null(w);
	json_key(w, "stalled_ns");
	if (b->stalled_ns)
		json_uint(w, b->stalled_ns);
	else
		json_null(w);
	json_key(w, "no_progress");
	json_bool(w, b->no_progress);
	json_key(w, "text");
	sb.len = 0;
	json_string(w, waitgraph_describe_wait(&sb, m, t) && sb.buf ? sb.buf : NULL);
	json_object_end(w);
	strbuf_deinit(&sb);
}

static void int_or_null(struct json_writer *w, bool known, int64_t v)
{
	if (known)
		json_int(w, v);
	else
		json_null(w);
}

/* The wait an interpreter records for a thread, or null. */
static void write_runtime_wait(struct json_writer *w, const struct runtime_thread *rt)
{
	if (!rt->wait_call) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_key(w, "call");
	json_string(w, rt->wait_call);
	json_key(w, "thread");
	int_or_null(w, rt->wait_tid, rt->wait_tid);
	json_key(w, "object");
	if (rt->wait_obj)
		json_hex(w, rt->wait_obj);
	else
		json_null(w);
	json_key(w, "queue_length");
	int_or_null(w, rt->queue_len >= 0, rt->queue_len);
	json_key(w, "queue_waiters");
	int_or_null(w, rt->queue_waiters >= 0, rt->queue_waiters);
	json_object_end(w);
}

/* "frames": innermost first, {path, line, label, [cfunc,] native}; cfunc is Ruby's (a method written in C). */
static void write_runtime_frames(struct json_writer *w, const struct runtime_thread *rt, bool cfunc)
{
	json_key(w, "frames");
	json_array_begin(w);
	for (size_t i = 0; i < rt->frames.len; i++) {
		const struct runtime_frame *f = &rt->frames.items[i];

		json_object_begin(w);
		json_key(w, "path");
		json_string(w, f->path);
		json_key(w, "line");
		json_int(w, f->line);
		json_key(w, "label");
		json_string(w, f->label);
		if (cfunc) {
			json_key(w, "cfunc");
			json_bool(w, f->cfunc);
		}
		json_key(w, "native");
		json_uint(w, f->native);
		json_object_end(w);
	}
	json_array_end(w);
}

/* A Ruby thread's view: {name, status, forever, gvl, partial, wait, frames}. */
static void write_ruby_thread(struct json_writer *w, const struct runtime_thread *rt)
{
	json_object_begin(w);
	json_key(w, "name");
	json_string(w, rt->name);
	json_key(w, "status");
	json_string(w, rt->status);
	json_key(w, "forever");
	json_bool(w, rt->forever);
	json_key(w, "gvl");
	json_bool(w, rt->gvl);
	json_key(w, "partial");
	json_bool(w, rt->partial);
	json_key(w, "wait");
	write_runtime_wait(w, rt);
	write_runtime_frames(w, rt, true);
	json_object_end(w);
}

/* A Python thread's view: {gil, forever, partial, wait, frames}. */
static void write_python_thread(struct json_writer *w, const struct runtime_thread *rt)
{
	json_object_begin(w);
	json_key(w, "gil");
	json_bool(w, rt->gvl);
	json_key(w, "forever");
	json_bool(w, rt->forever);
	json_key(w, "partial");
	json_bool(w, rt->partial);
	json_key(w, "wait");
	write_runtime_wait(w, rt);
	write_runtime_frames(w, rt, false);
	json_object_end(w);
}

/* "ruby" and "python": the interpreter's view of the thread under its runtime's key, null otherwise. */
static void write_runtime_thread(struct json_writer *w, const struct model *m, const struct thread *t)
{
	const struct runtime_info *ri = model_thread_runtime(m, t);
	bool ruby = t->rt.present && ri->name && strcmp(ri->name, "ruby") == 0;
	bool python = t->rt.present && ri->name && strcmp(ri->name, "python") == 0;

	json_key(w, "ruby");
	if (ruby)
		write_ruby_thread(w, &t->rt);
	else
		json_null(w);
	json_key(w, "python");
	if (python)
		write_python_thread(w, &t->rt);
	else
		json_null(w);
}

static void write_thread(struct json_writer *w, const struct model *m, const struct thread *t)
{
	char state[2] = { t->state, '\0' };

	json_object_begin(w);
	json_key(w, "tid");
	json_int(w, t->tid);
	json_key(w, "pid");
	json_int(w, m->procs.len > 1 && t->proc < m->procs.len ? m->procs.items[t->proc].pid : m->pid);
	json_key(w, "name");
	json_string(w, t->name);
	json_key(w, "state");
	string_or_null(w, state);
	json_key(w, "stopped");
	json_bool(w, t->has_registers);
	json_key(w, "group");
	json_uint(w, t->group);
	json_key(w, "syscall");
	if (t->syscall.nr >= 0) {
		json_object_begin(w);
		json_key(w, "nr");
		json_int(w, t->syscall.nr);
		json_key(w, "name");
		json_string(w, t->syscall.name);
		json_key(w, "args");
		json_array_begin(w);
		for (int i = 0; i < 6; i++)
			json_hex(w, t->syscall.args[i]);
		json_array_end(w);
		json_key(w, "text");
		json_string(w, t->syscall.text);
		json_key(w, "restarted");
		json_bool(w, t->syscall.restarted);
		json_object_end(w);
	} else {
		json_null(w);
	}
	json_key(w, "wchan");
	string_or_null(w, t->wchan);
	json_key(w, "blocked_on");
	write_blocked_on(w, m, t);
	json_key(w, "frames");
	json_array_begin(w);
	for (size_t i = 0; i < t->frames.len; i++)
		write_frame(w, &t->frames.items[i]);
	json_array_end(w);
	json_key(w, "unwind_error");
	json_string(w, t->unwind_error);
	write_runtime_thread(w, m, t);
	json_object_end(w);
}

static void write_strings(struct json_writer *w, const char *key, const struct string_list *l)
{
	json_key(w, key);
	json_array_begin(w);
	for (size_t i = 0; i < l->len; i++)
		json_string(w, l->items[i]);
	json_array_end(w);
}

bool report_json(const struct model *m, const struct report_options *opts, struct strbuf *sb)
{
	struct json_writer w;

	json_writer_init(&w, sb);
	json_object_begin(&w);
	json_key(&w, "schema");
	json_string(&w, REPORT_JSON_SCHEMA);
	write_process(&w, m, opts);
	write_processes(&w, m);
	json_key(&w, "runtime");
	if (!m->runtime.name) {
		json_null(&w);
	} else {
		json_object_begin(&w);
		json_key(&w, "name");
		json_string(&w, m->runtime.name);
		json_key(&w, "version");
		json_string(&w, m->runtime.version);
		json_key(&w, "layout");
		json_string(&w, m->runtime.layout);
		json_object_end(&w);
	}

	json_key(&w, "threads");
	json_array_begin(&w);
	for (size_t i = 0; i < m->threads.len; i++)
		write_thread(&w, m, &m->threads.items[i]);
	json_array_end(&w);

	json_key(&w, "groups");
	json_array_begin(&w);
	for (size_t g = 0; g < m->groups.len; g++) {
		json_object_begin(&w);
		json_key(&w, "count");
		json_uint(&w, m->groups.items[g].count);
		json_key(&w, "tids");
		json_array_begin(&w);
		for (size_t i = m->groups.items[g].first; i < m->threads.len; i++)
			if (m->threads.items[i].group == g)
				json_int(&w, m->threads.items[i].tid);
		json_array_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);

	json_key(&w, "modules");
	json_array_begin(&w);
	for (size_t i = 0; i < m->modules.len; i++) {
		const struct module_info *mod = &m->modules.items[i];
		if (!mod->used)
			continue;
		json_object_begin(&w);
		json_key(&w, "name");
		json_string(&w, mod->name);
		json_key(&w, "start");
		json_hex(&w, mod->start);
		json_key(&w, "end");
		json_hex(&w, mod->end);
		json_key(&w, "build_id");
		json_string(&w, mod->build_id);
		json_key(&w, "elf_found");
		json_bool(&w, mod->elf_found);
		json_key(&w, "debuginfo");
		json_bool(&w, mod->has_debuginfo);
		json_object_end(&w);
	}
	json_array_end(&w);

	json_key(&w, "waitgraph");
	json_object_begin(&w);
	json_key(&w, "edges");
	json_array_begin(&w);
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		if (!t->waits_for && !t->waits_on)
			continue;
		json_object_begin(&w);
		json_key(&w, "from");
		json_int(&w, t->tid);
		json_key(&w, "kind");
		json_string(&w, wait_kind_name(t->blocked.kind));
		json_key(&w, "to_thread");
		if (t->waits_for)
			json_int(&w, t->waits_for);
		else
			json_null(&w);
		json_key(&w, "object");
		json_string(&w, t->waits_for ? NULL : t->waits_on);
		json_key(&w, "in_cycle");
		json_bool(&w, t->in_cycle);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	json_key(&w, "findings");
	json_array_begin(&w);
	for (size_t i = 0; i < m->findings.len; i++) {
		const struct finding *f = &m->findings.items[i];
		json_object_begin(&w);
		json_key(&w, "rule");
		json_string(&w, f->rule);
		json_key(&w, "severity");
		json_string(&w, severity_name(f->severity));
		json_key(&w, "confidence");
		json_string(&w, confidence_name(f->confidence));
		json_key(&w, "summary");
		json_string(&w, f->summary);
		json_key(&w, "threads");
		json_array_begin(&w);
		for (size_t k = 0; k < f->threads.len; k++)
			json_int(&w, f->threads.items[k]);
		json_array_end(&w);
		write_strings(&w, "evidence", &f->evidence);
		json_key(&w, "hint");
		json_string(&w, f->hint);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_key(&w, "signature");
	if (m->signature.hash) {
		json_object_begin(&w);
		json_key(&w, "hash");
		json_string(&w, m->signature.hash);
		json_key(&w, "text");
		json_string(&w, m->signature.text);
		json_key(&w, "version");
		json_int(&w, m->signature.version);
		json_key(&w, "rule");
		json_string(&w, m->signature.rule);
		json_key(&w, "frames");
		json_array_begin(&w);
		for (const char *l = m->signature.frames; l && *l;) {
			size_t n = strcspn(l, "\n");
			char buf[512];
			snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), l);
			json_string(&w, buf);
			l += n + (l[n] == '\n');
		}
		json_array_end(&w);
		json_object_end(&w);
	} else {
		json_null(&w);
	}

	write_strings(&w, "missing", &m->missing);
	write_strings(&w, "warnings", &m->warnings);
	json_object_end(&w);
	return json_writer_ok(&w) && strbuf_append(sb, "\n", 1);
}
