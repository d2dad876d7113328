/*
 * The case database: every analysis is a case; cases with the same
 * signature form a group with a triage status. Two backends behind this one
 * interface (casedb/backend.h): an SQLite file (a path: the embedded
 * default) or a PostgreSQL server shared by a fleet (a libpq connection
 * string: postgresql://…, postgres://… or key=value pairs), with the same
 * schema and versioning on both.
 *
 * Schema (version CASEDB_SCHEMA_VERSION, in PRAGMA user_version on SQLite and
 * the table hanganalyze_schema on PostgreSQL; the migrations that lead to it
 * are in sqlite.c and pg.c, applied in order on open):
 *   signatures  one row per hang signature: rule, text, full normalized
 *               frames, worst severity, latest summary, status
 *               (new|triaged|fixed|ignored|regressed), note, ticket,
 *               fixed_in, first/last seen, count
 *   signature_hosts  the hosts a signature was seen on
 *   cases       one row per core (unique by the core's content hash):
 *               process identity, host, capture time, core path, and the
 *               rendered reports (zstd) so `show` prints exactly what the
 *               analysis printed
 *   threads, frames, findings  every thread, frame and finding of a case
 *   triage_log  every status change (version 2)
 *
 * PostgreSQL: one transaction per case, unique constraints (the same core
 * twice is one case), relative updates of counts and times under the
 * signature's row lock, retried on a serialization failure or deadlock. An
 * ingest that cannot reach the server (after retrying for a few seconds)
 * keeps the case in a local SQLite spool, sent by casedb_push() or the next
 * ingest that reaches the server, exactly once.
 *
 * SQLite: WAL, a busy timeout, one IMMEDIATE transaction per case, so
 * several hanganalyze processes can ingest into one file at once; a kill at
 * any point leaves either the whole case or none of it. A database written
 * by a newer hanganalyze (higher user_version) is refused before anything is
 * written to it. New database files are created 0600.
 *
 * All SQL goes through prepared statements with bound parameters.
 */
#ifndef HS_CASEDB_CASEDB_H
#define HS_CASEDB_CASEDB_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/model.h"
#include "common/error.h"
#include "common/vec.h"

#define CASEDB_SCHEMA_VERSION 2
#define CASEDB_BUSY_TIMEOUT_MS 30000

struct casedb;

/*
 * Opens (creating it and its directory, 0700, when create) the database at
 * path and brings its schema up to date. HS_ERR_FORMAT for a file that is
 * not a case database, has a newer schema or is damaged (a negative schema
 * version), and for one refused as ssh refuses loose key files: the last
 * component of path a symlink (symlinks above it are followed), not a
 * regular file, owned by another uid than the effective one, or writable
 * by group or others — the message names the fix. A file this call created
 * is removed again on failure while it is still empty.
 *
 * Every function reading the database gives HS_ERR_FORMAT ("database 'P' is
 * damaged: TABLE.COLUMN is NULL") for a NULL or wrongly typed value where
 * the schema has none, never &hs_error_nomem.
 */
struct hs_error *casedb_open(const char *path, bool create, struct casedb **ret);
void casedb_close(struct casedb *db);

/* Whether spec names a database server (a libpq connection string) rather than an SQLite file. */
bool casedb_is_server(const char *spec);

/* How messages name db: the path, or the server's URI without its password. */
const char *casedb_name(const struct casedb *db);

/* The spool file of a server database (NULL for SQLite). */
const char *casedb_spool_path(const struct casedb *db);

/* The default path: $HANGANALYZE_DB, else ${XDG_DATA_HOME:-~/.local/share}/hanganalyze/cases.db. Caller frees. */
char *casedb_default_path(void);

/* Opens a database at exactly schema version `version` (for migration tests). */
struct hs_error *casedb_create_at_version(const char *path, int version);

/* The reports a case keeps, by format name ("text", "json"). */
struct casedb_report {
	const char *format;
	const char *data;
	size_t len;
};

struct casedb_stored {
	int64_t case_id;
	bool existed;			/* the same core was stored before: nothing was added */
	char status[16];		/* the group's status after this case */
	int64_t count;			/* cases in the group */
	bool regressed;			/* this case turned a fixed signature into regressed */
	bool spooled;			/* the server was unreachable: the case is in the spool */
	char why[256];			/* when spooled: the server's error */
	int64_t pushed, push_left;	/* spooled cases sent to the server after this one, and those left */
};

/*
 * Whether m's core is stored already, and as which case (ret as
 * casedb_store() fills it for a core that existed): an analysis that finds
 * it need not render the stored reports. A server database says not found
 * (its store also sends the spool); an error is the database's.
 */
struct hs_error *casedb_find_case(struct casedb *db, const struct model *m, bool *found, struct casedb_stored *ret);

/* Stores m (analyzed from core_path) with its rendered reports, in one transaction. */
struct hs_error *casedb_store(struct casedb *db, const struct model *m, const char *core_path,
			      const struct casedb_report *reports, size_t nreports, struct casedb_stored *ret);

/* One row of the triage queue. Strings are owned by the list. */
struct casedb_group {
	int64_t id;
	char *hash, *rule, *summary, *status, *hosts, *note, *ticket, *fixed_in, *text;
	int severity;			/* enum severity */
	int64_t count, first_seen, last_seen;	/* ns since the epoch */
	int64_t latest_case;
};

struct casedb_group_list {
	struct casedb_group *items;
	size_t len, cap;
};

/*
 * The queue, most urgent first: regressed, then new, then triaged, then the
 * rest; within each by severity, count and last seen. all=false leaves out
 * fixed and ignored groups.
 */
struct hs_error *casedb_queue(struct casedb *db, bool all, struct casedb_group_list *ret);
void casedb_group_list_deinit(struct casedb_group_list *l);

/* The group whose hash starts with prefix (at least 4 hex digits; must be unambiguous). */
struct hs_error *casedb_find_group(struct casedb *db, const char *prefix, struct casedb_group_list *ret);

/* A stored report of case id in format: a new buffer (not NUL-terminated data, *len_ret bytes). */
struct hs_error *casedb_case_report(struct casedb *db, int64_t id, const char *format, char **data_ret,
				    size_t *len_ret);

/* Sets a group's status (triaged|fixed|ignored|new) with optional note, ticket and fixed-in version. */
struct hs_error *casedb_triage(struct casedb *db, const char *prefix, const char *status, const char *note,
			       const char *ticket, const char *fixed_in, struct casedb_group_list *ret);

/* Sends the spooled cases of server db: *sent sent now, *left still waiting (on an error). */
struct hs_error *casedb_push(struct casedb *db, int64_t *sent, int64_t *left);

struct casedb_copied {
	int64_t copied, existed;	/* cases added, cases the destination had already */
	int64_t triaged;		/* groups whose triage status came along */
};

/*
 * Copies every case of the SQLite database at from into db (any backend),
 * idempotent by core hash; a status other than new comes along for groups
 * still new in db.
 */
struct hs_error *casedb_copy(const char *from, struct casedb *db, struct casedb_copied *ret);

/* What a database holds, for benchmarks and operators. */
#define CASEDB_STAT_TABLES 6	/* cases, signatures, reports, threads, frames, findings */
extern const char *const casedb_stat_tables[CASEDB_STAT_TABLES];
struct casedb_stats {
	int64_t rows[CASEDB_STAT_TABLES];
	int64_t bytes;			/* the whole database (SQLite: pages in use; PostgreSQL: pg_database_size) */
	char detail[1024];		/* bytes per table and index, when the backend tells ("" otherwise) */
};
struct hs_error *casedb_stats(struct casedb *db, struct casedb_stats *ret);

/* The PostgreSQL schema as SQL for a database owner to run, granting role what ingest and triage need. */
struct hs_error *casedb_schema_sql(const char *role, char **ret);

#endif
