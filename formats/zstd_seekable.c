/*
 * Seekable zstd, as hangsnap writes it (all integers little-endian):
 *
 *   frame 0 … frame N-1   ordinary zstd frames (magic 0xFD2FB528), each the
 *                         compression of exactly frame_size input bytes (the
 *                         last one may be shorter), with content size and a
 *                         content checksum in the frame header/footer
 *   seek table            a skippable frame:
 *     0   u32  0x184D2A5E           skippable frame magic (nibble 0xE)
 *     4   u32  N*8 + 9              frame content size
 *     8   N ×  { u32 compressed size, u32 decompressed size }
 *     …   u32  N                    number of frames
 *     …   u8   0                    descriptor: bit 7 = per-entry checksums (never
 *                                   set: the frames carry their own), 0-6 reserved
 *     …   u32  0x8F92EAB1           seekable magic
 *
 * A reader starts from the last 9 bytes, checks the magic, and walks the
 * entries to map an uncompressed offset to its frame. Plain `zstd -d` skips
 * the skippable frame and concatenates the frames.
 */
#include "formats/zstd_seekable.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "common/strbuf.h"
#include "formats/bytes.h"

#define DEFAULT_FRAME_SIZE (256u * 1024u)
#define MAX_THREADS 16u
#define FRAMES_PER_THREAD_BATCH 8u

struct frame_slot {
	uint64_t index;
	void *in;
	void *out;
	size_t out_len;
	size_t in_len;
	int zerr;	/* nonzero: ZSTD error code */
	size_t zret;
};

struct batch {
	uint64_t total;
	size_t frame_size;
	uint64_t first, count;
	struct frame_slot *slots;
	seekable_read_fn read;
	void *read_arg;
	pthread_mutex_t lock;
	uint64_t next;
};

struct worker {
	struct batch *batch;
	ZSTD_CCtx *cctx;
};

static void *compress_worker(void *arg)
{
	struct worker *w = arg;
	struct batch *b = w->batch;

	for (;;) {
		uint64_t i;
		struct frame_slot *s;
		uint64_t off;

		pthread_mutex_lock(&b->lock);
		i = b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->count)
			break;
		s = &b->slots[i];
		off = (b->first + i) * b->frame_size;
		s->in_len = (size_t)(b->total - off < b->frame_size ? b->total - off : b->frame_size);
		b->read(b->read_arg, off, s->in, s->in_len);
		s->zret = ZSTD_compress2(w->cctx, s->out, ZSTD_compressBound(b->frame_size), s->in, s->in_len);
		s->zerr = ZSTD_isError(s->zret);
		s->out_len = s->zerr ? 0 : s->zret;
	}
	return NULL;
}

static struct hs_error *write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hs_error_errno(errno, "cannot write the compressed core");
		}
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

struct hs_error *zstd_seekable_write(int fd, uint64_t total, seekable_read_fn read, void *read_arg,
				     const struct seekable_write_options *opts, uint64_t *written_ret)
{
	size_t frame_size = opts->frame_size ? opts->frame_size : DEFAULT_FRAME_SIZE;
	unsigned nthreads = opts->threads;
	uint64_t nframes = (total + frame_size - 1) / frame_size, written = 0;
	struct worker workers[MAX_THREADS];
	struct frame_slot *slots = NULL;
	struct strbuf table;
	struct byte_writer tw = { &table, false };
	struct hs_error *err = NULL;
	struct batch b;
	size_t per_batch;

	if (nthreads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (unsigned)n : 1;
	}
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	if (nframes > ZSTD_SEEKABLE_MAX_FRAMES)
		return hs_error_create(HS_ERR_LIMIT, "stream of %llu bytes needs more than %u frames",
				       (unsigned long long)total, ZSTD_SEEKABLE_MAX_FRAMES);
	strbuf_init(&table);
	memset(workers, 0, sizeof(workers));
	per_batch = nthreads * FRAMES_PER_THREAD_BATCH;
	if (!(slots = calloc(per_batch, sizeof(*slots)))) {
		err = &hs_error_nomem;
		goto cleanup;
	}
	for (size_t i = 0; i < per_batch; i++) {
		slots[i].in = malloc(frame_size);
		slots[i].out = malloc(ZSTD_compressBound(frame_size));
		if (!slots[i].in || !slots[i].out) {
			err = &hs_error_nomem;
			goto cleanup;
		}
	}
	for (unsigned t = 0; t < nthreads; t++) {
		if (!(workers[t].cctx = ZSTD_createCCtx())) {
			err = &hs_error_nomem;
			goto cleanup;
		}
		ZSTD_CCtx_setParameter(workers[t].cctx, ZSTD_c_compressionLevel, opts->level ? opts->level : 3);
		ZSTD_CCtx_setParameter(workers[t].cctx, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(workers[t].cctx, ZSTD_c_contentSizeFlag, 1);
		workers[t].batch = &b;
	}
	memset(&b, 0, sizeof(b));
	b.total = total;
	b.frame_size = frame_size;
	b.slots = slots;
	b.read = read;
	b.read_arg = read_arg;
	pthread_mutex_init(&b.lock, NULL);

	for (uint64_t first = 0; first < nframes && !err; first += per_batch) {
		pthread_t tids[MAX_THREADS];
		unsigned started = 0;

		b.first = first;
		b.count = nframes - first < per_batch ? nframes - first : per_batch;
		b.next = 0;
		for (unsigned t = 0; t < nthreads && t < b.count; t++) {
			if (pthread_create(&tids[t], NULL, compress_worker, &workers[t]) != 0)
				break;
			started++;
		}
		if (started == 0)
			compress_worker(&workers[0]);
		for (unsigned t = 0; t < started; t++)
			pthread_join(tids[t], NULL);
		for (uint64_t i = 0; i < b.count; i++) {
			struct frame_slot *s = &slots[i];
			if (s->zerr) {
				err = hs_error_create(HS_ERR_INTERNAL, "cannot compress frame %llu: %s",
						      (unsigned long long)(first + i), ZSTD_getErrorName(s->zret));
				break;
			}
			if ((err = write_all(fd, s->out, s->out_len)))
				break;
			written += s->out_len;
			bw_u32(&tw, (uint32_t)s->out_len);
			bw_u32(&tw, (uint32_t)s->in_len);
		}
		if (opts->progress)
			opts->progress(opts->progress_arg, (first + b.count) * frame_size < total ? (first + b.count) * frame_size : total, total);
	}
	pthread_mutex_destroy(&b.lock);
	if (err)
		goto cleanup;
	{
		struct strbuf head;
		struct byte_writer hw = { &head, false };

		strbuf_init(&head);
		bw_u32(&tw, (uint32_t)nframes);
		bw_u8(&tw, 0);
		bw_u32(&tw, ZSTD_SEEKABLE_MAGIC);
		bw_u32(&hw, ZSTD_SKIPPABLE_SEEK_TABLE_MAGIC);
		bw_u32(&hw, (uint32_t)table.len);
		if (tw.failed || hw.failed)
			err = &hs_error_nomem;
		else if (!(err = write_all(fd, head.buf, head.len)))
			err = write_all(fd, table.buf, table.len);
		written += head.len + table.len;
		strbuf_deinit(&head);
	}
	if (!err && written_ret)
		*written_ret = written;
cleanup:
	for (unsigned t = 0; t < nthreads; t++)
		ZSTD_freeCCtx(workers[t].cctx);
	if (slots) {
		for (size_t i = 0; i < per_batch; i++) {
			free(slots[i].in);
			free(slots[i].out);
		}
		free(slots);
	}
	strbuf_deinit(&table);
	return err;
}
