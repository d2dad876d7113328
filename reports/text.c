/*
 * The text report, read the way people read pstack output: the process, then
 * one block per group of threads with identical stacks, in core order (the
 * main thread leads), then what evidence was missing
 * and what was damaged. Every string from the core goes through
 * append_safe(): control bytes and invalid UTF-8 print as \xNN, so a hostile
 * thread name cannot drive the terminal.
 */
#include "reports/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
static bool append_safe(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s; s++) {
		bool ok;
		if (*s < 0x20 || *s == 0x7f || *s == '\\')
			ok = *s == '\\' ? strbuf_append(sb, "\\\\", 2) : strbuf_appendf(sb, "\\x%02x", *s);
		else if (*s < 0x80)
			ok = strbuf_append(sb, s, 1);
		else {
			/* a valid multi-byte sequence is kept whole */
			size_t n = (*s >= 0xc2 && *s <= 0xdf) ? 2 : (*s >= 0xe0 && *s <= 0xef) ? 3
				   : (*s >= 0xf0 && *s <= 0xf4) ? 4 : 0;
			size_t i;
			for (i = 1; n && i < n; i++)
				if ((s[i] & 0xc0) != 0x80)
					n = 0;
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
		ok = ok && append_safe(sb, f->function);
		if (!f->inlined)
			ok = ok && strbuf_appendf(sb, "+0x%" PRIx64, f->offset);
		if (f->module)
			ok = ok && strbuf_append(sb, " (", 2) && append_safe(sb, f->module) && strbuf_append(sb, ")", 1);
	} else if (f->module) {
		ok = ok && append_safe(sb, f->module) && strbuf_appendf(sb, "+0x%" PRIx64, f->offset);
	} else {
		ok = ok && strbuf_append(sb, "??", 2);
	}
	if (f->file) {
		const char *base = strrchr(f->file, '/');
		ok = ok && strbuf_append(sb, " ", 1) && append_safe(sb, base ? base + 1 : f->file);
		if (f->line)
			ok = ok && strbuf_appendf(sb, ":%d", f->line);
	}
	if (f->inlined)
		ok = ok && strbuf_append(sb, " [inlined]", 10);
	else if (f->how == FRAME_FP)
		ok = ok && strbuf_append(sb, " [frame pointer]", 16);
	return ok && strbuf_append(sb, "\n", 1);
}

static bool append_thread_line(struct strbuf *sb, const struct thread *t)
{
	bool ok = strbuf_appendf(sb, "%d ", t->tid) && append_safe(sb, t->name);

	if (t->state)
		ok = ok && strbuf_appendf(sb, " %c (%s)", t->state, report_thread_state(t->state));
	if (!t->has_registers)
		ok = ok && strbuf_append(sb, " [never stopped]", 16);
	return ok;
}

static bool append_stack(struct strbuf *sb, const struct thread *t)
{
	bool ok = true;

	if (t->syscall.text)
		ok = ok && strbuf_append(sb, "  in ", 5) && append_safe(sb, t->syscall.text) &&
		     (!t->syscall.restarted || strbuf_append(sb, " [restarted]", 12)) && strbuf_append(sb, "\n", 1);
	else if (t->syscall.nr < 0 && t->has_registers)
		ok = ok && strbuf_append(sb, "  in user space\n", 16);
	if (t->wchan && *t->wchan && strcmp(t->wchan, "0") != 0)
		ok = ok && strbuf_append(sb, "  kernel wait: ", 15) && append_safe(sb, t->wchan) && strbuf_append(sb, "\n", 1);
	for (size_t i = 0; ok && i < t->frames.len; i++)
		ok = append_frame(sb, i, &t->frames.items[i]);
	if (t->unwind_error)
		ok = ok && strbuf_append(sb, "  (stack ends: ", 15) && append_safe(sb, t->unwind_error) &&
		     strbuf_append(sb, ")\n", 2);
	return ok;
}

static bool append_process(struct strbuf *sb, const struct model *m, const struct report_options *opts)
{
	char when[32], size[16];
	bool ok = true;

	if (opts->core_path)
		ok = ok && strbuf_append(sb, "core      ", 10) && append_safe(sb, opts->core_path) &&
		     strbuf_appendf(sb, " (%s, %s, %s)\n", m->producer == PRODUCER_HANGSNAP ? "hangsnap" : "no HANGSNAP notes",
				    report_core_format(m), hs_format_bytes(core_file_size(m->core->file), size, sizeof(size)));
	ok = ok && strbuf_appendf(sb, "process   %d ", m->pid) && append_safe(sb, m->comm);
	if (m->exe)
		ok = ok && strbuf_append(sb, " ", 1) && append_safe(sb, m->exe);
	ok = ok && strbuf_append(sb, "\n", 1);
	if (m->cmdline && *m->cmdline)
		ok = ok && strbuf_append(sb, "cmdline   ", 10) && append_safe(sb, m->cmdline) && strbuf_append(sb, "\n", 1);
	if (m->captured_real_ns) {
		ok = ok && strbuf_appendf(sb, "captured  %s", report_time_utc(m->captured_real_ns, when, sizeof(when)));
		if (m->host)
			ok = ok && strbuf_append(sb, " on ", 4) && append_safe(sb, m->host);
		ok = ok && strbuf_appendf(sb, ", process stopped %.1f ms\n", m->freeze_ns / 1e6);
	}
	return ok && strbuf_appendf(sb, "threads   %zu (%zu distinct stacks)\n", m->threads.len, m->groups.len);
}

bool report_text(const struct model *m, const struct report_options *opts, struct strbuf *sb)
{
	bool ok = append_process(sb, m, opts);

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
		ok = strbuf_append(sb, "\n", 1);
		if (count == 1) {
			ok = ok && strbuf_append(sb, "thread ", 7) && append_thread_line(sb, t) && strbuf_append(sb, "\n", 1);
		} else {
			size_t shown = 0;
			ok = ok && strbuf_appendf(sb, "%zu threads:", count);
			for (size_t i = 0; ok && i < m->threads.len && shown < GROUP_TIDS_SHOWN; i++) {
				const struct thread *o = &m->threads.items[i];
				if (o->group != t->group)
					continue;
				ok = strbuf_append(sb, shown ? ", " : " ", shown ? 2 : 1) && strbuf_appendf(sb, "%d ", o->tid) &&
				     append_safe(sb, o->name);
				shown++;
			}
			if (count > shown)
				ok = ok && strbuf_appendf(sb, ", ... (%zu more)", count - shown);
			if (t->state)
				ok = ok && strbuf_appendf(sb, "; %c (%s)", t->state, report_thread_state(t->state));
			ok = ok && strbuf_append(sb, "\n", 1);
		}
		ok = ok && append_stack(sb, t);
	}
	if (ok && m->missing.len) {
		ok = strbuf_append(sb, "\nmissing evidence:\n", 19);
		for (size_t i = 0; ok && i < m->missing.len; i++)
			ok = strbuf_append(sb, "  - ", 4) && append_safe(sb, m->missing.items[i]) && strbuf_append(sb, "\n", 1);
	}
	if (ok && m->warnings.len) {
		ok = strbuf_append(sb, "\nwarnings:\n", 11);
		for (size_t i = 0; ok && i < m->warnings.len; i++)
			ok = strbuf_append(sb, "  - ", 4) && append_safe(sb, m->warnings.items[i]) && strbuf_append(sb, "\n", 1);
	}
	return ok;
}
