/*
 * Random access to the bytes of a core, whatever it is stored as:
 *
 *  - a plain file: mmap'd, read in place; above 256 MiB (a gcore core),
 *    copies go through a 16 MiB cache of pages read with pread(), so that
 *    what the analysis touches does not all stay resident;
 *  - the zstd seekable format (hangsnap's .hang.zst): the seek table is read
 *    from the end, and a frame is decompressed only when a read touches it,
 *    into a small cache of recently used frames;
 *  - any other zstd stream (systemd-coredump's .zst, `zstd` CLI output, and
 *    several frames one after another): decompressed once into an unnamed
 *    temporary file under $TMPDIR, then read like a plain file.
 *
 * Reads past the end fail; nothing in the file can make us allocate more
 * than the caps below. Against decompression bombs (a few KB of zstd that
 * expand to gigabytes), what is decompressed is bounded twice:
 *
 *  - by what the core itself declares: its extent, the end of the furthest of
 *    its ELF header, program headers, section headers and segment file bytes.
 *    A zstd stream that runs past it, or a seek table whose frames add up to
 *    more, is refused ("... past the end of its core ..."). Cores with
 *    PN_XNUM program headers (count in section header 0) are bounded by the
 *    caps alone;
 *  - by caps, whatever the core declares: CORE_FILE_ZSTD_MAX bytes written to
 *    the temporary file (overridable, see CORE_FILE_ZSTD_MAX_ENV), all-zero
 *    blocks left as holes so that they take no disk; CORE_FILE_CACHE_BYTES of
 *    decompressed seekable frames in memory.
 */
#ifndef HS_FORMATS_CORE_FILE_H
#define HS_FORMATS_CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/*
 * Largest decompressed size accepted for a non-seekable zstd core: what is
 * written to $TMPDIR at most (systemd-coredump's own default cap on a stored
 * core, ExternalSizeMax, is 32 GiB too). Past it: HS_ERR_LIMIT, "decompressed
 * core exceeds N bytes (the cap; set HANGANALYZE_ZSTD_MAX to raise it)".
 */
#define CORE_FILE_ZSTD_MAX (32ull << 30)
/*
 * Environment variable that replaces CORE_FILE_ZSTD_MAX: a byte count with an
 * optional K, M, G or T suffix (powers of 1024), e.g. HANGANALYZE_ZSTD_MAX=100G.
 * An unparsable value is ignored.
 */
#define CORE_FILE_ZSTD_MAX_ENV "HANGANALYZE_ZSTD_MAX"
/* Largest frame accepted in a seekable core. */
#define CORE_FILE_FRAME_MAX (64u << 20)
/*
 * Frames kept decompressed (at most 128 x 256 KiB = 32 MiB with hangsnap's
 * frame size): enough for the notes and stacks of a large process to be
 * decompressed once and stay there for the passes that read them again (the
 * evidence scan, the content hash of a stored case). With 64, the 1000-thread
 * core's 66 frames did not fit, and its notes were decompressed twice.
 */
#define CORE_FILE_CACHE_FRAMES 128u
/*
 * ... and at most this many bytes of them, whatever other writers chose as a
 * frame size: least recently used frames are dropped to make room. One frame
 * of CORE_FILE_FRAME_MAX always fits.
 */
#define CORE_FILE_CACHE_BYTES (64u << 20)

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
