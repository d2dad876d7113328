/*
 * The manifest of a process-tree snapshot (`hangsnap --tree PID -o DIR`):
 * which processes the tree held, who is whose parent, and which core in DIR
 * is whose. hanganalyze DIR reads it to analyze the cores as one case.
 *
 * The file is DIR/tree.manifest, UTF-8 text, one record per line, lines
 * ending in "\n", at most TREE_MANIFEST_MAX_BYTES in all:
 *
 *   hangsnap-tree 1                      the first line: magic and version
 *   # any text                           a comment, ignored
 *   process PID PPID START CORE          one line per process
 *
 *   PID, PPID  decimal, 1 to 2^31-1; PPID 0 when the parent is unknown
 *   START      the process's start, in nanoseconds since boot (decimal,
 *              from /proc/PID/stat), so that a reused pid is told apart
 *   CORE       the core's file name in DIR — 1 to 255 bytes of
 *              [A-Za-z0-9._+-], not starting with '.' — or "-" when the
 *              process could not be snapshotted (it exited, it refused)
 *
 * Fields are separated by one space. The first process line is the tree's
 * root (the PID given to hangsnap); every other process's PPID is a pid on
 * an earlier line (parents before children); no pid appears twice; at most
 * TREE_MANIFEST_MAX_PROCESSES processes. A newer version, unknown record
 * or any other deviation is refused as a whole: a manifest is never half
 * used. The parser is fuzzed (tests/fuzz/fuzz-manifest.c).
 */
#ifndef HS_FORMATS_TREE_MANIFEST_H
#define HS_FORMATS_TREE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define TREE_MANIFEST_NAME "tree.manifest"
#define TREE_MANIFEST_VERSION 1
#define TREE_MANIFEST_MAX_PROCESSES 64u
#define TREE_MANIFEST_MAX_BYTES (64u << 10)
#define TREE_MANIFEST_MAX_NAME 255u

struct tree_process {
	int32_t pid, ppid;
	uint64_t start_boot_ns;
	char core[TREE_MANIFEST_MAX_NAME + 1];	/* "" when not snapshotted */
};

struct tree_manifest {
	struct tree_process procs[TREE_MANIFEST_MAX_PROCESSES];	/* procs[0] is the root */
	size_t n;
};

/* Is name a valid CORE field (see above), not "-"? */
bool tree_manifest_valid_name(const char *name);

/* DIR/NAME as a new string (one '/' between them), or NULL when memory runs out. */
char *tree_manifest_path(const char *dir, const char *name);

/* Parses buf (len bytes, need not be NUL-terminated) into *ret. HS_ERR_FORMAT names the line that is wrong. */
struct hs_error *tree_manifest_parse(const char *buf, size_t len, struct tree_manifest *ret);

/* Renders m into a new string (*ret, the caller frees it), or &hs_error_nomem. */
struct hs_error *tree_manifest_format(const struct tree_manifest *m, char **ret, size_t *len_ret);

/*
 * Reads DIR/tree.manifest (not following a symlink in its last component)
 * into *ret. HS_ERR_OS (errnum ENOENT when DIR has no manifest) when it
 * cannot be read, HS_ERR_FORMAT when it is malformed or too large.
 */
struct hs_error *tree_manifest_read(const char *dir, struct tree_manifest *ret);

/*
 * Writes m as DIR/tree.manifest, mode 0600, never over an existing file or
 * through a symlink, and never as a partial file (written under a temporary
 * name, then renamed into place).
 */
struct hs_error *tree_manifest_write(const char *dir, const struct tree_manifest *m);

#endif
