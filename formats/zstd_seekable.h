/*
 * The zstd seekable format (zstd's contrib/seekable_format), writer side.
 * Byte layout at the top of zstd_seekable.c.
 *
 * The input is a virtual stream of `total` bytes produced by a callback, cut
 * into frames of frame_size bytes that are compressed independently, in
 * parallel, and written in order. `zstd -d` decompresses the result like any
 * multi-frame .zst; a seekable reader finds any offset through the seek table.
 */
#ifndef HS_FORMATS_ZSTD_SEEKABLE_H
#define HS_FORMATS_ZSTD_SEEKABLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define ZSTD_SEEKABLE_MAGIC 0x8F92EAB1u
#define ZSTD_SKIPPABLE_SEEK_TABLE_MAGIC 0x184D2A5Eu
#define ZSTD_SEEKABLE_FOOTER_SIZE 9u
#define ZSTD_SEEKABLE_MAX_FRAMES 0x8000000u

/* Fills buf with stream bytes [off, off+len). Called from several threads at once. */
typedef void (*seekable_read_fn)(void *arg, uint64_t off, void *buf, size_t len);
typedef void (*seekable_progress_fn)(void *arg, uint64_t done, uint64_t total);

struct seekable_write_options {
	int level;		/* zstd level; 0 means the default (3) */
	size_t frame_size;	/* uncompressed bytes per frame; 0 means 256 KiB */
	unsigned threads;	/* 0 means one per online CPU (at most 16) */
	seekable_progress_fn progress;
	void *progress_arg;
};

/*
 * Writes the whole compressed stream to fd at its current position.
 * *written_ret gets the compressed size. Errors: HS_ERR_OS (write), HS_ERR_NOMEM,
 * HS_ERR_INTERNAL (zstd).
 */
struct hs_error *zstd_seekable_write(int fd, uint64_t total, seekable_read_fn read, void *read_arg,
				     const struct seekable_write_options *opts, uint64_t *written_ret);

#endif
