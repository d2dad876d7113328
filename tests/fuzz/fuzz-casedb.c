/*
 * Fuzz target for the case database's read paths (casedb/casedb.c) on a
 * damaged SQLite file — a disk that lost a page, a copy cut short, a file
 * another program wrote: casedb_open() must open it (bringing its schema up
 * to date) or refuse it with an error, and what `hanganalyze queue` and
 * `hanganalyze show` then read — the whole queue, each group found again by
 * its hash, the reports of case 1 and of each group's latest case — must be
 * read or refused with an error, never &hs_error_nomem for what is only a
 * wrong value (casedb.h); no crash, no leak. Then `hanganalyze copy` reads
 * every case back (the spool and copy path, casedb_copy()) into a new
 * database, which is read the same way.
 *
 * The input is written to a new file under $TMPDIR (or /tmp), mode 0600 as
 * casedb_open() wants, removed afterwards with SQLite's journal files.
 * Built with replay-main.c as fuzz-casedb-replay, run over corpus-casedb/
 * in every build, and with -fsanitize=fuzzer as fuzz-casedb (clang).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casedb/casedb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* More groups than this are not looked up one by one (the queue is still read whole). */
#define FUZZ_CASEDB_GROUPS 8u

static void check_error(struct hs_error *err)
{
	if (err == &hs_error_nomem)
		abort();
	hs_error_destroy(err);
}

static void read_report(struct casedb *db, int64_t id, const char *format)
{
	struct hs_error *err;
	char *data = NULL;
	size_t len = 0;

	if ((err = casedb_case_report(db, id, format, &data, &len)))
		check_error(err);
	else
		free(data);
}

static void read_all(struct casedb *db)
{
	struct casedb_group_list queue = { NULL, 0, 0 };
	struct hs_error *err;

	if ((err = casedb_queue(db, true, &queue))) {
		check_error(err);
		return;
	}
	for (size_t i = 0; i < queue.len && i < FUZZ_CASEDB_GROUPS; i++) {
		struct casedb_group_list found = { NULL, 0, 0 };
		const struct casedb_group *g = &queue.items[i];

		if (!g->hash)
			abort();
		if (strlen(g->hash) >= 4 && (err = casedb_find_group(db, g->hash, &found)))
			hs_error_destroy(err);	/* two groups may share a damaged hash */
		casedb_group_list_deinit(&found);
		if (g->latest_case)
			read_report(db, g->latest_case, "text");
	}
	casedb_group_list_deinit(&queue);
	read_report(db, 1, "text");
	read_report(db, 1, "json");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096], copy[4096 + 8], side[4096 + 32];
	struct casedb *db;
	struct hs_error *err;
	FILE *f;
	int fd;

	copy[0] = '\0';
	snprintf(path, sizeof(path), "%s/fuzz-casedb.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		abort();	/* not the input's fault: stop rather than fuzz nothing */
	if (!(f = fdopen(fd, "wb")) || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if ((err = casedb_open(path, false, &db)))
		hs_error_destroy(err);
	else {
		struct casedb_copied copied;
		struct casedb *dest;

		read_all(db);
		casedb_close(db);
		snprintf(copy, sizeof(copy), "%s.copy", path);
		if ((err = casedb_open(copy, true, &dest)))
			abort();	/* a new database in $TMPDIR: not the input's fault */
		if ((err = casedb_copy(path, dest, &copied)))
			check_error(err);
		read_all(dest);
		casedb_close(dest);
	}
	for (int k = 0; k < 2; k++) {
		const char *base = k ? copy : path;

		if (k && !copy[0])
			break;
		unlink(base);
		for (const char *const *s = (const char *const[]){ "-journal", "-wal", "-shm", NULL }; *s; s++) {
			snprintf(side, sizeof(side), "%s%s", base, *s);
			unlink(side);
		}
	}
	return 0;
}
