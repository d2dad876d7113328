/*
 * The SQLite backend (backend.h): one file per machine, the embedded
 * default, and the spool of the PostgreSQL backend. See casedb.h for the
 * schema and the guarantees.
 */
#include "casedb/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/strbuf.h"
#include "common/util.h"

/* "HSNP": tells our databases from other SQLite files */
#define CASEDB_APPLICATION_ID 0x48534e50

struct sq {
	sqlite3 *db;
	char *path;
};

/* ---- schema ----------------------------------------------------------- */

/* migrations[i] takes a database from user_version i to i + 1. Never edit one; append. */
static const char *const migrations[] = {
	/* 1: the case database */
	"CREATE TABLE signatures ("
	"  id INTEGER PRIMARY KEY,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  version INTEGER NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  frames TEXT NOT NULL,"
	"  severity INTEGER NOT NULL,"
	"  summary TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triaged', 'fixed', 'ignored', 'regressed')),"
	"  note TEXT, ticket TEXT, fixed_in TEXT,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	"  count INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE signature_hosts ("
	"  signature_id INTEGER NOT NULL REFERENCES signatures(id),"
	"  host TEXT NOT NULL,"
	"  PRIMARY KEY (signature_id, host)) WITHOUT ROWID;"
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY,"
	"  core_hash TEXT NOT NULL UNIQUE,"
	"  core_path TEXT NOT NULL,"
	"  signature_id INTEGER REFERENCES signatures(id),"
	"  pid INTEGER, comm TEXT, exe TEXT, build_id TEXT, cmdline TEXT, host TEXT,"
	"  captured_ns INTEGER, frozen_ns INTEGER, analyzed_ns INTEGER NOT NULL,"
	"  nthreads INTEGER NOT NULL);"
	"CREATE INDEX cases_signature ON cases(signature_id);"
	"CREATE TABLE reports ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  format TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY (case_id, format)) WITHOUT ROWID;"
	"CREATE TABLE threads ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  tid INTEGER NOT NULL, name TEXT, state TEXT, syscall TEXT, wait_kind TEXT, waits_for INTEGER,"
	"  PRIMARY KEY (case_id, tid)) WITHOUT ROWID;"
	"CREATE TABLE frames ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  tid INTEGER NOT NULL, idx INTEGER NOT NULL,"
	"  pc INTEGER, function TEXT, offset INTEGER, module TEXT, file TEXT, line INTEGER, inlined INTEGER, how TEXT,"
	"  PRIMARY KEY (case_id, tid, idx)) WITHOUT ROWID;"
	"CREATE TABLE findings ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  idx INTEGER NOT NULL, rule TEXT NOT NULL, severity INTEGER NOT NULL, summary TEXT NOT NULL, hint TEXT,"
	"  threads TEXT NOT NULL,"
	"  PRIMARY KEY (case_id, idx)) WITHOUT ROWID;",
	/* 2: a log of triage decisions, and the queue's filter */
	"CREATE TABLE triage_log ("
	"  id INTEGER PRIMARY KEY,"
	"  signature_id INTEGER NOT NULL REFERENCES signatures(id),"
	"  at_ns INTEGER NOT NULL, status TEXT NOT NULL, note TEXT, ticket TEXT, fixed_in TEXT);"
	"CREATE INDEX signatures_status ON signatures(status);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == CASEDB_SCHEMA_VERSION, "one migration per version");

/* ---- errors and statements ---------------------------------------------- */

/* sqlite's error, converted once: "cannot WHAT in 'PATH': MESSAGE". */
static struct hs_error *sqlite_error(struct sq *db, const char *what)
{
	int code = sqlite3_extended_errcode(db->db);

	if (code == SQLITE_NOMEM)
		return &hs_error_nomem;
	return hs_error_create(code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? HS_ERR_FORMAT : HS_ERR_OS,
			       "cannot %s in '%s': %s", what, db->path, sqlite3_errmsg(db->db));
}

static struct hs_error *prepare(struct sq *db, const char *sql, sqlite3_stmt **ret)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, ret, NULL) != SQLITE_OK)
		return sqlite_error(db, "prepare a statement");
	return NULL;
}

/* Runs a statement without results or parameters. */
static struct hs_error *exec1(struct sq *db, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	struct hs_error *err;
	int rc;

	if ((err = prepare(db, sql, &st)))
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	err = rc == SQLITE_DONE ? NULL : sqlite_error(db, what);
	sqlite3_finalize(st);
	return err;
}

/*
 * Ends a failed transaction. Its own failure (a full disk may fail it too)
 * adds nothing to the error that got us here, and sqlite rolls back on
 * close or the next open anyway.
 */
static void roll_back(struct sq *db)
{
	hs_error_destroy(exec1(db, "ROLLBACK", "roll back"));
}

/* Runs several statements (schema scripts of ours only, never user input). */
static struct hs_error *exec_script(struct sq *db, const char *sql, const char *what)
{
	const char *tail = sql;

	while (tail && *tail) {
		sqlite3_stmt *st;
		int rc;

		if (sqlite3_prepare_v2(db->db, tail, -1, &st, &tail) != SQLITE_OK)
			return sqlite_error(db, what);
		if (!st)
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sqlite_error(db, what);
	}
	return NULL;
}

static struct hs_error *query_int(struct sq *db, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st;
	struct hs_error *err;

	if ((err = prepare(db, sql, &st)))
		return err;
	if (sqlite3_step(st) == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else
		err = sqlite_error(db, "read the schema version");
	sqlite3_finalize(st);
	return err;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/*
 * bind_text() without the copy, for a row stored with step_done(): s (the
 * record's) outlives the step, and step_done() clears the bindings after it.
 * A case of 1000 threads stores 7,000 rows of strings: the copies were about
 * a tenth of the time storing them took.
 */
static void bind_row_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/*
 * Reading columns. The file is input like a core: anyone with the file
 * can edit it (a hand-made "fix", a half-restored backup), so a NULL where
 * the schema says NOT NULL, or a value of the wrong type, is a damaged
 * database (HS_ERR_FORMAT, exit 3), never a NULL pointer taken for "out of
 * memory" or a string printed as "(null)".
 */
static struct hs_error *damaged(struct sq *db, const char *fmt, const char *column, const char *type)
{
	char what[128];

	snprintf(what, sizeof(what), fmt, column, type);
	return hs_error_create(HS_ERR_FORMAT, "database '%s' is damaged: %s", db->path, what);
}

static const char *column_type_name(int type)
{
	switch (type) {
	case SQLITE_INTEGER: return "an integer";
	case SQLITE_FLOAT: return "a real";
	case SQLITE_TEXT: return "text";
	case SQLITE_BLOB: return "a blob";
	default: return "NULL";
	}
}

/* Column i as a new string in *ret; NULL when the column is NULL and may be (else damage). */
static struct hs_error *column_text(struct sq *db, sqlite3_stmt *st, int i, const char *column, bool nullable,
				    char **ret)
{
	int type = sqlite3_column_type(st, i);
	const unsigned char *s;

	*ret = NULL;
	if (type == SQLITE_NULL)
		return nullable ? NULL : damaged(db, "%s is NULL", column, NULL);
	if (type != SQLITE_TEXT)
		return damaged(db, "%s is %s, not text", column, column_type_name(type));
	if (!(s = sqlite3_column_text(st, i)) || !(*ret = strdup((const char *)s)))
		return &hs_error_nomem;
	return NULL;
}

/* Column i as an integer in *ret; 0 when the column is NULL and may be (else damage). */
static struct hs_error *column_int(struct sq *db, sqlite3_stmt *st, int i, const char *column, bool nullable,
				   int64_t *ret)
{
	int type = sqlite3_column_type(st, i);

	*ret = 0;
	if (type == SQLITE_NULL)
		return nullable ? NULL : damaged(db, "%s is NULL", column, NULL);
	if (type != SQLITE_INTEGER)
		return damaged(db, "%s is %s, not an integer", column, column_type_name(type));
	*ret = sqlite3_column_int64(st, i);
	return NULL;
}


static struct hs_error *make_parent_dirs(const char *path)
{
	char *copy = strdup(path), *p;

	if (!copy)
		return &hs_error_nomem;
	for (p = copy + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			struct hs_error *err = hs_error_errno(errno, "cannot create directory '%s'", copy);
			free(copy);
			return err;
		}
		*p = '/';
	}
	free(copy);
	return NULL;
}

/*
 * Creates an empty database file 0600 unless something is there (a symlink
 * too: O_EXCL never follows one); *created_ret says whether this call made it.
 */
static struct hs_error *create_file(const char *path, bool *created_ret)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	*created_ret = fd >= 0;
	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	if (errno == EEXIST)
		return NULL;
	return hs_error_errno(errno, "cannot create database '%s'", path);
}

/*
 * What ssh asks of a key file, asked of the database before sqlite opens
 * it: the final component is not a symlink (symlinks above it are the
 * user's layout — a symlinked /home — and are followed), it is a regular
 * file, owned by the effective uid, and not writable by group or others:
 * whoever can write the file decides what `show --format=html` prints and
 * which cases CI takes as known. Refusals are HS_ERR_FORMAT (exit 3), as for
 * a foreign database, and name the fix. On success *fd_ret is an O_PATH
 * descriptor of the file checked, for same_file() once sqlite has opened it.
 */
static struct hs_error *check_file(const char *path, int *fd_ret)
{
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	struct hs_error *err = NULL;

	*fd_ret = -1;
	if (fd < 0)
		return hs_error_errno(errno, "cannot open database '%s'", path);
	if (fstat(fd, &st) != 0)
		err = hs_error_errno(errno, "cannot open database '%s'", path);
	else if (S_ISLNK(st.st_mode))
		err = hs_error_create(HS_ERR_FORMAT, "refusing database '%s': it is a symbolic link (give the path it points to)",
				      path);
	else if (!S_ISREG(st.st_mode))
		err = hs_error_create(HS_ERR_FORMAT, "refusing database '%s': not a regular file", path);
	else if (st.st_uid != geteuid())
		err = hs_error_create(HS_ERR_FORMAT, "refusing database '%s': owned by uid %u, not by uid %u (chown %u '%s')",
				      path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		err = hs_error_create(HS_ERR_FORMAT, "refusing database '%s': writable by group or others (chmod go-w '%s')",
				      path, path);
	if (err) {
		close(fd);
		return err;
	}
	*fd_ret = fd;
	return NULL;
}

/* Whether path still names the file fd was opened on (not swapped between the check and sqlite's open). */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Removes the file create_file() made, if it is still empty: a failed first open leaves nothing behind. */
static void remove_created(const char *path, int fd)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 && (fd < 0 || same_file(fd, path)))
		unlink(path);
}

/* Refuses what is not ours to change: a newer schema, another application's database. */
static struct hs_error *check_version(struct sq *db, int64_t version, int64_t app, int64_t tables)
{
	struct hs_error *err = casedb_check_version(db->path, version);

	if (err)
		return err;
	if ((version > 0 && app != CASEDB_APPLICATION_ID) || (version == 0 && tables > 0))
		return hs_error_create(HS_ERR_FORMAT, "'%s' is an SQLite database but not a hanganalyze case database",
				       db->path);
	return NULL;
}

static struct hs_error *migrate(struct sq *db, int target)
{
	struct hs_error *err;
	int64_t version = 0, app = 0, tables = 0;
	char sql[64];

	if ((err = query_int(db, "PRAGMA user_version", &version)) || (err = query_int(db, "PRAGMA application_id", &app)))
		return err;
	/* an empty file may be getting its schema from another process right now: decide under the lock */
	if (version != 0 && (err = check_version(db, version, app, 0)))
		return err;
	if (version >= target)
		return NULL;
	/* one writer migrates; the others wait on the lock and then find nothing to do */
	if ((err = exec1(db, "BEGIN IMMEDIATE", "lock the database for a schema upgrade")))
		return err;
	if ((err = query_int(db, "PRAGMA user_version", &version)) || (err = query_int(db, "PRAGMA application_id", &app)) ||
	    (err = query_int(db, "SELECT count(*) FROM sqlite_schema", &tables)) ||
	    (err = check_version(db, version, app, tables)))
		goto rollback;
	if (version >= target) {
		roll_back(db);
		return NULL;
	}
	for (; version < target; version++)
		if ((err = exec_script(db, migrations[version], "upgrade the schema")))
			goto rollback;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", target);
	if ((err = exec1(db, sql, "set the schema version")))
		goto rollback;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", CASEDB_APPLICATION_ID);
	if ((err = exec1(db, sql, "set the application id")) || (err = exec1(db, "COMMIT", "commit the schema upgrade")))
		goto rollback;
	return NULL;
rollback:
	roll_back(db);
	return err;
}

static void sq_close(void *impl);

static struct hs_error *open_at(const char *path, bool create, int target, struct sq **ret)
{
	struct sq *db = calloc(1, sizeof(*db));
	struct hs_error *err;
	bool created = false;
	int fd = -1;

	if (!db || !(db->path = strdup(path))) {
		free(db);
		return &hs_error_nomem;
	}
	if ((create && ((err = make_parent_dirs(path)) || (err = create_file(path, &created)))) ||
	    (err = check_file(path, &fd)))
		goto fail;
	/*
	 * Not SQLITE_OPEN_NOFOLLOW: it refuses a symlink anywhere in the path,
	 * parent directories too. check_file() looked at the last component;
	 * same_file() makes sure sqlite opened what was checked.
	 */
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		err = db->db ? sqlite_error(db, "open the database") : &hs_error_nomem;
		goto fail;
	}
	if (!same_file(fd, path)) {
		err = hs_error_create(HS_ERR_FORMAT, "refusing database '%s': it was replaced while being opened", path);
		goto fail;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, CASEDB_BUSY_TIMEOUT_MS);
	/* the version check comes before anything that writes (WAL mode writes the header) */
	if ((err = migrate(db, target)) || (err = exec1(db, "PRAGMA journal_mode = WAL", "enable WAL")) ||
	    (err = exec1(db, "PRAGMA synchronous = NORMAL", "set synchronous")) ||
	    (err = exec1(db, "PRAGMA foreign_keys = ON", "enable foreign keys")))
		goto fail;
	close(fd);
	*ret = db;
	return NULL;
fail:
	sq_close(db);
	if (created)
		remove_created(path, fd);
	if (fd >= 0)
		close(fd);
	return err;
}

static void sq_close(void *impl)
{
	struct sq *db = impl;

	if (!db)
		return;
	sqlite3_close_v2(db->db);
	free(db->path);
	free(db);
}

/* ---- store ------------------------------------------------------------ */

static struct hs_error *step_done(struct sq *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? NULL : sqlite_error(db, what);
}


static void bind_int_or_null(sqlite3_stmt *st, int i, bool has, int64_t v)
{
	if (has)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static struct hs_error *store_rows(struct sq *db, int64_t case_id, const struct casedb_record *r)
{
	sqlite3_stmt *rp = NULL, *th = NULL, *fr = NULL, *fi = NULL;
	struct hs_error *err;

	if ((err = prepare(db, "INSERT INTO reports (case_id, format, size, data) VALUES (?, ?, ?, ?)", &rp)) ||
	    (err = prepare(db, "INSERT OR IGNORE INTO threads (case_id, tid, name, state, syscall, wait_kind, waits_for) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?)", &th)) ||
	    (err = prepare(db, "INSERT OR IGNORE INTO frames (case_id, tid, idx, pc, function, offset, module, file, line, "
			       "inlined, how) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &fr)) ||
	    (err = prepare(db, "INSERT INTO findings (case_id, idx, rule, severity, summary, hint, threads) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?)", &fi)))
		goto out;
	for (size_t i = 0; i < r->reports.len && !err; i++) {
		const struct casedb_rec_report *p = &r->reports.items[i];
		sqlite3_bind_int64(rp, 1, case_id);
		bind_row_text(rp, 2, p->format);
		sqlite3_bind_int64(rp, 3, p->size);
		sqlite3_bind_blob(rp, 4, p->data, (int)p->len, SQLITE_STATIC);
		err = step_done(db, rp, "store a report");
	}
	for (size_t i = 0; i < r->threads.len && !err; i++) {
		const struct casedb_rec_thread *t = &r->threads.items[i];
		sqlite3_bind_int64(th, 1, case_id);
		sqlite3_bind_int64(th, 2, t->tid);
		bind_row_text(th, 3, t->name);
		bind_row_text(th, 4, t->state);
		bind_row_text(th, 5, t->syscall);
		bind_row_text(th, 6, t->wait_kind);
		bind_int_or_null(th, 7, t->waits_for != 0, t->waits_for);
		err = step_done(db, th, "store a thread");
	}
	for (size_t i = 0; i < r->frames.len && !err; i++) {
		const struct casedb_rec_frame *f = &r->frames.items[i];
		sqlite3_bind_int64(fr, 1, case_id);
		sqlite3_bind_int64(fr, 2, f->tid);
		sqlite3_bind_int64(fr, 3, f->idx);
		sqlite3_bind_int64(fr, 4, f->pc);
		bind_row_text(fr, 5, f->function);
		sqlite3_bind_int64(fr, 6, f->offset);
		bind_row_text(fr, 7, f->module);
		bind_row_text(fr, 8, f->file);
		sqlite3_bind_int64(fr, 9, f->line);
		sqlite3_bind_int64(fr, 10, f->inlined);
		bind_row_text(fr, 11, f->how);
		err = step_done(db, fr, "store a frame");
	}
	for (size_t i = 0; i < r->findings.len && !err; i++) {
		const struct casedb_rec_finding *f = &r->findings.items[i];
		sqlite3_bind_int64(fi, 1, case_id);
		sqlite3_bind_int64(fi, 2, f->idx);
		bind_row_text(fi, 3, f->rule);
		sqlite3_bind_int64(fi, 4, f->severity);
		bind_row_text(fi, 5, f->summary);
		bind_row_text(fi, 6, f->hint);
		bind_row_text(fi, 7, f->threads);
		err = step_done(db, fi, "store a finding");
	}
out:
	sqlite3_finalize(rp);
	sqlite3_finalize(th);
	sqlite3_finalize(fr);
	sqlite3_finalize(fi);
	return err;
}

/* Adds the case to its signature's group: creates it, counts it, regresses a fixed one. */
static struct hs_error *store_signature(struct sq *db, int64_t case_id, const struct casedb_record *r,
					struct casedb_stored *ret)
{
	sqlite3_stmt *st = NULL;
	struct hs_error *err;
	int64_t sig_id = 0;
	char old[16] = "";

	if ((err = prepare(db, "SELECT id, status FROM signatures WHERE hash = ?", &st)))
		return err;
	bind_text(st, 1, r->sig_hash);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char *status;

		sig_id = sqlite3_column_int64(st, 0);
		if ((err = column_text(db, st, 1, "signatures.status", false, &status))) {
			sqlite3_finalize(st);
			return err;
		}
		snprintf(old, sizeof(old), "%s", status);
		free(status);
	}
	sqlite3_finalize(st);
	if (sig_id == 0) {
		if ((err = prepare(db, "INSERT INTO signatures (hash, version, rule, text, frames, severity, summary, "
				       "first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", &st)))
			return err;
		bind_text(st, 1, r->sig_hash);
		sqlite3_bind_int64(st, 2, r->sig_version);
		bind_text(st, 3, r->sig_rule);
		bind_text(st, 4, r->sig_text);
		bind_text(st, 5, r->sig_frames);
		sqlite3_bind_int64(st, 6, r->sig_severity);
		bind_text(st, 7, r->sig_summary);
		sqlite3_bind_int64(st, 8, r->seen_ns);
		sqlite3_bind_int64(st, 9, r->seen_ns);
		err = step_done(db, st, "store a signature");
		sqlite3_finalize(st);
		if (err)
			return err;
		sig_id = sqlite3_last_insert_rowid(db->db);
		snprintf(ret->status, sizeof(ret->status), "new");
	} else {
		ret->regressed = strcmp(old, "fixed") == 0;
		if ((err = prepare(db, "UPDATE signatures SET count = count + 1, severity = max(severity, ?), summary = ?, "
				       "first_seen = min(first_seen, ?), last_seen = max(last_seen, ?), "
				       "status = CASE status WHEN 'fixed' THEN 'regressed' ELSE status END WHERE id = ?", &st)))
			return err;
		sqlite3_bind_int64(st, 1, r->sig_severity);
		bind_text(st, 2, r->sig_summary);
		sqlite3_bind_int64(st, 3, r->seen_ns);
		sqlite3_bind_int64(st, 4, r->seen_ns);
		sqlite3_bind_int64(st, 5, sig_id);
		err = step_done(db, st, "update a signature");
		sqlite3_finalize(st);
		if (err)
			return err;
		snprintf(ret->status, sizeof(ret->status), "%s", ret->regressed ? "regressed" : old);
		if (ret->regressed) {
			if ((err = prepare(db, "INSERT INTO triage_log (signature_id, at_ns, status, note) VALUES (?, ?, "
					       "'regressed', 'seen again in case ' || ?)", &st)))
				return err;
			sqlite3_bind_int64(st, 1, sig_id);
			sqlite3_bind_int64(st, 2, (int64_t)hs_now_real_ns());
			sqlite3_bind_int64(st, 3, case_id);
			err = step_done(db, st, "log a regression");
			sqlite3_finalize(st);
			if (err)
				return err;
		}
	}
	if (r->host) {
		if ((err = prepare(db, "INSERT OR IGNORE INTO signature_hosts (signature_id, host) VALUES (?, ?)", &st)))
			return err;
		sqlite3_bind_int64(st, 1, sig_id);
		bind_text(st, 2, r->host);
		err = step_done(db, st, "store a host");
		sqlite3_finalize(st);
		if (err)
			return err;
	}
	if ((err = prepare(db, "UPDATE cases SET signature_id = ? WHERE id = ?", &st)))
		return err;
	sqlite3_bind_int64(st, 1, sig_id);
	sqlite3_bind_int64(st, 2, case_id);
	err = step_done(db, st, "link a case to its signature");
	sqlite3_finalize(st);
	if (err)
		return err;
	if ((err = prepare(db, "SELECT count FROM signatures WHERE id = ?", &st)))
		return err;
	sqlite3_bind_int64(st, 1, sig_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		ret->count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return NULL;
}

/* The case of core_hash, with its group's status and count; nothing in ret when not found. */
static struct hs_error *find_case(struct sq *db, const char *core_hash, bool *found, struct casedb_stored *ret)
{
	sqlite3_stmt *st;
	struct hs_error *err;
	int rc;

	*found = false;
	if ((err = prepare(db, "SELECT c.id, coalesce(s.status, ''), coalesce(s.count, 0) FROM cases c "
			       "LEFT JOIN signatures s ON s.id = c.signature_id WHERE c.core_hash = ?", &st)))
		return err;
	bind_text(st, 1, core_hash);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *status = sqlite3_column_text(st, 1);

		*found = true;
		ret->case_id = sqlite3_column_int64(st, 0);
		snprintf(ret->status, sizeof(ret->status), "%s", status ? (const char *)status : "");
		ret->count = sqlite3_column_int64(st, 2);
	} else if (rc != SQLITE_DONE) {
		err = sqlite_error(db, "look up a case");
	}
	sqlite3_finalize(st);
	return err;
}

static struct hs_error *sq_find_case(void *impl, const char *core_hash, bool *found, struct casedb_stored *ret)
{
	struct hs_error *err = find_case(impl, core_hash, found, ret);

	ret->existed = *found;
	return err;
}

static struct hs_error *sq_store(void *impl, const struct casedb_record *r, struct casedb_stored *ret)
{
	struct sq *db = impl;
	sqlite3_stmt *st = NULL;
	struct hs_error *err;

	if ((err = exec1(db, "BEGIN IMMEDIATE", "start a transaction")))
		return err;
	if ((err = prepare(db, "INSERT INTO cases (core_hash, core_path, pid, comm, exe, build_id, cmdline, host, "
			       "captured_ns, frozen_ns, analyzed_ns, nthreads) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
			       "ON CONFLICT (core_hash) DO NOTHING", &st)))
		goto rollback;
	bind_text(st, 1, r->core_hash);
	bind_text(st, 2, r->core_path);
	sqlite3_bind_int64(st, 3, r->pid);
	bind_text(st, 4, r->comm);
	bind_text(st, 5, r->exe);
	bind_text(st, 6, r->build_id);
	bind_text(st, 7, r->cmdline);
	bind_text(st, 8, r->host);
	bind_int_or_null(st, 9, r->has_captured, r->captured_ns);
	bind_int_or_null(st, 10, r->has_frozen, r->frozen_ns);
	sqlite3_bind_int64(st, 11, r->analyzed_ns);
	sqlite3_bind_int64(st, 12, r->nthreads);
	err = step_done(db, st, "store a case");
	sqlite3_finalize(st);
	st = NULL;
	if (err)
		goto rollback;
	if (sqlite3_changes(db->db) == 0) {
		/* the same core again: report the stored case */
		bool found;

		if ((err = find_case(db, r->core_hash, &found, ret)))
			goto rollback;
		ret->existed = true;
		return exec1(db, "COMMIT", "commit");
	}
	ret->case_id = sqlite3_last_insert_rowid(db->db);
	if ((err = store_rows(db, ret->case_id, r)) || (r->sig_hash && (err = store_signature(db, ret->case_id, r, ret))) ||
	    (err = exec1(db, "COMMIT", "commit the case")))
		goto rollback;
	return NULL;
rollback:
	roll_back(db);
	return err;
}

/* ---- queries ---------------------------------------------------------- */

#define GROUP_COLUMNS                                                                                             \
	"s.id, s.hash, s.rule, s.summary, s.status, s.note, s.ticket, s.fixed_in, s.text, s.severity, s.count, "  \
	"s.first_seen, s.last_seen, "                                                                             \
	"(SELECT group_concat(host, ', ') FROM signature_hosts h WHERE h.signature_id = s.id), "                  \
	"(SELECT max(id) FROM cases c WHERE c.signature_id = s.id)"

static struct hs_error *read_group(struct sq *db, sqlite3_stmt *st, struct casedb_group *g)
{
	struct hs_error *err;
	int64_t severity;

	if ((err = column_int(db, st, 0, "signatures.id", false, &g->id)) ||
	    (err = column_text(db, st, 1, "signatures.hash", false, &g->hash)) ||
	    (err = column_text(db, st, 2, "signatures.rule", false, &g->rule)) ||
	    (err = column_text(db, st, 3, "signatures.summary", false, &g->summary)) ||
	    (err = column_text(db, st, 4, "signatures.status", false, &g->status)) ||
	    (err = column_text(db, st, 5, "signatures.note", true, &g->note)) ||
	    (err = column_text(db, st, 6, "signatures.ticket", true, &g->ticket)) ||
	    (err = column_text(db, st, 7, "signatures.fixed_in", true, &g->fixed_in)) ||
	    (err = column_text(db, st, 8, "signatures.text", false, &g->text)) ||
	    (err = column_int(db, st, 9, "signatures.severity", false, &severity)) ||
	    (err = column_int(db, st, 10, "signatures.count", false, &g->count)) ||
	    (err = column_int(db, st, 11, "signatures.first_seen", false, &g->first_seen)) ||
	    (err = column_int(db, st, 12, "signatures.last_seen", false, &g->last_seen)) ||
	    (err = column_text(db, st, 13, "signature_hosts.host", true, &g->hosts)) ||
	    (err = column_int(db, st, 14, "cases.id", true, &g->latest_case)))
		return err;
	/* enum severity is small; severity_name() shows anything else as "?" */
	g->severity = severity < 0 || severity > 1000 ? -1 : (int)severity;
	return NULL;
}

/* Appends the rows of st to ret; on failure ret is left empty. */
static struct hs_error *read_groups(struct sq *db, sqlite3_stmt *st, struct casedb_group_list *ret)
{
	struct hs_error *err = NULL;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct casedb_group *g = VEC_PUSH(ret);
		if (!g)
			err = &hs_error_nomem;
		else
			err = read_group(db, st, g);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = sqlite_error(db, "read the signatures");
	if (err)
		casedb_group_list_deinit(ret);
	return err;
}

static struct hs_error *sq_queue(void *impl, bool all, struct casedb_group_list *ret)
{
	struct sq *db = impl;
	sqlite3_stmt *st;
	struct hs_error *err;

	if ((err = prepare(db, "SELECT " GROUP_COLUMNS " FROM signatures s WHERE ? OR s.status NOT IN ('fixed', 'ignored') "
			       "ORDER BY CASE s.status WHEN 'regressed' THEN 0 WHEN 'new' THEN 1 WHEN 'triaged' THEN 2 "
			       "ELSE 3 END, s.severity DESC, s.count DESC, s.last_seen DESC, s.id", &st)))
		return err;
	sqlite3_bind_int(st, 1, all);
	err = read_groups(db, st, ret);
	sqlite3_finalize(st);
	return err;
}

static struct hs_error *sq_find_group(void *impl, const char *prefix, struct casedb_group_list *ret)
{
	struct sq *db = impl;
	sqlite3_stmt *st;
	struct hs_error *err;
	char pattern[20];

	/* a GLOB on a checked hex prefix (no wildcards of the user's) is an index range; LIKE would scan */
	snprintf(pattern, sizeof(pattern), "%s*", prefix);
	if ((err = prepare(db, "SELECT " GROUP_COLUMNS " FROM signatures s WHERE s.hash GLOB ? ORDER BY s.hash LIMIT 2", &st)))
		return err;
	bind_text(st, 1, pattern);
	err = read_groups(db, st, ret);
	sqlite3_finalize(st);
	return err;
}

static struct hs_error *sq_case_report(void *impl, int64_t id, const char *format, bool *found, int64_t *size,
				       void **data, size_t *len)
{
	struct sq *db = impl;
	sqlite3_stmt *st;
	struct hs_error *err;
	int type;

	*found = false;
	if ((err = prepare(db, "SELECT size, data FROM reports WHERE case_id = ? AND format = ?", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, format);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return NULL;
	}
	*found = true;
	type = sqlite3_column_type(st, 1);
	if (!(err = column_int(db, st, 0, "reports.size", false, size)) && type != SQLITE_BLOB)
		err = damaged(db, "%s is %s, not a blob", "reports.data", column_type_name(type));
	if (!err) {
		int n = sqlite3_column_bytes(st, 1);
		const void *blob = sqlite3_column_blob(st, 1);

		if (!(*data = malloc(n > 0 ? (size_t)n : 1)))
			err = &hs_error_nomem;
		else {
			memcpy(*data, blob, n > 0 ? (size_t)n : 0);
			*len = n > 0 ? (size_t)n : 0;
		}
	}
	sqlite3_finalize(st);
	return err;
}

static struct hs_error *sq_set_status(void *impl, int64_t id, const char *status, const char *note, const char *ticket,
				      const char *fixed_in)
{
	struct sq *db = impl;
	sqlite3_stmt *st;
	struct hs_error *err;

	if ((err = exec1(db, "BEGIN IMMEDIATE", "start a transaction")))
		return err;
	if ((err = prepare(db, "UPDATE signatures SET status = ?, note = coalesce(?, note), ticket = coalesce(?, ticket), "
			       "fixed_in = coalesce(?, fixed_in) WHERE id = ?", &st)))
		goto rollback;
	bind_text(st, 1, status);
	bind_text(st, 2, note);
	bind_text(st, 3, ticket);
	bind_text(st, 4, fixed_in);
	sqlite3_bind_int64(st, 5, id);
	err = step_done(db, st, "update the signature");
	sqlite3_finalize(st);
	if (err)
		goto rollback;
	if ((err = prepare(db, "INSERT INTO triage_log (signature_id, at_ns, status, note, ticket, fixed_in) "
			       "VALUES (?, ?, ?, ?, ?, ?)", &st)))
		goto rollback;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)hs_now_real_ns());
	bind_text(st, 3, status);
	bind_text(st, 4, note);
	bind_text(st, 5, ticket);
	bind_text(st, 6, fixed_in);
	err = step_done(db, st, "log the triage");
	sqlite3_finalize(st);
	if (err || (err = exec1(db, "COMMIT", "commit the triage")))
		goto rollback;
	return NULL;
rollback:
	roll_back(db);
	return err;
}

struct hs_error *casedb_sqlite_case_ids(void *impl, int64_t after, size_t max, int64_t *ids, size_t *n)
{
	struct sq *db = impl;
	sqlite3_stmt *st;
	struct hs_error *err;
	int rc;

	*n = 0;
	if ((err = prepare(db, "SELECT id FROM cases WHERE id > ? ORDER BY id LIMIT ?", &st)))
		return err;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	if (*n < max && rc != SQLITE_DONE)
		err = sqlite_error(db, "list the cases");
	sqlite3_finalize(st);
	return err;
}

/* Column i as a string the record keeps; NULL when NULL and allowed. */
static struct hs_error *rec_text(struct sq *db, struct casedb_record *r, sqlite3_stmt *st, int i, const char *column,
				 bool nullable, const char **ret)
{
	struct hs_error *err;
	char *s;
	void **slot;

	*ret = NULL;
	if ((err = column_text(db, st, i, column, nullable, &s)) || !s)
		return err;
	if (!(slot = VEC_PUSH(&r->owned))) {
		free(s);
		return &hs_error_nomem;
	}
	*slot = s;
	*ret = s;
	return NULL;
}

static struct hs_error *load_case(struct sq *db, int64_t id, struct casedb_record *r)
{
	sqlite3_stmt *st;
	struct hs_error *err;
	const char *hash = NULL;

	if ((err = prepare(db, "SELECT c.core_hash, c.core_path, c.pid, c.comm, c.exe, c.build_id, c.cmdline, c.host, "
			       "c.captured_ns, c.frozen_ns, c.analyzed_ns, c.nthreads, s.hash, s.version, s.rule, s.text, "
			       "s.frames, coalesce(f.severity, s.severity), coalesce(f.summary, s.summary) FROM cases c "
			       "LEFT JOIN signatures s ON s.id = c.signature_id "
			       "LEFT JOIN findings f ON f.case_id = c.id AND f.idx = 0 WHERE c.id = ?", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return hs_error_create(HS_ERR_INVALID, "no case %lld in '%s'", (long long)id, db->path);
	}
	r->has_captured = sqlite3_column_type(st, 8) != SQLITE_NULL;
	r->has_frozen = sqlite3_column_type(st, 9) != SQLITE_NULL;
	if (!(err = rec_text(db, r, st, 0, "cases.core_hash", false, &hash)) && strlen(hash) != 16)
		err = damaged(db, "%s is not %s", "cases.core_hash", "16 hex digits");
	if (err || (err = rec_text(db, r, st, 1, "cases.core_path", false, &r->core_path)) ||
	    (err = column_int(db, st, 2, "cases.pid", true, &r->pid)) ||
	    (err = rec_text(db, r, st, 3, "cases.comm", true, &r->comm)) ||
	    (err = rec_text(db, r, st, 4, "cases.exe", true, &r->exe)) ||
	    (err = rec_text(db, r, st, 5, "cases.build_id", true, &r->build_id)) ||
	    (err = rec_text(db, r, st, 6, "cases.cmdline", true, &r->cmdline)) ||
	    (err = rec_text(db, r, st, 7, "cases.host", true, &r->host)) ||
	    (err = column_int(db, st, 8, "cases.captured_ns", true, &r->captured_ns)) ||
	    (err = column_int(db, st, 9, "cases.frozen_ns", true, &r->frozen_ns)) ||
	    (err = column_int(db, st, 10, "cases.analyzed_ns", false, &r->analyzed_ns)) ||
	    (err = column_int(db, st, 11, "cases.nthreads", false, &r->nthreads)) ||
	    (err = rec_text(db, r, st, 12, "signatures.hash", true, &r->sig_hash)))
		goto out;
	memcpy(r->core_hash, hash, 17);
	r->seen_ns = r->has_captured ? r->captured_ns : r->analyzed_ns;
	if (r->sig_hash &&
	    ((err = column_int(db, st, 13, "signatures.version", false, &r->sig_version)) ||
	     (err = rec_text(db, r, st, 14, "signatures.rule", false, &r->sig_rule)) ||
	     (err = rec_text(db, r, st, 15, "signatures.text", false, &r->sig_text)) ||
	     (err = rec_text(db, r, st, 16, "signatures.frames", false, &r->sig_frames)) ||
	     (err = column_int(db, st, 17, "findings.severity", false, &r->sig_severity)) ||
	     (err = rec_text(db, r, st, 18, "findings.summary", false, &r->sig_summary))))
		goto out;
out:
	sqlite3_finalize(st);
	return err;
}

static struct hs_error *load_rows(struct sq *db, int64_t id, struct casedb_record *r)
{
	sqlite3_stmt *st = NULL;
	struct hs_error *err;
	int rc;

	if ((err = prepare(db, "SELECT format, size, data FROM reports WHERE case_id = ? ORDER BY format", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct casedb_rec_report *p = VEC_PUSH(&r->reports);
		int n = sqlite3_column_bytes(st, 2);

		if (!p)
			err = &hs_error_nomem;
		else if (sqlite3_column_type(st, 2) != SQLITE_BLOB)
			err = damaged(db, "%s is %s, not a blob", "reports.data", column_type_name(sqlite3_column_type(st, 2)));
		else if (!(err = rec_text(db, r, st, 0, "reports.format", false, &p->format)) &&
			 !(err = column_int(db, st, 1, "reports.size", false, &p->size)) &&
			 !(p->data = casedb_record_keep(r, sqlite3_column_blob(st, 2), (size_t)n)))
			err = &hs_error_nomem;
		p->len = (size_t)n;
		if (err)
			goto out;
	}
	sqlite3_finalize(st);
	if ((err = prepare(db, "SELECT tid, name, state, syscall, wait_kind, waits_for FROM threads WHERE case_id = ? "
			       "ORDER BY tid", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct casedb_rec_thread *t = VEC_PUSH(&r->threads);

		if (!t)
			err = &hs_error_nomem;
		else if (!(err = column_int(db, st, 0, "threads.tid", false, &t->tid)) &&
			 !(err = rec_text(db, r, st, 1, "threads.name", true, &t->name)) &&
			 !(err = rec_text(db, r, st, 2, "threads.state", true, &t->state)) &&
			 !(err = rec_text(db, r, st, 3, "threads.syscall", true, &t->syscall)) &&
			 !(err = rec_text(db, r, st, 4, "threads.wait_kind", true, &t->wait_kind)))
			err = column_int(db, st, 5, "threads.waits_for", true, &t->waits_for);
		if (err)
			goto out;
	}
	sqlite3_finalize(st);
	if ((err = prepare(db, "SELECT tid, idx, pc, function, offset, module, file, line, inlined, how FROM frames "
			       "WHERE case_id = ? ORDER BY tid, idx", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct casedb_rec_frame *f = VEC_PUSH(&r->frames);

		if (!f)
			err = &hs_error_nomem;
		else if (!(err = column_int(db, st, 0, "frames.tid", false, &f->tid)) &&
			 !(err = column_int(db, st, 1, "frames.idx", false, &f->idx)) &&
			 !(err = column_int(db, st, 2, "frames.pc", true, &f->pc)) &&
			 !(err = rec_text(db, r, st, 3, "frames.function", true, &f->function)) &&
			 !(err = column_int(db, st, 4, "frames.offset", true, &f->offset)) &&
			 !(err = rec_text(db, r, st, 5, "frames.module", true, &f->module)) &&
			 !(err = rec_text(db, r, st, 6, "frames.file", true, &f->file)) &&
			 !(err = column_int(db, st, 7, "frames.line", true, &f->line)) &&
			 !(err = column_int(db, st, 8, "frames.inlined", true, &f->inlined)))
			err = rec_text(db, r, st, 9, "frames.how", true, &f->how);
		if (err)
			goto out;
	}
	sqlite3_finalize(st);
	if ((err = prepare(db, "SELECT idx, rule, severity, summary, hint, threads FROM findings WHERE case_id = ? "
			       "ORDER BY idx", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct casedb_rec_finding *f = VEC_PUSH(&r->findings);

		if (!f)
			err = &hs_error_nomem;
		else if (!(err = column_int(db, st, 0, "findings.idx", false, &f->idx)) &&
			 !(err = rec_text(db, r, st, 1, "findings.rule", false, &f->rule)) &&
			 !(err = column_int(db, st, 2, "findings.severity", false, &f->severity)) &&
			 !(err = rec_text(db, r, st, 3, "findings.summary", false, &f->summary)) &&
			 !(err = rec_text(db, r, st, 4, "findings.hint", true, &f->hint)))
			err = rec_text(db, r, st, 5, "findings.threads", false, &f->threads);
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = sqlite_error(db, "read a case");
out:
	sqlite3_finalize(st);
	return err;
}

struct hs_error *casedb_sqlite_load(void *impl, int64_t id, struct casedb_record *r)
{
	struct sq *db = impl;
	struct hs_error *err;

	/* one read transaction: a case is read whole, as it was committed */
	if ((err = exec1(db, "BEGIN", "start a transaction")))
		return err;
	if (!(err = load_case(db, id, r)))
		err = load_rows(db, id, r);
	roll_back(db);
	if (err)
		casedb_record_deinit(r);
	return err;
}

struct hs_error *casedb_sqlite_forget(void *impl, int64_t id)
{
	static const char *const deletes[] = {
		"DELETE FROM reports WHERE case_id = ?",
		"DELETE FROM threads WHERE case_id = ?",
		"DELETE FROM frames WHERE case_id = ?",
		"DELETE FROM findings WHERE case_id = ?",
		"DELETE FROM cases WHERE id = ?",
	};
	struct sq *db = impl;
	struct hs_error *err;

	if ((err = exec1(db, "BEGIN IMMEDIATE", "start a transaction")))
		return err;
	for (size_t i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++) {
		sqlite3_stmt *st;

		if ((err = prepare(db, deletes[i], &st)))
			goto rollback;
		sqlite3_bind_int64(st, 1, id);
		err = step_done(db, st, "remove a sent case");
		sqlite3_finalize(st);
		if (err)
			goto rollback;
	}
	if ((err = exec1(db, "COMMIT", "commit")))
		goto rollback;
	return NULL;
rollback:
	roll_back(db);
	return err;
}

static struct hs_error *sq_stats(void *impl, struct casedb_stats *ret)
{
	struct sq *db = impl;
	struct hs_error *err;
	int64_t pages = 0, page_size = 0;
	sqlite3_stmt *st;
	size_t k = 0;

	for (size_t i = 0; i < CASEDB_STAT_TABLES; i++) {
		char sql[64];

		/* table names of ours, not input */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", casedb_stat_tables[i]);
		if ((err = query_int(db, sql, &ret->rows[i])))
			return err;
	}
	if ((err = query_int(db, "PRAGMA page_count", &pages)) || (err = query_int(db, "PRAGMA page_size", &page_size)))
		return err;
	ret->bytes = pages * page_size;
	/* dbstat is a compile-time option of SQLite: without it, no detail */
	if (sqlite3_prepare_v2(db->db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC", -1, &st,
			       NULL) != SQLITE_OK)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW && k + 1 < sizeof(ret->detail)) {
		int n = snprintf(ret->detail + k, sizeof(ret->detail) - k, "%s%s %.1f MiB", k ? "; " : "",
				 (const char *)sqlite3_column_text(st, 0), (double)sqlite3_column_int64(st, 1) / 1048576.0);
		if (n < 0 || (size_t)n >= sizeof(ret->detail) - k)
			break;
		k += (size_t)n;
	}
	sqlite3_finalize(st);
	return NULL;
}

static struct hs_error *sq_open(const char *spec, const char *display, bool create, int version, void **ret)
{
	struct sq *db = NULL;
	struct hs_error *err;

	(void)display;
	if ((err = open_at(spec, create, version, &db)))
		return err;
	*ret = db;
	return NULL;
}

const struct casedb_backend casedb_sqlite_backend = {
	.open = sq_open,
	.close = sq_close,
	.store = sq_store,
	.find_case = sq_find_case,
	.queue = sq_queue,
	.find_group = sq_find_group,
	.case_report = sq_case_report,
	.set_status = sq_set_status,
	.stats = sq_stats,
};
