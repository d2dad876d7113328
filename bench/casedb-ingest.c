/*
 * casedb-ingest: the ingest half of bench/casedb.sh (see bench/README.md).
 *
 *   casedb-ingest --db PATH|URI --cases N [--first K --step J] [--quiet] CORE...
 *
 * Analyzes each CORE once, as `hanganalyze CORE` does (file_case_analyze()
 * with the default user-rule directories, file_case_load_rules(), and no
 * other option), then stores N cases, round-robin over the cores, into the case database
 * at PATH (or the PostgreSQL server at URI) through file_case_store(); with --first
 * and --step only cases K, K+J, K+2J, … of the N (so that J processes at once store
 * distinct cases: the concurrent ingest of bench/casedb.sh). Every case is a distinct core, as a fleet
 * would send them: before each store the model is varied the way another
 * process hitting the same hang would differ —
 *   - the core content hash (cases are unique by it), and the capture time
 *     (cases spread back in time, 259 s apart);
 *   - every tid and the pid shifted by a per-case offset: threads, the tid
 *     index, the HANGSNAP thread records, wait-for edges, lock owners, child
 *     pids, findings' thread lists, and the decimal tids inside findings'
 *     summaries, evidence and hints, wait descriptions and decoded syscalls;
 *   - every user-space address moved by a per-case, page-aligned ASLR-like
 *     delta: frame pcs and sps, registers, syscall arguments, lock/futex
 *     words, module ranges, and the hex addresses inside those strings —
 * while function names, and so the signature (m->signature, computed from
 * normalized function names), stay as they are: real repeats of one hang.
 * The reports a stored case keeps (text, JSON and HTML: the renderer
 * table's stored formats) are rendered again for each case and stored with
 * it through file_case_render() and file_case_store(), the path analyze
 * takes, so the stored reports are the ones this case would print.
 *
 * It prints the store rate (CLOCK_MONOTONIC around each file_case_store() only;
 * the varying and the rendering are timed apart), per core and over the
 * first and last tenth of the cases, store latency percentiles, the row
 * counts and the database size (closed: the WAL checkpointed and removed,
 * plus any -wal left), and a per-table size breakdown when SQLite has the
 * dbstat table. Lines starting "result " are for bench/casedb.sh.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "analyzer/analyze.h"
#include "analyzer/user_rules.h"
#include "casedb/casedb.h"
#include "casedb/file_case.h"
#include "common/strbuf.h"
#include "reports/report.h"

#define USER_ADDR_MIN 0x10000ull
#define USER_ADDR_END 0x800000000000ull	/* x86-64 user space ends below this */
#define CAPTURE_STEP_NS (259ull * 1000000000ull)

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("casedb-ingest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void die_err(struct hs_error *err, const char *what, const char *arg)
{
	die("%s '%s': %s", what, arg, hs_error_message(err));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- one analyzed core and how far it has been moved -------------------- */

/* An owned string of the model and its text as analyzed (the base to rewrite from). */
struct owned_string {
	char **slot;
	char *base;
};

struct source {
	const char *path;
	struct model *m;
	uint64_t base_hash, base_captured;
	int32_t base_pid;
	int32_t *base_tids;		/* sorted: the tids whose decimal form is rewritten in strings */
	size_t nbase_tids;
	struct owned_string *strings;
	size_t nstrings, strings_cap;
	int64_t tid_off;		/* currently applied */
	uint64_t addr_delta;		/* currently applied */
	size_t nframes;
	/* results */
	size_t cases;
	uint64_t store_ns, render_ns, report_bytes;
};

static void add_string(struct source *s, char **slot)
{
	if (!*slot)
		return;
	if (s->nstrings == s->strings_cap) {
		s->strings_cap = s->strings_cap ? 2 * s->strings_cap : 64;
		if (!(s->strings = realloc(s->strings, s->strings_cap * sizeof(*s->strings))))
			die("out of memory");
	}
	s->strings[s->nstrings].slot = slot;
	if (!(s->strings[s->nstrings].base = strdup(*slot)))
		die("out of memory");
	s->nstrings++;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static bool is_base_tid(const struct source *s, long long v)
{
	int32_t key;

	if (v <= 0 || v > INT32_MAX)
		return false;
	key = (int32_t)v;
	return bsearch(&key, s->base_tids, s->nbase_tids, sizeof(key), cmp_i32) != NULL;
}

static bool is_ident(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* A number ends at end: not part of a word, a version or an address like 127.0.0.1. */
static bool number_ends(const char *end)
{
	return !is_ident(*end) && !(*end == '.' && end[1] >= '0' && end[1] <= '9');
}

/*
 * base with the tids (whole decimal numbers that are a thread or process of
 * the core) shifted by tid_off and the user-space hex addresses (0x...) by
 * addr_delta.
 */
static char *rewrite(const struct source *s, const char *base, int64_t tid_off, uint64_t addr_delta)
{
	struct strbuf sb;
	const char *p = base;

	strbuf_init(&sb);
	while (*p) {
		bool boundary = p == base || (!is_ident(p[-1]) && p[-1] != '.');
		char *end;

		if (boundary && p[0] == '0' && p[1] == 'x') {
			unsigned long long v = strtoull(p + 2, &end, 16);
			if (end > p + 2 && number_ends(end) && v >= USER_ADDR_MIN && v < USER_ADDR_END) {
				if (!strbuf_appendf(&sb, "0x%llx", v + addr_delta))
					die("out of memory");
				p = end;
				continue;
			}
		} else if (boundary && *p >= '1' && *p <= '9') {
			long long v = strtoll(p, &end, 10);
			if (number_ends(end) && is_base_tid(s, v)) {
				if (!strbuf_appendf(&sb, "%lld", v + tid_off))
					die("out of memory");
				p = end;
				continue;
			}
			/* copy the whole number: no tid inside it */
			if (!strbuf_append(&sb, p, (size_t)(end - p)))
				die("out of memory");
			p = end;
			continue;
		}
		if (!strbuf_append(&sb, p, 1))
			die("out of memory");
		p++;
	}
	if (!sb.buf && !strbuf_append(&sb, "", 0))
		die("out of memory");
	if (!sb.buf && !(sb.buf = strdup("")))
		die("out of memory");
	return strbuf_detach(&sb, NULL);
}

static uint64_t move_addr(uint64_t v, uint64_t delta)
{
	return v >= USER_ADDR_MIN && v < USER_ADDR_END ? v + delta : v;
}

static int32_t move_tid(int32_t tid, int32_t d)
{
	return tid > 0 ? tid + d : tid;
}

static void open_source(struct source *s, const char *path, const struct analyze_options *opts)
{
	enum file_case_step step;
	struct hs_error *err;
	struct model *m;

	memset(s, 0, sizeof(*s));
	s->path = path;
	if ((err = file_case_analyze(path, opts, NULL, NULL, &m, &step)))
		die_err(err, step == FILE_CASE_READ ? "cannot read core" : "cannot analyze core", path);
	s->m = m;
	s->base_hash = elfcore_content_hash(m->core);
	s->base_captured = m->captured_real_ns ? m->captured_real_ns : (uint64_t)time(NULL) * 1000000000ull;
	s->base_pid = m->pid;
	if (!(s->base_tids = calloc(m->threads.len + 1, sizeof(int32_t))))
		die("out of memory");
	for (size_t i = 0; i < m->threads.len; i++) {
		struct thread *t = &m->threads.items[i];
		s->base_tids[s->nbase_tids++] = t->tid;
		s->nframes += t->frames.len;
		add_string(s, &t->syscall.text);
		add_string(s, &t->waits_on);
		add_string(s, &t->unwind_error);
	}
	if (m->pid > 0)
		s->base_tids[s->nbase_tids++] = m->pid;
	qsort(s->base_tids, s->nbase_tids, sizeof(int32_t), cmp_i32);
	for (size_t i = 0; i < m->findings.len; i++) {
		struct finding *f = &m->findings.items[i];
		add_string(s, &f->summary);
		add_string(s, &f->hint);
		for (size_t k = 0; k < f->evidence.len; k++)
			add_string(s, &f->evidence.items[k]);
	}
}

/* Moves the source's model to case k's tids, addresses, hash and capture time. */
static void vary(struct source *s, size_t k, size_t ncases)
{
	struct model *m = s->m;
	uint64_t r = splitmix64(k + 1);
	/* pid_max is 4194304 by default on 64-bit: stay under it */
	int64_t tid_off = (int64_t)((k * 7919u) % 3000000u);
	uint64_t addr_delta = ((r >> 20) & 0xffffu) << 12;	/* up to 256 MiB, page-aligned */
	int32_t dt = (int32_t)(tid_off - s->tid_off);
	uint64_t da = addr_delta - s->addr_delta;	/* mod 2^64: moves back as well as forth */

	m->core->content_hash = splitmix64(s->base_hash ^ r);
	m->core->content_hashed = true;
	m->captured_real_ns = s->base_captured - (uint64_t)(ncases - 1 - k) * CAPTURE_STEP_NS;
	m->pid = move_tid(m->pid, dt);
	for (size_t i = 0; i < m->threads.len; i++) {
		struct thread *t = &m->threads.items[i];
		t->tid = move_tid(t->tid, dt);
		t->waits_for = move_tid(t->waits_for, dt);
		t->blocked.owner = move_tid(t->blocked.owner, dt);
		if (t->blocked.child > 0)
			t->blocked.child += dt;
		if (t->blocked.addr)
			t->blocked.addr = move_addr(t->blocked.addr, da);
		for (size_t g = 0; g < GREG_COUNT; g++)
			t->regs[g] = move_addr(t->regs[g], da);
		for (size_t a = 0; a < 6; a++)
			t->syscall.args[a] = move_addr(t->syscall.args[a], da);
		for (size_t f = 0; f < t->frames.len; f++) {
			t->frames.items[f].pc = move_addr(t->frames.items[f].pc, da);
			t->frames.items[f].sp = move_addr(t->frames.items[f].sp, da);
		}
		if (t->ctx) {
			/* the core's HANGSNAP record of this thread (owned by the core, not shared) */
			struct hs_thread_info *ti = (struct hs_thread_info *)t->ctx;
			ti->tid = move_tid(ti->tid, dt);
			ti->syscall_sp = move_addr(ti->syscall_sp, da);
			ti->syscall_pc = move_addr(ti->syscall_pc, da);
			for (size_t a = 0; a < 6; a++)
				ti->syscall_args[a] = move_addr(ti->syscall_args[a], da);
		}
	}
	/* the same offset for every tid keeps the index sorted */
	for (size_t i = 0; m->tid_index && i < m->threads.len; i++)
		m->tid_index[i].tid = move_tid(m->tid_index[i].tid, dt);
	for (size_t i = 0; i < m->findings.len; i++) {
		struct tid_list *l = &m->findings.items[i].threads;
		for (size_t k2 = 0; k2 < l->len; k2++)
			l->items[k2] = move_tid(l->items[k2], dt);
	}
	for (size_t i = 0; i < m->modules.len; i++) {
		m->modules.items[i].start = move_addr(m->modules.items[i].start, da);
		m->modules.items[i].end = move_addr(m->modules.items[i].end, da);
	}
	for (size_t i = 0; i < s->nstrings; i++) {
		free(*s->strings[i].slot);
		*s->strings[i].slot = rewrite(s, s->strings[i].base, tid_off, addr_delta);
	}
	s->tid_off = tid_off;
	s->addr_delta = addr_delta;
}

/* ---- the default user rules, as analyze loads them ----------------------- */

static struct user_rules *default_rules(void)
{
	struct user_rules *r;
	struct hs_error *err;

	if ((err = file_case_load_rules(NULL, 0, true, &r)))
		die("cannot load user rules: %s", hs_error_message(err));
	return r;
}

/* ---- reporting ------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static double pct(const uint64_t *sorted, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)sorted[i < n ? i : n - 1] / 1e6;
}

static int64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* Row counts and bytes, as the database tells them (casedb_stats: no SQL here). */
static int64_t describe_db(struct casedb *db)
{
	struct casedb_stats st;
	struct hs_error *err;

	if ((err = casedb_stats(db, &st))) {
		fprintf(stderr, "casedb-ingest: cannot count rows: %s\n", hs_error_message(err));
		hs_error_destroy(err);
		return 0;
	}
	printf("rows:");
	for (size_t i = 0; i < CASEDB_STAT_TABLES; i++)
		printf(" %s %lld", casedb_stat_tables[i], (long long)st.rows[i]);
	printf("\ndatabase: %.1f MiB in use%s%s\n", (double)st.bytes / 1048576.0, st.detail[0] ? "; by table: " : "",
	       st.detail);
	return st.bytes;
}

static void usage(void)
{
	fputs("usage: casedb-ingest --db PATH|URI --cases N [--first K --step J] [--quiet] CORE...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *db_path = NULL;
	long long ncases = -1;
	size_t kfirst = 0, kstep = 1;
	bool quiet = false;
	int first_core = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db_path = argv[++i];
		else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			ncases = strtoll(argv[++i], &end, 10);
			if (errno || *end || ncases < 1 || ncases > 100000000)
				die("--cases wants a positive number, got '%s'", argv[i]);
		} else if ((strcmp(argv[i], "--first") == 0 || strcmp(argv[i], "--step") == 0) && i + 1 < argc) {
			char *end;
			long long v;
			bool first = strcmp(argv[i], "--first") == 0;
			errno = 0;
			v = strtoll(argv[++i], &end, 10);
			if (errno || *end || v < (first ? 0 : 1) || v > 100000000)
				die("%s wants a %s number, got '%s'", argv[i - 1], first ? "non-negative" : "positive", argv[i]);
			*(first ? &kfirst : &kstep) = (size_t)v;
		} else if (strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else if (argv[i][0] == '-' && argv[i][1])
			usage();
		else {
			first_core = i;
			break;
		}
	}
	if (!db_path || ncases < 1 || !first_core)
		usage();

	size_t nsrc = (size_t)(argc - first_core), n = (size_t)ncases;
	struct source *src = calloc(nsrc, sizeof(*src));
	uint64_t *lat = calloc(n, sizeof(*lat));
	struct user_rules *rules = default_rules();
	struct analyze_options mopts = { .user_rules = rules };
	struct file_case_reports reports;
	struct casedb *db;
	struct hs_error *err;
	uint64_t t0, analyze_ns, vary_ns = 0, render_ns = 0, store_ns = 0, wall0;
	size_t existed = 0, new_groups = 0;

	if (!src || !lat)
		die("out of memory");
	t0 = now_ns();
	for (size_t i = 0; i < nsrc; i++) {
		open_source(&src[i], argv[first_core + (int)i], &mopts);
		printf("core %zu: %s: pid %d, %zu threads, %zu frames, %zu findings, signature %s%s%s\n", i, src[i].path,
		       src[i].m->pid, src[i].m->threads.len, src[i].nframes, src[i].m->findings.len,
		       src[i].m->signature.hash ? src[i].m->signature.hash : "none (no hang found)",
		       src[i].m->signature.text ? ": " : "", src[i].m->signature.text ? src[i].m->signature.text : "");
	}
	analyze_ns = now_ns() - t0;
	printf("database %s: %s\n", casedb_is_server(db_path) ? "PostgreSQL server" : "SQLite file", db_path);

	if ((err = casedb_open(db_path, true, &db)))
		die_err(err, "cannot open database", db_path);

	/* rendered anew for each case: file_case_render() empties it first */
	file_case_reports_init(&reports);
	wall0 = now_ns();
	size_t done = 0;
	for (size_t k = kfirst; k < n; k += kstep) {
		struct source *s = &src[k % nsrc];
		struct report_options ropts = { .core_path = s->path };
		struct casedb_stored stored;
		char *sig_before = s->m->signature.hash;
		uint64_t a, b, c, d;

		a = now_ns();
		vary(s, k, n);
		b = now_ns();
		if ((err = file_case_render(s->m, &ropts, true, NULL, &reports)))
			die("cannot render the reports: %s", hs_error_message(err));
		c = now_ns();
		if ((err = file_case_store(db, s->m, s->path, &reports, &stored)))
			die_err(err, "cannot store a case in", db_path);
		d = now_ns();
		if (s->m->signature.hash != sig_before)
			die("the signature changed");	/* vary() must never touch it */
		vary_ns += b - a;
		render_ns += c - b;
		store_ns += d - c;
		lat[done++] = d - c;
		s->cases++;
		s->store_ns += d - c;
		s->render_ns += c - b;
		s->report_bytes += file_case_stored_bytes(&reports);
		existed += stored.existed;
		new_groups += s->m->signature.hash && stored.count == 1;
		if (!quiet && done % 1000 == 0)
			fprintf(stderr, "casedb-ingest: %zu cases, %.0f cases/s (store only) so far\n", done,
				(double)done / ((double)store_ns / 1e9));
	}
	if (!done)
		die("no case index from %zu by %zu below %zu", kfirst, kstep, n);
	file_case_reports_deinit(&reports);
	uint64_t wall_ns = now_ns() - wall0;
	bool server = casedb_is_server(db_path);
	int64_t open_size = server ? 0 : file_size(db_path), open_wal = 0, used = describe_db(db);
	{
		char wal[4096];
		snprintf(wal, sizeof(wal), "%s-wal", db_path);
		open_wal = server ? 0 : file_size(wal);
		t0 = now_ns();
		casedb_close(db);	/* the last connection: checkpoints and removes the WAL */
		uint64_t close_ns = now_ns() - t0;
		int64_t size = server ? 0 : file_size(db_path), wal_size = server ? 0 : file_size(wal);
		n = done;

		printf("analyzed %zu cores once in %.0f ms\n", nsrc, (double)analyze_ns / 1e6);
		printf("stored %zu cases (%zu already present, %zu new signature groups) in %.2f s of casedb_store "
		       "(wall %.2f s: + %.2f s varying, %.2f s rendering)\n",
		       n, existed, new_groups, (double)store_ns / 1e9, (double)wall_ns / 1e9, (double)vary_ns / 1e9,
		       (double)render_ns / 1e9);
		for (size_t i = 0; i < nsrc; i++) {
			struct source *s = &src[i];
			if (!s->cases)
				continue;
			printf("  core %zu (%zu threads, %zu frames): %zu cases, store %.0f cases/s (%.2f ms each), "
			       "render %.2f ms each, reports %.1f KiB each before zstd\n",
			       i, s->m->threads.len, s->nframes, s->cases, (double)s->cases / ((double)s->store_ns / 1e9),
			       (double)s->store_ns / 1e6 / (double)s->cases, (double)s->render_ns / 1e6 / (double)s->cases,
			       (double)s->report_bytes / 1024.0 / (double)s->cases);
		}
		size_t tenth = n >= 10 ? n / 10 : 1;
		uint64_t head = 0, tail = 0;
		for (size_t k = 0; k < tenth; k++) {
			head += lat[k];
			tail += lat[n - 1 - k];
		}
		printf("store rate, first %zu cases: %.0f cases/s; last %zu cases: %.0f cases/s\n", tenth,
		       (double)tenth / ((double)head / 1e9), tenth, (double)tenth / ((double)tail / 1e9));
		qsort(lat, n, sizeof(*lat), cmp_u64);
		size_t slow = 0;
		for (size_t k = 0; k < n; k++)
			slow += lat[k] > 3000000;
		printf("casedb_store latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %zu stores over 3 ms\n",
		       pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99), pct(lat, n, 100), slow);
		if (!server)
			printf("database: %.1f MiB + %.1f MiB WAL while open; after close (checkpoint) %.1f MiB + %.1f MiB WAL "
			       "(close took %.0f ms), %.1f KiB per case\n",
			       (double)open_size / 1048576.0, (double)open_wal / 1048576.0, (double)size / 1048576.0,
			       (double)wal_size / 1048576.0, (double)close_ns / 1e6, (double)(size + wal_size) / 1024.0 / (double)n);
		printf("result cases %zu\n", n);
		printf("result store_ns %" PRIu64 "\n", store_ns);
		printf("result render_ns %" PRIu64 "\n", render_ns);
		printf("result db_bytes %" PRId64 "\n", server ? used : size + wal_size);
		printf("result wall_ns %" PRIu64 "\n", wall_ns);
		for (size_t i = 0; i < nsrc; i++)
			if (src[i].cases)
				printf("result core %zu threads %zu cases %zu store_ns %" PRIu64 "\n", i,
				       src[i].m->threads.len, src[i].cases, src[i].store_ns);
	}
	for (size_t i = 0; i < nsrc; i++) {
		for (size_t k = 0; k < src[i].nstrings; k++)
			free(src[i].strings[k].base);
		free(src[i].strings);
		free(src[i].base_tids);
		model_destroy(src[i].m);
	}
	user_rules_destroy(rules);
	free(lat);
	free(src);
	return existed ? 1 : 0;
}
