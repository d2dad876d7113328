/*
 * See model.h. The model is built in this order: process identity (HANGSNAP
 * process record, else NT_PRPSINFO), threads (NT_PRSTATUS, matched with
 * their HANGSNAP thread records), syscalls (orig_rax and the argument
 * registers, decoded against the core's memory), stacks (unwind.c), groups.
 */
#include "analyzer/model.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/rules/rules.h"
#include "analyzer/signature.h"
#include "analyzer/syscalls.h"
#include "analyzer/waitgraph.h"
#include "analyzer/unwind.h"
#include "common/strbuf.h"
#include "common/util.h"

#define STRINGS_MAX (1u << 24)
#define CMDLINE_MAX 4096u

/* ---- interning -------------------------------------------------------- */

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

const char *model_intern(struct model *m, const char *s)
{
	size_t mask, i;
	uint64_t h;
	char *copy;

	if (!s)
		return NULL;
	if (m->nstrings * 2 >= m->strings_cap) {
		size_t ncap = m->strings_cap ? m->strings_cap * 2 : 256;
		char **n;

		if (m->nstrings >= STRINGS_MAX || !(n = calloc(ncap, sizeof(*n))))
			return NULL;
		for (size_t j = 0; j < m->strings_cap; j++) {
			if (!m->strings[j])
				continue;
			h = hash_bytes(m->strings[j], strlen(m->strings[j]), 0xcbf29ce484222325ull);
			for (i = h & (ncap - 1); n[i]; i = (i + 1) & (ncap - 1))
				;
			n[i] = m->strings[j];
		}
		free(m->strings);
		m->strings = n;
		m->strings_cap = ncap;
	}
	mask = m->strings_cap - 1;
	h = hash_bytes(s, strlen(s), 0xcbf29ce484222325ull);
	for (i = h & mask; m->strings[i]; i = (i + 1) & mask)
		if (strcmp(m->strings[i], s) == 0)
			return m->strings[i];
	if (!(copy = strdup(s)))
		return NULL;
	m->strings[i] = copy;
	m->nstrings++;
	return copy;
}

void string_list_deinit(struct string_list *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	VEC_DEINIT(l);
}

void finding_deinit(struct finding *f)
{
	free(f->summary);
	free(f->hint);
	VEC_DEINIT(&f->threads);
	string_list_deinit(&f->evidence);
}

static void add_line(struct string_list *v, const char *fmt, va_list ap)
{
	char *msg, **slot;

	if (v->len >= 256 || vasprintf(&msg, fmt, ap) < 0)
		return;
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(v->items[i], msg) == 0) {
			free(msg);
			return;
		}
	if ((slot = VEC_PUSH(v)))
		*slot = msg;
	else
		free(msg);
}

void model_warn(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(&m->warnings, fmt, ap);
	va_end(ap);
}

void model_missing(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(&m->missing, fmt, ap);
	va_end(ap);
}

/* ---- process ---------------------------------------------------------- */

/* argv as one line: NUL separators become spaces, control bytes are kept for the renderers to escape. */
static const char *join_cmdline(struct model *m, const char *argv, size_t len)
{
	char buf[CMDLINE_MAX + 1];
	size_t n = MIN(len, (size_t)CMDLINE_MAX);

	while (n > 0 && argv[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		buf[i] = argv[i] ? argv[i] : ' ';
	buf[n] = '\0';
	return model_intern(m, buf);
}

static void build_process(struct model *m)
{
	struct elfcore *core = m->core;
	const struct hs_process_info *p = &core->ctx.process;

	if (core->has_hangsnap) {
		m->producer = PRODUCER_HANGSNAP;
		m->pid = p->pid;
		m->comm = model_intern(m, p->comm ? p->comm : "");
		m->exe = p->exe && *p->exe ? model_intern(m, p->exe) : NULL;
		m->cmdline = p->cmdline ? join_cmdline(m, p->cmdline, p->cmdline_len) : NULL;
		m->host = p->host && *p->host ? model_intern(m, p->host) : NULL;
		m->build_id = p->build_id && *p->build_id ? model_intern(m, p->build_id) : NULL;
		m->captured_real_ns = p->capture_real_ns;
		m->freeze_ns = p->freeze_ns;
		return;
	}
	m->producer = PRODUCER_UNKNOWN;
	if (core->has_psinfo) {
		m->pid = core->psinfo_pid;
		m->comm = model_intern(m, core->psinfo_fname);
		/* NT_PRPSINFO keeps only the first 80 bytes of the command line */
		m->cmdline = model_intern(m, core->psinfo_args);
	} else {
		m->comm = model_intern(m, "");
	}
	if (m->pid <= 0 && core->threads.len)
		m->pid = core->threads.items[0].tid;
	/* the executable: the NT_FILE mapping that holds the program headers */
	{
		uint64_t phdr = elfcore_auxv(core, AT_PHDR);
		for (size_t i = 0; phdr && i < core->files.len; i++)
			if (phdr >= core->files.items[i].start && phdr < core->files.items[i].end) {
				m->exe = model_intern(m, core->files.items[i].path);
				break;
			}
	}
	model_missing(m, "no HANGSNAP notes (a core from gdb, the kernel or systemd-coredump): no thread states, "
			 "wchan, CPU samples, fd targets, sockets, pipes, file locks or children; syscalls and "
			 "stacks come from registers and memory only");
}

/* ---- threads ---------------------------------------------------------- */

static int compare_ctx_tid(const void *a, const void *b)
{
	const struct hs_thread_info *x = *(const struct hs_thread_info *const *)a;
	const struct hs_thread_info *y = *(const struct hs_thread_info *const *)b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static size_t read_core_memory(void *arg, uint64_t addr, void *buf, size_t len)
{
	return elfcore_read_memory(arg, addr, buf, len);
}

static struct hs_error *build_threads(struct model *m)
{
	struct elfcore *core = m->core;
	struct hangsnap_context *ctx = &core->ctx;
	const struct hs_thread_info **index = NULL;
	struct strbuf sb;

	if (ctx->threads.len) {
		if (!(index = malloc(ctx->threads.len * sizeof(*index))))
			return &hs_error_nomem;
		for (size_t i = 0; i < ctx->threads.len; i++)
			index[i] = &ctx->threads.items[i];
		qsort(index, ctx->threads.len, sizeof(*index), compare_ctx_tid);
	}
	strbuf_init(&sb);
	for (size_t i = 0; i < core->threads.len; i++) {
		const struct elfcore_thread *ct = &core->threads.items[i];
		struct hs_thread_info key = { .tid = ct->tid }, *kp = &key;
		const struct hs_thread_info **found = NULL;
		struct thread *t = VEC_PUSH(&m->threads);
		struct syscall_call *sc;

		if (!t)
			goto nomem;
		t->tid = ct->tid;
		memcpy(t->regs, ct->regs, sizeof(t->regs));
		if (index)
			found = bsearch(&kp, index, ctx->threads.len, sizeof(*index), compare_ctx_tid);
		t->ctx = found ? *found : NULL;
		t->has_registers = !t->ctx || (t->ctx->flags & HS_THREAD_STOPPED);
		t->state = t->ctx ? t->ctx->state : 0;
		t->name = model_intern(m, t->ctx && t->ctx->comm ? t->ctx->comm
					  : i == 0 && core->has_psinfo ? core->psinfo_fname : "");
		t->wchan = model_intern(m, t->ctx && t->ctx->wchan ? t->ctx->wchan : "");
		if (!t->name || !t->wchan)
			goto nomem;

		sc = &t->syscall;
		sc->nr = -1;
		if (t->has_registers) {
			/* orig_rax is the call the thread is in, -1 in user space */
			if ((int64_t)t->regs[GREG_ORIG_RAX] >= 0) {
				static const enum x86_64_greg argregs[6] = { GREG_RDI, GREG_RSI, GREG_RDX,
									     GREG_R10, GREG_R8, GREG_R9 };
				sc->nr = (int64_t)t->regs[GREG_ORIG_RAX];
				for (int a = 0; a < 6; a++)
					sc->args[a] = t->regs[argregs[a]];
			}
		} else if (t->ctx->syscall_nr >= 0) {
			/* never stopped: what /proc/TID/syscall said */
			sc->nr = t->ctx->syscall_nr;
			memcpy(sc->args, t->ctx->syscall_args, sizeof(sc->args));
		}
		if (sc->nr >= 0) {
			sc->name = syscall_name(sc->nr);
			sb.len = 0;
			if (!syscall_format(&sb, sc->nr, sc->args, read_core_memory, core) ||
			    !(sc->text = strdup(sb.buf ? sb.buf : "")))
				goto nomem;
		}
	}
	strbuf_deinit(&sb);
	free(index);
	return NULL;
nomem:
	strbuf_deinit(&sb);
	free(index);
	return &hs_error_nomem;
}

/*
 * A thread that was stopped in nanosleep, clock_nanosleep, poll or a futex
 * wait with a timeout — by a debugger, by SIGSTOP, by an earlier snapshot —
 * resumes through restart_syscall(2), and that is what its registers say.
 * The argument registers still hold the original call's arguments, and the
 * libc wrapper it came from is the innermost frame: name the real call.
 */
static void resolve_restarts(struct model *m)
{
	static const struct { const char *word; int64_t nr; } restartable[] = {
		{ "clock_nanosleep", 230 }, { "nanosleep", 35 }, { "ppoll", 271 }, { "poll", 7 }, { "futex", 202 },
	};
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < m->threads.len; i++) {
		struct thread *t = &m->threads.items[i];
		const char *fn = NULL;

		if (t->syscall.nr != 219)
			continue;
		for (size_t f = 0; f < t->frames.len && !fn; f++)
			if (!t->frames.items[f].inlined)
				fn = t->frames.items[f].function;
		for (size_t k = 0; fn && k < ARRAY_SIZE(restartable); k++) {
			if (!strstr(fn, restartable[k].word))
				continue;
			sb.len = 0;
			if (!syscall_format(&sb, restartable[k].nr, t->syscall.args, read_core_memory, m->core))
				break;
			free(t->syscall.text);
			t->syscall.text = strdup(sb.buf);
			t->syscall.nr = restartable[k].nr;
			t->syscall.name = syscall_name(restartable[k].nr);
			t->syscall.restarted = true;
			break;
		}
	}
	strbuf_deinit(&sb);
}

/* ---- tid index ------------------------------------------------------ */

static int compare_tid_index(const void *a, const void *b)
{
	const struct tid_index *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static struct hs_error *build_tid_index(struct model *m)
{
	if (!m->threads.len)
		return NULL;
	if (!(m->tid_index = malloc(m->threads.len * sizeof(*m->tid_index))))
		return &hs_error_nomem;
	for (size_t i = 0; i < m->threads.len; i++) {
		m->tid_index[i].tid = m->threads.items[i].tid;
		m->tid_index[i].index = (uint32_t)i;
	}
	qsort(m->tid_index, m->threads.len, sizeof(*m->tid_index), compare_tid_index);
	return NULL;
}

struct thread *model_thread(const struct model *m, int32_t tid)
{
	struct tid_index key = { .tid = tid }, *found;

	if (!m->tid_index || tid <= 0)
		return NULL;
	found = bsearch(&key, m->tid_index, m->threads.len, sizeof(key), compare_tid_index);
	return found ? &m->threads.items[found->index] : NULL;
}

const char *model_thread_label(const struct model *m, int32_t tid, char *buf, size_t size)
{
	const struct thread *t = model_thread(m, tid);

	if (t && t->name && *t->name)
		snprintf(buf, size, "%s (%d)", t->name, tid);
	else
		snprintf(buf, size, "thread %d", tid);
	return buf;
}

/* ---- groups ----------------------------------------------------------- */

static uint64_t thread_key(const struct thread *t)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = hash_bytes(&t->syscall.nr, sizeof(t->syscall.nr), h);
	h = hash_bytes(&t->state, 1, h);
	for (size_t i = 0; i < t->frames.len; i++)
		h = hash_bytes(&t->frames.items[i].pc, sizeof(uint64_t), h);
	return h;
}

static bool same_stack(const struct thread *a, const struct thread *b)
{
	if (a->syscall.nr != b->syscall.nr || a->state != b->state || a->frames.len != b->frames.len)
		return false;
	for (size_t i = 0; i < a->frames.len; i++)
		if (a->frames.items[i].pc != b->frames.items[i].pc ||
		    a->frames.items[i].function != b->frames.items[i].function)
			return false;
	return (a->unwind_error == NULL) == (b->unwind_error == NULL);
}

static struct hs_error *build_groups(struct model *m)
{
	size_t n = m->threads.len, cap = 16;
	size_t *table;		/* group index + 1, 0 empty */
	uint64_t *hashes;

	while (cap < 2 * n)
		cap *= 2;
	table = calloc(cap, sizeof(*table));
	hashes = calloc(cap, sizeof(*hashes));
	if (!table || !hashes) {
		free(table);
		free(hashes);
		return &hs_error_nomem;
	}
	for (size_t i = 0; i < n; i++) {
		struct thread *t = &m->threads.items[i];
		uint64_t h = thread_key(t);
		size_t slot;

		for (slot = h & (cap - 1); table[slot]; slot = (slot + 1) & (cap - 1)) {
			struct thread_group *g = &m->groups.items[table[slot] - 1];
			if (hashes[slot] == h && same_stack(&m->threads.items[g->first], t))
				break;
		}
		if (table[slot]) {
			t->group = table[slot] - 1;
			m->groups.items[t->group].count++;
		} else {
			struct thread_group *g = VEC_PUSH(&m->groups);
			if (!g) {
				free(table);
				free(hashes);
				return &hs_error_nomem;
			}
			g->first = i;
			g->count = 1;
			t->group = m->groups.len - 1;
			table[slot] = m->groups.len;
			hashes[slot] = h;
		}
	}
	free(table);
	free(hashes);
	return NULL;
}

/* ---- build / destroy -------------------------------------------------- */

struct hs_error *model_build(struct elfcore *core, const struct model_options *opts, struct model **ret)
{
	static const struct model_options defaults;
	struct model *m = calloc(1, sizeof(*m));
	struct hs_error *err;

	if (!m) {
		elfcore_destroy(core);
		return &hs_error_nomem;
	}
	m->core = core;
	if (!opts)
		opts = &defaults;
	build_process(m);
	if (!m->comm) {
		err = &hs_error_nomem;
		goto fail;
	}
	for (size_t i = 0; i < core->warnings.len; i++)
		model_warn(m, "%s", core->warnings.items[i]);
	if (core->has_hangsnap && (core->ctx.process.flags & HS_PROC_PARTIAL_MEMORY))
		model_warn(m, "hangsnap could not copy some readable memory of the process");
	if (core->has_hangsnap && core->ctx.process.nthreads_unstopped)
		/* the record's count is only a claim: no more threads than the core has */
		model_warn(m, "%zu thread(s) never stopped for the snapshot (uninterruptible sleep?): their "
			      "registers are only the pc and sp from /proc",
			   MIN((size_t)core->ctx.process.nthreads_unstopped, core->threads.len));
	if ((err = build_threads(m)) || (err = unwind_threads(m, opts, &m->unwinder)))
		goto fail;
	resolve_restarts(m);
	if ((err = build_tid_index(m)) || (err = build_groups(m)) || (err = evidence_collect(m)) ||
	    (err = waitgraph_build(m)) || (err = rules_run(m, opts)) || (err = signature_compute(m)))
		goto fail;
	*ret = m;
	return NULL;
fail:
	model_destroy(m);
	return err;
}

void model_destroy(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->findings.len; i++)
		finding_deinit(&m->findings.items[i]);
	VEC_DEINIT(&m->findings);
	free(m->tid_index);
	free(m->signature.hash);
	free(m->signature.text);
	free(m->signature.frames);
	for (size_t i = 0; i < m->threads.len; i++) {
		struct thread *t = &m->threads.items[i];
		free(t->waits_on);
		VEC_DEINIT(&t->frames);
		free(t->unwind_error);
		free(t->syscall.text);
	}
	VEC_DEINIT(&m->threads);
	VEC_DEINIT(&m->groups);
	for (size_t i = 0; i < m->modules.len; i++)
		free(m->modules.items[i].build_id);
	VEC_DEINIT(&m->modules);
	for (size_t i = 0; i < m->missing.len; i++)
		free(m->missing.items[i]);
	VEC_DEINIT(&m->missing);
	for (size_t i = 0; i < m->warnings.len; i++)
		free(m->warnings.items[i]);
	VEC_DEINIT(&m->warnings);
	for (size_t i = 0; i < m->strings_cap; i++)
		free(m->strings[i]);
	free(m->strings);
	unwind_destroy(m->unwinder);
	elfcore_destroy(m->core);
	free(m);
}
