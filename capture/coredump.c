#include "capture/coredump.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>

#include "capture/proc.h"
#include "common/util.h"

_Static_assert(sizeof(struct user_regs_struct) == sizeof(elf_gregset_t), "pr_reg layout");
_Static_assert(sizeof(struct elf_prstatus) == 336, "NT_PRSTATUS is 336 bytes on x86_64");
_Static_assert(sizeof(struct elf_prpsinfo) == 136, "NT_PRPSINFO is 136 bytes on x86_64");

#define NOTE_NAME_CORE "CORE"
#define NOTE_NAME_LINUX "LINUX"

static const struct hs_thread_info *ctx_thread(const struct hangsnap_context *ctx, pid_t tid)
{
	for (size_t i = 0; i < ctx->threads.len; i++)
		if (ctx->threads.items[i].tid == tid)
			return &ctx->threads.items[i];
	return NULL;
}

static struct timeval ticks_to_timeval(uint64_t ticks)
{
	long hz = proc_clock_ticks();
	struct timeval tv = { (time_t)(ticks / (uint64_t)hz), (suseconds_t)((ticks % (uint64_t)hz) * 1000000 / (uint64_t)hz) };
	return tv;
}

static struct hs_error *add_prstatus(struct core_builder *cb, const struct snapshot_thread *t,
				     const struct hangsnap_context *ctx)
{
	const struct hs_thread_info *ti = ctx_thread(ctx, t->tid);
	struct elf_prstatus pr;

	memset(&pr, 0, sizeof(pr));
	pr.pr_info.si_signo = t->pending_signal;
	pr.pr_cursig = (short)t->pending_signal;
	pr.pr_pid = t->tid;
	pr.pr_ppid = ctx->process.ppid;
	if (ti) {
		pr.pr_utime = ticks_to_timeval(ti->utime[1]);
		pr.pr_stime = ticks_to_timeval(ti->stime[1]);
	}
	memcpy(&pr.pr_reg, &t->regs, sizeof(pr.pr_reg));
	pr.pr_fpvalid = t->have_fpregs;
	return core_builder_add_note(cb, NOTE_NAME_CORE, NT_PRSTATUS, &pr, sizeof(pr));
}

static struct hs_error *add_thread_regsets(struct core_builder *cb, const struct snapshot_thread *t)
{
	struct hs_error *err;
	siginfo_t si;

	if (t->have_fpregs &&
	    (err = core_builder_add_note(cb, NOTE_NAME_CORE, NT_FPREGSET, &t->fpregs, sizeof(t->fpregs))))
		return err;
	if (t->xstate_len &&
	    (err = core_builder_add_note(cb, NOTE_NAME_LINUX, NT_X86_XSTATE, t->xstate, t->xstate_len)))
		return err;
	if (t->pending_signal)
		si = t->siginfo;
	else
		memset(&si, 0, sizeof(si));
	return core_builder_add_note(cb, NOTE_NAME_CORE, NT_SIGINFO, &si, sizeof(si));
}

static struct hs_error *add_prpsinfo(struct core_builder *cb, const struct hangsnap_context *ctx,
				     const struct snapshot *snap)
{
	const struct hs_process_info *p = &ctx->process;
	static const char states[] = "RSDTZW";
	struct elf_prpsinfo ps;
	struct proc_stat st;
	struct hs_error *err;
	size_t n;

	memset(&ps, 0, sizeof(ps));
	if ((err = proc_read_stat(snap->pid, 0, &st)) == NULL) {
		const char *s = strchr(states, st.state);
		ps.pr_sname = st.state;
		ps.pr_state = s ? (char)(s - states) : 0;
		ps.pr_zomb = st.state == 'Z';
		ps.pr_nice = (char)st.nice;
		ps.pr_pgrp = st.pgrp;
		ps.pr_sid = st.session;
	}
	hs_error_destroy(err);
	ps.pr_uid = p->uid;
	ps.pr_gid = p->gid;
	ps.pr_pid = p->pid;
	ps.pr_ppid = p->ppid;
	strncpy(ps.pr_fname, p->comm ? p->comm : "", sizeof(ps.pr_fname) - 1);
	n = MIN(p->cmdline_len, sizeof(ps.pr_psargs) - 1);
	if (p->cmdline)
		memcpy(ps.pr_psargs, p->cmdline, n);
	for (size_t i = 0; i < n; i++)
		if (ps.pr_psargs[i] == '\0')
			ps.pr_psargs[i] = ' ';
	return core_builder_add_note(cb, NOTE_NAME_CORE, NT_PRPSINFO, &ps, sizeof(ps));
}

/*
 * NT_FILE: u64 count, u64 page size, count × {u64 start, u64 end, u64 file
 * offset in pages}, then count NUL-terminated paths (fs/binfmt_elf.c).
 */
static struct hs_error *add_nt_file(struct core_builder *cb, const struct snapshot *snap)
{
	struct strbuf desc, names;
	uint64_t count = 0, page = CORE_PAGE_SIZE;
	struct hs_error *err = NULL;
	bool ok = true;

	for (size_t i = 0; i < snap->maps.len; i++)
		count += snap->maps.items[i].path[0] == '/';
	strbuf_init(&desc);
	strbuf_init(&names);
	ok = strbuf_append(&desc, &count, 8) && strbuf_append(&desc, &page, 8);
	for (size_t i = 0; ok && i < snap->maps.len; i++) {
		const struct snapshot_mapping *m = &snap->maps.items[i];
		uint64_t v[3] = { m->start, m->end, m->offset / CORE_PAGE_SIZE };

		if (m->path[0] != '/')
			continue;
		ok = strbuf_append(&desc, v, sizeof(v)) && strbuf_append(&names, m->path, strlen(m->path) + 1);
	}
	if (ok)
		ok = strbuf_append(&desc, names.buf, names.len);
	if (!ok)
		err = &hs_error_nomem;
	else
		err = core_builder_add_note(cb, NOTE_NAME_CORE, NT_FILE, desc.buf, desc.len);
	strbuf_deinit(&desc);
	strbuf_deinit(&names);
	return err;
}

static struct hs_error *add_hangsnap_note(struct core_builder *cb, uint32_t type, struct strbuf *desc)
{
	struct hs_error *err = core_builder_add_note(cb, HANGSNAP_NOTE_OWNER, type, desc->buf, desc->len);
	desc->len = 0;
	return err;
}

#define ENCODE_EACH(vec, encode, type)                                                  \
	for (size_t i_ = 0; !err && i_ < (vec).len; i_++) {                           \
		if (!(err = encode(&(vec).items[i_], &desc)))                          \
			err = add_hangsnap_note(cb, type, &desc);                      \
	}

static struct hs_error *add_hangsnap_notes(struct core_builder *cb, const struct snapshot *snap,
					   const struct hangsnap_context *ctx, size_t *process_note_off)
{
	struct strbuf desc;
	struct hs_error *err;

	strbuf_init(&desc);
	/* descriptor offset within the notes: header (12) + "HANGSNAP\0" padded to 12 */
	*process_note_off = cb->notes.len + sizeof(Elf64_Nhdr) + 12;
	if (!(err = hs_process_info_encode(&ctx->process, &desc)))
		err = add_hangsnap_note(cb, HANGSNAP_NT_PROCESS, &desc);
	/* threads in NT_PRSTATUS order, then those that exited before the freeze */
	for (size_t i = 0; !err && i < snap->threads.len; i++) {
		const struct snapshot_thread *t = &snap->threads.items[i];
		const struct hs_thread_info *ti = ctx_thread(ctx, t->tid);
		struct hs_thread_info copy;

		if (ti)
			copy = *ti;
		else {
			memset(&copy, 0, sizeof(copy));
			copy.tid = t->tid;
			copy.syscall_nr = HS_SYSCALL_UNKNOWN;
		}
		copy.flags = (uint8_t)((copy.flags & ~(HS_THREAD_STOPPED | HS_THREAD_EXITED)) |
				       (t->stopped ? HS_THREAD_STOPPED : 0) | (t->exited ? HS_THREAD_EXITED : 0));
		if (!t->stopped && t->state)
			copy.state = t->state;
		if (!(err = hs_thread_info_encode(&copy, &desc)))
			err = add_hangsnap_note(cb, HANGSNAP_NT_THREAD, &desc);
	}
	for (size_t i = 0; !err && i < ctx->threads.len; i++) {
		struct hs_thread_info copy = ctx->threads.items[i];
		bool seen = false;

		for (size_t j = 0; j < snap->threads.len && !seen; j++)
			seen = snap->threads.items[j].tid == copy.tid;
		if (seen)
			continue;
		copy.flags = (uint8_t)((copy.flags & ~HS_THREAD_STOPPED) | HS_THREAD_EXITED);
		if (!(err = hs_thread_info_encode(&copy, &desc)))
			err = add_hangsnap_note(cb, HANGSNAP_NT_THREAD, &desc);
	}
	ENCODE_EACH(ctx->fds, hs_fd_info_encode, HANGSNAP_NT_FD)
	ENCODE_EACH(ctx->sockets, hs_socket_info_encode, HANGSNAP_NT_SOCKET)
	ENCODE_EACH(ctx->pipes, hs_pipe_info_encode, HANGSNAP_NT_PIPE)
	ENCODE_EACH(ctx->locks, hs_lock_info_encode, HANGSNAP_NT_LOCK)
	ENCODE_EACH(ctx->children, hs_child_info_encode, HANGSNAP_NT_CHILD)
	strbuf_deinit(&desc);
	return err;
}

static uint32_t segment_flags(const struct snapshot_mapping *m)
{
	return (m->readable ? PF_R : 0) | (m->writable ? PF_W : 0) | (m->executable ? PF_X : 0);
}

/*
 * Clusters of runs become loaded segments, the gaps between them segments
 * with p_filesz 0. In anonymous memory small gaps are written out as the
 * zeros they are; in file mappings every gap stays a p_filesz 0 segment so
 * that readers take those bytes from the file.
 */
static struct hs_error *add_run_segments(struct core_builder *cb, const struct snapshot *snap,
					 const struct snapshot_mapping *m)
{
	uint32_t flags = segment_flags(m);
	uint64_t merge_gap = m->dump == MAPPING_DUMP_RESIDENT ? COREDUMP_MERGE_GAP : 0;
	uint64_t cursor = m->start;
	size_t idx, r = m->first_run, end_run = m->first_run + m->nruns;
	struct hs_error *err;

	while (r < end_run) {
		uint64_t cstart = snap->runs.items[r].addr, cend;
		size_t last = r;

		cend = cstart + snap->runs.items[r].len;
		while (last + 1 < end_run && snap->runs.items[last + 1].addr - cend <= merge_gap) {
			last++;
			cend = snap->runs.items[last].addr + snap->runs.items[last].len;
		}
		if (cstart > cursor && (err = core_builder_add_load(cb, cursor, cstart - cursor, 0, flags, &idx)))
			return err;
		if ((err = core_builder_add_load(cb, cstart, cend - cstart, cend - cstart, flags, &idx)))
			return err;
		for (; r <= last; r++) {
			const struct snapshot_run *run = &snap->runs.items[r];
			if ((err = core_builder_add_data(cb, idx, run->addr, run->len, run->data)))
				return err;
		}
		cursor = cend;
	}
	if (cursor < m->end)
		return core_builder_add_load(cb, cursor, m->end - cursor, 0, flags, &idx);
	return NULL;
}

static struct hs_error *add_segments(struct core_builder *cb, const struct snapshot *snap)
{
	struct hs_error *err = NULL;

	for (size_t i = 0; !err && i < snap->maps.len; i++) {
		const struct snapshot_mapping *m = &snap->maps.items[i];
		size_t idx;

		if (m->dump == MAPPING_DUMP_RESIDENT || m->dump == MAPPING_DUMP_MODIFIED) {
			err = add_run_segments(cb, snap, m);
			continue;
		}
		if ((err = core_builder_add_load(cb, m->start, m->end - m->start, m->dump == MAPPING_DUMP_NONE ? 0 : m->dump_size,
						 segment_flags(m), &idx)))
			break;
		for (size_t r = m->first_run; !err && r < m->first_run + m->nruns; r++)
			err = core_builder_add_data(cb, idx, snap->runs.items[r].addr, snap->runs.items[r].len,
						    snap->runs.items[r].data);
	}
	return err;
}

struct hs_error *coredump_build(const struct snapshot *snap, const struct hangsnap_context *ctx,
				struct core_builder *cb, size_t *process_note_off_ret)
{
	struct hs_error *err;
	size_t note_off = 0;
	bool first = true;

	for (size_t i = 0; i < snap->threads.len; i++) {
		const struct snapshot_thread *t = &snap->threads.items[i];

		if (t->exited)
			continue;
		if ((err = add_prstatus(cb, t, ctx)))
			return err;
		if (first) {
			first = false;
			/* after the first NT_PRSTATUS: the process-wide notes, as the kernel orders them */
			if ((err = add_prpsinfo(cb, ctx, snap)))
				return err;
			if (snap->auxv_len &&
			    (err = core_builder_add_note(cb, NOTE_NAME_CORE, NT_AUXV, snap->auxv, snap->auxv_len)))
				return err;
			if ((err = add_nt_file(cb, snap)))
				return err;
		}
		if ((err = add_thread_regsets(cb, t)))
			return err;
	}
	if ((err = add_hangsnap_notes(cb, snap, ctx, &note_off)))
		return err;
	if ((err = add_segments(cb, snap)))
		return err;
	if ((err = core_builder_finish(cb)))
		return err;
	/* the notes start right after the program headers (and the PN_XNUM section header) */
	*process_note_off_ret = cb->head_len - cb->notes.len + note_off;
	return NULL;
}

struct hs_error *coredump_update_process(struct core_builder *cb, const struct hangsnap_context *ctx,
					 size_t off)
{
	struct strbuf desc;
	struct hs_error *err;

	strbuf_init(&desc);
	err = hs_process_info_encode(&ctx->process, &desc);
	if (!err && off + desc.len <= cb->head_len)
		memcpy(cb->head + off, desc.buf, desc.len);
	else if (!err)
		err = hs_error_create(HS_ERR_INTERNAL, "process record moved");
	strbuf_deinit(&desc);
	return err;
}
