/*
 * Bundles: a core together with the ELF files it needs, in one file that
 * travels (`hangsnap --bundle`, `hanganalyze bundle CORE -o FILE`), analyzed
 * anywhere with `hanganalyze FILE`.
 *
 * The container is a POSIX tar stream (ustar) compressed with zstd, so that
 * `tar --zstd -tvf FILE` lists it and `tar --zstd -xf FILE` unpacks it:
 *
 *   MANIFEST          the first member: what the bundle holds (below)
 *   MEMBER ...        one member per manifest entry, in the manifest's order,
 *                     each a regular file of exactly the entry's size
 *   two zero blocks   the end of the archive (any zero padding after them)
 *
 * The manifest is text, one record per line ending in "\n", fields separated
 * by one space, at most BUNDLE_MAX_MANIFEST bytes:
 *
 *   hangsnap-bundle 1                      magic and version, the first line
 *   # any text                             a comment, ignored
 *   core MEMBER SIZE PATH                  the core: exactly one, the first entry
 *   elf MEMBER SIZE BUILD-ID PATH          a mapped executable or library
 *   debug MEMBER SIZE BUILD-ID PATH        a separate debug file of one of them
 *
 *   MEMBER    the member's name in the tar stream: 1 to 99 bytes of
 *             [A-Za-z0-9._+-], not starting with '.', no two alike
 *   SIZE      its size in bytes, decimal
 *   BUILD-ID  the GNU build-id in lowercase hex, 2 to 128 digits, even
 *   PATH      where the file was on the host that made the bundle, for
 *             people: every byte outside '!'..'~' and '%' itself as %XX
 *
 * At most BUNDLE_MAX_ENTRIES entries. A newer version, an unknown record, a
 * member that is not the next entry's (name, size, type), a link, a device
 * or any other deviation is refused as a whole.
 *
 * A bundle is untrusted input. Reading one never creates a file by any name
 * it holds: each member goes to an unnamed temporary file (O_TMPFILE, else
 * a random name unlinked at once), its size checked against the manifest and
 * the total against a cap, before any of it is used. The reader is fuzzed
 * (tests/fuzz/fuzz-bundle.c).
 */
#ifndef HS_FORMATS_BUNDLE_H
#define HS_FORMATS_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define BUNDLE_MANIFEST_NAME "MANIFEST"
#define BUNDLE_VERSION 1
#define BUNDLE_MAX_MANIFEST (1u << 20)
#define BUNDLE_MAX_ENTRIES 4096u
#define BUNDLE_MAX_MEMBER 99u
#define BUNDLE_MAX_BUILD_ID 128u	/* hex digits */
/* the most one member may declare (the core of a huge process) */
#define BUNDLE_MAX_SIZE (1ull << 40)

enum bundle_kind { BUNDLE_CORE, BUNDLE_ELF, BUNDLE_DEBUG };

struct bundle_entry {
	enum bundle_kind kind;
	char member[BUNDLE_MAX_MEMBER + 1];
	uint64_t size;
	char build_id[BUNDLE_MAX_BUILD_ID + 1];	/* "" for the core */
	char *path;	/* decoded: any bytes but NUL */
};

struct bundle_manifest {
	struct bundle_entry *entries;	/* entries[0] is the core */
	size_t n;
};

void bundle_manifest_free(struct bundle_manifest *m);

/* Is name a valid MEMBER (see above)? */
bool bundle_valid_member(const char *name);

/* Parses buf (len bytes, need not be NUL-terminated). HS_ERR_FORMAT names the line that is wrong. */
struct hs_error *bundle_manifest_parse(const char *buf, size_t len, struct bundle_manifest *ret);

/* Renders m into a new string (*ret, the caller frees it). */
struct hs_error *bundle_manifest_format(const struct bundle_manifest *m, char **ret, size_t *len_ret);

/* ---- writing ---- */

struct bundle_writer;

/* A writer of the stream to fd (which it does not close), zstd level level, on threads worker threads (0: none). */
struct hs_error *bundle_writer_open(int fd, int level, int threads, struct bundle_writer **ret);
/* The next member: len bytes from data. */
struct hs_error *bundle_writer_add_buffer(struct bundle_writer *w, const char *member, const void *data, size_t len);
/* The next member: exactly size bytes of the regular file open at fd, from offset 0 (fails if it is shorter). */
struct hs_error *bundle_writer_add_file(struct bundle_writer *w, const char *member, int fd, uint64_t size);
/* Ends the archive and the zstd frame; bytes written so far into *written_ret when not NULL. */
struct hs_error *bundle_writer_finish(struct bundle_writer *w, uint64_t *written_ret);
/* Frees the writer (after finish, or to give up); accepts NULL. */
void bundle_writer_free(struct bundle_writer *w);

/* ---- reading ---- */

/*
 * Is the file at fd a bundle: zstd whose first 512 bytes are the tar header
 * of a MANIFEST? Reads from offset 0 with pread, changes no offset.
 */
bool bundle_sniff(int fd);

/* A bundle read: its manifest and one unnamed read-only-reopenable temporary file per entry. */
struct bundle {
	struct bundle_manifest manifest;
	int *fds;		/* fds[i]: entries[i]'s contents, offset 0 */
};

/*
 * Reads the bundle at fd (from its current offset), writing each member
 * into an unnamed file in tmpdir. max_total caps the sum of the members'
 * sizes (HS_ERR_LIMIT beyond it, before anything is written); HS_ERR_FORMAT
 * for a damaged or foreign file, HS_ERR_OS when tmpdir cannot take it (the
 * message says which). On failure nothing is left behind.
 */
struct hs_error *bundle_read(int fd, const char *tmpdir, uint64_t max_total, struct bundle *ret);
void bundle_free(struct bundle *b);

#endif
