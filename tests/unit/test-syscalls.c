/*
 * Blocked calls render exactly as the report shows them, from registers and
 * a fake core memory; memory the core lacks, or holds only part of, leaves
 * the pointer as hex instead of decoding garbage. Random arguments over
 * random memory must never read past a buffer (run under ASan/UBSan).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/syscalls.h"
#include "tests/unit/unit.h"


/* ---- fake core memory ---------------------------------------------------- */

struct region {
	uint64_t addr;
	size_t len;
	unsigned char bytes[256];
};

struct memory {
	struct region regions[32];
	size_t n;
	size_t short_by;	/* when set, every read comes back this much short */
};

static struct memory mem;

static size_t fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	const struct memory *m = arg;

	for (size_t i = 0; i < m->n; i++) {
		const struct region *r = &m->regions[i];
		size_t n;

		if (addr < r->addr || addr - r->addr >= r->len)
			continue;
		n = r->len - (size_t)(addr - r->addr);
		if (n > len)
			n = len;
		if (m->short_by)
			n = n > m->short_by ? n - m->short_by : 0;
		memcpy(buf, r->bytes + (addr - r->addr), n);
		return n;
	}
	return 0;
}

static void mem_put(uint64_t addr, const void *bytes, size_t len)
{
	struct region *r;

	if (mem.n == sizeof(mem.regions) / sizeof(mem.regions[0]) || len > sizeof(r->bytes))
		abort();
	r = &mem.regions[mem.n++];
	r->addr = addr;
	r->len = len;
	memcpy(r->bytes, bytes, len);
}

/* Builds target (x86_64, little-endian) structures byte by byte. */
struct bytes {
	unsigned char b[256];
	size_t len;
};

static void put_le(struct bytes *s, uint64_t v, int size)
{
	for (int i = 0; i < size; i++)
		s->b[s->len++] = (unsigned char)(v >> (8 * i));
}

static void put_raw(struct bytes *s, const void *p, size_t len)
{
	memcpy(s->b + s->len, p, len);
	s->len += len;
}

static void mem_timespec(uint64_t addr, int64_t sec, int64_t frac)
{
	struct bytes s = { .len = 0 };

	put_le(&s, (uint64_t)sec, 8);
	put_le(&s, (uint64_t)frac, 8);
	mem_put(addr, s.b, s.len);
}

/* ---- checking ------------------------------------------------------------- */

static void check_format(int line, int64_t nr, const uint64_t args[6], syscall_read_fn *read,
			 const char *want)
{
	struct strbuf sb;

	strbuf_init(&sb);
	if (!syscall_format(&sb, nr, args, read, &mem)) {
		fprintf(stderr, "%s:%d: syscall_format failed\n", __FILE__, line);
		failures++;
	} else if (!sb.buf || strcmp(sb.buf, want)) {
		fprintf(stderr, "%s:%d: syscall %" PRId64 "\n  want: %s\n  got:  %s\n", __FILE__, line,
			nr, want, sb.buf ? sb.buf : "(empty)");
		failures++;
	}
	strbuf_deinit(&sb);
}

#define EXPECT(want, nr, ...) \
	check_format(__LINE__, nr, (const uint64_t[6]){ __VA_ARGS__ }, fake_read, want)
#define EXPECT_NO_MEMORY(want, nr, ...) \
	check_format(__LINE__, nr, (const uint64_t[6]){ __VA_ARGS__ }, NULL, want)

/* Addresses of the structures main() puts in the fake memory. */
enum {
	TS_1S = 0x10000,		/* {1, 0} */
	TS_ABS = 0x10100,		/* {1700000000, 500000000} */
	TV_2S = 0x10200,		/* timeval {2, 250000} */
	TS_SHORT = 0x10300,		/* only 8 of the 16 bytes in the core */
	SA_IN = 0x20000,
	SA_IN6 = 0x20100,
	SA_UN = 0x20200,
	SA_UN_ABSTRACT = 0x20300,
	SA_IN6_SCOPE = 0x20400,
	SOCKLEN = 0x20500,
	POLL2 = 0x30000,
	POLL10 = 0x30100,
	FDSET_R = 0x40000,
	FDSET_W = 0x40100,
	FLOCK = 0x50000,
	SIGSET_USR1_TERM = 0x60000,
	SIGSET_ALL_BUT_INT = 0x60100,
	SIGSET_RT = 0x60200,
	PSELECT_MASK = 0x60300,
	SEMBUF = 0x70000,
	UNMAPPED = 0xdead0000,
};

static void setup_memory(void)
{
	struct bytes s;

	mem_timespec(TS_1S, 1, 0);
	mem_timespec(TS_ABS, 1700000000, 500000000);
	mem_timespec(TV_2S, 2, 250000);
	mem_put(TS_SHORT, (const unsigned char[8]){ 5 }, 8);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 2, 2);					/* AF_INET */
	put_raw(&s, (const unsigned char[]){ 0x1f, 0x90 }, 2);	/* port 8080, big-endian */
	put_raw(&s, (const unsigned char[]){ 127, 0, 0, 1 }, 4);
	put_le(&s, 0, 8);
	mem_put(SA_IN, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 10, 2);					/* AF_INET6 */
	put_raw(&s, (const unsigned char[]){ 0x1f, 0x90 }, 2);
	put_le(&s, 0, 4);					/* flowinfo */
	put_raw(&s, (const unsigned char[16]){ [15] = 1 }, 16);	/* ::1 */
	put_le(&s, 0, 4);					/* scope_id */
	mem_put(SA_IN6, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 10, 2);
	put_raw(&s, (const unsigned char[]){ 0x01, 0xbb }, 2);	/* 443 */
	put_le(&s, 0, 4);
	put_raw(&s, (const unsigned char[16]){ 0xfe, 0x80, [15] = 1 }, 16);
	put_le(&s, 2, 4);					/* scope_id */
	mem_put(SA_IN6_SCOPE, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 1, 2);					/* AF_UNIX */
	put_raw(&s, "/run/app.sock", 14);			/* with its NUL */
	while (s.len < 110)					/* sizeof(struct sockaddr_un) */
		put_le(&s, 0, 1);
	mem_put(SA_UN, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 1, 2);
	put_raw(&s, "\0bus\"x", 6);				/* abstract, no NUL */
	mem_put(SA_UN_ABSTRACT, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 16, 4);
	mem_put(SOCKLEN, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 5, 4);
	put_le(&s, 0x0004, 2);					/* POLLOUT */
	put_le(&s, 0, 2);
	put_le(&s, 7, 4);
	put_le(&s, 0x2003, 2);					/* POLLIN|POLLPRI|POLLRDHUP */
	put_le(&s, 0, 2);
	mem_put(POLL2, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	for (int fd = 0; fd < 10; fd++) {
		put_le(&s, (uint64_t)fd, 4);
		put_le(&s, 1, 2);
		put_le(&s, 0, 2);
	}
	mem_put(POLL10, s.b, s.len);

	/* fds 3 and 5 for reading; fd 9 for writing */
	mem_put(FDSET_R, (const unsigned char[8]){ 0x28 }, 8);
	mem_put(FDSET_W, (const unsigned char[8]){ 0, 0x02 }, 8);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 1, 2);					/* F_WRLCK */
	put_le(&s, 0, 2);					/* SEEK_SET */
	put_le(&s, 0, 4);					/* padding */
	put_le(&s, 100, 8);					/* l_start */
	put_le(&s, 0, 8);					/* l_len */
	put_le(&s, 0, 4);					/* l_pid */
	put_le(&s, 0, 4);
	mem_put(FLOCK, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 1u << 9 | 1u << 14, 8);			/* USR1 (10), TERM (15) */
	mem_put(SIGSET_USR1_TERM, s.b, s.len);
	s = (struct bytes){ .len = 0 };
	put_le(&s, ~(1ull << 1), 8);				/* everything but INT */
	mem_put(SIGSET_ALL_BUT_INT, s.b, s.len);
	s = (struct bytes){ .len = 0 };
	put_le(&s, 1ull << 33 | 1ull << 63, 8);			/* 34 and 64 */
	mem_put(SIGSET_RT, s.b, s.len);
	s = (struct bytes){ .len = 0 };
	put_le(&s, SIGSET_USR1_TERM, 8);
	put_le(&s, 8, 8);
	mem_put(PSELECT_MASK, s.b, s.len);

	s = (struct bytes){ .len = 0 };
	put_le(&s, 0, 2);
	put_le(&s, (uint16_t)-1, 2);
	put_le(&s, 0x1000, 2);					/* SEM_UNDO */
	mem_put(SEMBUF, s.b, s.len);
}

/* ---- cases ----------------------------------------------------------------- */

static void test_names(void)
{
	CHECK(syscall_name(202) && !strcmp(syscall_name(202), "futex"));
	CHECK(syscall_name(0) && !strcmp(syscall_name(0), "read"));
	CHECK(syscall_name(449) && !strcmp(syscall_name(449), "futex_waitv"));
	CHECK(syscall_name(-1) == NULL);
	CHECK(syscall_name(100000) == NULL);
	CHECK(syscall_name(400) == NULL);		/* unassigned on x86_64 */
	CHECK(syscall_name(INT64_MIN) == NULL);
	CHECK(syscall_nargs(202) == 6);
	CHECK(syscall_nargs(0) == 3);
	CHECK(syscall_nargs(34) == 0);			/* pause */
	CHECK(syscall_nargs(61) == 4);			/* wait4 */
	CHECK(syscall_nargs(441) == 6);			/* epoll_pwait2 */
	CHECK(syscall_nargs(-1) == 6);
	CHECK(syscall_nargs(400) == 6);
}

static void test_futex(void)
{
	EXPECT("futex(0x7f3a2c0008e0, FUTEX_WAIT_PRIVATE, 2, NULL)",
	       202, 0x7f3a2c0008e0, 128, 2, 0, 0, 0);
	EXPECT("futex(0x7f3a2c0008e0, FUTEX_WAIT, 0, {tv_sec=1, tv_nsec=0})",
	       202, 0x7f3a2c0008e0, 0, 0, TS_1S, 0, 0);
	EXPECT("futex(0x55d0c0a1b2c8, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY)",
	       202, 0x55d0c0a1b2c8, 9 | 128 | 256, 0, 0, 0, 0xffffffff);
	EXPECT("futex(0x55d0c0a1b2c8, FUTEX_WAIT_BITSET_PRIVATE, 1, {tv_sec=1700000000, tv_nsec=500000000}, 0x4)",
	       202, 0x55d0c0a1b2c8, 9 | 128, 1, TS_ABS, 0, 4);
	EXPECT("futex(0x1000, FUTEX_WAKE_PRIVATE, 1)", 202, 0x1000, 1 | 128, 1, 0, 0, 0);
	EXPECT("futex(0x1000, FUTEX_LOCK_PI_PRIVATE, NULL)", 202, 0x1000, 6 | 128, 0, 0, 0, 0);
	EXPECT("futex(0x1000, FUTEX_LOCK_PI2, {tv_sec=1, tv_nsec=0})", 202, 0x1000, 13, 0, TS_1S, 0, 0);
	EXPECT("futex(0x1000, FUTEX_TRYLOCK_PI)", 202, 0x1000, 8, 0, 0, 0, 0);
	EXPECT("futex(0x1000, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, 0x2000)",
	       202, 0x1000, 11 | 128, 0, 0, 0x2000, 0);
	EXPECT("futex(0x1000, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2147483647, 0x2000, 3)",
	       202, 0x1000, 4 | 128, 1, 0x7fffffff, 0x2000, 3);
	EXPECT("futex(0x1000, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x2000, FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1)",
	       202, 0x1000, 5 | 128, 1, 1, 0x2000, 0x04000001);
	/* an unknown command keeps every argument */
	EXPECT("futex(0x1000, 0x8f, 1, 2, 3, 4)", 202, 0x1000, 0x8f, 1, 2, 3, 4);
	/* the timeout is in a page the core lacks */
	EXPECT("futex(0x1000, FUTEX_WAIT, 0, 0xdead0000)", 202, 0x1000, 0, 0, UNMAPPED, 0, 0);
}

static void test_sockets(void)
{
	EXPECT("connect(5, {AF_INET, 127.0.0.1:8080}, 16)", 42, 5, SA_IN, 16, 0, 0, 0);
	EXPECT("connect(5, {AF_INET6, [::1]:8080}, 28)", 42, 5, SA_IN6, 28, 0, 0, 0);
	EXPECT("connect(5, {AF_INET6, [fe80::1%2]:443}, 28)", 42, 5, SA_IN6_SCOPE, 28, 0, 0, 0);
	EXPECT("connect(3, {AF_UNIX, \"/run/app.sock\"}, 110)", 42, 3, SA_UN, 110, 0, 0, 0);
	EXPECT("bind(3, {AF_UNIX, @\"bus\\\"x\"}, 8)", 49, 3, SA_UN_ABSTRACT, 8, 0, 0, 0);
	/* addrlen says the address is cut short */
	EXPECT("connect(5, {AF_INET}, 4)", 42, 5, SA_IN, 4, 0, 0, 0);
	/* the fd and addrlen are ints: the upper half of the register is noise */
	EXPECT("connect(-1, 0xdead0000, 16)", 42, 0xffffffffffffffff, UNMAPPED, 0x1200000010, 0, 0, 0);
	EXPECT("connect(5, NULL, 0)", 42, 5, 0, 0, 0, 0, 0);
	EXPECT("accept(3, 0x7ffc0000, [16])", 43, 3, 0x7ffc0000, SOCKLEN, 0, 0, 0);
	EXPECT("accept4(3, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC)", 288, 3, 0, 0, 04000 | 02000000, 0, 0);
	EXPECT("recvfrom(7, 0x7f0000001000, 65536, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, NULL)",
	       45, 7, 0x7f0000001000, 65536, 0x4040, 0, 0);
	EXPECT("sendto(7, 0x7f0000001000, 5, MSG_NOSIGNAL|0x80000000, {AF_INET, 127.0.0.1:8080}, 16)",
	       44, 7, 0x7f0000001000, 5, 0x80004000, SA_IN, 16);
	EXPECT("recvmsg(7, 0x7ffc0000, 0)", 47, 7, 0x7ffc0000, 0, 0, 0, 0);
}

static void test_io(void)
{
	EXPECT("read(3, 0x7f0000001000, 4096)", 0, 3, 0x7f0000001000, 4096, 0, 0, 0);
	EXPECT("write(1, 0x55d0c0a1b2c8, 13)", 1, 1, 0x55d0c0a1b2c8, 13, 0, 0, 0);
	EXPECT("pread64(4, 0x7f0000001000, 512, 1048576)", 17, 4, 0x7f0000001000, 512, 1048576, 0, 0);
	EXPECT("readv(4, 0x7ffc0000, 2)", 19, 4, 0x7ffc0000, 2, 0, 0, 0);
}

static void test_poll_select(void)
{
	EXPECT("poll([{fd=5, events=POLLOUT}, {fd=7, events=POLLIN|POLLPRI|POLLRDHUP}], 2, -1)",
	       7, POLL2, 2, 0xffffffff, 0, 0, 0);
	EXPECT("poll([{fd=5, events=POLLOUT}], 1, 1000)", 7, POLL2, 1, 1000, 0, 0, 0);
	EXPECT("poll(0xdead0000, 2, -1)", 7, UNMAPPED, 2, 0xffffffff, 0, 0, 0);
	/* nfds claims more entries than the core holds: not half-decoded */
	EXPECT("poll(0x30000, 3, 0)", 7, POLL2, 3, 0, 0, 0, 0);
	EXPECT("poll([{fd=0, events=POLLIN}, {fd=1, events=POLLIN}, {fd=2, events=POLLIN}, "
	       "{fd=3, events=POLLIN}, {fd=4, events=POLLIN}, {fd=5, events=POLLIN}, "
	       "{fd=6, events=POLLIN}, {fd=7, events=POLLIN}, ...], 10, -1)",
	       7, POLL10, 10, 0xffffffff, 0, 0, 0);
	/* a hostile nfds must not make us read 4 billion entries */
	EXPECT("poll([{fd=0, events=POLLIN}, {fd=1, events=POLLIN}, {fd=2, events=POLLIN}, "
	       "{fd=3, events=POLLIN}, {fd=4, events=POLLIN}, {fd=5, events=POLLIN}, "
	       "{fd=6, events=POLLIN}, {fd=7, events=POLLIN}, ...], 4294967295, -1)",
	       7, POLL10, 0xffffffff, 0xffffffff, 0, 0, 0);
	EXPECT("ppoll([{fd=5, events=POLLOUT}], 1, {tv_sec=1, tv_nsec=0}, NULL, 8)",
	       271, POLL2, 1, TS_1S, 0, 8, 0);
	EXPECT("ppoll([{fd=5, events=POLLOUT}], 1, NULL, [USR1 TERM], 8)",
	       271, POLL2, 1, 0, SIGSET_USR1_TERM, 8, 0);
	EXPECT("select(10, [3 5], [9], NULL, {tv_sec=2, tv_usec=250000})",
	       23, 10, FDSET_R, FDSET_W, 0, TV_2S, 0);
	EXPECT("select(0, [], NULL, NULL, NULL)", 23, 0, FDSET_R, 0, 0, 0, 0);
	EXPECT("pselect6(6, [3 5], NULL, NULL, NULL, {[USR1 TERM], 8})",
	       270, 6, FDSET_R, 0, 0, 0, PSELECT_MASK);
	EXPECT("epoll_wait(4, 0x7ffc0000, 1024, -1)", 232, 4, 0x7ffc0000, 1024, 0xffffffff, 0, 0);
	EXPECT("epoll_pwait(4, 0x7ffc0000, 16, 500, NULL, 8)", 281, 4, 0x7ffc0000, 16, 500, 0, 8);
	EXPECT("epoll_pwait2(4, 0x7ffc0000, 16, {tv_sec=1, tv_nsec=0}, NULL, 8)",
	       441, 4, 0x7ffc0000, 16, TS_1S, 0, 8);
}

static void test_sleep_wait_lock(void)
{
	EXPECT("nanosleep({tv_sec=1, tv_nsec=0}, 0x7ffc0000)", 35, TS_1S, 0x7ffc0000, 0, 0, 0, 0);
	EXPECT("clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=1700000000, tv_nsec=500000000}, NULL)",
	       230, 1, 1, TS_ABS, 0, 0, 0);
	EXPECT("clock_nanosleep(CLOCK_BOOTTIME, 0, {tv_sec=1, tv_nsec=0}, 0x7ffc0000)",
	       230, 7, 0, TS_1S, 0x7ffc0000, 0, 0);
	EXPECT("clock_nanosleep(-6, 0, {tv_sec=1, tv_nsec=0}, NULL)", 230, (uint64_t)-6, 0, TS_1S, 0, 0, 0);
	EXPECT("wait4(-1, 0x7ffc0000, WNOHANG|__WALL, NULL)", 61, 0xffffffff, 0x7ffc0000, 0x40000001, 0, 0, 0);
	EXPECT("wait4(1234, NULL, 0, NULL)", 61, 1234, 0, 0, 0, 0, 0);
	EXPECT("waitid(P_PID, 1234, 0x7ffc0000, WSTOPPED|WEXITED, NULL)", 247, 1, 1234, 0x7ffc0000, 6, 0, 0);
	EXPECT("waitid(P_PIDFD, 5, 0x7ffc0000, WNOHANG|WEXITED, NULL)", 247, 3, 5, 0x7ffc0000, 5, 0, 0);
	EXPECT("flock(3, LOCK_EX)", 73, 3, 2, 0, 0, 0, 0);
	EXPECT("flock(3, LOCK_SH|LOCK_NB)", 73, 3, 5, 0, 0, 0, 0);
	EXPECT("flock(3, LOCK_UN)", 73, 3, 8, 0, 0, 0, 0);
	EXPECT("fcntl(3, F_SETLKW, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=100, l_len=0})",
	       72, 3, 7, FLOCK, 0, 0, 0);
	EXPECT("fcntl(3, F_OFD_SETLKW, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=100, l_len=0})",
	       72, 3, 38, FLOCK, 0, 0, 0);
	EXPECT("fcntl(3, F_SETLK, 0xdead0000)", 72, 3, 6, UNMAPPED, 0, 0, 0);
	EXPECT("fcntl(3, F_GETFL)", 72, 3, 3, 0, 0, 0, 0);
	EXPECT("fcntl(3, F_SETFL, O_NONBLOCK)", 72, 3, 4, 04000, 0, 0, 0);
	EXPECT("fcntl(3, F_DUPFD_CLOEXEC, 10)", 72, 3, 1030, 10, 0, 0, 0);
	EXPECT("semop(3, [{sem_num=0, sem_op=-1, sem_flg=SEM_UNDO}], 1)", 65, 3, SEMBUF, 1, 0, 0, 0);
	EXPECT("msgrcv(3, 0x7ffc0000, 128, 0, MSG_NOERROR)", 70, 3, 0x7ffc0000, 128, 0, 010000, 0);
}

static void test_signals(void)
{
	EXPECT("pause()", 34, 0, 0, 0, 0, 0, 0);
	EXPECT("restart_syscall()", 219, 0, 0, 0, 0, 0, 0);
	EXPECT("rt_sigtimedwait([USR1 TERM], 0x7ffc0000, {tv_sec=1, tv_nsec=0}, 8)",
	       128, SIGSET_USR1_TERM, 0x7ffc0000, TS_1S, 8, 0, 0);
	EXPECT("rt_sigtimedwait([RT_2 RT_32], NULL, NULL, 8)", 128, SIGSET_RT, 0, 0, 8, 0, 0);
	EXPECT("rt_sigsuspend(~[INT], 8)", 130, SIGSET_ALL_BUT_INT, 8, 0, 0, 0, 0);
}

static void test_generic(void)
{
	/* no decoder: nargs arguments, within +-4096 decimal, else hex */
	EXPECT("openat(-100, 0x55d0c0a1b2c8, 0x80000, 0)", 257, (uint64_t)-100, 0x55d0c0a1b2c8, 0x80000, 0, 0, 0);
	EXPECT("close(4096)", 3, 4096, 7, 7, 7, 7, 7);
	EXPECT("close(0x1001)", 3, 4097, 0, 0, 0, 0, 0);
	EXPECT("getpid()", 39, 1, 2, 3, 4, 5, 6);
	EXPECT("syscall_400(1, 2, 3, 4, 5, 0xffffffff)", 400, 1, 2, 3, 4, 5, 0xffffffff);
	EXPECT("syscall_100000(0, 0, 0, 0, 0, 0)", 100000, 0, 0, 0, 0, 0, 0);
	EXPECT("syscall_-1(0, 0, 0, 0, 0, 0)", -1, 0, 0, 0, 0, 0, 0);
}

static void test_unreadable(void)
{
	/* no read callback: nothing is decoded from memory */
	EXPECT_NO_MEMORY("poll(0x30000, 2, -1)", 7, POLL2, 2, 0xffffffff, 0, 0, 0);
	EXPECT_NO_MEMORY("connect(5, 0x20000, 16)", 42, 5, SA_IN, 16, 0, 0, 0);
	EXPECT_NO_MEMORY("nanosleep(0x10000, NULL)", 35, TS_1S, 0, 0, 0, 0, 0);

	/* a timespec whose second half the core lacks */
	EXPECT("nanosleep(0x10300, NULL)", 35, TS_SHORT, 0, 0, 0, 0, 0);

	/* every read one byte short */
	mem.short_by = 1;
	EXPECT("poll(0x30000, 2, -1)", 7, POLL2, 2, 0xffffffff, 0, 0, 0);
	EXPECT("connect(5, 0x20000, 16)", 42, 5, SA_IN, 16, 0, 0, 0);
	EXPECT("rt_sigtimedwait(0x60000, NULL, 0x10000, 8)", 128, SIGSET_USR1_TERM, 0, TS_1S, 8, 0, 0);
	EXPECT("fcntl(3, F_SETLKW, 0x50000)", 72, 3, 7, FLOCK, 0, 0, 0);
	mem.short_by = 0;
}

static void test_appends(void)
{
	struct strbuf sb;
	const uint64_t args[6] = { 3, 2 };

	strbuf_init(&sb);
	CHECK(strbuf_append(&sb, "[", 1));
	CHECK(syscall_format(&sb, 73, args, fake_read, &mem));
	CHECK(!strcmp(sb.buf, "[flock(3, LOCK_EX)"));
	strbuf_deinit(&sb);
}

/* ---- robustness ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Any address reads as noise, sometimes short: a hostile core. */
static size_t noise_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t n = len;

	(void)arg;
	(void)addr;
	if (rng() % 4 == 0)
		n = (size_t)(rng() % (len + 1));
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)rng();
	return n;
}

/* Arguments biased to small and boundary values, where the decoders branch. */
static uint64_t random_arg(void)
{
	switch (rng() % 6) {
	case 0: return rng() % 16;
	case 1: return rng() % 300;
	case 2: return (uint64_t)-(int64_t)(rng() % 4);
	case 3: return 0xffffffffull - rng() % 2;
	case 4: return 0x7f0000000000ull + rng() % 4096;
	default: return rng();
	}
}

static void test_hostile(void)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (int round = 0; round < 40; round++) {
		for (int64_t nr = -2; nr < 460; nr++) {
			uint64_t args[6];

			for (int i = 0; i < 6; i++)
				args[i] = random_arg();
			sb.len = 0;
			CHECK(syscall_format(&sb, nr, args, noise_read, NULL));
			/* one call stays one readable line of bounded size */
			CHECK(sb.len < 4096 && strlen(sb.buf) == sb.len && !strchr(sb.buf, '\n'));
		}
	}
	strbuf_deinit(&sb);
}

int main(void)
{
	setup_memory();
	test_names();
	test_futex();
	test_sockets();
	test_io();
	test_poll_select();
	test_sleep_wait_lock();
	test_signals();
	test_generic();
	test_unreadable();
	test_appends();
	test_hostile();
	return unit_finish();
}
