/*
 * heartbeat-target: a benchmark victim for bench/snapshot.sh.
 *
 *   heartbeat-target --threads N --heap-mib M --gap-file PATH
 *
 * Builds a process that looks like a small server at rest:
 *   - N-1 worker threads that block forever, alternating among
 *     pthread_cond_wait() on a condvar nobody signals, read() on a pipe nobody
 *     writes and poll() with an infinite timeout on that pipe; each one touches
 *     a few KiB of its stack first;
 *   - about M MiB of heap made of individually malloc'd objects that look like
 *     application data (linked records with pointers, counters, timestamps,
 *     short names from a small vocabulary, a few random bytes per record, text
 *     buffers, arrays of small counters), generated from a fixed-seed PRNG so
 *     every run holds the same kind of data;
 *   - the main thread, which becomes the heartbeat: it loops on
 *     clock_gettime(CLOCK_MONOTONIC) + nanosleep(1 ms) and keeps the largest
 *     gap between two iterations, in nanoseconds, as one little-endian uint64
 *     in a MAP_SHARED mapping of --gap-file.  Whoever wants to know how long
 *     the process was stopped resets the file to 8 zero bytes in place, does
 *     the thing, and reads the value back: the result is the stop time plus
 *     at most about 1 ms.
 *
 * The process therefore has exactly N threads.  When everything is set up it
 * prints "ready PID" on stdout.  It exits with status 0 on SIGTERM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *progname = "heartbeat-target";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ------------------------------------------------------------------------ */
/* Fixed-seed PRNG (xorshift64*), so the heap contents are reproducible.    */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)((rng() >> 32) % n);
}

/* ------------------------------------------------------------------------ */
/* Heap: what a server keeps around.                                         */

static const char *const methods[] = { "GET", "GET", "GET", "POST", "PUT", "DELETE" };
static const char *const paths[] = {
	"/api/v1/items", "/api/v1/users", "/api/v1/orders", "/api/v2/search",
	"/healthz", "/metrics", "/login", "/static/app.js", "/static/style.css",
};
static const char *const kinds[] = { "user", "admin", "guest", "service" };
static const char *const statuses[] = { "pending", "active", "idle", "closed", "error" };
static const char *const levels[] = { "info", "info", "info", "debug", "warn", "error" };
static const char *const agents[] = {
	"curl/8.0.1", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"python-requests/2.31.0", "Go-http-client/1.1",
};
static const char *const ctypes[] = { "application/json", "text/html; charset=UTF-8", "text/plain" };
static const char *const words[] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
};
#define PICK(a) (a[rng_below(sizeof(a) / sizeof(a[0]))])

enum rec_state { REC_IDLE, REC_ACTIVE, REC_PENDING, REC_CLOSED };

/* A connection/session-like record: 96 bytes of payload. */
struct record {
	struct record *next;		/* list of all records */
	struct record *peer;		/* some other, earlier record */
	char *text;			/* a text buffer it owns (or NULL) */
	uint64_t id;			/* sequential */
	uint64_t created_ns;		/* increasing timestamps */
	uint64_t token;			/* random: hash / session token */
	uint32_t state;
	uint32_t refcount;
	uint32_t nrequests;
	uint16_t port;
	uint16_t flags;
	char name[32];			/* e.g. "user-1234" */
};

/* A small histogram / counter block. */
struct counters {
	struct counters *next;
	uint32_t n;
	uint32_t bucket[];		/* small values, mostly < 1000 */
};

/* A free-standing string: cache key, header value, log line. */
struct strnode {
	struct strnode *next;
	uint32_t len;
	uint32_t hits;
	char s[];
};

static struct record *all_records;
static struct strnode *all_strings;
static struct counters *all_counters;
static size_t heap_bytes;		/* bytes requested from malloc */

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("out of memory allocating %zu bytes", n);
	heap_bytes += n;
	return p;
}

/*
 * One piece of text of the kinds a server keeps in memory: request headers,
 * log lines, SQL, JSON bodies, cache keys.  Fixed templates, variable fields.
 */
static size_t gen_text(char *s, size_t cap)
{
	unsigned long long ts = 1700000000ULL + rng_below(86400);
	unsigned id = rng_below(1000000);
	int n;

	switch (rng_below(6)) {
	case 0:
		n = snprintf(s, cap, "%s %s/%u HTTP/1.1\r\nHost: localhost:8080\r\n"
			     "User-Agent: %s\r\nAccept: %s\r\nConnection: keep-alive\r\n"
			     "X-Request-Id: %016llx\r\n\r\n",
			     PICK(methods), PICK(paths), id, PICK(agents), PICK(ctypes),
			     (unsigned long long)rng());
		break;
	case 1:
		n = snprintf(s, cap, "%llu.%03u level=%s worker=%u request_id=%016llx "
			     "method=%s path=%s status=%u dur_ms=%u\n",
			     ts, rng_below(1000), PICK(levels), rng_below(64),
			     (unsigned long long)rng(), PICK(methods), PICK(paths),
			     rng_below(8) ? 200 : 404 + rng_below(100), rng_below(500));
		break;
	case 2:
		n = snprintf(s, cap, "SELECT id, name, status, created_at FROM orders "
			     "WHERE customer_id = %u AND status = '%s' ORDER BY created_at DESC LIMIT %u",
			     id, PICK(statuses), 10 + rng_below(90));
		break;
	case 3:
		n = snprintf(s, cap, "{\"id\":%u,\"name\":\"%s %s\",\"kind\":\"%s\",\"status\":\"%s\","
			     "\"created_at\":%llu,\"score\":%u.%02u}",
			     id, PICK(words), PICK(words), PICK(kinds), PICK(statuses), ts,
			     rng_below(100), rng_below(100));
		break;
	case 4:
		n = snprintf(s, cap, "%s:%u:%s", PICK(kinds), id,
			     rng_below(2) ? "profile" : "settings");
		break;
	default:
		n = snprintf(s, cap, "session:%016llx%016llx",
			     (unsigned long long)rng(), (unsigned long long)rng());
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

static char *make_text(void)
{
	char buf[512];
	size_t len = gen_text(buf, sizeof(buf));
	char *s = xmalloc(len + 1);

	memcpy(s, buf, len + 1);
	return s;
}

static void fill_heap(size_t target)
{
	struct record *prev = NULL;
	uint64_t id = 1, now = 1700000000ULL * 1000000000ULL;
	size_t nrec = 0;

	while (heap_bytes < target) {
		unsigned kind = rng_below(10);

		if (kind < 7) {
			/* records, most of which own a text buffer */
			struct record *r = xmalloc(sizeof(*r));

			memset(r, 0, sizeof(*r));
			r->next = all_records;
			r->peer = prev && rng_below(2) ? prev : all_records;
			r->text = rng_below(3) ? make_text() : NULL;
			r->id = id++;
			now += rng_below(5000000);
			r->created_ns = now;
			r->token = rng();
			r->state = rng_below(4);
			r->refcount = 1 + rng_below(3);
			r->nrequests = rng_below(8) ? rng_below(50) : rng_below(100000);
			r->port = (uint16_t)(1024 + rng_below(60000));
			r->flags = (uint16_t)(rng_below(16) << 4);
			snprintf(r->name, sizeof(r->name), "%s-%" PRIu64,
				 PICK(kinds), r->id);
			all_records = r;
			prev = r;
			nrec++;
		} else if (kind < 9) {
			char buf[512];
			size_t len = gen_text(buf, sizeof(buf));
			struct strnode *n = xmalloc(sizeof(*n) + len + 1);

			n->next = all_strings;
			n->len = (uint32_t)len;
			memcpy(n->s, buf, len + 1);
			n->hits = rng_below(4) ? 0 : rng_below(1000);
			all_strings = n;
		} else {
			uint32_t n = 16 + rng_below(240);
			struct counters *c = xmalloc(sizeof(*c) + n * sizeof(uint32_t));

			c->next = all_counters;
			c->n = n;
			for (uint32_t i = 0; i < n; i++)
				c->bucket[i] = rng_below(8) ? rng_below(1000) : 0;
			all_counters = c;
		}
	}
	(void)nrec;
}

/* ------------------------------------------------------------------------ */
/* Workers that block forever.                                               */

static pthread_mutex_t never_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_cond = PTHREAD_COND_INITIALIZER;
static int never_pipe[2];

static pthread_mutex_t started_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t started_cond = PTHREAD_COND_INITIALIZER;
static long nstarted;

static __attribute__((noinline)) void touch_stack(unsigned idx)
{
	volatile unsigned char buf[6 * 1024];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 31u + idx);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static void *worker(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	char c;

	touch_stack(idx);

	pthread_mutex_lock(&started_mutex);
	nstarted++;
	pthread_cond_signal(&started_cond);
	pthread_mutex_unlock(&started_mutex);

	switch (idx % 3) {
	case 0:
		pthread_mutex_lock(&never_mutex);
		for (;;)
			pthread_cond_wait(&never_cond, &never_mutex);
	case 1:
		for (;;)
			if (read(never_pipe[0], &c, 1) == 0)
				pause();	/* write end closed: cannot happen */
	default:
		for (;;) {
			struct pollfd pfd = { .fd = never_pipe[0], .events = POLLIN };

			if (poll(&pfd, 1, -1) > 0)
				pause();
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */

static volatile sig_atomic_t terminate;

static void on_sigterm(int sig)
{
	(void)sig;
	terminate = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("%s: expected an integer in [%ld, %ld], got '%s'", opt, min, max, s);
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: %s --threads N --heap-mib M --gap-file PATH\n", progname);
	exit(2);
}

int main(int argc, char **argv)
{
	long nthreads = -1, heap_mib = -1;
	const char *gap_path = NULL;
	struct sigaction sa;
	sigset_t block, old;
	pthread_attr_t attr;
	uint64_t *gap;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthreads = parse_long("--threads", argv[++i], 1, 100000);
		else if (!strcmp(argv[i], "--heap-mib") && i + 1 < argc)
			heap_mib = parse_long("--heap-mib", argv[++i], 0, 1L << 20);
		else if (!strcmp(argv[i], "--gap-file") && i + 1 < argc)
			gap_path = argv[++i];
		else
			usage();
	}
	if (nthreads < 0 || heap_mib < 0 || !gap_path)
		usage();

	/* the gap file: one little-endian uint64, shared with the benchmark */
	fd = open(gap_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die("%s: %s", gap_path, strerror(errno));
	if (ftruncate(fd, sizeof(uint64_t)) < 0)
		die("%s: ftruncate: %s", gap_path, strerror(errno));
	gap = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (gap == MAP_FAILED)
		die("%s: mmap: %s", gap_path, strerror(errno));
	close(fd);
	__atomic_store_n(gap, htole64(0), __ATOMIC_RELAXED);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigterm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		die("sigaction: %s", strerror(errno));

	fill_heap((size_t)heap_mib << 20);

	if (pipe2(never_pipe, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));

	/* workers never see SIGTERM: it goes to the heartbeat (main) thread */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (long i = 0; i < nthreads - 1; i++) {
		pthread_t t;
		int err = pthread_create(&t, &attr, worker, (void *)(uintptr_t)i);

		if (err)
			die("pthread_create (thread %ld of %ld): %s", i + 2, nthreads, strerror(err));
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	pthread_mutex_lock(&started_mutex);
	while (nstarted < nthreads - 1)
		pthread_cond_wait(&started_cond, &started_mutex);
	pthread_mutex_unlock(&started_mutex);
	/* give the workers a moment to reach their blocking call */
	usleep(100 * 1000);

	printf("ready %ld\n", (long)getpid());
	fflush(stdout);

	/* heartbeat */
	uint64_t prev = now_ns();
	const struct timespec one_ms = { .tv_sec = 0, .tv_nsec = 1000000 };

	while (!terminate) {
		nanosleep(&one_ms, NULL);
		uint64_t t = now_ns();
		uint64_t g = t - prev;

		prev = t;
		if (g > le64toh(__atomic_load_n(gap, __ATOMIC_RELAXED)))
			__atomic_store_n(gap, htole64(g), __ATOMIC_RELAXED);
	}
	fprintf(stderr, "%s: pid %ld: SIGTERM, heap %zu MiB, exiting\n", progname,
		(long)getpid(), heap_bytes >> 20);
	return 0;
}
