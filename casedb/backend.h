/*
 * Inside casedb/: what casedb.c (the front every subcommand calls) asks of
 * a storage backend — SQLite (sqlite.c) or PostgreSQL (pg.c). No SQL lives
 * outside the backends, and no caller outside casedb/ sees this header.
 *
 * A case travels between them as a casedb_record: the rows of one case as
 * plain values (reports already compressed), built from a model by the
 * front, or read back from an SQLite file by `copy` and the spool, so the
 * same record stored twice anywhere is still one case (unique core hash).
 */
#ifndef HS_CASEDB_BACKEND_H
#define HS_CASEDB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casedb/casedb.h"
#include "common/error.h"
#include "common/vec.h"

/* Strings are NUL-terminated bytes (anything a core held); NULL is SQL NULL. */
struct casedb_rec_report {
	const char *format;
	int64_t size;			/* uncompressed */
	const void *data;		/* zstd */
	size_t len;
};

struct casedb_rec_thread {
	int64_t tid;
	const char *name, *state, *syscall, *wait_kind;
	int64_t waits_for;		/* 0: NULL */
};

struct casedb_rec_frame {
	int64_t tid, idx, pc, offset, line, inlined;
	const char *function, *module, *file, *how;
};

struct casedb_rec_finding {
	int64_t idx, severity;
	const char *rule, *summary, *hint, *threads;
};

struct casedb_record {
	char core_hash[17];
	const char *core_path, *comm, *exe, *build_id, *cmdline, *host;
	int64_t pid, analyzed_ns, nthreads;
	bool has_captured, has_frozen;
	int64_t captured_ns, frozen_ns;
	VEC(struct casedb_rec_report) reports;
	VEC(struct casedb_rec_thread) threads;
	VEC(struct casedb_rec_frame) frames;
	VEC(struct casedb_rec_finding) findings;
	/* the signature (sig_hash NULL: no hang found, no group) */
	const char *sig_hash, *sig_rule, *sig_text, *sig_frames, *sig_summary;
	int64_t sig_version, sig_severity, seen_ns;
	/* memory the strings and blobs above point into when the record owns them */
	VEC(void *) owned;
};

void casedb_record_deinit(struct casedb_record *r);
/* A copy of n bytes (plus a NUL; data NULL: n bytes to fill) kept by the record; NULL when out of memory. */
void *casedb_record_keep(struct casedb_record *r, const void *data, size_t n);

struct casedb_backend {
	/* spec: the path or the connection string; display: how messages name it (never a password) */
	struct hs_error *(*open)(const char *spec, const char *display, bool create, int version, void **ret);
	void (*close)(void *impl);
	struct hs_error *(*store)(void *impl, const struct casedb_record *rec, struct casedb_stored *ret);
	/* the stored case of that core hash, as store reports one that existed: *found false when none (optional) */
	struct hs_error *(*find_case)(void *impl, const char *core_hash, bool *found, struct casedb_stored *ret);
	struct hs_error *(*queue)(void *impl, bool all, struct casedb_group_list *ret);
	/* the groups whose hash starts with the (checked, hex) prefix, at most 2 */
	struct hs_error *(*find_group)(void *impl, const char *prefix, struct casedb_group_list *ret);
	/* the compressed report: *found false when there is none */
	struct hs_error *(*case_report)(void *impl, int64_t id, const char *format, bool *found, int64_t *size,
					void **data, size_t *len);
	/* sets the status of group id and logs it, in one transaction */
	struct hs_error *(*set_status)(void *impl, int64_t id, const char *status, const char *note, const char *ticket,
				       const char *fixed_in);
	struct hs_error *(*stats)(void *impl, struct casedb_stats *ret);
};

extern const struct casedb_backend casedb_sqlite_backend;
extern const struct casedb_backend casedb_pg_backend;

/*
 * Reading cases back, from an SQLite database only (the spool, and copy's
 * source; a server's cases are never read back or deleted by hanganalyze):
 * the ids above after, ascending, at most max; one case whole; removing one.
 */
struct hs_error *casedb_sqlite_case_ids(void *impl, int64_t after, size_t max, int64_t *ids, size_t *n);
struct hs_error *casedb_sqlite_load(void *impl, int64_t id, struct casedb_record *ret);
struct hs_error *casedb_sqlite_forget(void *impl, int64_t id);

/*
 * A server that cannot be reached (refused, timed out, gone mid-transaction)
 * is an HS_ERR_OS error with errnum ENOTCONN: the front retries, then spools.
 */
struct hs_error *casedb_unreachable_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool casedb_is_unreachable(const struct hs_error *err);

/* Whether s is a libpq connection string (a URI or key=value pairs) rather than a path. */
bool casedb_pg_is_conninfo(const char *s);
/* How messages name the server database of conninfo s: a URI without the password. Caller frees. */
char *casedb_pg_display(const char *s);
/* The schema SQL for PostgreSQL, with grants to role when given. */
struct hs_error *casedb_pg_schema(const char *role, char **ret);

/* Refuses a schema version this hanganalyze did not write: negative (damage), or newer (HS_ERR_FORMAT). */
struct hs_error *casedb_check_version(const char *display, int64_t version);

#endif
