/*
 * The ELF files under some directories, by GNU build-id (analyzer-internal):
 * what --search DIR and HANGANALYZE_PATH give the unwinder, so that a core's
 * modules are found whatever their names and paths on this machine — the
 * program and libraries copied from another host into one directory, their
 * separate debug files beside them.
 *
 * The walk is bounded (INDEX_MAX_DEPTH levels, INDEX_MAX_FILES files looked
 * at, INDEX_MAX_ELF files indexed), follows no symbolic link, opens nothing
 * but regular files (O_NOFOLLOW, non-blocking: a FIFO or a device is never
 * read) and reads only their ELF headers, section headers and build-id note.
 */
#ifndef HS_ANALYZER_BUILDID_INDEX_H
#define HS_ANALYZER_BUILDID_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include <libelf.h>

#include "common/error.h"

#define INDEX_MAX_DEPTH 16
#define INDEX_MAX_FILES 200000
#define INDEX_MAX_ELF 50000

struct buildid_index;

struct buildid_index_stats {
	size_t dirs, fds, files, elf;	/* directories and open files given, files looked at, ELF files with a build-id */
	bool truncated;			/* a bound was hit: some files were not looked at */
};

/*
 * Indexes the files open at fds (a bundle's, unnamed: they are found as
 * /proc/self/fd/N) and the regular ELF files under dirs. A directory that
 * cannot be read is skipped (*unreadable_ret, if not NULL, names the first).
 * Fails only when memory runs out.
 */
struct hs_error *buildid_index_build(const char *const *dirs, size_t ndirs, const int *fds, size_t nfds,
				     struct buildid_index **ret, char **unreadable_ret);
void buildid_index_destroy(struct buildid_index *ix);

/*
 * A file with build-id id: with code (for a module's ELF) when !debug, with
 * DWARF (.debug_info) when debug. NULL when there is none. The index owns it.
 */
const char *buildid_index_find(const struct buildid_index *ix, const unsigned char *id, size_t len, bool debug);

void buildid_index_stats(const struct buildid_index *ix, struct buildid_index_stats *ret);

/* What an ELF file's sections say: code (an executable PROGBITS section, or segment), DWARF (.debug_info with data). */
void buildid_elf_classify(Elf *elf, bool *code, bool *debug);

#endif
