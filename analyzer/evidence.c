/*
 * See evidence.h. Each thread is classified from its system call first
 * (futex, connect, read, poll, wait4...), then refined with memory (lock
 * owners, join targets, pollfd arrays) and the HANGSNAP notes (what each fd
 * is). Stack frames are consulted only to name the kind of lock, and the
 * names used are glibc's own exported entry points, never a program's.
 */
#include "analyzer/evidence.h"

#include <arpa/inet.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "analyzer/names.h"
#include "analyzer/unwind.h"
#include "common/strbuf.h"
#include "common/util.h"

/* glibc 2.3x x86_64 offsets, used when libc's debug info is absent. */
#define GLIBC_MUTEX_OWNER_OFF 8
#define GLIBC_RWLOCK_CUR_WRITER_OFF 24
#define GLIBC_RWLOCK_READERS_OFF 0	/* __readers: bit 0 WRPHASE, 1 WRLOCKED, 2 RWAITING, readers from bit 3 */
#define GLIBC_RWLOCK_WRPHASE_FUTEX_OFF 8
#define GLIBC_RWLOCK_WRITERS_FUTEX_OFF 12
#define GLIBC_RWLOCK_READER_SHIFT 3
#define GLIBC_RWLOCK_SIZE 56		/* sizeof(pthread_rwlock_t) on x86_64 */
#define GLIBC_MUTEX_SIZE 40
#define GLIBC_COND_SIZE 48
#define GLIBC_SEM_SIZE 32
#define GLIBC_IO_LOCK_OWNER_OFF 8
#define PTHREAD_STRUCT_MAX 0x1000	/* struct pthread is ~0x900 bytes in 2.36 */
#define FUTEX_TID_MASK_ 0x3fffffffu
#define CLOCK_TICKS_PER_S 100u

enum sys {
	SYS_read_ = 0, SYS_write_ = 1, SYS_poll_ = 7, SYS_pread_ = 17, SYS_pwrite_ = 18, SYS_readv_ = 19,
	SYS_writev_ = 20, SYS_select_ = 23, SYS_nanosleep_ = 35, SYS_pause_ = 34, SYS_connect_ = 42,
	SYS_accept_ = 43, SYS_sendto_ = 44, SYS_recvfrom_ = 45, SYS_sendmsg_ = 46, SYS_recvmsg_ = 47,
	SYS_wait4_ = 61, SYS_fcntl_ = 72, SYS_flock_ = 73, SYS_rt_sigtimedwait_ = 128,
	SYS_rt_sigsuspend_ = 130, SYS_futex_ = 202, SYS_epoll_wait_ = 232, SYS_clock_nanosleep_ = 230,
	SYS_waitid_ = 247, SYS_pselect6_ = 270, SYS_ppoll_ = 271, SYS_epoll_pwait_ = 281, SYS_accept4_ = 288,
	SYS_recvmmsg_ = 299, SYS_sendmmsg_ = 307, SYS_epoll_pwait2_ = 441,
};

static bool append_addr(struct strbuf *sb, unsigned family, const uint8_t *addr, unsigned port)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	return family == AF_INET6 ? strbuf_appendf(sb, "[%s]:%u", buf, port) : strbuf_appendf(sb, "%s:%u", buf, port);
}

bool evidence_describe_fd(struct strbuf *sb, const struct fd_target *ft)
{
	const struct hs_socket_info *s = ft->socket;
	const struct hs_pipe_info *p = ft->pipe;
	bool ok = strbuf_appendf(sb, "fd %d", ft->fd);

	if (s && (s->family == AF_INET || s->family == AF_INET6)) {
		ok = ok && strbuf_appendf(sb, " %s ", socket_is_udp(s) ? "udp" : "tcp") &&
		     append_addr(sb, s->family, s->local_addr, s->local_port);
		if (s->state != TCP_STATE_LISTEN && s->remote_port)
			ok = ok && strbuf_addstr(sb, " -> ") && append_addr(sb, s->family, s->remote_addr, s->remote_port);
		if (!socket_is_udp(s) && *tcp_state_name(s->state))
			ok = ok && strbuf_appendf(sb, " %s", tcp_state_name(s->state));
		if (s->rx_queue || s->tx_queue)
			ok = ok && strbuf_appendf(sb, " (rx %u, tx %u bytes queued)", s->rx_queue, s->tx_queue);
	} else if (s && s->family == AF_UNIX) {
		ok = ok && strbuf_appendf(sb, " unix %s", s->path && *s->path ? s->path : "(unnamed)");
	} else if (p) {
		ok = ok && strbuf_appendf(sb, " %s", p->path && *p->path ? p->path : "pipe");
		if (p->queued != HS_PIPE_UNKNOWN && p->capacity != HS_PIPE_UNKNOWN)
			ok = ok && strbuf_appendf(sb, " (%u of %u bytes queued)", p->queued, p->capacity);
	} else if (ft->info && ft->info->target) {
		ok = ok && strbuf_appendf(sb, " %s", ft->info->target);
	}
	return ok;
}

/* ---- lookups ---------------------------------------------------------- */

/*
 * Every lookup of a thread, fd, socket, pipe, lock or child is a binary
 * search in an index sorted once by (key, position): a core may have
 * ELFCORE_MAX_THREADS threads, each waiting on up to EVIDENCE_MAX_FDS fds,
 * and a loop over all of them per lookup was quadratic. Where the loops this
 * replaces kept the first match, the lookups return the lowest position with
 * the key; where they kept the last, the highest.
 */
struct keyed {
	uint64_t key;
	size_t pos;
};

struct keyed_index {
	struct keyed *items;
	size_t len;
};

struct evidence_index {
	struct keyed_index fs_base;	/* threads with registers, by fs_base */
	struct keyed_index fds;		/* ctx fds, by fd */
	struct keyed_index sockets;	/* ctx sockets, by inode */
	struct keyed_index pipes;	/* ctx pipes, by inode */
	struct keyed_index lock_waits;	/* ctx locks this process waits for ("->" rows, its pid or OFD), by inode */
	struct keyed_index lock_holds;	/* ctx locks held (not "->"), by id */
	struct keyed_index children;	/* ctx children, by pid */
	size_t first_lock_wait;		/* lowest position in lock_waits, SIZE_MAX when empty */
};

static int compare_keyed(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Room for n entries; false when out of memory. */
static bool keyed_alloc(struct keyed_index *ix, size_t n)
{
	ix->len = 0;
	return (ix->items = malloc((n ? n : 1) * sizeof(*ix->items))) != NULL;
}

static void keyed_sort(struct keyed_index *ix)
{
	if (ix->len > 1)
		qsort(ix->items, ix->len, sizeof(*ix->items), compare_keyed);
}

/* The index of the first entry whose key is not below key (last false), or above it (last true). */
static size_t keyed_bound(const struct keyed_index *ix, uint64_t key, bool last)
{
	size_t lo = 0, hi = ix->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->items[mid].key < key || (last && ix->items[mid].key == key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The lowest (last false) or highest (last true) position with key, or SIZE_MAX. */
static size_t keyed_find(const struct keyed_index *ix, uint64_t key, bool last)
{
	size_t lo = keyed_bound(ix, key, last);

	if (last)
		return lo > 0 && ix->items[lo - 1].key == key ? ix->items[lo - 1].pos : SIZE_MAX;
	return lo < ix->len && ix->items[lo].key == key ? ix->items[lo].pos : SIZE_MAX;
}

static void evidence_index_destroy(struct evidence_index *ix)
{
	if (!ix)
		return;
	free(ix->fs_base.items);
	free(ix->fds.items);
	free(ix->sockets.items);
	free(ix->pipes.items);
	free(ix->lock_waits.items);
	free(ix->lock_holds.items);
	free(ix->children.items);
	free(ix);
}

static struct evidence_index *evidence_index_create(const struct model *m)
{
	const struct hangsnap_context *ctx = &m->core->ctx;
	struct evidence_index *ix = calloc(1, sizeof(*ix));

	if (!ix || !keyed_alloc(&ix->fs_base, m->threads.len) || !keyed_alloc(&ix->fds, ctx->fds.len) ||
	    !keyed_alloc(&ix->sockets, ctx->sockets.len) || !keyed_alloc(&ix->pipes, ctx->pipes.len) ||
	    !keyed_alloc(&ix->lock_waits, ctx->locks.len) || !keyed_alloc(&ix->lock_holds, ctx->locks.len) ||
	    !keyed_alloc(&ix->children, ctx->children.len)) {
		evidence_index_destroy(ix);
		return NULL;
	}
	for (size_t i = 0; i < m->threads.len; i++)
		if (m->threads.items[i].has_registers)
			ix->fs_base.items[ix->fs_base.len++] = (struct keyed){ m->threads.items[i].regs[GREG_FS_BASE], i };
	for (size_t i = 0; i < ctx->fds.len; i++)
		ix->fds.items[ix->fds.len++] = (struct keyed){ (uint64_t)(int64_t)ctx->fds.items[i].fd, i };
	for (size_t i = 0; i < ctx->sockets.len; i++)
		ix->sockets.items[ix->sockets.len++] = (struct keyed){ ctx->sockets.items[i].inode, i };
	for (size_t i = 0; i < ctx->pipes.len; i++)
		ix->pipes.items[ix->pipes.len++] = (struct keyed){ ctx->pipes.items[i].inode, i };
	ix->first_lock_wait = SIZE_MAX;
	for (size_t i = 0; i < ctx->locks.len; i++) {
		const struct hs_lock_info *l = &ctx->locks.items[i];
		if (l->waiting && (l->pid == m->pid || l->pid == -1) && ix->first_lock_wait == SIZE_MAX)
			ix->first_lock_wait = i;
		if (l->waiting && (l->pid == m->pid || l->pid == -1))
			ix->lock_waits.items[ix->lock_waits.len++] = (struct keyed){ l->inode, i };
		if (!l->waiting)
			ix->lock_holds.items[ix->lock_holds.len++] = (struct keyed){ l->id, i };
	}
	for (size_t i = 0; i < ctx->children.len; i++)
		ix->children.items[ix->children.len++] = (struct keyed){ (uint64_t)(int64_t)ctx->children.items[i].pid, i };
	keyed_sort(&ix->fs_base);
	keyed_sort(&ix->fds);
	keyed_sort(&ix->sockets);
	keyed_sort(&ix->pipes);
	keyed_sort(&ix->lock_waits);
	keyed_sort(&ix->lock_holds);
	keyed_sort(&ix->children);
	return ix;
}

static struct thread *thread_by_tid(struct model *m, int32_t tid)
{
	return model_thread(m, tid);
}

/* The first thread (in core order) with registers whose fs_base is fs. */
static struct thread *thread_by_fs_base(struct model *m, uint64_t fs)
{
	size_t i;

	if (!fs || (i = keyed_find(&m->evidence_index->fs_base, fs, false)) == SIZE_MAX)
		return NULL;
	return &m->threads.items[i];
}

/* The first fd record for fd; the last socket and pipe records for its inode. */
static void fill_fd(struct model *m, struct fd_target *ft, int32_t fd)
{
	struct hangsnap_context *ctx = &m->core->ctx;
	const struct evidence_index *ix = m->evidence_index;
	size_t i;

	memset(ft, 0, sizeof(*ft));
	ft->fd = fd;
	if ((i = keyed_find(&ix->fds, (uint64_t)(int64_t)fd, false)) != SIZE_MAX)
		ft->info = &ctx->fds.items[i];
	if (!ft->info || !ft->info->inode)
		return;
	if ((i = keyed_find(&ix->sockets, ft->info->inode, true)) != SIZE_MAX)
		ft->socket = &ctx->sockets.items[i];
	if ((i = keyed_find(&ix->pipes, ft->info->inode, true)) != SIZE_MAX)
		ft->pipe = &ctx->pipes.items[i];
}

static void add_fd(struct model *m, struct blocked_on *b, int32_t fd, short events)
{
	if (b->nfds >= EVIDENCE_MAX_FDS || fd < 0)
		return;
	fill_fd(m, &b->fds[b->nfds], fd);
	b->fds[b->nfds++].events = events;
}

static bool read_u32(struct model *m, uint64_t addr, uint32_t *v)
{
	return elfcore_read_memory(m->core, addr, v, 4) == 4;
}

static bool read_u64(struct model *m, uint64_t addr, uint64_t *v)
{
	return elfcore_read_memory(m->core, addr, v, 8) == 8;
}

/* The pc of the innermost frame whose function starts with one of prefixes, or 0. */
static uint64_t frame_with(const struct thread *t, const char *const *prefixes)
{
	for (size_t i = 0; i < t->frames.len; i++) {
		const char *fn = t->frames.items[i].function;
		if (!fn)
			continue;
		for (const char *const *p = prefixes; *p; p++)
			if (strncmp(fn, *p, strlen(*p)) == 0)
				return t->frames.items[i].pc;
	}
	return 0;
}

/* Offset of member in type_name from libc's DWARF (via the frame at pc), else fallback. */
static uint64_t layout_offset(struct unwinder *u, struct blocked_on *b, uint64_t pc, const char *type_name,
			      const char *member, uint64_t fallback)
{
	int64_t off = pc && u ? unwind_member_offset(u, pc, type_name, member) : -1;

	if (off >= 0) {
		b->layout = "DWARF";
		return (uint64_t)off;
	}
	b->layout = "glibc 2.3x x86_64";
	return fallback;
}

static int64_t timespec_ms(struct model *m, uint64_t addr)
{
	int64_t ts[2];

	if (!addr)
		return TIMEOUT_NONE;
	if (elfcore_read_memory(m->core, addr, ts, sizeof(ts)) != sizeof(ts))
		return TIMEOUT_UNKNOWN;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return TIMEOUT_UNKNOWN;
	/* anything past ~292 million years is "forever" in practice, and would overflow */
	return ts[0] > INT64_MAX / 1000 - 1 ? INT64_MAX : ts[0] * 1000 + ts[1] / 1000000;
}

/*
 * An absolute timeout (clock_nanosleep's TIMER_ABSTIME, FUTEX_WAIT_BITSET):
 * what remains of it at the snapshot, by the clock it is on (realtime, else
 * monotonic, taken as boot time: a machine that never suspended).
 */
static int64_t abs_timespec_ms(struct model *m, uint64_t addr, bool realtime)
{
	int64_t ts[2];
	uint64_t now = realtime ? m->captured_real_ns : m->captured_boot_ns, at;

	if (!addr)
		return TIMEOUT_NONE;
	if (!now || elfcore_read_memory(m->core, addr, ts, sizeof(ts)) != sizeof(ts) || ts[0] < 0 || ts[1] < 0 ||
	    ts[1] >= 1000000000)
		return TIMEOUT_UNKNOWN;
	if ((uint64_t)ts[0] > (UINT64_MAX - (uint64_t)ts[1]) / 1000000000u)
		return INT64_MAX;
	at = (uint64_t)ts[0] * 1000000000u + (uint64_t)ts[1];
	return at > now ? (int64_t)((at - now) / 1000000u) : 0;
}

/* ---- futex ------------------------------------------------------------ */

static const char *const mutex_fns[] = { "__lll_lock_wait", "pthread_mutex_", "__pthread_mutex_", "___pthread_mutex_",
					 "pthread_mutex_clocklock", NULL };
static const char *const rwlock_fns[] = { "pthread_rwlock_", "__pthread_rwlock_", "___pthread_rwlock_", NULL };
static const char *const cond_fns[] = { "pthread_cond_", "__pthread_cond_", "___pthread_cond_", NULL };
static const char *const sem_fns[] = { "sem_wait", "sem_timedwait", "sem_clockwait", "__new_sem_wait", "__sem_wait",
				       "__new_sem_wait_slow", "do_futex_wait", NULL };
static const char *const stdio_fns[] = { "_IO_", "flockfile", "__flockfile", "_IO_flockfile", NULL };
static const char *const join_fns[] = { "pthread_join", "__pthread_join", "__pthread_clockjoin", "pthread_timedjoin",
					"pthread_clockjoin", NULL };

static void classify_futex(struct model *m, struct unwinder *u, struct thread *t, struct blocked_on *b)
{
	uint64_t addr = t->syscall.args[0];
	unsigned cmd = (unsigned)t->syscall.args[1] & FUTEX_CMD_MASK;
	uint32_t val = (uint32_t)t->syscall.args[2];
	uint64_t pc;
	struct thread *o;

	b->addr = addr;
	b->kind = WAIT_FUTEX;
	/* FUTEX_WAIT's timeout is relative; the others' absolute (the PI ones on the realtime clock) */
	if (cmd == FUTEX_WAIT)
		b->timeout_ms = timespec_ms(m, t->syscall.args[3]);
	else
		b->timeout_ms = abs_timespec_ms(m, t->syscall.args[3],
						 (t->syscall.args[1] & 256 /* FUTEX_CLOCK_REALTIME */) || cmd == FUTEX_LOCK_PI);
	if (cmd == FUTEX_LOCK_PI || cmd == 13 /* FUTEX_LOCK_PI2 */ || cmd == FUTEX_WAIT_REQUEUE_PI) {
		uint32_t word;
		b->kind = WAIT_MUTEX;
		if (read_u32(m, addr, &word))
			b->owner = (int32_t)(word & FUTEX_TID_MASK_);
		b->layout = "futex word";
		goto owner;
	}
	if (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return;

	/* join: the word is the tid field inside the target's struct pthread, val its tid */
	if ((o = thread_by_tid(m, (int32_t)val)) && o->has_registers &&
	    addr - o->regs[GREG_FS_BASE] < PTHREAD_STRUCT_MAX) {
		b->kind = WAIT_JOIN;
		b->owner = o->tid;
		b->owner_alive = true;
		return;
	}
	if ((pc = frame_with(t, join_fns))) {
		/* joining a thread that no longer exists in the core */
		b->kind = WAIT_JOIN;
		b->owner = (int32_t)val;
		return;
	}
	if ((pc = frame_with(t, rwlock_fns))) {
		uint64_t wr = layout_offset(u, b, pc, "__pthread_rwlock_arch_t", "__cur_writer", GLIBC_RWLOCK_CUR_WRITER_OFF);
		uint64_t rd = layout_offset(u, b, pc, "__pthread_rwlock_arch_t", "__readers", GLIBC_RWLOCK_READERS_OFF);
		uint64_t offs[2] = {
			layout_offset(u, b, pc, "__pthread_rwlock_arch_t", "__wrphase_futex", GLIBC_RWLOCK_WRPHASE_FUTEX_OFF),
			layout_offset(u, b, pc, "__pthread_rwlock_arch_t", "__writers_futex", GLIBC_RWLOCK_WRITERS_FUTEX_OFF),
		};
		uint32_t owner, readers;
		b->kind = WAIT_RWLOCK;
		b->readers = -1;
		/* readers and a writer waiting for readers sleep on __wrphase_futex, writers for a writer on __writers_futex */
		for (unsigned k = 0; k < 2 && !b->owner; k++)
			if (read_u32(m, addr - offs[k] + wr, &owner) && thread_by_tid(m, (int32_t)owner)) {
				b->owner = (int32_t)owner;
				b->addr = addr - offs[k];
			}
		/* no writer: held by readers, whom glibc counts but does not name; the wait is then on __wrphase_futex */
		if (!b->owner && read_u32(m, addr - offs[0] + rd, &readers) && readers >> GLIBC_RWLOCK_READER_SHIFT) {
			b->addr = addr - offs[0];
			b->readers = (int32_t)MIN(readers >> GLIBC_RWLOCK_READER_SHIFT, (uint32_t)INT32_MAX);
		}
		goto owner;
	}
	if (frame_with(t, cond_fns)) {
		b->kind = WAIT_CONDVAR;
		return;
	}
	/* a semaphore: the futex word is the value at the start of the sem_t (x86_64, little endian) */
	if (frame_with(t, sem_fns)) {
		b->kind = WAIT_SEMAPHORE;
		b->layout = "glibc 2.3x x86_64";
		return;
	}
	if ((pc = frame_with(t, stdio_fns))) {
		uint64_t owner_ptr;
		b->kind = WAIT_STDIO_LOCK;
		b->layout = "glibc 2.3x x86_64";
		if (read_u64(m, addr + GLIBC_IO_LOCK_OWNER_OFF, &owner_ptr) && (o = thread_by_fs_base(m, owner_ptr)))
			b->owner = o->tid;
		goto owner;
	}
	/* a mutex: named by its frames, or the lll lock protocol's "contended" value 2 */
	if ((pc = frame_with(t, mutex_fns)) || val == 2) {
		uint64_t off = layout_offset(u, b, pc, "__pthread_mutex_s", "__owner", GLIBC_MUTEX_OWNER_OFF);
		uint32_t owner;
		b->kind = WAIT_MUTEX;
		if (val != 2 && (val & FUTEX_TID_MASK_) && thread_by_tid(m, (int32_t)(val & FUTEX_TID_MASK_))) {
			/* robust mutex: the word is the owner's tid */
			b->owner = (int32_t)(val & FUTEX_TID_MASK_);
			b->layout = "futex word";
		} else if (read_u32(m, addr + off, &owner)) {
			b->owner = (int32_t)owner;
		}
		goto owner;
	}
	return;
owner:
	if (b->owner < 0 || (uint32_t)b->owner > FUTEX_TID_MASK_)
		b->owner = 0;
	b->owner_alive = thread_by_tid(m, b->owner) != NULL;
}

/* ---- fds -------------------------------------------------------------- */

static void classify_poll(struct model *m, struct thread *t, struct blocked_on *b, bool ppoll)
{
	struct { int32_t fd; int16_t events, revents; } pfd[EVIDENCE_MAX_FDS];
	uint64_t n = MIN(t->syscall.args[1], (uint64_t)EVIDENCE_MAX_FDS);
	size_t got;

	b->kind = WAIT_POLL;
	b->timeout_ms = ppoll ? timespec_ms(m, t->syscall.args[2])
			      : (int32_t)t->syscall.args[2] < 0 ? TIMEOUT_NONE : (int32_t)t->syscall.args[2];
	got = elfcore_read_memory(m->core, t->syscall.args[0], pfd, n * sizeof(pfd[0])) / sizeof(pfd[0]);
	for (size_t i = 0; i < got; i++)
		add_fd(m, b, pfd[i].fd, pfd[i].events);
}

static void classify_select(struct model *m, struct thread *t, struct blocked_on *b, bool pselect)
{
	int nfds = (int)MIN((int32_t)t->syscall.args[0], 1024);
	uint64_t sets[2] = { t->syscall.args[1], t->syscall.args[2] };
	uint64_t bits[16];

	b->kind = WAIT_POLL;
	if (pselect)
		b->timeout_ms = timespec_ms(m, t->syscall.args[4]);
	else if (!t->syscall.args[4])
		b->timeout_ms = TIMEOUT_NONE;
	else {
		int64_t tv[2];
		b->timeout_ms = elfcore_read_memory(m->core, t->syscall.args[4], tv, sizeof(tv)) == sizeof(tv) &&
						tv[0] >= 0 && tv[0] < INT64_MAX / 1000 - 1 && tv[1] >= 0 && tv[1] < 1000000
					? tv[0] * 1000 + tv[1] / 1000 : TIMEOUT_UNKNOWN;
	}
	for (int s = 0; s < 2; s++) {
		size_t words = ((size_t)MAX(nfds, 0) + 63) / 64;
		if (!sets[s] || elfcore_read_memory(m->core, sets[s], bits, words * 8) != words * 8)
			continue;
		for (int fd = 0; fd < nfds; fd++)
			if (bits[fd / 64] >> (fd % 64) & 1)
				add_fd(m, b, fd, s == 0 ? POLLIN : POLLOUT);
	}
}

/*
 * How long a SYN_SENT socket has been in its handshake, at least, from its
 * SYN retransmit count n and the time r left on its retransmit timer. Each
 * interval between SYNs is at least the initial 1 s, never shorter than the
 * one before it and at most double it: 1, 2, 4... s by default, but 1, 1, 1,
 * 1, 2, 4... s with net.ipv4.tcp_syn_linear_timeouts (kernel 6.x, which a
 * core does not record). The interval now running is at least r long, so
 * the k-th interval before it lasted at least max(1 s, r / 2^k): n s when the
 * timer says nothing more, near 2^n - 1 s when it shows exponential backoff.
 */
static uint64_t syn_sent_at_least_ns(const struct hs_socket_info *s)
{
	uint64_t r_ns = s->timer == 1 /* retransmit */ && s->timer_ticks < UINT64_C(1) << 40
				? s->timer_ticks * (1000000000u / CLOCK_TICKS_PER_S) : 0;
	uint64_t total = 0;

	for (uint32_t k = 1; k <= s->retransmits && k <= 255; k++)
		total += MAX(UINT64_C(1000000000), k < 64 ? r_ns >> k : 0);
	return total;
}

/* epoll: the member fds from the epoll fd's fdinfo "tfd:" lines. */
static void classify_epoll(struct model *m, struct thread *t, struct blocked_on *b)
{
	struct fd_target ep;
	const char *p;

	b->kind = WAIT_POLL;
	b->timeout_ms = (int32_t)t->syscall.args[3] < 0 ? TIMEOUT_NONE : (int32_t)t->syscall.args[3];
	if (t->syscall.nr == SYS_epoll_pwait2_)
		b->timeout_ms = timespec_ms(m, t->syscall.args[3]);
	fill_fd(m, &ep, (int32_t)t->syscall.args[0]);
	if (!ep.info || !ep.info->extra)
		return;
	for (p = ep.info->extra; (p = strstr(p, "tfd:")); p++) {
		int fd;
		unsigned events;
		if (sscanf(p, "tfd: %d events: %x", &fd, &events) == 2)
			add_fd(m, b, fd, (short)events);
	}
}

/*
 * The "->" row of this process on inode for a lock of the kind the thread's
 * call asks for: a flock() and an fcntl() waiter on one file each have a row,
 * with the same pid (locks are the process's), told apart only by kind. The
 * first row on the inode when none has that kind; SIZE_MAX when none is on it.
 */
static size_t lock_wait_row(const struct model *m, const struct evidence_index *ix, uint64_t inode, uint8_t kind)
{
	const struct keyed_index *k = &ix->lock_waits;
	size_t lo = keyed_bound(k, inode, false);

	if (lo == k->len || k->items[lo].key != inode)
		return SIZE_MAX;
	/* bounded: a hostile core may put any number of rows on one inode */
	for (size_t j = lo; j < k->len && j < lo + 64 && k->items[j].key == inode; j++)
		if (m->core->ctx.locks.items[k->items[j].pos].kind == kind)
			return k->items[j].pos;
	return k->items[lo].pos;
}

static void classify_file_lock(struct model *m, struct thread *t, struct blocked_on *b)
{
	struct hangsnap_context *ctx = &m->core->ctx;
	const struct evidence_index *ix = m->evidence_index;
	const struct hs_lock_info *wait = NULL;
	size_t i;

	b->kind = WAIT_FILE_LOCK;
	b->timeout_ms = TIMEOUT_NONE;
	add_fd(m, b, (int32_t)t->syscall.args[0], 0);
	/* our "->" row on this fd's inode (any, first, when the inode is unknown), then the holder row sharing its id */
	if (!b->fds[0].info || !b->fds[0].info->inode) {
		i = ix->first_lock_wait;
	} else {
		/* flock(2) is 73; fcntl(2) is 72, F_OFD_SETLKW 38 its open-file-description form */
		uint8_t kind = t->syscall.nr == 73	 ? HS_LOCK_FLOCK
			       : t->syscall.args[1] == 38 ? HS_LOCK_OFD
							  : HS_LOCK_POSIX;
		i = lock_wait_row(m, ix, b->fds[0].info->inode, kind);
	}
	if (i != SIZE_MAX)
		wait = &ctx->locks.items[i];
	if (wait && (i = keyed_find(&ix->lock_holds, wait->id, false)) != SIZE_MAX)
		b->file_lock = &ctx->locks.items[i];
	if (wait)
		b->file_lock_path = wait->path && *wait->path ? wait->path : NULL;
	if (!b->file_lock_path && b->fds[0].info)
		b->file_lock_path = b->fds[0].info->target;
}

static void classify_child(struct model *m, struct thread *t, struct blocked_on *b)
{
	struct hangsnap_context *ctx = &m->core->ctx;
	int32_t pid;
	size_t i;

	b->kind = WAIT_CHILD;
	b->timeout_ms = TIMEOUT_NONE;
	if (t->syscall.nr == SYS_wait4_) {
		pid = (int32_t)t->syscall.args[0];
		if ((int32_t)t->syscall.args[2] & 1 /* WNOHANG */)
			b->timeout_ms = 0;
	} else {
		/* waitid(idtype, id, ...): P_ALL 0, P_PID 1 */
		pid = t->syscall.args[0] == 1 ? (int32_t)t->syscall.args[1] : -1;
		if ((int32_t)t->syscall.args[3] & 1)
			b->timeout_ms = 0;
	}
	b->child = pid;
	/* that child; any child (wait4(-1), waitid(P_ALL)) when there is only one */
	i = pid <= 0 && ctx->children.len == 1 ? 0 : keyed_find(&m->evidence_index->children, (uint64_t)(int64_t)pid, false);
	if (i != SIZE_MAX) {
		b->child_info = &ctx->children.items[i];
		b->child = ctx->children.items[i].pid;
	}
}

/* ---- per thread ------------------------------------------------------- */

static const char *const resolver_fns[] = { "__res_context_send", "__res_context_query", "__res_context_search",
					    "res_nsend", "res_nquery", "res_nsearch", "res_query", "res_search",
					    "__libc_res_n", "send_dg", "send_vc", "getaddrinfo", "gethostbyname",
					    "__nss_", "_nss_dns_", "gaih_inet", NULL };

static void classify(struct model *m, struct unwinder *u, struct thread *t)
{
	struct blocked_on *b = &t->blocked;
	const struct hs_thread_info *ctx = t->ctx;
	int64_t nr = t->syscall.nr;

	b->timeout_ms = TIMEOUT_UNKNOWN;
	b->readers = -1;
	b->in_resolver = frame_with(t, resolver_fns) != 0;
	for (size_t i = 0; i < t->frames.len; i++)
		if (t->frames.items[i].function && strcmp(t->frames.items[i].function, "__restore_rt") == 0)
			b->signal_frame = true;
	/* two samples closer than 10 ms (--interval 0) say nothing about progress */
	if (ctx && ctx->sample_ns >= 10000000u) {
		uint64_t ticks = (ctx->utime[1] - ctx->utime[0]) + (ctx->stime[1] - ctx->stime[0]);
		b->sample_ns = ctx->sample_ns;
		b->cpu_ns = (ctx->utime[1] - ctx->utime[0]) * (1000000000u / CLOCK_TICKS_PER_S);
		b->no_progress = ticks == 0 && ctx->vcsw[1] == ctx->vcsw[0] && ctx->nvcsw[1] == ctx->nvcsw[0];
		if (b->no_progress)
			b->stalled_ns = ctx->sample_ns;
	}
	if (nr < 0) {
		b->kind = t->state == 'R' || (t->has_registers && !t->ctx) ? WAIT_RUNNING : WAIT_NONE;
		return;
	}
	switch (nr) {
	case SYS_futex_:
		classify_futex(m, u, t, b);
		break;
	case SYS_connect_:
		b->kind = WAIT_CONNECT;
		b->timeout_ms = TIMEOUT_NONE;
		add_fd(m, b, (int32_t)t->syscall.args[0], POLLOUT);
		break;
	case SYS_accept_: case SYS_accept4_:
		b->kind = WAIT_ACCEPT;
		b->timeout_ms = TIMEOUT_NONE;
		add_fd(m, b, (int32_t)t->syscall.args[0], POLLIN);
		break;
	case SYS_read_: case SYS_pread_: case SYS_readv_: case SYS_recvfrom_: case SYS_recvmsg_: case SYS_recvmmsg_:
		b->kind = WAIT_READ;
		b->timeout_ms = TIMEOUT_NONE;
		add_fd(m, b, (int32_t)t->syscall.args[0], POLLIN);
		break;
	case SYS_write_: case SYS_pwrite_: case SYS_writev_: case SYS_sendto_: case SYS_sendmsg_: case SYS_sendmmsg_:
		b->kind = WAIT_WRITE;
		b->timeout_ms = TIMEOUT_NONE;
		add_fd(m, b, (int32_t)t->syscall.args[0], POLLOUT);
		break;
	case SYS_poll_: classify_poll(m, t, b, false); break;
	case SYS_ppoll_: classify_poll(m, t, b, true); break;
	case SYS_select_: classify_select(m, t, b, false); break;
	case SYS_pselect6_: classify_select(m, t, b, true); break;
	case SYS_epoll_wait_: case SYS_epoll_pwait_: case SYS_epoll_pwait2_: classify_epoll(m, t, b); break;
	case SYS_nanosleep_:
		b->kind = WAIT_SLEEP;
		b->timeout_ms = timespec_ms(m, t->syscall.args[0]);
		break;
	case SYS_clock_nanosleep_:
		b->kind = WAIT_SLEEP;
		b->timeout_ms = (t->syscall.args[1] & 1 /* TIMER_ABSTIME */)
			? abs_timespec_ms(m, t->syscall.args[2], t->syscall.args[0] == 0 /* CLOCK_REALTIME */)
			: timespec_ms(m, t->syscall.args[2]);
		break;
	case SYS_wait4_: case SYS_waitid_: classify_child(m, t, b); break;
	case SYS_flock_:
		if (!((int32_t)t->syscall.args[1] & 4 /* LOCK_NB */))
			classify_file_lock(m, t, b);
		break;
	case SYS_fcntl_: {
		int cmd = (int32_t)t->syscall.args[1];
		if (cmd == 7 /* F_SETLKW */ || cmd == 38 /* F_OFD_SETLKW */)
			classify_file_lock(m, t, b);
		else
			b->kind = WAIT_OTHER_SYSCALL;
		break;
	}
	case SYS_pause_: case SYS_rt_sigsuspend_:
		b->kind = WAIT_SIGNAL;
		b->timeout_ms = TIMEOUT_NONE;
		break;
	case SYS_rt_sigtimedwait_:
		b->kind = WAIT_SIGNAL;
		b->timeout_ms = timespec_ms(m, t->syscall.args[2]);
		break;
	default:
		b->kind = WAIT_OTHER_SYSCALL;
	}
	/* a SYN_SENT socket is a connect in progress, whichever call waits on it */
	for (unsigned i = 0; i < b->nfds; i++)
		if (socket_is_tcp_in(b->fds[i].socket, TCP_STATE_SYN_SENT))
			b->stalled_ns = MAX(b->stalled_ns, syn_sent_at_least_ns(b->fds[i].socket));
}

/*
 * What the interpreter records wins over what the native stack shows: a Ruby
 * Thread#join or Mutex#lock is, natively, a ppoll() on an eventfd.
 */
static void classify_runtime(struct model *m, struct thread *t)
{
	struct blocked_on *b = &t->blocked;
	const struct runtime_thread *rt = &t->rt;
	const struct thread *o = rt->wait_tid ? thread_by_tid(m, rt->wait_tid) : NULL;

	if (rt->wait == RUNTIME_WAIT_NONE)
		return;
	b->call = rt->wait_call;
	/* an owner found by references to the lock, not recorded by it, is marked as such (waitgraph, lock-cycle) */
	b->layout = rt->wait_owner_inferred ? "stack reference" : m->runtime.layout;
	b->timeout_ms = rt->forever ? TIMEOUT_NONE : TIMEOUT_UNKNOWN;
	b->addr = rt->wait_obj;
	b->nfds = 0;
	b->owner = rt->wait_tid;
	b->owner_alive = o != NULL;
	switch (rt->wait) {
	case RUNTIME_WAIT_JOIN: b->kind = WAIT_JOIN; break;
	case RUNTIME_WAIT_MUTEX: b->kind = WAIT_MUTEX; break;
	case RUNTIME_WAIT_QUEUE: b->kind = WAIT_QUEUE; break;
	case RUNTIME_WAIT_SLEEP: b->kind = WAIT_SLEEP; break;
	case RUNTIME_WAIT_NONE: break;
	}
}

/* ---- locks that record no owner ------------------------------------------ */

#define OWNERLESS_LOCKS_MAX 64u		/* objects looked for at once */
/*
 * Of each thread's stack, from its stack pointer to the end of the core
 * segment that holds it, at most this much: a thread's live frames are
 * rarely more than a few KiB, and a hostile core must not make us read 8 MiB
 * per thread.
 */
#define STACK_SCAN_BYTES (256u << 10)

/* Does the lock word at addr say it is held (nonzero: 1 locked, 2 contended...)? */
static bool lock_word_held(struct model *m, uint64_t addr)
{
	uint32_t word;

	return read_u32(m, addr, &word) && word != 0;
}

/* An object that records no owner, and the best reference to it found so far. */
struct ownerless {
	uint64_t addr, size;		/* references to [addr, addr + size) count */
	bool registers;			/* a register's reference counts too */
	struct probable_holder best;
};

static int compare_ownerless(const void *pa, const void *pb)
{
	const struct ownerless *a = pa, *b = pb;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* The object of objs (sorted by addr) whose range holds v, or NULL. */
static struct ownerless *ownerless_find(struct ownerless *objs, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (objs[mid].addr <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && v - objs[lo - 1].addr < objs[lo - 1].size ? &objs[lo - 1] : NULL;
}

/* Is b's wait one whose holder or waker we look for, and how big is its object? 0: not one. */
static uint64_t ownerless_size(struct model *m, const struct blocked_on *b)
{
	if (b->call || !b->addr || (b->owner && b->owner_alive))
		return 0;
	switch (b->kind) {
	case WAIT_MUTEX:	/* the word's own address only, as a guard or a Rust &Mutex holds it */
		return lock_word_held(m, b->addr) ? 1 : 0;
	case WAIT_RWLOCK:	/* held by readers, whom it counts but does not name */
		return b->readers > 0 ? GLIBC_RWLOCK_SIZE : 0;
	case WAIT_SEMAPHORE:
		return GLIBC_SEM_SIZE;
	case WAIT_CONDVAR:
		return GLIBC_COND_SIZE;
	default:
		return 0;
	}
}

/*
 * The frame of t whose stack range, [frames[k].sp, frames[k+1].sp), holds
 * the stack address a: the last frame whose sp is not above a, and of the
 * frames sharing that sp (inlined calls) the innermost. 0 when no frame has
 * an sp.
 */
static int32_t frame_at(const struct thread *t, uint64_t a)
{
	int32_t k = -1;

	for (size_t i = 0; i < t->frames.len; i++)
		if (t->frames.items[i].sp && t->frames.items[i].sp <= a &&
		    (k < 0 || t->frames.items[i].sp != t->frames.items[k].sp))
			k = (int32_t)i;
	return k < 0 ? 0 : k;
}

/* Records t's reference to o (found at frame, how) if it is the first or the innermost yet. */
static void ownerless_candidate(struct ownerless *o, const struct thread *t, int32_t frame, const char *how,
				const char *reg, uint64_t where, uint64_t ref)
{
	o->best.candidates++;
	if (o->best.tid && o->best.frame <= frame)
		return;
	o->best = (struct probable_holder){ t->tid, frame, how, reg, where, ref, NULL, o->best.candidates };
}

static const char *const greg_names[] = {
	[GREG_R15] = "r15", [GREG_R14] = "r14", [GREG_R13] = "r13", [GREG_R12] = "r12", [GREG_RBP] = "rbp",
	[GREG_RBX] = "rbx", [GREG_R11] = "r11", [GREG_R10] = "r10", [GREG_R9] = "r9", [GREG_R8] = "r8",
	[GREG_RAX] = "rax", [GREG_RCX] = "rcx", [GREG_RDX] = "rdx", [GREG_RSI] = "rsi", [GREG_RDI] = "rdi",
};

/* t's references to the objects: its general registers (frame #0), then its stack word by word. */
static void scan_thread(struct model *m, const struct thread *t, struct ownerless *objs, size_t n, uint64_t *buf)
{
	uint64_t seen = 0;	/* bit k: objs[k] already has t's innermost reference */
	const struct elfcore_segment *seg;
	uint64_t sp = t->regs[GREG_RSP] & ~(uint64_t)7, len;
	/* what the objects span (n > 0; each ends where the next starts); all of memory when their end wraps */
	uint64_t end = objs[n - 1].addr + objs[n - 1].size;
	uint64_t span = end < objs[n - 1].addr ? UINT64_MAX : end - objs[0].addr;
	size_t words;

	for (unsigned r = 0; r < ARRAY_SIZE(greg_names); r++) {
		struct ownerless *o = ownerless_find(objs, n, t->regs[r]);
		size_t k = o ? (size_t)(o - objs) : 0;
		/* a thread that waits on the object refers to it too: it is no candidate */
		if (!o || !o->registers || (seen >> k & 1) || t->blocked.addr == o->addr)
			continue;
		seen |= 1ull << k;
		ownerless_candidate(o, t, 0, "register", greg_names[r], 0, t->regs[r]);
	}
	if (!(seg = elfcore_segment_at(m->core, sp)))
		return;	/* an unreadable stack: no candidate */
	len = MIN(seg->vaddr + seg->memsz - sp, (uint64_t)STACK_SCAN_BYTES);
	words = elfcore_read_memory(m->core, sp, buf, (size_t)len) / 8;
	for (size_t w = 0; w < words; w++) {
		struct ownerless *o;
		size_t k;

		/* most words point nowhere near the objects (sorted): one comparison, then the search */
		if (buf[w] - objs[0].addr >= span)
			continue;
		o = ownerless_find(objs, n, buf[w]);
		k = o ? (size_t)(o - objs) : 0;
		if (!o || (seen >> k & 1) || t->blocked.addr == o->addr)
			continue;
		seen |= 1ull << k;
		ownerless_candidate(o, t, frame_at(t, sp + w * 8), "stack", NULL, sp + w * 8, buf[w]);
	}
}

/*
 * Locks that record no owner — a futex mutex whose word names none (Rust's
 * std::sync::Mutex, an lll lock), an rwlock held by readers (glibc counts
 * them in __readers but keeps no tid), a semaphore — and condition
 * variables, whose waker is unknown: the thread that holds or will post it
 * keeps a reference to it — a guard holding &lock, the pointer it locked
 * through — on its stack or in a register. Every other thread's registers
 * and stack (from its stack pointer to the end of its segment, at most
 * STACK_SCAN_BYTES) are searched for the object's address (for an rwlock, a
 * semaphore or a condvar, any address inside it); a thread waiting on the
 * object itself is no candidate. Candidates rank by how close to the
 * thread's innermost frame the reference is (a register counts as frame #0);
 * the first in core order wins a tie. The best is kept in blocked.holder.
 * A mutex takes it as its owner (layout "stack reference") only when it is
 * the one candidate, as a mutex has one holder; an rwlock held by readers
 * and a semaphore take the best candidate; a condvar only records its
 * probable waker, it draws no edge.
 */
static void infer_ownerless(struct model *m, struct unwinder *u)
{
	struct ownerless objs[OWNERLESS_LOCKS_MAX];
	size_t n = 0;
	uint64_t *buf = NULL;

	for (size_t i = 0; i < m->threads.len && n < OWNERLESS_LOCKS_MAX; i++) {
		const struct blocked_on *b = &m->threads.items[i].blocked;
		uint64_t size = ownerless_size(m, b);
		bool seen = false;

		for (size_t k = 0; k < n && size; k++)
			seen |= objs[k].addr == b->addr;
		if (size && !seen)
			objs[n++] = (struct ownerless){ .addr = b->addr, .size = size, .registers = b->kind != WAIT_MUTEX };
	}
	if (!n || !(buf = malloc(STACK_SCAN_BYTES)))
		return;
	qsort(objs, n, sizeof(objs[0]), compare_ownerless);
	/* overlapping ranges (a hostile core, or a mutex inside a condvar's reach): each ends where the next starts */
	for (size_t k = 0; k + 1 < n; k++)
		objs[k].size = MIN(objs[k].size, objs[k + 1].addr - objs[k].addr);
	for (size_t i = 0; i < m->threads.len; i++)
		if (m->threads.items[i].has_registers)
			scan_thread(m, &m->threads.items[i], objs, n, buf);
	free(buf);
	for (size_t k = 0; k < n; k++)
		if (objs[k].best.tid) {
			const char *name = unwind_data_symbol(u, objs[k].addr, NULL);
			uint64_t off = 1;
			if (name && unwind_data_symbol(u, objs[k].addr, &off) && off == 0)
				objs[k].best.object = model_intern(m, name);
		}
	for (size_t i = 0; i < m->threads.len; i++) {
		struct thread *t = &m->threads.items[i];
		struct blocked_on *b = &t->blocked;
		const struct ownerless *o;

		if (!ownerless_size(m, b) || !(o = ownerless_find(objs, n, b->addr)) || o->addr != b->addr ||
		    !o->best.tid || o->best.tid == t->tid)
			continue;
		b->holder = o->best;
		if (b->kind == WAIT_CONDVAR || (b->kind == WAIT_MUTEX && o->best.candidates != 1))
			continue;
		b->owner = o->best.tid;
		b->owner_alive = true;
		b->layout = "stack reference";
	}
}

struct hs_error *evidence_collect(struct model *m, struct unwinder *u)
{
	if (!(m->evidence_index = evidence_index_create(m)))
		return &hs_error_nomem;
	for (size_t i = 0; i < m->threads.len; i++) {
		classify(m, u, &m->threads.items[i]);
		classify_runtime(m, &m->threads.items[i]);
	}
	infer_ownerless(m, u);
	evidence_index_destroy(m->evidence_index);
	m->evidence_index = NULL;
	return NULL;
}
