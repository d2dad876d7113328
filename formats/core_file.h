/*
 * Random access to the bytes of a core, whatever it is stored as:
 *
 *  - a plain file: mmap'd, read in place;
 *  - the zstd seekable format (hangsnap's .hang.zst): the seek table is read
 *    from the end, and a frame is decompressed only when a read touches it,
 *    into a small cache of recently used frames;
 *  - any other zstd stream (systemd-coredump's .zst, `zstd` CLI output):
 *    decompressed once, up to CORE_FILE_ZSTD_MAX bytes, into an unnamed
 *    temporary file under $TMPDIR, then read like a plain file.
 *
 * Reads past the end fail; nothing in the file can make us allocate more
 * than the caps below.
 */
#ifndef HS_FORMATS_CORE_FILE_H
#define HS_FORMATS_CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Largest decompressed size accepted for a non-seekable zstd core. */
#define CORE_FILE_ZSTD_MAX (64ull << 30)
/* Largest frame accepted in a seekable core. */
#define CORE_FILE_FRAME_MAX (64u << 20)
/*
 * Frames kept decompressed (at most 64 x 256 KiB = 16 MiB with hangsnap's
 * frame size): enough for the stacks of a large process to be decompressed
 * once while unwinding and stay there for the evidence pass that reads them again.
 */
#define CORE_FILE_CACHE_FRAMES 64u

enum core_file_kind { CORE_FILE_PLAIN, CORE_FILE_ZSTD_SEEKABLE, CORE_FILE_ZSTD_STREAM };

struct core_file_stats {
	uint64_t bytes_read;		/* from disk (compressed bytes for zstd) */
	uint64_t bytes_decompressed;	/* zstd output produced */
	uint64_t frames_decompressed;
};

struct core_file;

/*
 * Opens path. Fails with HS_ERR_OS (cannot open), HS_ERR_FORMAT (empty,
 * corrupt zstd, bad seek table) or HS_ERR_LIMIT (over a cap).
 */
struct hs_error *core_file_open(const char *path, struct core_file **ret);
void core_file_destroy(struct core_file *cf);

enum core_file_kind core_file_kind(const struct core_file *cf);
/* Size of the (decompressed) core in bytes. */
uint64_t core_file_size(const struct core_file *cf);

/*
 * Copies [off, off+len) into buf. HS_ERR_FORMAT when the range is past the
 * end or a frame is corrupt. Not thread-safe.
 */
struct hs_error *core_file_pread(struct core_file *cf, void *buf, size_t len, uint64_t off);

/*
 * Returns a pointer to [off, off+len) valid until the next call on cf, or
 * NULL with *err_ret set. Zero-copy for plain files and within one cached
 * frame; a range that spans frames is assembled in a buffer cf keeps.
 */
const void *core_file_peek(struct core_file *cf, uint64_t off, size_t len, struct hs_error **err_ret);

void core_file_stats(const struct core_file *cf, struct core_file_stats *ret);

#endif
