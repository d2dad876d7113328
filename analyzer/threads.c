/*
 * See threads.h. Process identity comes from the HANGSNAP process record,
 * else NT_PRPSINFO; threads from NT_PRSTATUS, matched with their HANGSNAP
 * thread records; syscalls from orig_rax and the argument registers,
 * decoded against the core's memory.
 */
#include "analyzer/threads.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/syscalls.h"
#include "common/strbuf.h"
#include "common/util.h"

#define CMDLINE_MAX 4096u

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

static void read_process(struct model *m)
{
	struct elfcore *core = m->core;
	const struct hs_process_info *p = &core->ctx.process;

	if (core->has_hangsnap) {
		m->producer = PRODUCER_HANGSNAP;
		m->pid = p->pid;
		m->ppid = p->ppid;
		m->start_boot_ns = p->start_boot_ns;
		m->comm = model_intern(m, p->comm ? p->comm : "");
		m->exe = p->exe && *p->exe ? model_intern(m, p->exe) : NULL;
		m->cmdline = p->cmdline ? join_cmdline(m, p->cmdline, p->cmdline_len) : NULL;
		m->host = p->host && *p->host ? model_intern(m, p->host) : NULL;
		m->build_id = p->build_id && *p->build_id ? model_intern(m, p->build_id) : NULL;
		m->captured_real_ns = p->capture_real_ns;
		/* the process's start in both clocks gives the boot time in wall-clock terms */
		if (p->start_real_ns && p->capture_real_ns > p->start_real_ns - p->start_boot_ns &&
		    p->start_real_ns >= p->start_boot_ns)
			m->captured_boot_ns = p->capture_real_ns - (p->start_real_ns - p->start_boot_ns);
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

struct hs_error *threads_read_process(struct model *m)
{
	struct elfcore *core = m->core;

	read_process(m);
	if (!m->comm)
		return &hs_error_nomem;
	for (size_t i = 0; i < core->warnings.len; i++)
		model_warn(m, "%s", core->warnings.items[i]);
	if (core->has_hangsnap && (core->ctx.process.flags & HS_PROC_PARTIAL_MEMORY))
		model_warn(m, "hangsnap could not copy some readable memory of the process");
	if (core->has_hangsnap && core->ctx.process.nthreads_unstopped)
		/* the record's count is only a claim: no more threads than the core has */
		model_warn(m, "%zu thread(s) never stopped for the snapshot (uninterruptible sleep?): their "
			      "registers are only the pc and sp from /proc",
			   MIN((size_t)core->ctx.process.nthreads_unstopped, core->threads.len));
	return NULL;
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

struct hs_error *threads_read(struct model *m)
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
	return model_index_threads(m);
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
void threads_resolve_restarts(struct model *m)
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

/* ---- groups ----------------------------------------------------------- */

static uint64_t thread_key(const struct thread *t)
{
	uint64_t h = HS_FNV1A_INIT;

	h = hs_fnv1a(&t->syscall.nr, sizeof(t->syscall.nr), h);
	h = hs_fnv1a(&t->state, 1, h);
	for (size_t i = 0; i < t->frames.len; i++)
		h = hs_fnv1a(&t->frames.items[i].pc, sizeof(uint64_t), h);
	/* interpreter frames: interned strings, so their addresses identify them */
	for (size_t i = 0; i < t->rt.frames.len; i++) {
		const struct runtime_frame *f = &t->rt.frames.items[i];
		h = hs_fnv1a(&f->path, sizeof(f->path), h);
		h = hs_fnv1a(&f->label, sizeof(f->label), h);
		h = hs_fnv1a(&f->line, sizeof(f->line), h);
	}
	return h;
}

static bool same_runtime_stack(const struct thread *a, const struct thread *b)
{
	if (a->rt.present != b->rt.present || a->rt.frames.len != b->rt.frames.len || a->rt.wait != b->rt.wait ||
	    a->rt.status != b->rt.status || a->rt.wait_obj != b->rt.wait_obj ||
	    a->rt.wait_tid != b->rt.wait_tid || a->rt.gvl != b->rt.gvl)
		return false;
	for (size_t i = 0; i < a->rt.frames.len; i++) {
		const struct runtime_frame *x = &a->rt.frames.items[i], *y = &b->rt.frames.items[i];
		if (x->path != y->path || x->label != y->label || x->line != y->line || x->native != y->native)
			return false;
	}
	return true;
}

static bool same_stack(const struct thread *a, const struct thread *b)
{
	if (a->syscall.nr != b->syscall.nr || a->state != b->state || a->frames.len != b->frames.len)
		return false;
	for (size_t i = 0; i < a->frames.len; i++)
		if (a->frames.items[i].pc != b->frames.items[i].pc ||
		    a->frames.items[i].function != b->frames.items[i].function)
			return false;
	return (a->unwind_error == NULL) == (b->unwind_error == NULL) && same_runtime_stack(a, b);
}

struct hs_error *threads_group(struct model *m)
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
