/*
 * The text report, read the way people read pstack output: the process, then
 * one block per group of threads with identical stacks, in core order (the
 * main thread leads), then what evidence was missing
 * and what was damaged. Every string from the core goes through
 * report_append_safe(): control bytes and invalid UTF-8 print as \xNN, so a hostile
 * thread name cannot drive the terminal.
 */
#include "reports/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analyzer/names.h"
#include "analyzer/waitgraph.h"
#include "common/utf8.h"
#include "common/util.h"

#define GROUP_TIDS_SHOWN 16u

const char *report_core_format(const struct model *m)
{
	switch (core_file_kind(m->core->file)) {
	case CORE_FILE_ZSTD_SEEKABLE: return "zstd-seekable";
	case CORE_FILE_ZSTD_STREAM: return "zstd";
	default: return "plain";
	}
}

const char *report_thread_state(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk sleep";
	case 'T': return "stopped";
	case 't': return "tracing stop";
	case 'Z': return "zombie";
	case 'X': return "dead";
	case 'I': return "idle";
	case 'P': return "parked";
	default: return "";
	}
}

const char *report_time_utc(uint64_t real_ns, char *buf, size_t size)
{
	time_t t = (time_t)(real_ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "?");
	return buf;
}

/* Appends s with control bytes and invalid UTF-8 shown as \xNN. */
bool report_append_safe(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s; s++) {
		bool ok;
		if (*s < 0x20 || *s == 0x7f || *s == '\\')
			ok = *s == '\\' ? strbuf_addstr(sb, "\\\\") : strbuf_appendf(sb, "\\x%02x", *s);
		else if (*s < 0x80)
			ok = strbuf_append(sb, s, 1);
		else {
			/* a valid multi-byte sequence is kept whole */
			uint32_t cp;
			size_t n = utf8_decode((const char *)s, &cp);
			if (n) {
				ok = strbuf_append(sb, s, n);
				s += n - 1;
			} else
				ok = strbuf_appendf(sb, "\\x%02x", *s);
		}
		if (!ok)
			return false;
	}
	return true;
}

static bool append_frame(struct strbuf *sb, size_t index, const struct frame *f)
{
	bool ok = strbuf_appendf(sb, "  #%-2zu 0x%016" PRIx64 " ", index, f->pc);

	if (f->function) {
		ok = ok && report_append_safe(sb, f->function);
		if (!f->inlined)
			ok = ok && strbuf_appendf(sb, "+0x%" PRIx64, f->offset);
		if (f->module)
			ok = ok && strbuf_addstr(sb, " (") && report_append_safe(sb, f->module) && strbuf_addstr(sb, ")");
	} else if (f->module) {
		ok = ok && report_append_safe(sb, f->module) && strbuf_appendf(sb, "+0x%" PRIx64, f->offset);
	} else {
		ok = ok && strbuf_addstr(sb, "??");
	}
	if (f->file) {
		const char *base = strrchr(f->file, '/');
		ok = ok && strbuf_addstr(sb, " ") && report_append_safe(sb, base ? base + 1 : f->file);
		if (f->line)
			ok = ok && strbuf_appendf(sb, ":%d", f->line);
	}
	if (f->inlined)
		ok = ok && strbuf_addstr(sb, " [inlined]");
	else if (f->how == FRAME_FP)
		ok = ok && strbuf_addstr(sb, " [frame pointer]");
	else if (f->how == FRAME_TAILCALL)
		ok = ok && strbuf_addstr(sb, " [tail call]");
	return ok && strbuf_addstr(sb, "\n");
}

static bool append_thread_line(struct strbuf *sb, const struct thread *t)
{
	bool ok = strbuf_appendf(sb, "%d ", t->tid) && report_append_safe(sb, t->name);

	if (t->state)
		ok = ok && strbuf_appendf(sb, " %c (%s)", t->state, report_thread_state(t->state));
	if (!t->has_registers)
		ok = ok && strbuf_addstr(sb, " [never stopped]");
	return ok;
}

/*
 * "      ruby /usr/lib/ruby/3.1.0/net/http.rb:998:in 'connect'": as Ruby prints a backtrace line;
 * "      python /usr/lib/python3.11/socket.py:836 in create_connection" for Python.
 */
static bool append_runtime_frame(struct strbuf *sb, const char *runtime, const struct runtime_frame *f)
{
	bool python = strcmp(runtime, "python") == 0;
	bool ok = strbuf_appendf(sb, "      %s ", runtime) && report_append_safe(sb, *f->path ? f->path : "?");

	if (f->line)
		ok = ok && strbuf_appendf(sb, ":%d", f->line);
	if (python)
		return ok && strbuf_addstr(sb, " in ") && report_append_safe(sb, f->label) && strbuf_addstr(sb, "\n");
	return ok && strbuf_addstr(sb, ":in '") && report_append_safe(sb, f->label) && strbuf_addstr(sb, "'\n");
}

/*
 * "  ruby thread 'out_metrics', sleep (no timeout), in Thread#join on ..., holds the GVL";
 * "  python thread, waiting (no timeout), in Thread.join, holds the GIL".
 */
static bool append_runtime_thread(struct strbuf *sb, const char *runtime, const struct thread *t)
{
	const struct runtime_thread *rt = &t->rt;
	bool python = strcmp(runtime, "python") == 0;
	bool ok = strbuf_appendf(sb, "  %s thread", runtime);

	if (rt->name)
		ok = ok && strbuf_addstr(sb, " '") && report_append_safe(sb, rt->name) && strbuf_addstr(sb, "'");
	if (rt->status) {
		ok = ok && strbuf_addstr(sb, rt->name ? ", " : " ") && report_append_safe(sb, rt->status);
		if (strcmp(rt->status, "sleep") == 0 || strcmp(rt->status, "waiting") == 0)
			ok = ok && (!rt->forever || strbuf_addstr(sb, " (no timeout)"));
	}
	if (rt->wait_call)
		ok = ok && strbuf_addstr(sb, ", in ") && report_append_safe(sb, rt->wait_call);
	if (rt->gvl)
		ok = ok && strbuf_addstr(sb, python ? ", holds the GIL" : ", holds the GVL");
	if (rt->partial)
		ok = ok && strbuf_addstr(sb, ", frames partial");
	return ok && strbuf_addstr(sb, "\n");
}

static bool append_stack(struct strbuf *sb, const struct model *m, const struct thread *t)
{
	const struct runtime_info *ri = model_thread_runtime(m, t);
	const char *runtime = ri->name ? ri->name : "runtime";
	bool ok = true;
	size_t r = 0;	/* next interpreter frame */

	if (t->syscall.text)
		ok = ok && strbuf_addstr(sb, "  in ") && report_append_safe(sb, t->syscall.text) &&
		     (!t->syscall.restarted || strbuf_addstr(sb, " [restarted]")) && strbuf_addstr(sb, "\n");
	else if (t->syscall.nr < 0 && t->has_registers)
		ok = ok && strbuf_addstr(sb, "  in user space\n");
	if (t->wchan && *t->wchan && strcmp(t->wchan, "0") != 0)
		ok = ok && strbuf_addstr(sb, "  kernel wait: ") && report_append_safe(sb, t->wchan) && strbuf_addstr(sb, "\n");
	if (t->rt.present)
		ok = ok && append_runtime_thread(sb, runtime, t);
	for (size_t i = 0; ok && i < t->frames.len; i++) {
		/* interpreter frames go above the native frame that runs them */
		for (; ok && r < t->rt.frames.len && t->rt.frames.items[r].native <= i; r++)
			ok = append_runtime_frame(sb, runtime, &t->rt.frames.items[r]);
		ok = ok && append_frame(sb, i, &t->frames.items[i]);
	}
	for (; ok && r < t->rt.frames.len; r++)
		ok = append_runtime_frame(sb, runtime, &t->rt.frames.items[r]);
	if (t->unwind_error)
		ok = ok && strbuf_addstr(sb, "  (stack ends: ") && report_append_safe(sb, t->unwind_error) &&
		     strbuf_addstr(sb, ")\n");
	return ok;
}

static bool append_process(struct strbuf *sb, const struct model *m, const struct report_options *opts)
{
	char when[32], size[16];
	bool ok = true;

	if (opts->core_path && m->procs.len > 1) {
		uint64_t total = core_file_size(m->core->file);
		for (size_t i = 1; i < m->procs.len; i++)
			if (m->procs.items[i].part && m->procs.items[i].part->core)
				total += core_file_size(m->procs.items[i].part->core->file);
		ok = ok && strbuf_addstr(sb, "core      ") && report_append_safe(sb, opts->core_path) &&
		     strbuf_appendf(sb, " (a process tree: %zu cores, %s; the root's %s, %s)\n", m->procs.len,
				    hs_format_bytes(total, size, sizeof(size)),
				    m->producer == PRODUCER_HANGSNAP ? "from hangsnap" : "without HANGSNAP notes",
				    report_core_format(m));
	} else if (opts->core_path) {
		ok = ok && strbuf_addstr(sb, "core      ") && report_append_safe(sb, opts->core_path) &&
		     strbuf_appendf(sb, " (%s, %s, %s)\n", m->producer == PRODUCER_HANGSNAP ? "hangsnap" : "no HANGSNAP notes",
				    report_core_format(m), hs_format_bytes(core_file_size(m->core->file), size, sizeof(size)));
	}
	ok = ok && strbuf_appendf(sb, "process   %d ", m->pid) && report_append_safe(sb, m->comm);
	if (m->exe)
		ok = ok && strbuf_addstr(sb, " ") && report_append_safe(sb, m->exe);
	ok = ok && strbuf_addstr(sb, "\n");
	if (m->cmdline && *m->cmdline)
		ok = ok && strbuf_addstr(sb, "cmdline   ") && report_append_safe(sb, m->cmdline) && strbuf_addstr(sb, "\n");
	if (m->captured_real_ns) {
		ok = ok && strbuf_appendf(sb, "captured  %s", report_time_utc(m->captured_real_ns, when, sizeof(when)));
		if (m->host)
			ok = ok && strbuf_addstr(sb, " on ") && report_append_safe(sb, m->host);
		ok = ok && strbuf_appendf(sb, ", process stopped %.1f ms\n", m->freeze_ns / 1e6);
	}
	ok = ok && strbuf_appendf(sb, "threads   %zu (%zu distinct stacks)\n", m->threads.len, m->groups.len);
	if (ok && m->procs.len > 1)
		ok = strbuf_appendf(sb, "tree      %zu processes, analyzed as one case:\n", m->procs.len);
	for (size_t i = 0; ok && m->procs.len > 1 && i < m->procs.len; i++) {
		const struct process_part *p = &m->procs.items[i];
		ok = strbuf_appendf(sb, "  %d ", (int)p->pid) && report_append_safe(sb, p->comm) &&
		     (i == 0 ? strbuf_addstr(sb, ", the root") : strbuf_appendf(sb, ", child of %d", (int)p->ppid)) &&
		     strbuf_appendf(sb, ", %zu thread%s", p->count, p->count == 1 ? "" : "s") &&
		     (!p->runtime.name || (strbuf_addstr(sb, ", ") && report_append_safe(sb, p->runtime.name) &&
					   (!p->runtime.version || (strbuf_addstr(sb, " ") && report_append_safe(sb, p->runtime.version))))) &&
		     (!p->core_path || (strbuf_addstr(sb, ", core ") && report_append_safe(sb, p->core_path))) &&
		     strbuf_addstr(sb, "\n");
	}
	return ok;
}

/* In a process tree, a heading before the first thread of each process. */
static bool append_process_heading(struct strbuf *sb, const struct model *m, const struct thread *t, uint32_t *last)
{
	const struct process_part *p;

	if (m->procs.len < 2 || t->proc == *last)
		return true;
	*last = t->proc;
	p = &m->procs.items[t->proc];
	return strbuf_appendf(sb, "\n== process %d ", (int)p->pid) && report_append_safe(sb, p->comm) &&
	       (t->proc == 0 ? strbuf_addstr(sb, " (the root)") : strbuf_appendf(sb, " (child of %d)", (int)p->ppid)) &&
	       strbuf_addstr(sb, " ==\n");
}

static bool append_findings(struct strbuf *sb, const struct model *m)
{
	bool ok = strbuf_addstr(sb, "\nfindings:\n");

	if (!m->findings.len)
		return ok && strbuf_addstr(sb, "  none: no thread matches a known hang pattern\n");
	for (size_t i = 0; ok && i < m->findings.len; i++) {
		const struct finding *f = &m->findings.items[i];
		/* a probable finding says so in its summary ("probably held by", "probable deadlock") */
		ok = strbuf_appendf(sb, "%s  [%s] %s: ", i ? "\n" : "", severity_name(f->severity), f->rule) &&
		     report_append_safe(sb, f->summary ? f->summary : "") && strbuf_addstr(sb, "\n    threads:");
		for (size_t k = 0; ok && k < f->threads.len; k++)
			ok = strbuf_appendf(sb, " %d", f->threads.items[k]);
		ok = ok && strbuf_addstr(sb, "\n");
		for (size_t k = 0; ok && k < f->evidence.len; k++)
			ok = strbuf_addstr(sb, "    - ") && report_append_safe(sb, f->evidence.items[k]) && strbuf_addstr(sb, "\n");
		if (ok && f->hint)
			ok = strbuf_addstr(sb, "    hint: ") && report_append_safe(sb, f->hint) && strbuf_addstr(sb, "\n");
	}
	return ok;
}

static bool append_signature(struct strbuf *sb, const struct model *m)
{
	if (!m->signature.hash)
		return true;
	return strbuf_appendf(sb, "\nsignature %s (v%d): ", m->signature.hash, m->signature.version) &&
	       report_append_safe(sb, m->signature.text) && strbuf_addstr(sb, "\n");
}

static bool append_node(struct strbuf *sb, const struct thread *t)
{
	return (t->name && *t->name ? report_append_safe(sb, t->name) && strbuf_addstr(sb, " ") : true) &&
	       strbuf_appendf(sb, "%d", t->tid);
}

bool report_wait_is_interesting(const struct thread *t)
{
	switch (t->blocked.kind) {
	case WAIT_NONE: case WAIT_RUNNING: case WAIT_CONDVAR: case WAIT_SLEEP: case WAIT_SIGNAL: case WAIT_ACCEPT:
	case WAIT_OTHER_SYSCALL: case WAIT_QUEUE:
		return false;
	case WAIT_POLL: case WAIT_FUTEX:
		return t->blocked.timeout_ms == TIMEOUT_NONE && t->blocked.nfds > 0;
	default:
		return true;
	}
}

/*
 * The wait-for graph as indented chains, one per thread that nobody waits
 * on: "main 4711 ─join→ out_metrics 4723 ─→ connect() to 127.0.0.1:8080 (SYN_SENT)".
 * Cycles are drawn once, from their lowest tid, ending at the repeated node.
 */
static bool append_waitgraph(struct strbuf *sb, const struct model *m)
{
	bool ok = true, any = false;
	unsigned char *waited = calloc(m->threads.len ? m->threads.len : 1, 1);

	if (!waited)
		return false;
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *to = m->threads.items[i].waits_for ? model_thread(m, m->threads.items[i].waits_for) : NULL;
		if (to)
			waited[to - m->threads.items] = 1;
	}
	for (size_t i = 0; ok && i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i], *start = t;
		size_t steps = 0;
		bool cycle_start = t->in_cycle;

		if (cycle_start) {
			/* draw a cycle once, from its lowest tid */
			const struct thread *c = model_thread(m, t->waits_for);
			while (c && c != t && steps++ <= m->threads.len) {
				if (c->tid < t->tid)
					cycle_start = false;
				c = model_thread(m, c->waits_for);
			}
			steps = 0;
		}
		if (!cycle_start && (waited[i] || (!t->waits_for && !report_wait_is_interesting(t))))
			continue;
		if (!any)
			ok = strbuf_addstr(sb, "\nwait-for graph:\n");
		any = true;
		ok = ok && strbuf_append(sb, cycle_start ? "  cycle: " : "  ", cycle_start ? 9 : 2) && append_node(sb, t);
		const struct thread *entry = NULL;	/* where a chain from outside enters a cycle */
		while (ok && t && steps++ <= m->threads.len) {
			const struct thread *next = t->waits_for ? model_thread(m, t->waits_for) : NULL;
			if (next) {
				ok = strbuf_appendf(sb, " \u2500%s\u2192 ", wait_kind_name(t->blocked.kind)) && append_node(sb, next);
				if (next == start || next == entry)
					break;	/* once round the cycle, ending at the repeated node */
				if (next->in_cycle && !entry)
					entry = next;
			} else if (t->waits_on) {
				ok = strbuf_addstr(sb, " \u2500\u2192 ") && report_append_safe(sb, t->waits_on) &&
				     waitgraph_describe_duration(sb, t);
			}
			t = next;
		}
		ok = ok && strbuf_addstr(sb, "\n");
	}
	free(waited);
	return ok;
}

bool report_text(const struct model *m, const struct report_options *opts, struct strbuf *sb)
{
	bool ok = append_process(sb, m, opts) && append_findings(sb, m) && append_waitgraph(sb, m) &&
		  append_signature(sb, m);
	uint32_t last_proc = UINT32_MAX;

	for (size_t g = 0; ok && g < (opts->all_threads ? m->threads.len : m->groups.len); g++) {
		const struct thread *t;
		size_t count;

		if (opts->all_threads) {
			t = &m->threads.items[g];
			count = 1;
		} else {
			t = &m->threads.items[m->groups.items[g].first];
			count = m->groups.items[g].count;
		}
		ok = append_process_heading(sb, m, t, &last_proc) && strbuf_addstr(sb, "\n");
		if (count == 1) {
			ok = ok && strbuf_addstr(sb, "thread ") && append_thread_line(sb, t) && strbuf_addstr(sb, "\n");
		} else {
			size_t shown = 0;
			ok = ok && strbuf_appendf(sb, "%zu threads:", count);
			for (size_t i = 0; ok && i < m->threads.len && shown < GROUP_TIDS_SHOWN; i++) {
				const struct thread *o = &m->threads.items[i];
				if (o->group != t->group)
					continue;
				ok = strbuf_append(sb, shown ? ", " : " ", shown ? 2 : 1) && strbuf_appendf(sb, "%d ", o->tid) &&
				     report_append_safe(sb, o->name);
				shown++;
			}
			if (count > shown)
				ok = ok && strbuf_appendf(sb, ", ... (%zu more)", count - shown);
			if (t->state)
				ok = ok && strbuf_appendf(sb, "; %c (%s)", t->state, report_thread_state(t->state));
			ok = ok && strbuf_addstr(sb, "\n");
		}
		ok = ok && append_stack(sb, m, t);
	}
	if (ok && m->missing.len) {
		ok = strbuf_addstr(sb, "\nmissing evidence:\n");
		for (size_t i = 0; ok && i < m->missing.len; i++)
			ok = strbuf_addstr(sb, "  - ") && report_append_safe(sb, m->missing.items[i]) && strbuf_addstr(sb, "\n");
	}
	if (ok && m->warnings.len) {
		ok = strbuf_addstr(sb, "\nwarnings:\n");
		for (size_t i = 0; ok && i < m->warnings.len; i++)
			ok = strbuf_addstr(sb, "  - ") && report_append_safe(sb, m->warnings.items[i]) && strbuf_addstr(sb, "\n");
	}
	return ok;
}
