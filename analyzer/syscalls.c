/*
 * x86_64 system calls rendered the way strace shows them, for the calls a
 * hung thread sits in. Only the registers and what the core holds are used:
 * every structure an argument points to is fetched through the caller's
 * read callback, and a fetch that comes back short leaves the pointer as
 * hex, since half a structure decodes to plausible lies.
 *
 * Target structures, x86_64 LP64, little-endian. They are decoded byte by
 * byte from these offsets, not through the host's headers, so the analyzer
 * gives the same answer on any host:
 *
 *   struct timespec   16 bytes  0 tv_sec s64, 8 tv_nsec s64
 *   struct timeval    16 bytes  0 tv_sec s64, 8 tv_usec s64
 *   struct pollfd      8 bytes  0 fd s32, 4 events u16, 6 revents u16
 *   struct sembuf      6 bytes  0 sem_num u16, 2 sem_op s16, 4 sem_flg s16
 *   struct flock      32 bytes  0 l_type s16, 2 l_whence s16, 8 l_start s64,
 *                               16 l_len s64, 24 l_pid s32; only the first
 *                               24 bytes are read, l_pid is an output
 *   kernel sigset_t    8 bytes  bit n-1 is signal n (glibc's 128-byte
 *                               sigset_t is never passed whole)
 *   pselect6 arg 6    16 bytes  0 sigset pointer u64, 8 sigset size u64
 *   fd_set            (nfds + 7) / 8 bytes, bit n of byte n / 8 is fd n;
 *                               we look at FD_SETSIZE (1024) fds at most
 *   socklen_t / int    4 bytes  (accept and recvfrom address lengths)
 *   struct sockaddr   0 sa_family u16, then by family, at most 128 bytes
 *                     (sizeof(struct sockaddr_storage)) whatever addrlen says:
 *       AF_UNIX   1   2 sun_path[108]; addrlen - 2 bytes are valid. A path
 *                     ends at its first NUL; a leading NUL makes the name
 *                     abstract, and then every byte up to addrlen counts
 *       AF_INET   2   2 port u16 big-endian, 4 address[4]        (16 bytes)
 *       AF_INET6 10   2 port u16 big-endian, 4 flowinfo u32,
 *                     8 address[16], 24 scope_id u32             (28 bytes)
 *
 * Argument conventions, chosen per argument by its C type:
 *   - pointers: NULL, or 0x-hex when not decoded (or not in the core);
 *   - fds, timeouts in ms, pids and other int parameters: the low 32 bits
 *     as a signed int, because that is all the kernel reads;
 *   - sizes and counts: unsigned decimal; file offsets: signed decimal;
 *   - flags: symbolic names joined by '|', leftover bits as one 0x-hex
 *     term, and 0 as "0"; enumerations: the name, else the number;
 *   - arrays from memory: at most 8 elements, then "...".
 * Arguments of calls without a decoder (and of unknown calls) follow one
 * rule: a value within +-4096 as a signed 64-bit number prints in decimal
 * (fds, small counts and flag words, -1, AT_FDCWD), anything else in hex,
 * as addresses and large bit masks read better that way.
 */
#include "analyzer/syscalls.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* ---- names and argument counts ------------------------------------------ */

static const char *const names[] = {
#include "analyzer/syscall_table.inc"
};

/*
 * How many arguments each call takes, by number, ten to a row. The numbers
 * 335..423 are unassigned on x86_64 (reserved to line up with the other
 * architectures' newer calls), hence two tables.
 */
static const unsigned char nargs_low[335] = {
	3, 3, 3, 1, 2, 2, 2, 3, 3, 6,	/*   0 read .. mmap */
	3, 2, 1, 4, 4, 0, 3, 4, 4, 3,	/*  10 mprotect .. readv */
	3, 2, 1, 5, 0, 5, 3, 3, 3, 3,	/*  20 writev .. shmget */
	3, 3, 1, 2, 0, 2, 2, 1, 3, 0,	/*  30 shmat .. getpid */
	4, 3, 3, 3, 6, 6, 3, 3, 2, 3,	/*  40 sendfile .. bind */
	2, 3, 3, 4, 5, 5, 5, 0, 0, 3,	/*  50 listen .. execve */
	1, 4, 2, 1, 3, 3, 4, 1, 2, 4,	/*  60 exit .. msgsnd */
	5, 3, 3, 2, 1, 1, 2, 2, 3, 2,	/*  70 msgrcv .. getcwd */
	1, 1, 2, 2, 1, 2, 2, 1, 2, 3,	/*  80 chdir .. readlink */
	2, 2, 3, 3, 3, 1, 2, 2, 2, 1,	/*  90 chmod .. sysinfo */
	1, 4, 0, 3, 0, 1, 1, 0, 0, 2,	/* 100 times .. setpgid */
	0, 0, 0, 2, 2, 2, 2, 3, 3, 3,	/* 110 getppid .. setresgid */
	3, 1, 1, 1, 1, 2, 2, 2, 4, 3,	/* 120 getresgid .. rt_sigqueueinfo */
	2, 2, 2, 3, 1, 1, 2, 2, 2, 3,	/* 130 rt_sigsuspend .. sysfs */
	2, 3, 2, 2, 3, 1, 1, 1, 2, 2,	/* 140 getpriority .. mlock */
	2, 1, 0, 0, 3, 2, 1, 5, 2, 1,	/* 150 munlock .. adjtimex */
	2, 1, 0, 1, 2, 5, 2, 2, 1, 4,	/* 160 setrlimit .. reboot */
	2, 2, 1, 3, 2, 3, 2, 1, 5, 4,	/* 170 sethostname .. quotactl */
	3, 5, 5, 5, 3, 3, 0, 3, 5, 5,	/* 180 nfsservctl .. lsetxattr */
	5, 4, 4, 4, 3, 3, 3, 2, 2, 2,	/* 190 fsetxattr .. fremovexattr */
	2, 1, 6, 3, 3, 1, 2, 1, 5, 3,	/* 200 tkill .. io_submit */
	3, 1, 3, 1, 4, 4, 5, 3, 1, 0,	/* 210 io_cancel .. restart_syscall */
	4, 4, 3, 4, 2, 1, 1, 2, 2, 2,	/* 220 semtimedop .. clock_getres */
	4, 1, 4, 4, 3, 2, 5, 6, 3, 5,	/* 230 clock_nanosleep .. get_mempolicy */
	4, 1, 5, 5, 2, 3, 4, 5, 5, 4,	/* 240 mq_open .. request_key */
	5, 3, 2, 0, 3, 2, 4, 4, 3, 4,	/* 250 keyctl .. mknodat */
	5, 3, 4, 3, 4, 5, 3, 4, 3, 3,	/* 260 fchownat .. faccessat */
	6, 5, 1, 2, 3, 6, 4, 4, 4, 6,	/* 270 pselect6 .. move_pages */
	4, 6, 3, 2, 1, 4, 4, 2, 4, 4,	/* 280 utimensat .. signalfd4 */
	2, 1, 3, 2, 1, 4, 4, 4, 5, 5,	/* 290 eventfd2 .. recvmmsg */
	2, 5, 4, 5, 3, 2, 1, 4, 2, 3,	/* 300 fanotify_init .. getcpu */
	6, 6, 5, 3, 3, 4, 5, 3, 3, 2,	/* 310 process_vm_readv .. memfd_create */
	5, 3, 5, 1, 3, 3, 6, 6, 6, 4,	/* 320 kexec_file_load .. pkey_mprotect */
	2, 1, 5, 6, 4,			/* 330 pkey_alloc .. rseq */
};

#define NARGS_HIGH_BASE 424
static const unsigned char nargs_high[] = {
	4, 2, 6, 4, 3, 5, 2, 5, 3, 3,	/* 424 pidfd_send_signal .. fspick */
	2, 2, 3, 4, 3, 4, 5, 6, 5, 4,	/* 434 pidfd_open .. quotactl_fd */
	3, 4, 2, 1, 2, 5, 4,		/* 444 landlock_create_ruleset .. set_mempolicy_home_node */
};

_Static_assert(NARGS_HIGH_BASE + ARRAY_SIZE(nargs_high) <= ARRAY_SIZE(names),
	       "nargs_high describes calls syscall_table.inc does not name");

const char *syscall_name(int64_t nr)
{
	if (nr < 0 || (uint64_t)nr >= ARRAY_SIZE(names))
		return NULL;
	return names[nr];
}

unsigned syscall_nargs(int64_t nr)
{
	if (!syscall_name(nr))
		return 6;
	if ((uint64_t)nr < ARRAY_SIZE(nargs_low))
		return nargs_low[nr];
	if (nr >= NARGS_HIGH_BASE && (uint64_t)(nr - NARGS_HIGH_BASE) < ARRAY_SIZE(nargs_high))
		return nargs_high[nr - NARGS_HIGH_BASE];
	/* named by a newer syscall_table.inc than the counts above */
	return 6;
}

/* The calls we decode; numbers are x86_64 ABI, not the host's <sys/syscall.h>. */
enum {
	NR_read = 0,
	NR_write = 1,
	NR_poll = 7,
	NR_pread64 = 17,
	NR_pwrite64 = 18,
	NR_readv = 19,
	NR_writev = 20,
	NR_select = 23,
	NR_pause = 34,
	NR_nanosleep = 35,
	NR_connect = 42,
	NR_accept = 43,
	NR_sendto = 44,
	NR_recvfrom = 45,
	NR_sendmsg = 46,
	NR_recvmsg = 47,
	NR_bind = 49,
	NR_wait4 = 61,
	NR_semop = 65,
	NR_msgsnd = 69,
	NR_msgrcv = 70,
	NR_fcntl = 72,
	NR_flock = 73,
	NR_rt_sigtimedwait = 128,
	NR_rt_sigsuspend = 130,
	NR_futex = 202,
	NR_io_getevents = 208,
	NR_restart_syscall = 219,
	NR_semtimedop = 220,
	NR_clock_nanosleep = 230,
	NR_epoll_wait = 232,
	NR_mq_timedsend = 242,
	NR_mq_timedreceive = 243,
	NR_waitid = 247,
	NR_pselect6 = 270,
	NR_ppoll = 271,
	NR_epoll_pwait = 281,
	NR_accept4 = 288,
	NR_preadv = 295,
	NR_pwritev = 296,
	NR_recvmmsg = 299,
	NR_sendmmsg = 307,
	NR_epoll_pwait2 = 441,
	NR_futex_waitv = 449,
};

/* ---- output ------------------------------------------------------------- */

/* Caps on what one call may print, whatever the core claims. */
#define MAX_ELEMS 8		/* poll and semop arrays */
#define FDSET_MAX_FDS 1024	/* FD_SETSIZE */
#define FDSET_MAX_SHOWN 64
#define SOCKADDR_MAX 128	/* sizeof(struct sockaddr_storage) */
#define SUN_PATH_MAX 108

struct fmt {
	struct strbuf *sb;
	syscall_read_fn *read;
	void *read_arg;
	unsigned nargs;		/* arguments printed so far, for the ", " */
	bool failed;		/* out of memory; later output is dropped */
};

static void emit(struct fmt *f, const char *s)
{
	if (!f->failed && !strbuf_append(f->sb, s, strlen(s)))
		f->failed = true;
}

/* strbuf_appendf() cannot take a va_list, hence its two passes again here. */
__attribute__((format(printf, 2, 3)))
static void emitf(struct fmt *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (f->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !strbuf_reserve(f->sb, (size_t)n)) {
		f->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(f->sb->buf + f->sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	f->sb->len += (size_t)n;
}

static void begin_arg(struct fmt *f)
{
	if (f->nargs++)
		emit(f, ", ");
}

/* Only a complete read counts; see the top of the file. */
static bool fetch(struct fmt *f, uint64_t addr, void *buf, size_t len)
{
	if (!f->read || !addr)
		return false;
	if (!len)
		return true;
	return f->read(f->read_arg, addr, buf, len) == len;
}

static uint16_t get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static uint64_t get_le64(const unsigned char *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint16_t get_be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct sym {
	uint64_t val;
	const char *name;
};

static const char *name_at(const char *const *tab, size_t n, uint64_t v)
{
	return v < n ? tab[v] : NULL;
}

#define NAME_AT(tab, v) name_at(tab, ARRAY_SIZE(tab), v)

static void emit_flags(struct fmt *f, uint64_t v, const struct sym *tab, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if ((v & tab[i].val) != tab[i].val)
			continue;
		if (any)
			emit(f, "|");
		emit(f, tab[i].name);
		v &= ~tab[i].val;
		any = true;
	}
	if (any && !v)
		return;
	if (any)
		emit(f, "|");
	if (v)
		emitf(f, "0x%" PRIx64, v);
	else
		emit(f, "0");
}

#define EMIT_FLAGS(f, v, tab) emit_flags(f, v, tab, ARRAY_SIZE(tab))

static void emit_ptr(struct fmt *f, uint64_t v)
{
	if (v)
		emitf(f, "0x%" PRIx64, v);
	else
		emit(f, "NULL");
}

static void emit_generic(struct fmt *f, uint64_t v)
{
	int64_t s = (int64_t)v;

	if (s >= -4096 && s <= 4096)
		emitf(f, "%" PRId64, s);
	else
		emitf(f, "0x%" PRIx64, v);
}

/* Quoted like a C string; bytes outside printable ASCII as \xNN. */
static void emit_quoted(struct fmt *f, const unsigned char *p, size_t len)
{
	emit(f, "\"");
	for (size_t i = 0; i < len; i++) {
		char c[2] = { (char)p[i], '\0' };

		if (p[i] == '"' || p[i] == '\\')
			emitf(f, "\\%c", p[i]);
		else if (p[i] == '\n')
			emit(f, "\\n");
		else if (p[i] == '\t')
			emit(f, "\\t");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			emitf(f, "\\x%02x", p[i]);
		else
			emit(f, c);
	}
	emit(f, "\"");
}

static void arg_ptr(struct fmt *f, uint64_t v)
{
	begin_arg(f);
	emit_ptr(f, v);
}

static void arg_generic(struct fmt *f, uint64_t v)
{
	begin_arg(f);
	emit_generic(f, v);
}

/* fds, pids, ms timeouts and other C int parameters */
static void arg_int(struct fmt *f, uint64_t v)
{
	begin_arg(f);
	emitf(f, "%d", (int)(int32_t)(uint32_t)v);
}

static void arg_uint(struct fmt *f, uint64_t v)
{
	begin_arg(f);
	emitf(f, "%" PRIu32, (uint32_t)v);
}

static void arg_size(struct fmt *f, uint64_t v)
{
	begin_arg(f);
	emitf(f, "%" PRIu64, v);
}

static void arg_long(struct fmt *f, uint64_t v)
{
	begin_arg(f);
	emitf(f, "%" PRId64, (int64_t)v);
}

static void arg_flags(struct fmt *f, uint64_t v, const struct sym *tab, size_t n)
{
	begin_arg(f);
	emit_flags(f, v, tab, n);
}

#define ARG_FLAGS(f, v, tab) arg_flags(f, v, tab, ARRAY_SIZE(tab))

/* An enumeration: the name, else the int. */
static void arg_enum(struct fmt *f, int v, const char *const *tab, size_t n)
{
	const char *name = v >= 0 ? name_at(tab, n, (uint64_t)v) : NULL;

	begin_arg(f);
	if (name)
		emit(f, name);
	else
		emitf(f, "%d", v);
}

#define ARG_ENUM(f, v, tab) arg_enum(f, (int)(int32_t)(uint32_t)(v), tab, ARRAY_SIZE(tab))

/* ---- structures in memory ------------------------------------------------ */

/* struct timespec or struct timeval; frac names the second field. */
static void arg_time(struct fmt *f, uint64_t addr, const char *frac)
{
	unsigned char b[16];

	begin_arg(f);
	if (!fetch(f, addr, b, sizeof(b))) {
		emit_ptr(f, addr);
		return;
	}
	emitf(f, "{tv_sec=%" PRId64 ", %s=%" PRId64 "}", (int64_t)get_le64(b), frac,
	      (int64_t)get_le64(b + 8));
}

static void arg_timespec(struct fmt *f, uint64_t addr)
{
	arg_time(f, addr, "tv_nsec");
}

static void arg_timeval(struct fmt *f, uint64_t addr)
{
	arg_time(f, addr, "tv_usec");
}

static const char *const signal_names[32] = {
	[1] = "HUP",	[2] = "INT",	[3] = "QUIT",	[4] = "ILL",	[5] = "TRAP",
	[6] = "ABRT",	[7] = "BUS",	[8] = "FPE",	[9] = "KILL",	[10] = "USR1",
	[11] = "SEGV",	[12] = "USR2",	[13] = "PIPE",	[14] = "ALRM",	[15] = "TERM",
	[16] = "STKFLT", [17] = "CHLD",	[18] = "CONT",	[19] = "STOP",	[20] = "TSTP",
	[21] = "TTIN",	[22] = "TTOU",	[23] = "URG",	[24] = "XCPU",	[25] = "XFSZ",
	[26] = "VTALRM", [27] = "PROF",	[28] = "WINCH",	[29] = "IO",	[30] = "PWR",
	[31] = "SYS",
};

/*
 * Signals by strace's names: no SIG prefix, real-time ones as RT_n counted
 * from the kernel's SIGRTMIN (32; glibc keeps 32 and 33 for itself). A set
 * holding more than half of the 64 reads better as its complement, "~[...]".
 */
static void emit_sigmask(struct fmt *f, uint64_t mask)
{
	bool any = false;

	if (__builtin_popcountll(mask) > 32) {
		emit(f, "~");
		mask = ~mask;
	}
	emit(f, "[");
	for (unsigned sig = 1; sig <= 64; sig++) {
		if (!(mask >> (sig - 1) & 1))
			continue;
		if (any)
			emit(f, " ");
		if (sig < 32)
			emit(f, signal_names[sig]);
		else
			emitf(f, "RT_%u", sig - 32);
		any = true;
	}
	emit(f, "]");
}

/* The kernel's sigset is 8 bytes, and every call here insists on that size. */
static void emit_sigset(struct fmt *f, uint64_t addr)
{
	unsigned char b[8];

	if (fetch(f, addr, b, sizeof(b)))
		emit_sigmask(f, get_le64(b));
	else
		emit_ptr(f, addr);
}

static void arg_sigset(struct fmt *f, uint64_t addr)
{
	begin_arg(f);
	emit_sigset(f, addr);
}

/* pselect6's sixth argument: { const sigset_t *ss; size_t ss_len; } */
static void arg_pselect_sigmask(struct fmt *f, uint64_t addr)
{
	unsigned char b[16];

	begin_arg(f);
	if (!fetch(f, addr, b, sizeof(b))) {
		emit_ptr(f, addr);
		return;
	}
	emit(f, "{");
	emit_sigset(f, get_le64(b));
	emitf(f, ", %" PRIu64 "}", get_le64(b + 8));
}

/* Reads an int the call will update, e.g. accept's *addrlen. */
static void arg_int_ptr(struct fmt *f, uint64_t addr)
{
	unsigned char b[4];

	begin_arg(f);
	if (fetch(f, addr, b, sizeof(b)))
		emitf(f, "[%d]", (int)(int32_t)get_le32(b));
	else
		emit_ptr(f, addr);
}

static const struct sym poll_events[] = {
	{ 0x0001, "POLLIN" },	  { 0x0002, "POLLPRI" },    { 0x0004, "POLLOUT" },
	{ 0x0008, "POLLERR" },	  { 0x0010, "POLLHUP" },    { 0x0020, "POLLNVAL" },
	{ 0x0040, "POLLRDNORM" }, { 0x0080, "POLLRDBAND" }, { 0x0100, "POLLWRNORM" },
	{ 0x0200, "POLLWRBAND" }, { 0x0400, "POLLMSG" },    { 0x1000, "POLLREMOVE" },
	{ 0x2000, "POLLRDHUP" },
};

static void arg_pollfds(struct fmt *f, uint64_t addr, uint32_t nfds)
{
	unsigned char b[MAX_ELEMS * 8];
	uint32_t shown = MIN(nfds, MAX_ELEMS);

	begin_arg(f);
	if (!fetch(f, addr, b, shown * 8)) {
		emit_ptr(f, addr);
		return;
	}
	emit(f, "[");
	for (uint32_t i = 0; i < shown; i++) {
		const unsigned char *p = b + i * 8;

		emitf(f, "%s{fd=%d, events=", i ? ", " : "", (int)(int32_t)get_le32(p));
		EMIT_FLAGS(f, get_le16(p + 4), poll_events);
		emit(f, "}");
	}
	if (nfds > shown)
		emit(f, ", ...");
	emit(f, "]");
}

/* The fds set in an fd_set, "[3 5]"; the kernel reads nfds bits of it. */
static void arg_fdset(struct fmt *f, uint64_t addr, int nfds)
{
	unsigned char b[FDSET_MAX_FDS / 8];
	unsigned nbits, shown = 0;
	bool more;

	begin_arg(f);
	if (nfds < 0 || !addr) {
		emit_ptr(f, addr);
		return;
	}
	nbits = MIN((unsigned)nfds, FDSET_MAX_FDS);
	more = (unsigned)nfds > nbits;
	if (!fetch(f, addr, b, (nbits + 7) / 8)) {
		emit_ptr(f, addr);
		return;
	}
	emit(f, "[");
	for (unsigned fd = 0; fd < nbits; fd++) {
		if (!(b[fd / 8] >> (fd % 8) & 1))
			continue;
		if (shown == FDSET_MAX_SHOWN) {
			more = true;
			break;
		}
		emitf(f, "%s%u", shown ? " " : "", fd);
		shown++;
	}
	if (more)
		emit(f, shown ? " ..." : "...");
	emit(f, "]");
}

static const char *const flock_types[] = { "F_RDLCK", "F_WRLCK", "F_UNLCK" };
static const char *const seek_whences[] = { "SEEK_SET", "SEEK_CUR", "SEEK_END" };

static void emit_short_enum(struct fmt *f, int16_t v, const char *const *tab, size_t n)
{
	const char *name = v >= 0 ? name_at(tab, n, (uint64_t)v) : NULL;

	if (name)
		emit(f, name);
	else
		emitf(f, "%d", v);
}

static void arg_flock(struct fmt *f, uint64_t addr)
{
	unsigned char b[24];

	begin_arg(f);
	if (!fetch(f, addr, b, sizeof(b))) {
		emit_ptr(f, addr);
		return;
	}
	emit(f, "{l_type=");
	emit_short_enum(f, (int16_t)get_le16(b), flock_types, ARRAY_SIZE(flock_types));
	emit(f, ", l_whence=");
	emit_short_enum(f, (int16_t)get_le16(b + 2), seek_whences, ARRAY_SIZE(seek_whences));
	emitf(f, ", l_start=%" PRId64 ", l_len=%" PRId64 "}", (int64_t)get_le64(b + 8),
	      (int64_t)get_le64(b + 16));
}

static const struct sym sem_flags[] = {
	{ 04000, "IPC_NOWAIT" },
	{ 0x1000, "SEM_UNDO" },
};

static void arg_sembufs(struct fmt *f, uint64_t addr, uint32_t nsops)
{
	unsigned char b[MAX_ELEMS * 6];
	uint32_t shown = MIN(nsops, MAX_ELEMS);

	begin_arg(f);
	if (!fetch(f, addr, b, shown * 6)) {
		emit_ptr(f, addr);
		return;
	}
	emit(f, "[");
	for (uint32_t i = 0; i < shown; i++) {
		const unsigned char *p = b + i * 6;

		emitf(f, "%s{sem_num=%u, sem_op=%d, sem_flg=", i ? ", " : "", get_le16(p),
		      (int16_t)get_le16(p + 2));
		EMIT_FLAGS(f, get_le16(p + 4), sem_flags);
		emit(f, "}");
	}
	if (nsops > shown)
		emit(f, ", ...");
	emit(f, "]");
}

/* ---- sockets ------------------------------------------------------------- */

enum { SA_UNIX = 1, SA_INET = 2, SA_INET6 = 10 };

static const char *const address_families[] = {
	[0] = "AF_UNSPEC",	   [SA_UNIX] = "AF_UNIX",    [SA_INET] = "AF_INET",
	[SA_INET6] = "AF_INET6",   [16] = "AF_NETLINK",	     [17] = "AF_PACKET",
	[31] = "AF_BLUETOOTH",	   [38] = "AF_ALG",	     [40] = "AF_VSOCK",
	[44] = "AF_XDP",
};

static void emit_sun_path(struct fmt *f, const unsigned char *p, size_t len)
{
	len = MIN(len, SUN_PATH_MAX);
	if (!len)
		return;		/* unnamed: addrlen is just the family */
	if (p[0] == '\0') {
		emit(f, ", @");
		emit_quoted(f, p + 1, len - 1);
		return;
	}
	emit(f, ", ");
	emit_quoted(f, p, strnlen((const char *)p, len));
}

/*
 * "{AF_INET, 127.0.0.1:8080}", "{AF_INET6, [::1]:8080}", "{AF_UNIX, "/path"}",
 * "{AF_UNIX, @"abstract"}"; other families, or an addrlen too short for the
 * address, give just the family.
 */
static void arg_sockaddr(struct fmt *f, uint64_t addr, int addrlen)
{
	unsigned char sa[SOCKADDR_MAX];
	const char *family_name;
	uint16_t family;
	size_t len;

	begin_arg(f);
	if (addrlen < 2) {
		emit_ptr(f, addr);
		return;
	}
	len = MIN((size_t)addrlen, sizeof(sa));
	if (!fetch(f, addr, sa, len)) {
		emit_ptr(f, addr);
		return;
	}
	family = get_le16(sa);
	family_name = NAME_AT(address_families, family);
	if (family_name)
		emitf(f, "{%s", family_name);
	else
		emitf(f, "{sa_family=%u", family);
	switch (family) {
	case SA_UNIX:
		emit_sun_path(f, sa + 2, len - 2);
		break;
	case SA_INET:
		if (len >= 8)
			emitf(f, ", %u.%u.%u.%u:%u", sa[4], sa[5], sa[6], sa[7], get_be16(sa + 2));
		break;
	case SA_INET6:
		if (len >= 24) {
			char text[INET6_ADDRSTRLEN];

			if (!inet_ntop(AF_INET6, sa + 8, text, sizeof(text)))
				strcpy(text, "?");
			emitf(f, ", [%s", text);
			if (len >= 28 && get_le32(sa + 24))
				emitf(f, "%%%" PRIu32, get_le32(sa + 24));
			emitf(f, "]:%u", get_be16(sa + 2));
		}
		break;
	}
	emit(f, "}");
}

static const struct sym msg_flags[] = {
	{ 0x1, "MSG_OOB" },		{ 0x2, "MSG_PEEK" },
	{ 0x4, "MSG_DONTROUTE" },	{ 0x8, "MSG_CTRUNC" },
	{ 0x10, "MSG_PROXY" },		{ 0x20, "MSG_TRUNC" },
	{ 0x40, "MSG_DONTWAIT" },	{ 0x80, "MSG_EOR" },
	{ 0x100, "MSG_WAITALL" },	{ 0x200, "MSG_FIN" },
	{ 0x400, "MSG_SYN" },		{ 0x800, "MSG_CONFIRM" },
	{ 0x1000, "MSG_RST" },		{ 0x2000, "MSG_ERRQUEUE" },
	{ 0x4000, "MSG_NOSIGNAL" },	{ 0x8000, "MSG_MORE" },
	{ 0x10000, "MSG_WAITFORONE" },	{ 0x40000, "MSG_BATCH" },
	{ 0x4000000, "MSG_ZEROCOPY" },	{ 0x20000000, "MSG_FASTOPEN" },
	{ 0x40000000, "MSG_CMSG_CLOEXEC" },
};

static const struct sym sock_flags[] = {
	{ 04000, "SOCK_NONBLOCK" },
	{ 02000000, "SOCK_CLOEXEC" },
};

static void arg_msg_flags(struct fmt *f, uint64_t v)
{
	ARG_FLAGS(f, (uint32_t)v, msg_flags);
}

/* ---- futex ----------------------------------------------------------------- */

enum {
	FUTEX_WAIT,
	FUTEX_WAKE,
	FUTEX_FD,
	FUTEX_REQUEUE,
	FUTEX_CMP_REQUEUE,
	FUTEX_WAKE_OP,
	FUTEX_LOCK_PI,
	FUTEX_UNLOCK_PI,
	FUTEX_TRYLOCK_PI,
	FUTEX_WAIT_BITSET,
	FUTEX_WAKE_BITSET,
	FUTEX_WAIT_REQUEUE_PI,
	FUTEX_CMP_REQUEUE_PI,
	FUTEX_LOCK_PI2,
};

#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

static const char *const futex_cmds[] = {
	[FUTEX_WAIT] = "FUTEX_WAIT",
	[FUTEX_WAKE] = "FUTEX_WAKE",
	[FUTEX_FD] = "FUTEX_FD",
	[FUTEX_REQUEUE] = "FUTEX_REQUEUE",
	[FUTEX_CMP_REQUEUE] = "FUTEX_CMP_REQUEUE",
	[FUTEX_WAKE_OP] = "FUTEX_WAKE_OP",
	[FUTEX_LOCK_PI] = "FUTEX_LOCK_PI",
	[FUTEX_UNLOCK_PI] = "FUTEX_UNLOCK_PI",
	[FUTEX_TRYLOCK_PI] = "FUTEX_TRYLOCK_PI",
	[FUTEX_WAIT_BITSET] = "FUTEX_WAIT_BITSET",
	[FUTEX_WAKE_BITSET] = "FUTEX_WAKE_BITSET",
	[FUTEX_WAIT_REQUEUE_PI] = "FUTEX_WAIT_REQUEUE_PI",
	[FUTEX_CMP_REQUEUE_PI] = "FUTEX_CMP_REQUEUE_PI",
	[FUTEX_LOCK_PI2] = "FUTEX_LOCK_PI2",
};

/* FUTEX_WAKE_OP's val3 packs op<<28 | cmp<<24 | oparg<<12 | cmparg. */
static void arg_futex_wake_op(struct fmt *f, uint32_t v)
{
	static const char *const ops[] = { "FUTEX_OP_SET", "FUTEX_OP_ADD", "FUTEX_OP_OR",
					   "FUTEX_OP_ANDN", "FUTEX_OP_XOR" };
	static const char *const cmps[] = { "FUTEX_OP_CMP_EQ", "FUTEX_OP_CMP_NE", "FUTEX_OP_CMP_LT",
					    "FUTEX_OP_CMP_LE", "FUTEX_OP_CMP_GT", "FUTEX_OP_CMP_GE" };
	unsigned op = v >> 28, cmp = v >> 24 & 15;
	const char *name;

	begin_arg(f);
	if (op & 8)
		emit(f, "FUTEX_OP_OPARG_SHIFT<<28|");
	if ((name = NAME_AT(ops, op & 7)))
		emitf(f, "%s<<28", name);
	else
		emitf(f, "%u<<28", op & 7);
	emitf(f, "|%#x<<12|", v >> 12 & 0xfff);
	if ((name = NAME_AT(cmps, cmp)))
		emitf(f, "%s<<24", name);
	else
		emitf(f, "%u<<24", cmp);
	emitf(f, "|%#x", v & 0xfff);
}

static void arg_futex_bitset(struct fmt *f, uint32_t v)
{
	begin_arg(f);
	if (v == FUTEX_BITSET_MATCH_ANY)
		emit(f, "FUTEX_BITSET_MATCH_ANY");
	else
		emitf(f, "%#" PRIx32, v);
}

/*
 * futex(uaddr, op, val, timeout or val2, uaddr2, val3): which of the last
 * four mean anything depends on the command, so only those are shown.
 */
static void decode_futex(struct fmt *f, const uint64_t a[6])
{
	uint32_t op = (uint32_t)a[1];
	uint32_t cmd = op & ~(uint32_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	const char *name = NAME_AT(futex_cmds, cmd);

	arg_ptr(f, a[0]);
	begin_arg(f);
	if (!name) {
		emitf(f, "%#" PRIx32, op);
		for (int i = 2; i < 6; i++)
			arg_generic(f, a[i]);
		return;
	}
	emit(f, name);
	if (op & FUTEX_PRIVATE_FLAG)
		emit(f, "_PRIVATE");
	if (op & FUTEX_CLOCK_REALTIME)
		emit(f, "|FUTEX_CLOCK_REALTIME");

	switch (cmd) {
	case FUTEX_WAIT:
		arg_uint(f, a[2]);
		arg_timespec(f, a[3]);
		break;
	case FUTEX_WAIT_BITSET:
		arg_uint(f, a[2]);
		arg_timespec(f, a[3]);
		arg_futex_bitset(f, (uint32_t)a[5]);
		break;
	case FUTEX_WAIT_REQUEUE_PI:
		arg_uint(f, a[2]);
		arg_timespec(f, a[3]);
		arg_ptr(f, a[4]);
		break;
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		arg_timespec(f, a[3]);
		break;
	case FUTEX_UNLOCK_PI:
	case FUTEX_TRYLOCK_PI:
		break;
	case FUTEX_WAKE:
	case FUTEX_FD:
		arg_uint(f, a[2]);
		break;
	case FUTEX_WAKE_BITSET:
		arg_uint(f, a[2]);
		arg_futex_bitset(f, (uint32_t)a[5]);
		break;
	case FUTEX_REQUEUE:
		arg_uint(f, a[2]);
		arg_uint(f, a[3]);
		arg_ptr(f, a[4]);
		break;
	case FUTEX_CMP_REQUEUE:
	case FUTEX_CMP_REQUEUE_PI:
		arg_uint(f, a[2]);
		arg_uint(f, a[3]);
		arg_ptr(f, a[4]);
		arg_uint(f, a[5]);
		break;
	case FUTEX_WAKE_OP:
		arg_uint(f, a[2]);
		arg_uint(f, a[3]);
		arg_ptr(f, a[4]);
		arg_futex_wake_op(f, (uint32_t)a[5]);
		break;
	}
}

/* ---- fcntl, flock ------------------------------------------------------- */

static const char *const fcntl_cmds[] = {
	[0] = "F_DUPFD",	 [1] = "F_GETFD",	   [2] = "F_SETFD",
	[3] = "F_GETFL",	 [4] = "F_SETFL",	   [5] = "F_GETLK",
	[6] = "F_SETLK",	 [7] = "F_SETLKW",	   [8] = "F_SETOWN",
	[9] = "F_GETOWN",	 [10] = "F_SETSIG",	   [11] = "F_GETSIG",
	[15] = "F_SETOWN_EX",	 [16] = "F_GETOWN_EX",	   [17] = "F_GETOWNER_UIDS",
	[36] = "F_OFD_GETLK",	 [37] = "F_OFD_SETLK",	   [38] = "F_OFD_SETLKW",
};

/* The Linux-specific commands start at F_LINUX_SPECIFIC_BASE, 1024. */
static const char *const fcntl_linux_cmds[] = {
	[0] = "F_SETLEASE",	 [1] = "F_GETLEASE",	   [2] = "F_NOTIFY",
	[3] = "F_DUPFD_QUERY",	 [6] = "F_DUPFD_CLOEXEC",  [7] = "F_SETPIPE_SZ",
	[8] = "F_GETPIPE_SZ",	 [9] = "F_ADD_SEALS",	   [10] = "F_GET_SEALS",
	[11] = "F_GET_RW_HINT",	 [12] = "F_SET_RW_HINT",   [13] = "F_GET_FILE_RW_HINT",
	[14] = "F_SET_FILE_RW_HINT",
};

static const struct sym file_status_flags[] = {
	{ 02000, "O_APPEND" },	   { 04000, "O_NONBLOCK" },   { 010000, "O_DSYNC" },
	{ 020000, "O_ASYNC" },	   { 040000, "O_DIRECT" },    { 0100000, "O_LARGEFILE" },
	{ 01000000, "O_NOATIME" },
};

static const struct sym fd_flags[] = {
	{ 1, "FD_CLOEXEC" },
};

static void decode_fcntl(struct fmt *f, const uint64_t a[6])
{
	uint32_t cmd = (uint32_t)a[1];
	const char *name = cmd >= 1024 ? NAME_AT(fcntl_linux_cmds, cmd - 1024)
				       : NAME_AT(fcntl_cmds, cmd);

	arg_int(f, a[0]);
	begin_arg(f);
	if (name)
		emit(f, name);
	else
		emit_generic(f, cmd);
	switch (cmd) {
	case 1: case 3: case 9: case 11: case 1025: case 1032: case 1034:
		break;			/* the F_GET* without an argument */
	case 5: case 6: case 7: case 36: case 37: case 38:
		arg_flock(f, a[2]);
		break;
	case 2:
		ARG_FLAGS(f, a[2], fd_flags);
		break;
	case 4:
		ARG_FLAGS(f, (uint32_t)a[2], file_status_flags);
		break;
	case 1024:
		ARG_ENUM(f, a[2], flock_types);
		break;
	case 0: case 8: case 10: case 1027: case 1030: case 1031:
		arg_int(f, a[2]);
		break;
	default:
		arg_generic(f, a[2]);
		break;
	}
}

static const struct sym flock_ops[] = {
	{ 1, "LOCK_SH" },   { 2, "LOCK_EX" },	 { 4, "LOCK_NB" },	{ 8, "LOCK_UN" },
	{ 32, "LOCK_MAND" }, { 64, "LOCK_READ" }, { 128, "LOCK_WRITE" },
};

/* ---- processes, clocks, IPC ------------------------------------------------ */

static const struct sym wait4_options[] = {
	{ 0x1, "WNOHANG" },	     { 0x2, "WUNTRACED" },     { 0x4, "WEXITED" },
	{ 0x8, "WCONTINUED" },	     { 0x1000000, "WNOWAIT" }, { 0x20000000, "__WNOTHREAD" },
	{ 0x40000000, "__WALL" },    { 0x80000000, "__WCLONE" },
};

/* waitid calls bit 2 WSTOPPED where wait4 says WUNTRACED */
static const struct sym waitid_options[] = {
	{ 0x1, "WNOHANG" },	     { 0x2, "WSTOPPED" },      { 0x4, "WEXITED" },
	{ 0x8, "WCONTINUED" },	     { 0x1000000, "WNOWAIT" }, { 0x20000000, "__WNOTHREAD" },
	{ 0x40000000, "__WALL" },    { 0x80000000, "__WCLONE" },
};

static const char *const waitid_idtypes[] = { "P_ALL", "P_PID", "P_PGID", "P_PIDFD" };

/* Negative clock ids are per-process, per-thread and fd clocks; they print as numbers. */
static const char *const clock_names[] = {
	"CLOCK_REALTIME",	  "CLOCK_MONOTONIC",	   "CLOCK_PROCESS_CPUTIME_ID",
	"CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW",   "CLOCK_REALTIME_COARSE",
	"CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME",	   "CLOCK_REALTIME_ALARM",
	"CLOCK_BOOTTIME_ALARM",	  "CLOCK_SGI_CYCLE",	   "CLOCK_TAI",
};

static const struct sym timer_flags[] = {
	{ 1, "TIMER_ABSTIME" },
};

static const struct sym msg_queue_flags[] = {
	{ 04000, "IPC_NOWAIT" },
	{ 010000, "MSG_NOERROR" },
	{ 020000, "MSG_EXCEPT" },
	{ 040000, "MSG_COPY" },
};

/* ---- dispatch ------------------------------------------------------------- */

/* Prints the arguments of the calls we know; false leaves them to the generic rule. */
static bool decode(struct fmt *f, int64_t nr, const uint64_t a[6])
{
	switch (nr) {
	case NR_futex:
		decode_futex(f, a);
		break;
	case NR_read:
	case NR_write:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		break;
	case NR_pread64:
	case NR_pwrite64:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		arg_long(f, a[3]);
		break;
	case NR_readv:
	case NR_writev:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		break;
	case NR_preadv:
	case NR_pwritev:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		arg_long(f, a[3]);
		break;
	case NR_recvfrom:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		arg_msg_flags(f, a[3]);
		arg_ptr(f, a[4]);	/* filled in on return */
		arg_int_ptr(f, a[5]);
		break;
	case NR_sendto:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		arg_msg_flags(f, a[3]);
		arg_sockaddr(f, a[4], (int)(int32_t)(uint32_t)a[5]);
		arg_int(f, a[5]);
		break;
	case NR_recvmsg:
	case NR_sendmsg:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_msg_flags(f, a[2]);
		break;
	case NR_recvmmsg:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_uint(f, a[2]);
		arg_msg_flags(f, a[3]);
		arg_timespec(f, a[4]);
		break;
	case NR_sendmmsg:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_uint(f, a[2]);
		arg_msg_flags(f, a[3]);
		break;
	case NR_connect:
	case NR_bind:
		arg_int(f, a[0]);
		arg_sockaddr(f, a[1], (int)(int32_t)(uint32_t)a[2]);
		arg_int(f, a[2]);
		break;
	case NR_accept:
	case NR_accept4:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);	/* filled in on return */
		arg_int_ptr(f, a[2]);
		if (nr == NR_accept4)
			ARG_FLAGS(f, (uint32_t)a[3], sock_flags);
		break;
	case NR_poll:
		arg_pollfds(f, a[0], (uint32_t)a[1]);
		arg_uint(f, a[1]);
		arg_int(f, a[2]);
		break;
	case NR_ppoll:
		arg_pollfds(f, a[0], (uint32_t)a[1]);
		arg_uint(f, a[1]);
		arg_timespec(f, a[2]);
		arg_sigset(f, a[3]);
		arg_size(f, a[4]);
		break;
	case NR_select:
	case NR_pselect6:
		arg_int(f, a[0]);
		for (int i = 1; i <= 3; i++)
			arg_fdset(f, a[i], (int)(int32_t)(uint32_t)a[0]);
		if (nr == NR_select) {
			arg_timeval(f, a[4]);
		} else {
			arg_timespec(f, a[4]);
			arg_pselect_sigmask(f, a[5]);
		}
		break;
	case NR_epoll_wait:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_int(f, a[2]);
		arg_int(f, a[3]);
		break;
	case NR_epoll_pwait:
	case NR_epoll_pwait2:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_int(f, a[2]);
		if (nr == NR_epoll_pwait)
			arg_int(f, a[3]);
		else
			arg_timespec(f, a[3]);
		arg_sigset(f, a[4]);
		arg_size(f, a[5]);
		break;
	case NR_nanosleep:
		arg_timespec(f, a[0]);
		arg_ptr(f, a[1]);
		break;
	case NR_clock_nanosleep:
		ARG_ENUM(f, a[0], clock_names);
		ARG_FLAGS(f, (uint32_t)a[1], timer_flags);
		arg_timespec(f, a[2]);
		arg_ptr(f, a[3]);
		break;
	case NR_wait4:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);	/* the status is written on return */
		ARG_FLAGS(f, (uint32_t)a[2], wait4_options);
		arg_ptr(f, a[3]);
		break;
	case NR_waitid:
		ARG_ENUM(f, a[0], waitid_idtypes);
		arg_int(f, a[1]);
		arg_ptr(f, a[2]);
		ARG_FLAGS(f, (uint32_t)a[3], waitid_options);
		arg_ptr(f, a[4]);
		break;
	case NR_flock:
		arg_int(f, a[0]);
		ARG_FLAGS(f, (uint32_t)a[1], flock_ops);
		break;
	case NR_fcntl:
		decode_fcntl(f, a);
		break;
	case NR_pause:
	case NR_restart_syscall:
		break;
	case NR_rt_sigtimedwait:
		arg_sigset(f, a[0]);
		arg_ptr(f, a[1]);
		arg_timespec(f, a[2]);
		arg_size(f, a[3]);
		break;
	case NR_rt_sigsuspend:
		arg_sigset(f, a[0]);
		arg_size(f, a[1]);
		break;
	case NR_msgrcv:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		arg_long(f, a[3]);
		ARG_FLAGS(f, (uint32_t)a[4], msg_queue_flags);
		break;
	case NR_msgsnd:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		ARG_FLAGS(f, (uint32_t)a[3], msg_queue_flags);
		break;
	case NR_semop:
	case NR_semtimedop:
		arg_int(f, a[0]);
		arg_sembufs(f, a[1], (uint32_t)a[2]);
		arg_uint(f, a[2]);
		if (nr == NR_semtimedop)
			arg_timespec(f, a[3]);
		break;
	case NR_io_getevents:
		arg_ptr(f, a[0]);
		arg_long(f, a[1]);
		arg_long(f, a[2]);
		arg_ptr(f, a[3]);
		arg_timespec(f, a[4]);
		break;
	case NR_mq_timedreceive:
	case NR_mq_timedsend:
		arg_int(f, a[0]);
		arg_ptr(f, a[1]);
		arg_size(f, a[2]);
		if (nr == NR_mq_timedreceive)
			arg_ptr(f, a[3]);
		else
			arg_uint(f, a[3]);
		arg_timespec(f, a[4]);
		break;
	case NR_futex_waitv:
		arg_ptr(f, a[0]);
		arg_uint(f, a[1]);
		arg_uint(f, a[2]);
		arg_timespec(f, a[3]);
		ARG_ENUM(f, a[4], clock_names);
		break;
	default:
		return false;
	}
	return true;
}

bool syscall_format(struct strbuf *sb, int64_t nr, const uint64_t args[6], syscall_read_fn *read,
		    void *read_arg)
{
	struct fmt f = { .sb = sb, .read = read, .read_arg = read_arg };
	const char *name = syscall_name(nr);
	size_t start = sb->len;

	if (name)
		emit(&f, name);
	else
		emitf(&f, "syscall_%" PRId64, nr);
	emit(&f, "(");
	if (!name || !decode(&f, nr, args)) {
		unsigned n = syscall_nargs(nr);

		for (unsigned i = 0; i < n; i++)
			arg_generic(&f, args[i]);
	}
	emit(&f, ")");
	if (f.failed) {
		/* half a call would read like a whole one */
		sb->len = start;
		if (sb->buf)
			sb->buf[start] = '\0';
		return false;
	}
	return true;
}
