/*
 * The front of the case database (casedb.h): picks the backend by what
 * --db names (a path: SQLite; a libpq connection string: PostgreSQL),
 * turns a model into the rows of a case, and keeps a case that cannot reach
 * the server in a local SQLite spool until the server takes it.
 */
#include "casedb/casedb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "analyzer/names.h"
#include "casedb/backend.h"
#include "common/strbuf.h"
#include "common/util.h"

#define REPORT_MAX (256u << 20)
/* how long a store keeps trying an unreachable server before it spools the case */
#define RETRY_BUDGET_MS 3000
#define PUSH_BATCH 64

struct casedb {
	const struct casedb_backend *be;
	void *impl;			/* NULL: the server was unreachable at open (analyze spools) */
	struct hs_error *open_err;	/* why impl is NULL */
	char *spec, *display;
	bool server;
	char *spool_path;		/* the server's spool file, NULL for SQLite */
};

/* ---- small things ---------------------------------------------------- */

void casedb_record_deinit(struct casedb_record *r)
{
	for (size_t i = 0; i < r->owned.len; i++)
		free(r->owned.items[i]);
	VEC_DEINIT(&r->owned);
	VEC_DEINIT(&r->reports);
	VEC_DEINIT(&r->threads);
	VEC_DEINIT(&r->frames);
	VEC_DEINIT(&r->findings);
}

void *casedb_record_keep(struct casedb_record *r, const void *data, size_t n)
{
	char *p = malloc(n + 1);
	void **slot;

	if (!p)
		return NULL;
	if (!(slot = VEC_PUSH(&r->owned))) {
		free(p);
		return NULL;
	}
	if (n && data)
		memcpy(p, data, n);
	p[n] = '\0';
	*slot = p;
	return p;
}

/* The checked prefix of a signature hash, 4 to 16 lowercase hex digits. */
static bool valid_prefix(const char *prefix)
{
	size_t n = strlen(prefix);

	if (n < 4 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((prefix[i] >= '0' && prefix[i] <= '9') || (prefix[i] >= 'a' && prefix[i] <= 'f')))
			return false;
	return true;
}

struct hs_error *casedb_check_version(const char *display, int64_t version)
{
	/* we only ever set 0..CASEDB_SCHEMA_VERSION; below that it would index the migrations */
	if (version < 0)
		return hs_error_create(HS_ERR_FORMAT, "database '%s' is damaged: schema version %lld", display,
				       (long long)version);
	if (version > CASEDB_SCHEMA_VERSION)
		return hs_error_create(HS_ERR_FORMAT,
				       "database '%s' has schema version %lld, newer than this hanganalyze's %d: "
				       "use a newer hanganalyze (the database was not modified)",
				       display, (long long)version, CASEDB_SCHEMA_VERSION);
	return NULL;
}

struct hs_error *casedb_unreachable_error(const char *fmt, ...)
{
	struct hs_error *err;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &hs_error_nomem;
	err = hs_error_create(HS_ERR_OS, "%s", msg);
	free(msg);
	if (err != &hs_error_nomem)
		err->errnum = ENOTCONN;
	return err;
}

bool casedb_is_unreachable(const struct hs_error *err)
{
	return err && err->kind == HS_ERR_OS && err->errnum == ENOTCONN;
}

void casedb_group_list_deinit(struct casedb_group_list *l)
{
	for (size_t i = 0; i < l->len; i++) {
		struct casedb_group *g = &l->items[i];
		free(g->hash);
		free(g->rule);
		free(g->summary);
		free(g->status);
		free(g->hosts);
		free(g->note);
		free(g->ticket);
		free(g->fixed_in);
		free(g->text);
	}
	VEC_DEINIT(l);
}

char *casedb_default_path(void)
{
	const char *env = getenv("HANGANALYZE_DB"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *path;

	if (env && *env)
		return strdup(env);
	if (xdg && *xdg)
		return asprintf(&path, "%s/hanganalyze/cases.db", xdg) < 0 ? NULL : path;
	return asprintf(&path, "%s/.local/share/hanganalyze/cases.db", home && *home ? home : ".") < 0 ? NULL : path;
}

bool casedb_is_server(const char *spec)
{
	return casedb_pg_is_conninfo(spec);
}

/* ${XDG_STATE_HOME:-~/.local/state}/hanganalyze/spool/<hash of the server's name>.db */
static char *spool_path(const char *display)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	unsigned long long h = (unsigned long long)hs_fnv1a(display, strlen(display), 0xcbf29ce484222325ull);
	char *path;
	int n;

	if (xdg && *xdg)
		n = asprintf(&path, "%s/hanganalyze/spool/%016llx.db", xdg, h);
	else
		n = asprintf(&path, "%s/.local/state/hanganalyze/spool/%016llx.db", home && *home ? home : ".", h);
	return n < 0 ? NULL : path;
}

/* ---- open and close -------------------------------------------------- */

static struct hs_error *open_version(const char *spec, bool create, int version, struct casedb **ret)
{
	struct casedb *db = calloc(1, sizeof(*db));
	struct hs_error *err;

	if (!db)
		return &hs_error_nomem;
	db->server = casedb_is_server(spec);
	db->be = db->server ? &casedb_pg_backend : &casedb_sqlite_backend;
	if (!(db->spec = strdup(spec)) || !(db->display = db->server ? casedb_pg_display(spec) : strdup(spec)) ||
	    (db->server && !(db->spool_path = spool_path(db->display)))) {
		casedb_close(db);
		return &hs_error_nomem;
	}
	if ((err = db->be->open(db->spec, db->display, create, version, &db->impl))) {
		/* an ingest (create) goes on without the server: its case will wait in the spool */
		if (!(create && db->server && casedb_is_unreachable(err) && version == CASEDB_SCHEMA_VERSION)) {
			casedb_close(db);
			return err;
		}
		db->impl = NULL;
		db->open_err = err;
	}
	*ret = db;
	return NULL;
}

struct hs_error *casedb_open(const char *spec, bool create, struct casedb **ret)
{
	return open_version(spec, create, CASEDB_SCHEMA_VERSION, ret);
}

struct hs_error *casedb_create_at_version(const char *spec, int version)
{
	struct casedb *db;
	struct hs_error *err;

	if (version < 1 || version > CASEDB_SCHEMA_VERSION)
		return hs_error_create(HS_ERR_INVALID, "no schema version %d", version);
	if ((err = open_version(spec, true, version, &db)))
		return err;
	casedb_close(db);
	return NULL;
}

void casedb_close(struct casedb *db)
{
	if (!db)
		return;
	if (db->impl)
		db->be->close(db->impl);
	hs_error_destroy(db->open_err);
	free(db->spec);
	free(db->display);
	free(db->spool_path);
	free(db);
}

const char *casedb_name(const struct casedb *db)
{
	return db->display;
}

const char *casedb_spool_path(const struct casedb *db)
{
	return db->spool_path;
}

/* The server's connection, or why there is none. */
static struct hs_error *connected(struct casedb *db)
{
	if (db->impl)
		return NULL;
	return hs_error_create(db->open_err ? db->open_err->kind : HS_ERR_OS, "%s",
			       db->open_err ? hs_error_message(db->open_err) : "no connection");
}

/* ---- store ------------------------------------------------------------ */

static const char *const frame_hows[] = { "initial", "cfi", "frame_pointer", "inline" };

struct tid_at {
	int32_t tid;
	size_t index;
};

static int compare_tid_at(const void *a, const void *b)
{
	const struct tid_at *x = a, *y = b;

	if (x->tid != y->tid)
		return (x->tid > y->tid) - (x->tid < y->tid);
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Which threads of m repeat a tid seen earlier in m->threads (a damaged
 * core): *ret is NULL when none does (the usual case), else a flag per
 * thread. O(n log n): a core may hold 100,000 threads.
 */
static struct hs_error *repeated_tids(const struct model *m, bool **ret)
{
	struct tid_at *sorted;
	bool *repeat = NULL;

	*ret = NULL;
	if (m->threads.len < 2)
		return NULL;
	if (!(sorted = malloc(m->threads.len * sizeof(*sorted))))
		return &hs_error_nomem;
	for (size_t i = 0; i < m->threads.len; i++)
		sorted[i] = (struct tid_at){ m->threads.items[i].tid, i };
	qsort(sorted, m->threads.len, sizeof(*sorted), compare_tid_at);
	for (size_t i = 1; i < m->threads.len; i++) {
		if (sorted[i].tid != sorted[i - 1].tid)
			continue;
		if (!repeat && !(repeat = calloc(m->threads.len, sizeof(*repeat)))) {
			free(sorted);
			return &hs_error_nomem;
		}
		repeat[sorted[i].index] = true;
	}
	free(sorted);
	*ret = repeat;
	return NULL;
}

/* The key a case is stored and found under: m's content hash in hex (core_hash[17]). */
static void core_hash_of(const struct model *m, char *out, size_t size)
{
	snprintf(out, size, "%016llx", (unsigned long long)model_content_hash(m));
}

/* The rows of m's case; strings point into m, compressed reports into r->owned. */
static struct hs_error *record_from_model(const struct model *m, const char *core_path,
					  const struct casedb_report *reports, size_t nreports, struct casedb_record *r)
{
	int64_t now = (int64_t)hs_now_real_ns();
	struct strbuf tids;
	struct hs_error *err;
	bool *repeat;

	core_hash_of(m, r->core_hash, sizeof(r->core_hash));
	r->core_path = core_path;
	r->pid = m->pid;
	r->comm = m->comm;
	r->exe = m->exe;
	r->build_id = m->build_id;
	r->cmdline = m->cmdline;
	r->host = m->host;
	r->has_captured = m->captured_real_ns != 0;
	r->captured_ns = (int64_t)m->captured_real_ns;
	r->has_frozen = m->producer == PRODUCER_HANGSNAP;
	r->frozen_ns = (int64_t)m->freeze_ns;
	r->analyzed_ns = now;
	r->nthreads = (int64_t)m->threads.len;
	r->seen_ns = r->has_captured ? r->captured_ns : now;
	for (size_t i = 0; i < nreports; i++) {
		struct casedb_rec_report *p = VEC_PUSH(&r->reports);
		size_t bound = ZSTD_compressBound(reports[i].len), clen;
		void *buf;

		if (!p || !(buf = casedb_record_keep(r, NULL, bound)))
			return &hs_error_nomem;
		clen = ZSTD_compress(buf, bound, reports[i].data, reports[i].len, 3);
		if (ZSTD_isError(clen))
			return hs_error_create(HS_ERR_INTERNAL, "cannot compress a report: %s", ZSTD_getErrorName(clen));
		*p = (struct casedb_rec_report){ reports[i].format, (int64_t)reports[i].len, buf, clen };
	}
	/* a tid is one thread of a case: the first of a repeated tid (a damaged core) is kept */
	if ((err = repeated_tids(m, &repeat)))
		return err;
	for (size_t i = 0; i < m->threads.len; i++) {
		const struct thread *t = &m->threads.items[i];
		struct casedb_rec_thread *rt;

		if (repeat && repeat[i])
			continue;
		if (!(rt = VEC_PUSH(&r->threads))) {
			free(repeat);
			return &hs_error_nomem;
		}
		*rt = (struct casedb_rec_thread){
			.tid = t->tid, .name = t->name, .syscall = t->syscall.text,
			.wait_kind = wait_kind_name(t->blocked.kind), .waits_for = t->waits_for,
		};
		if (t->state && !(rt->state = casedb_record_keep(r, &t->state, 1))) {
			free(repeat);
			return &hs_error_nomem;
		}
		for (size_t k = 0; k < t->frames.len; k++) {
			const struct frame *f = &t->frames.items[k];
			struct casedb_rec_frame *rf = VEC_PUSH(&r->frames);

			if (!rf) {
				free(repeat);
				return &hs_error_nomem;
			}
			*rf = (struct casedb_rec_frame){
				.tid = t->tid, .idx = (int64_t)k, .pc = (int64_t)f->pc, .offset = (int64_t)f->offset,
				.line = f->line, .inlined = f->inlined, .function = f->function, .module = f->module,
				.file = f->file, .how = (unsigned)f->how < 4 ? frame_hows[f->how] : "?",
			};
		}
	}
	free(repeat);
	strbuf_init(&tids);
	for (size_t i = 0; i < m->findings.len; i++) {
		const struct finding *f = &m->findings.items[i];
		struct casedb_rec_finding *rf = VEC_PUSH(&r->findings);
		const char *list;

		tids.len = 0;
		for (size_t k = 0; k < f->threads.len && rf; k++)
			if (!strbuf_appendf(&tids, "%s%d", k ? " " : "", f->threads.items[k]))
				rf = NULL;
		if (!rf || !(list = casedb_record_keep(r, tids.buf ? tids.buf : "", tids.len))) {
			strbuf_deinit(&tids);
			return &hs_error_nomem;
		}
		*rf = (struct casedb_rec_finding){
			.idx = (int64_t)i, .severity = f->severity, .rule = f->rule, .summary = f->summary ? f->summary : "",
			.hint = f->hint, .threads = list,
		};
	}
	strbuf_deinit(&tids);
	if (m->signature.hash && m->findings.len > 0) {
		const struct finding *top = &m->findings.items[0];

		r->sig_hash = m->signature.hash;
		r->sig_version = m->signature.version;
		r->sig_rule = m->signature.rule;
		r->sig_text = m->signature.text;
		r->sig_frames = m->signature.frames ? m->signature.frames : "";
		r->sig_severity = top->severity;
		r->sig_summary = top->summary ? top->summary : "";
	}
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Reconnects to the server: NULL once connected. */
static struct hs_error *reconnect(struct casedb *db)
{
	struct hs_error *err;

	if (db->impl) {
		db->be->close(db->impl);
		db->impl = NULL;
	}
	if ((err = db->be->open(db->spec, db->display, true, CASEDB_SCHEMA_VERSION, &db->impl))) {
		db->impl = NULL;
		return err;
	}
	hs_error_destroy(db->open_err);
	db->open_err = NULL;
	return NULL;
}

/* Stores r on the server, retrying an unreachable one for a while; the last error otherwise. */
static struct hs_error *store_retrying(struct casedb *db, const struct casedb_record *r, struct casedb_stored *ret)
{
	struct hs_error *err = NULL;
	uint64_t deadline = hs_now_real_ns() + (uint64_t)RETRY_BUDGET_MS * 1000000u;
	long step = 100;

	for (;;) {
		if (db->impl) {
			memset(ret, 0, sizeof(*ret));
			err = db->be->store(db->impl, r, ret);
		} else if (!(err = reconnect(db))) {
			continue;
		}
		/* the budget is wall-clock: a server that drops packets costs connect_timeout per try */
		if (!err || !db->server || !casedb_is_unreachable(err) || hs_now_real_ns() >= deadline)
			return err;
		hs_error_destroy(err);
		sleep_ms(step);
		step = step * 2 > 1000 ? 1000 : step * 2;
		if (db->impl) {
			db->be->close(db->impl);
			db->impl = NULL;
		}
	}
}

/* Opens the spool (the server's pending cases), creating it when create. *ret NULL: there is none. */
static struct hs_error *open_spool(struct casedb *db, bool create, void **ret)
{
	struct stat st;

	*ret = NULL;
	if (!create && lstat(db->spool_path, &st) != 0)
		return NULL;
	return casedb_sqlite_backend.open(db->spool_path, db->spool_path, create, CASEDB_SCHEMA_VERSION, ret);
}

/*
 * Stores every case of the SQLite database src into db, in id order, and
 * counts them as added or already there. With forget (the spool), each is
 * removed from src once db has committed it: a send cut short is repeated,
 * and db's unique core hash makes the repeat harmless — exactly once.
 */
static struct hs_error *send_cases(void *src, struct casedb *db, bool forget, int64_t *added, int64_t *existed)
{
	struct hs_error *err;
	int64_t ids[PUSH_BATCH], after = 0;
	size_t n;

	*added = *existed = 0;
	if ((err = connected(db)))
		return err;
	do {
		if ((err = casedb_sqlite_case_ids(src, after, PUSH_BATCH, ids, &n)))
			break;
		for (size_t i = 0; i < n && !err; i++) {
			struct casedb_record r = { 0 };
			struct casedb_stored stored = { 0 };

			after = ids[i];
			if ((err = casedb_sqlite_load(src, ids[i], &r)))
				break;
			err = db->be->store(db->impl, &r, &stored);
			casedb_record_deinit(&r);
			if (!err && forget)
				err = casedb_sqlite_forget(src, ids[i]);
			if (!err)
				(*(stored.existed ? existed : added))++;
		}
	} while (!err && n == PUSH_BATCH);
	return err;
}

/* Sends the spooled cases to the server: *sent of them, *left still waiting (on an error). */
static struct hs_error *drain(struct casedb *db, int64_t *sent, int64_t *left)
{
	struct casedb_stats st;
	int64_t added, existed;
	struct hs_error *err;
	void *spool;

	*sent = *left = 0;
	if ((err = open_spool(db, false, &spool)) || !spool)
		return err;
	err = send_cases(spool, db, true, &added, &existed);
	*sent = added + existed;
	/* what stays behind, for the message */
	if (err) {
		struct hs_error *serr = casedb_sqlite_backend.stats(spool, &st);

		if (!serr)
			*left = st.rows[0];
		hs_error_destroy(serr);
	}
	casedb_sqlite_backend.close(spool);
	return err;
}

struct hs_error *casedb_find_case(struct casedb *db, const struct model *m, bool *found, struct casedb_stored *ret)
{
	char hash[sizeof(((struct casedb_record *)0)->core_hash)];

	memset(ret, 0, sizeof(*ret));
	*found = false;
	if (db->server || !db->impl || !db->be->find_case)
		return NULL;
	core_hash_of(m, hash, sizeof(hash));
	return db->be->find_case(db->impl, hash, found, ret);
}

struct hs_error *casedb_store(struct casedb *db, const struct model *m, const char *core_path,
			      const struct casedb_report *reports, size_t nreports, struct casedb_stored *ret)
{
	struct casedb_record r = { 0 };
	struct hs_error *err;

	memset(ret, 0, sizeof(*ret));
	if ((err = record_from_model(m, core_path, reports, nreports, &r))) {
		casedb_record_deinit(&r);
		return err;
	}
	err = store_retrying(db, &r, ret);
	if (err && db->server && casedb_is_unreachable(err)) {
		void *spool;
		struct hs_error *serr;

		/* the server stays away: the case waits in the spool, and the caller says so */
		if (!(serr = open_spool(db, true, &spool))) {
			memset(ret, 0, sizeof(*ret));
			serr = casedb_sqlite_backend.store(spool, &r, ret);
			casedb_sqlite_backend.close(spool);
		}
		if (!serr) {
			ret->spooled = true;
			snprintf(ret->why, sizeof(ret->why), "%s", hs_error_message(err));
			hs_error_destroy(err);
			err = NULL;
		} else {
			hs_error_destroy(serr);
		}
	} else if (!err && db->server) {
		struct hs_error *derr = drain(db, &ret->pushed, &ret->push_left);

		/* the case is stored; a spool that cannot be sent now is sent by the next one */
		hs_error_destroy(derr);
	}
	casedb_record_deinit(&r);
	return err;
}

struct hs_error *casedb_push(struct casedb *db, int64_t *sent, int64_t *left)
{
	struct hs_error *err;

	*sent = *left = 0;
	if (!db->server)
		return hs_error_create(HS_ERR_INVALID, "'%s' is not a database server: there is nothing to push to it",
				       db->display);
	if ((err = connected(db)))
		return err;
	return drain(db, sent, left);
}

struct hs_error *casedb_copy(const char *from, struct casedb *to, struct casedb_copied *ret)
{
	struct casedb_group_list groups = VEC_INIT;
	struct hs_error *err;
	void *src;

	memset(ret, 0, sizeof(*ret));
	if (casedb_is_server(from))
		return hs_error_create(HS_ERR_INVALID, "copy --from takes an SQLite case database file, not a server");
	if ((err = connected(to)))
		return err;
	if ((err = casedb_sqlite_backend.open(from, from, false, CASEDB_SCHEMA_VERSION, &src)))
		return err;
	err = send_cases(src, to, false, &ret->copied, &ret->existed);
	/* triage decisions come along where the destination has made none */
	if (!err && !(err = casedb_sqlite_backend.queue(src, true, &groups))) {
		for (size_t i = 0; i < groups.len && !err; i++) {
			const struct casedb_group *g = &groups.items[i];
			struct casedb_group_list dest = VEC_INIT;

			if (strcmp(g->status, "new") == 0)
				continue;
			if (!(err = to->be->find_group(to->impl, g->hash, &dest)) && dest.len == 1 &&
			    strcmp(dest.items[0].status, "new") == 0 &&
			    !(err = to->be->set_status(to->impl, dest.items[0].id, g->status, g->note, g->ticket, g->fixed_in)))
				ret->triaged++;
			casedb_group_list_deinit(&dest);
		}
		casedb_group_list_deinit(&groups);
	}
	casedb_sqlite_backend.close(src);
	return err;
}

/* ---- queries ---------------------------------------------------------- */

struct hs_error *casedb_queue(struct casedb *db, bool all, struct casedb_group_list *ret)
{
	struct hs_error *err;

	if ((err = connected(db)))
		return err;
	return db->be->queue(db->impl, all, ret);
}

struct hs_error *casedb_find_group(struct casedb *db, const char *prefix, struct casedb_group_list *ret)
{
	struct hs_error *err;

	if (!valid_prefix(prefix))
		return hs_error_create(HS_ERR_INVALID, "'%s' is not a signature: give 4 to 16 lowercase hex digits", prefix);
	if ((err = connected(db)) || (err = db->be->find_group(db->impl, prefix, ret)))
		return err;
	if (ret->len == 0)
		err = hs_error_create(HS_ERR_INVALID, "no signature '%s' in '%s'", prefix, db->display);
	else if (ret->len > 1)
		err = hs_error_create(HS_ERR_INVALID, "signature prefix '%s' is ambiguous: %s, %s, ...", prefix,
				      ret->items[0].hash, ret->items[1].hash);
	return err;
}

struct hs_error *casedb_case_report(struct casedb *db, int64_t id, const char *format, char **data_ret,
				    size_t *len_ret)
{
	struct hs_error *err;
	bool found;
	int64_t size;
	void *blob = NULL;
	size_t blen = 0, n;
	char *out;

	if ((err = connected(db)) || (err = db->be->case_report(db->impl, id, format, &found, &size, &blob, &blen)))
		return err;
	if (!found)
		return hs_error_create(HS_ERR_INVALID, "no case %lld with a %s report in '%s'", (long long)id, format,
				       db->display);
	if (size < 0 || (uint64_t)size > REPORT_MAX) {
		free(blob);
		return hs_error_create(HS_ERR_FORMAT, "case %lld: stored report of %lld bytes", (long long)id, (long long)size);
	}
	if (!(out = malloc((size_t)size + 1))) {
		free(blob);
		return &hs_error_nomem;
	}
	n = ZSTD_decompress(out, (size_t)size, blob, blen);
	free(blob);
	if (ZSTD_isError(n) || n != (size_t)size) {
		free(out);
		return hs_error_create(HS_ERR_FORMAT, "case %lld: the stored %s report is corrupt", (long long)id, format);
	}
	out[n] = '\0';
	*data_ret = out;
	*len_ret = n;
	return NULL;
}

struct hs_error *casedb_triage(struct casedb *db, const char *prefix, const char *status, const char *note,
			       const char *ticket, const char *fixed_in, struct casedb_group_list *ret)
{
	struct hs_error *err;

	/* signatures are never deleted: the id found stays the group's */
	if ((err = casedb_find_group(db, prefix, ret)) ||
	    (err = db->be->set_status(db->impl, ret->items[0].id, status, note, ticket, fixed_in)))
		return err;
	casedb_group_list_deinit(ret);
	return casedb_find_group(db, prefix, ret);
}

const char *const casedb_stat_tables[CASEDB_STAT_TABLES] = {
	"cases", "signatures", "reports", "threads", "frames", "findings",
};

struct hs_error *casedb_stats(struct casedb *db, struct casedb_stats *ret)
{
	struct hs_error *err;

	memset(ret, 0, sizeof(*ret));
	if ((err = connected(db)))
		return err;
	return db->be->stats(db->impl, ret);
}

struct hs_error *casedb_schema_sql(const char *role, char **ret)
{
	return casedb_pg_schema(role, ret);
}
