/*
 * HANGSNAP note records, byte by byte.
 *
 * Every record is the descriptor of one ELF note with owner name "HANGSNAP"
 * (n_namesz 9, padded to 12) and n_type from enum hangsnap_note_type. All
 * integers are little-endian. A string ("str") is a u16 byte count followed by
 * that many bytes, no terminator, at most HS_NOTE_STR_MAX (4096) bytes; it may
 * hold any bytes, including invalid UTF-8 (thread names come from the target).
 * A descriptor is at most HS_NOTE_DESC_MAX (65536) bytes.
 *
 * Every descriptor starts with
 *   0  u16  version   1 for all records below
 *   2  u16  reserved  0
 * Later versions may only append fields: a decoder ignores bytes past the
 * fields it knows and rejects a descriptor shorter than them. An incompatible
 * change gets a new note type instead.
 *
 * PROCESS (type 1), once per core:
 *   4  i32 pid         8  i32 ppid       12 u32 uid        16 u32 gid
 *  20  u32 flags (1 streamed while stopped, 2 partial memory, 4 unstopped threads)
 *  24  u32 interval_ms 28  u32 nthreads  32 u32 nthreads_unstopped
 *  36  u64 start_boot_ns    44 u64 start_real_ns
 *  52  u64 capture_real_ns  60 u64 freeze_ns
 *  68  str comm, str exe, str build_id (hex), str cmdline (NUL-separated argv),
 *      str host, str boot_id
 *
 * THREAD (type 2), one per thread, in the order of the NT_PRSTATUS notes:
 *   4  i32 tid   8 u8 state (letter)   9 u8 flags (1 stopped, 2 exited)   10 u16 0
 *  12  i64 syscall_nr (-1 running, -2 unknown)
 *  20  u64 args[6]    68 u64 sp    76 u64 pc
 *  84  u64 utime[2]  100 u64 stime[2]  116 u64 vcsw[2]  132 u64 nvcsw[2]
 * 148  u64 sample_ns
 * 156  str comm, str wchan, str syscall_line
 *
 * FD (type 3), one per open descriptor (at most 65536 per core):
 *   4  i32 fd   8 u32 kind (enum hs_fd_kind)   12 u32 flags   16 u32 mnt_id
 *  20  u64 pos  28 u64 inode
 *  36  str target, str extra
 *
 * SOCKET (type 4), one per socket fd whose inode was found in /proc/PID/net:
 *   4  u64 inode  12 u16 family  14 u16 protocol  16 u8 state  17 u8 timer
 *  18  u16 local_port  20 u16 remote_port  22 u8[16] local_addr  38 u8[16] remote_addr
 *  54  u32 rx_queue  58 u32 tx_queue  62 u32 retransmits  66 u32 uid
 *  70  u64 timer_ticks
 *  78  str path
 *
 * PIPE (type 5), one per distinct pipe or FIFO inode the process holds:
 *   4  u64 inode  12 u32 queued  16 u32 capacity (0xffffffff = unknown)
 *  20  u32 nholders (at most 32), then per holder: i32 pid, i32 fd, u8 mode
 *      ('r', 'w', 'u'), 9 bytes each
 *   …  str path
 *
 * LOCK (type 6), one per /proc/locks row on an inode the process holds or
 * waits for:
 *   4  u32 id   8 u8 waiting   9 u8 kind   10 u8 mode   11 u8 mandatory
 *  12  i32 pid 16 u32 dev_major 20 u32 dev_minor 24 u64 inode
 *  32  u64 start  40 u64 end (0xffffffffffffffff = EOF)
 *  48  str path
 *
 * CHILD (type 7), one per child process:
 *   4  i32 pid  8 u8 state  9 u8[3] 0  12 u32 nthreads  16 i64 syscall_nr
 *  24  str comm, str wchan, str syscall_line
 */
#include "formats/hangsnap_notes.h"

#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"

static void put_header(struct byte_writer *w)
{
	bw_u16(w, HANGSNAP_RECORD_VERSION);
	bw_u16(w, 0);
}

static void put_str(struct byte_writer *w, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	bw_str(w, s, len > HS_NOTE_STR_MAX ? HS_NOTE_STR_MAX : len);
}

static struct hs_error *finish_encode(struct byte_writer *w, size_t start)
{
	if (w->failed)
		return &hs_error_nomem;
	if (w->sb->len - start > HS_NOTE_DESC_MAX)
		return hs_error_create(HS_ERR_INTERNAL, "HANGSNAP record of %zu bytes exceeds the cap",
				       w->sb->len - start);
	return NULL;
}

static struct hs_error *begin_decode(struct byte_reader *r, const void *desc, size_t len,
				     const char *what)
{
	r->p = desc;
	r->left = len;
	r->bad = false;
	if (len > HS_NOTE_DESC_MAX)
		return hs_error_create(HS_ERR_FORMAT, "HANGSNAP %s record of %zu bytes exceeds the cap of %u",
				       what, len, HS_NOTE_DESC_MAX);
	uint16_t version = br_u16(r);
	br_u16(r);
	if (r->bad)
		return hs_error_create(HS_ERR_FORMAT, "HANGSNAP %s record truncated at %zu bytes", what, len);
	if (version == 0)
		return hs_error_create(HS_ERR_FORMAT, "HANGSNAP %s record has version 0", what);
	return NULL;
}

/* Reads one string field; a no-op once memory has run out (the caller reports it). */
static void get_str(struct byte_reader *r, char **out, size_t *len_ret, bool *nomem)
{
	size_t len;

	if (*nomem)
		return;
	if (!br_str(r, out, &len)) {
		*nomem = true;
		return;
	}
	if (len > HS_NOTE_STR_MAX)
		r->bad = true;
	if (len_ret)
		*len_ret = len;
}

static struct hs_error *end_decode(struct byte_reader *r, bool nomem, const char *what)
{
	if (nomem)
		return &hs_error_nomem;
	if (r->bad)
		return hs_error_create(HS_ERR_FORMAT, "HANGSNAP %s record truncated or over a cap", what);
	return NULL;
}

/* process */

struct hs_error *hs_process_info_encode(const struct hs_process_info *in, struct strbuf *sb)
{
	struct byte_writer w = { sb, false };
	size_t start = sb->len;
	size_t cmdlen = in->cmdline ? in->cmdline_len : 0;

	put_header(&w);
	bw_u32(&w, (uint32_t)in->pid);
	bw_u32(&w, (uint32_t)in->ppid);
	bw_u32(&w, in->uid);
	bw_u32(&w, in->gid);
	bw_u32(&w, in->flags);
	bw_u32(&w, in->interval_ms);
	bw_u32(&w, in->nthreads);
	bw_u32(&w, in->nthreads_unstopped);
	bw_u64(&w, in->start_boot_ns);
	bw_u64(&w, in->start_real_ns);
	bw_u64(&w, in->capture_real_ns);
	bw_u64(&w, in->freeze_ns);
	put_str(&w, in->comm);
	put_str(&w, in->exe);
	put_str(&w, in->build_id);
	bw_str(&w, in->cmdline, cmdlen > HS_NOTE_STR_MAX ? HS_NOTE_STR_MAX : cmdlen);
	put_str(&w, in->host);
	put_str(&w, in->boot_id);
	return finish_encode(&w, start);
}

struct hs_error *hs_process_info_decode(const void *desc, size_t len, struct hs_process_info *out)
{
	struct byte_reader r;
	struct hs_error *err;
	bool nomem = false;

	memset(out, 0, sizeof(*out));
	if ((err = begin_decode(&r, desc, len, "process")))
		return err;
	out->pid = (int32_t)br_u32(&r);
	out->ppid = (int32_t)br_u32(&r);
	out->uid = br_u32(&r);
	out->gid = br_u32(&r);
	out->flags = br_u32(&r);
	out->interval_ms = br_u32(&r);
	out->nthreads = br_u32(&r);
	out->nthreads_unstopped = br_u32(&r);
	out->start_boot_ns = br_u64(&r);
	out->start_real_ns = br_u64(&r);
	out->capture_real_ns = br_u64(&r);
	out->freeze_ns = br_u64(&r);
	get_str(&r, &out->comm, NULL, &nomem);
	get_str(&r, &out->exe, NULL, &nomem);
	get_str(&r, &out->build_id, NULL, &nomem);
	get_str(&r, &out->cmdline, &out->cmdline_len, &nomem);
	get_str(&r, &out->host, NULL, &nomem);
	get_str(&r, &out->boot_id, NULL, &nomem);
	return end_decode(&r, nomem, "process");
}

void hs_process_info_deinit(struct hs_process_info *info)
{
	free(info->comm);
	free(info->exe);
	free(info->build_id);
	free(info->cmdline);
	free(info->host);
	free(info->boot_id);
	memset(info, 0, sizeof(*info));
}

/* thread */

struct hs_error *hs_thread_info_encode(const struct hs_thread_info *in, struct strbuf *sb)
{
	struct byte_writer w = { sb, false };
	size_t start = sb->len;

	put_header(&w);
	bw_u32(&w, (uint32_t)in->tid);
	bw_u8(&w, (uint8_t)in->state);
	bw_u8(&w, in->flags);
	bw_u16(&w, 0);
	bw_u64(&w, (uint64_t)in->syscall_nr);
	for (int i = 0; i < 6; i++)
		bw_u64(&w, in->syscall_args[i]);
	bw_u64(&w, in->syscall_sp);
	bw_u64(&w, in->syscall_pc);
	for (int i = 0; i < 2; i++)
		bw_u64(&w, in->utime[i]);
	for (int i = 0; i < 2; i++)
		bw_u64(&w, in->stime[i]);
	for (int i = 0; i < 2; i++)
		bw_u64(&w, in->vcsw[i]);
	for (int i = 0; i < 2; i++)
		bw_u64(&w, in->nvcsw[i]);
	bw_u64(&w, in->sample_ns);
	put_str(&w, in->comm);
	put_str(&w, in->wchan);
	put_str(&w, in->syscall_line);
	return finish_encode(&w, start);
}

struct hs_error *hs_thread_info_decode(const void *desc, size_t len, struct hs_thread_info *out)
{
	struct byte_reader r;
	struct hs_error *err;
	bool nomem = false;

	memset(out, 0, sizeof(*out));
	if ((err = begin_decode(&r, desc, len, "thread")))
		return err;
	out->tid = (int32_t)br_u32(&r);
	out->state = (char)br_u8(&r);
	out->flags = br_u8(&r);
	br_u16(&r);
	out->syscall_nr = (int64_t)br_u64(&r);
	for (int i = 0; i < 6; i++)
		out->syscall_args[i] = br_u64(&r);
	out->syscall_sp = br_u64(&r);
	out->syscall_pc = br_u64(&r);
	for (int i = 0; i < 2; i++)
		out->utime[i] = br_u64(&r);
	for (int i = 0; i < 2; i++)
		out->stime[i] = br_u64(&r);
	for (int i = 0; i < 2; i++)
		out->vcsw[i] = br_u64(&r);
	for (int i = 0; i < 2; i++)
		out->nvcsw[i] = br_u64(&r);
	out->sample_ns = br_u64(&r);
	get_str(&r, &out->comm, NULL, &nomem);
	get_str(&r, &out->wchan, NULL, &nomem);
	get_str(&r, &out->syscall_line, NULL, &nomem);
	return end_decode(&r, nomem, "thread");
}

void hs_thread_info_deinit(struct hs_thread_info *info)
{
	free(info->comm);
	free(info->wchan);
	free(info->syscall_line);
	memset(info, 0, sizeof(*info));
}

/* fd */

struct hs_error *hs_fd_info_encode(const struct hs_fd_info *in, struct strbuf *sb)
{
	struct byte_writer w = { sb, false };
	size_t start = sb->len;

	put_header(&w);
	bw_u32(&w, (uint32_t)in->fd);
	bw_u32(&w, in->kind);
	bw_u32(&w, in->flags);
	bw_u32(&w, in->mnt_id);
	bw_u64(&w, in->pos);
	bw_u64(&w, in->inode);
	put_str(&w, in->target);
	put_str(&w, in->extra);
	return finish_encode(&w, start);
}

struct hs_error *hs_fd_info_decode(const void *desc, size_t len, struct hs_fd_info *out)
{
	struct byte_reader r;
	struct hs_error *err;
	bool nomem = false;

	memset(out, 0, sizeof(*out));
	if ((err = begin_decode(&r, desc, len, "fd")))
		return err;
	out->fd = (int32_t)br_u32(&r);
	out->kind = br_u32(&r);
	out->flags = br_u32(&r);
	out->mnt_id = br_u32(&r);
	out->pos = br_u64(&r);
	out->inode = br_u64(&r);
	get_str(&r, &out->target, NULL, &nomem);
	get_str(&r, &out->extra, NULL, &nomem);
	return end_decode(&r, nomem, "fd");
}

void hs_fd_info_deinit(struct hs_fd_info *info)
{
	free(info->target);
	free(info->extra);
	memset(info, 0, sizeof(*info));
}

/* socket */

struct hs_error *hs_socket_info_encode(const struct hs_socket_info *in, struct strbuf *sb)
{
	struct byte_writer w = { sb, false };
	size_t start = sb->len;

	put_header(&w);
	bw_u64(&w, in->inode);
	bw_u16(&w, in->family);
	bw_u16(&w, in->protocol);
	bw_u8(&w, in->state);
	bw_u8(&w, in->timer);
	bw_u16(&w, in->local_port);
	bw_u16(&w, in->remote_port);
	bw_put(&w, in->local_addr, 16);
	bw_put(&w, in->remote_addr, 16);
	bw_u32(&w, in->rx_queue);
	bw_u32(&w, in->tx_queue);
	bw_u32(&w, in->retransmits);
	bw_u32(&w, in->uid);
	bw_u64(&w, in->timer_ticks);
	put_str(&w, in->path);
	return finish_encode(&w, start);
}

struct hs_error *hs_socket_info_decode(const void *desc, size_t len, struct hs_socket_info *out)
{
	struct byte_reader r;
	struct hs_error *err;
	const uint8_t *p;
	bool nomem = false;

	memset(out, 0, sizeof(*out));
	if ((err = begin_decode(&r, desc, len, "socket")))
		return err;
	out->inode = br_u64(&r);
	out->family = br_u16(&r);
	out->protocol = br_u16(&r);
	out->state = br_u8(&r);
	out->timer = br_u8(&r);
	out->local_port = br_u16(&r);
	out->remote_port = br_u16(&r);
	if ((p = br_take(&r, 16)))
		memcpy(out->local_addr, p, 16);
	if ((p = br_take(&r, 16)))
		memcpy(out->remote_addr, p, 16);
	out->rx_queue = br_u32(&r);
	out->tx_queue = br_u32(&r);
	out->retransmits = br_u32(&r);
	out->uid = br_u32(&r);
	out->timer_ticks = br_u64(&r);
	get_str(&r, &out->path, NULL, &nomem);
	return end_decode(&r, nomem, "socket");
}

void hs_socket_info_deinit(struct hs_socket_info *info)
{
	free(info->path);
	memset(info, 0, sizeof(*info));
}

/* pipe */

struct hs_error *hs_pipe_info_encode(const struct hs_pipe_info *in, struct strbuf *sb)
{
	struct byte_writer w = { sb, false };
	size_t start = sb->len;
	uint32_t n = in->nholders < HS_PIPE_MAX_HOLDERS ? in->nholders : HS_PIPE_MAX_HOLDERS;

	put_header(&w);
	bw_u64(&w, in->inode);
	bw_u32(&w, in->queued);
	bw_u32(&w, in->capacity);
	bw_u32(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		bw_u32(&w, (uint32_t)in->holders[i].pid);
		bw_u32(&w, (uint32_t)in->holders[i].fd);
		bw_u8(&w, in->holders[i].mode);
	}
	put_str(&w, in->path);
	return finish_encode(&w, start);
}

struct hs_error *hs_pipe_info_decode(const void *desc, size_t len, struct hs_pipe_info *out)
{
	struct byte_reader r;
	struct hs_error *err;
	bool nomem = false;

	memset(out, 0, sizeof(*out));
	if ((err = begin_decode(&r, desc, len, "pipe")))
		return err;
	out->inode = br_u64(&r);
	out->queued = br_u32(&r);
	out->capacity = br_u32(&r);
	out->nholders = br_u32(&r);
	if (out->nholders > HS_PIPE_MAX_HOLDERS) {
		uint32_t n = out->nholders;
		out->nholders = 0;
		return hs_error_create(HS_ERR_FORMAT, "HANGSNAP pipe record lists %u holders, more than %u",
				       n, HS_PIPE_MAX_HOLDERS);
	}
	for (uint32_t i = 0; i < out->nholders; i++) {
		out->holders[i].pid = (int32_t)br_u32(&r);
		out->holders[i].fd = (int32_t)br_u32(&r);
		out->holders[i].mode = br_u8(&r);
	}
	get_str(&r, &out->path, NULL, &nomem);
	return end_decode(&r, nomem, "pipe");
}

void hs_pipe_info_deinit(struct hs_pipe_info *info)
{
	free(info->path);
	memset(info, 0, sizeof(*info));
}

/* lock */

struct hs_error *hs_lock_info_encode(const struct hs_lock_info *in, struct strbuf *sb)
{
	struct byte_writer w = { sb, false };
	size_t start = sb->len;

	put_header(&w);
	bw_u32(&w, in->id);
	bw_u8(&w, in->waiting);
	bw_u8(&w, in->kind);
	bw_u8(&w, in->mode);
	bw_u8(&w, in->mandatory);
	bw_u32(&w, (uint32_t)in->pid);
	bw_u32(&w, in->dev_major);
	bw_u32(&w, in->dev_minor);
	bw_u64(&w, in->inode);
	bw_u64(&w, in->start);
	bw_u64(&w, in->end);
	put_str(&w, in->path);
	return finish_encode(&w, start);
}

struct hs_error *hs_lock_info_decode(const void *desc, size_t len, struct hs_lock_info *out)
{
	struct byte_reader r;
	struct hs_error *err;
	bool nomem = false;

	memset(out, 0, sizeof(*out));
	if ((err = begin_decode(&r, desc, len, "lock")))
		return err;
	out->id = br_u32(&r);
	out->waiting = br_u8(&r);
	out->kind = br_u8(&r);
	out->mode = br_u8(&r);
	out->mandatory = br_u8(&r);
	out->pid = (int32_t)br_u32(&r);
	out->dev_major = br_u32(&r);
	out->dev_minor = br_u32(&r);
	out->inode = br_u64(&r);
	out->start = br_u64(&r);
	out->end = br_u64(&r);
	get_str(&r, &out->path, NULL, &nomem);
	return end_decode(&r, nomem, "lock");
}

void hs_lock_info_deinit(struct hs_lock_info *info)
{
	free(info->path);
	memset(info, 0, sizeof(*info));
}

/* child */

struct hs_error *hs_child_info_encode(const struct hs_child_info *in, struct strbuf *sb)
{
	struct byte_writer w = { sb, false };
	size_t start = sb->len;

	put_header(&w);
	bw_u32(&w, (uint32_t)in->pid);
	bw_u8(&w, (uint8_t)in->state);
	bw_u8(&w, 0);
	bw_u16(&w, 0);
	bw_u32(&w, in->nthreads);
	bw_u64(&w, (uint64_t)in->syscall_nr);
	put_str(&w, in->comm);
	put_str(&w, in->wchan);
	put_str(&w, in->syscall_line);
	return finish_encode(&w, start);
}

struct hs_error *hs_child_info_decode(const void *desc, size_t len, struct hs_child_info *out)
{
	struct byte_reader r;
	struct hs_error *err;
	bool nomem = false;

	memset(out, 0, sizeof(*out));
	if ((err = begin_decode(&r, desc, len, "child")))
		return err;
	out->pid = (int32_t)br_u32(&r);
	out->state = (char)br_u8(&r);
	br_u8(&r);
	br_u16(&r);
	out->nthreads = br_u32(&r);
	out->syscall_nr = (int64_t)br_u64(&r);
	get_str(&r, &out->comm, NULL, &nomem);
	get_str(&r, &out->wchan, NULL, &nomem);
	get_str(&r, &out->syscall_line, NULL, &nomem);
	return end_decode(&r, nomem, "child");
}

void hs_child_info_deinit(struct hs_child_info *info)
{
	free(info->comm);
	free(info->wchan);
	free(info->syscall_line);
	memset(info, 0, sizeof(*info));
}

void hangsnap_context_init(struct hangsnap_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

#define DEINIT_ALL(vec, fn)                                   \
	do {                                                  \
		for (size_t i_ = 0; i_ < (vec)->len; i_++)    \
			fn(&(vec)->items[i_]);                \
		VEC_DEINIT(vec);                              \
	} while (0)

void hangsnap_context_deinit(struct hangsnap_context *ctx)
{
	hs_process_info_deinit(&ctx->process);
	DEINIT_ALL(&ctx->threads, hs_thread_info_deinit);
	DEINIT_ALL(&ctx->fds, hs_fd_info_deinit);
	DEINIT_ALL(&ctx->sockets, hs_socket_info_deinit);
	DEINIT_ALL(&ctx->pipes, hs_pipe_info_deinit);
	DEINIT_ALL(&ctx->locks, hs_lock_info_deinit);
	DEINIT_ALL(&ctx->children, hs_child_info_deinit);
}

struct hs_thread_info *hangsnap_context_thread(struct hangsnap_context *ctx, int32_t tid)
{
	for (size_t i = 0; i < ctx->threads.len; i++)
		if (ctx->threads.items[i].tid == tid)
			return &ctx->threads.items[i];
	return NULL;
}
