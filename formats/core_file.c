/*
 * See core_file.h. The seekable format's bytes are specified in
 * zstd_seekable.c; this reader also accepts seek tables with per-frame
 * checksums (descriptor bit 7), which other writers produce.
 */
#include "formats/core_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/util.h"
#include "formats/zstd_seekable.h"

#define ZSTD_FRAME_MAGIC 0xFD2FB528u

struct seek_entry {
	uint64_t comp_off, comp_size;
	uint64_t decomp_off, decomp_size;
};

struct cached_frame {
	uint64_t index;		/* UINT64_MAX: empty */
	uint64_t last_use;
	unsigned char *data;
	size_t len;
};

/*
 * Pages of a large plain core, read with pread(): a 4-way set-associative
 * cache of PAGE_CACHE_SETS x 4 pages (16 MiB at most, resident only as used).
 */
#define PAGE_CACHE_SHIFT 12
#define PAGE_CACHE_SETS_SHIFT 10
#define PAGE_CACHE_SETS (1u << PAGE_CACHE_SETS_SHIFT)
#define PAGE_CACHE_WAYS 4u

struct page_cache {
	uint64_t tag[PAGE_CACHE_SETS][PAGE_CACHE_WAYS];		/* page number + 1; 0: empty */
	uint64_t used[PAGE_CACHE_SETS][PAGE_CACHE_WAYS];	/* clock at the last use */
	uint64_t clock;
	unsigned char *data;					/* the pages, set by set */
};

struct core_file {
	enum core_file_kind kind;
	int fd;
	uint64_t size;
	/* plain, or a decompressed stream */
	const unsigned char *map;
	uint64_t map_len;
	/* seekable */
	struct seek_entry *frames;
	uint64_t nframes;
	struct cached_frame cache[CORE_FILE_CACHE_FRAMES];
	size_t cache_bytes;		/* sum of their lens, at most CORE_FILE_CACHE_BYTES */
	uint64_t clock;
	unsigned char *comp_buf;
	size_t comp_cap;
	ZSTD_DCtx *dctx;
	unsigned char *advised;		/* plain files: one bit per PREFETCH_BLOCK already asked for */
	struct page_cache *pages;	/* plain files over CORE_FILE_MAP_READ_MAX: copies go through it */
	unsigned char *span_buf;	/* for peeks across frames */
	size_t span_cap;
	struct core_file_stats stats;
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct hs_error *pread_exact(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hs_error_errno(errno, "cannot read %s", what);
		if (n == 0)
			return hs_error_create(HS_ERR_FORMAT, "cannot read %s at offset 0x%llx: truncated", what,
					       (unsigned long long)(off + done));
		done += (size_t)n;
	}
	return NULL;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * What an ELF64 core declares about its own size, for the bomb checks (the
 * full validation is elfcore_reader's). From the header (e_phoff at 32, e_shoff
 * at 40, e_phentsize at 54, e_phnum at 56, e_shentsize at 58, e_shnum at 60):
 * *lower_ret, the end of the header and of both header tables, and where the
 * program headers are. False when the header gives no usable bound (not a
 * 64-bit little-endian ELF file, odd e_phentsize, no or PN_XNUM program
 * headers): elfcore_reader refuses the first ones, the caps bound the last.
 */
#define ELF64_EHDR_SIZE 64u
#define ELF64_PHDR_SIZE 56u
#define ELF_PN_XNUM 0xffffu

static bool ehdr_declares(const unsigned char *eh, uint64_t *phoff_ret, uint64_t *phnum_ret, uint64_t *lower_ret)
{
	uint64_t phoff = le64(eh + 32), shoff = le64(eh + 40);
	unsigned phentsize = eh[54] | eh[55] << 8, phnum = eh[56] | eh[57] << 8;
	unsigned shentsize = eh[58] | eh[59] << 8, shnum = eh[60] | eh[61] << 8;

	if (memcmp(eh, "\177ELF", 4) != 0 || eh[4] != 2 || eh[5] != 1 || phentsize != ELF64_PHDR_SIZE ||
	    phnum == 0 || phnum == ELF_PN_XNUM)
		return false;
	*phoff_ret = phoff;
	*phnum_ret = phnum;
	*lower_ret = MAX((uint64_t)ELF64_EHDR_SIZE, MAX(add_sat(phoff, (uint64_t)phnum * ELF64_PHDR_SIZE),
							add_sat(shoff, (uint64_t)shnum * shentsize)));
	return true;
}

/* The core's extent: lower, or the end of the furthest segment's file bytes (p_offset at 8, p_filesz at 32). */
static uint64_t phdrs_extent(const unsigned char *ph, uint64_t phnum, uint64_t lower)
{
	uint64_t extent = lower;

	for (uint64_t i = 0; i < phnum; i++)
		extent = MAX(extent, add_sat(le64(ph + i * ELF64_PHDR_SIZE + 8), le64(ph + i * ELF64_PHDR_SIZE + 32)));
	return extent;
}

/*
 * The extent declared by the core whose first bytes are readable through
 * read(arg, buf, len, off), or UINT64_MAX when it is not known (no usable
 * header, or the program headers are not within the avail bytes). *final_ret
 * (when not NULL) says whether more bytes could change that: false only
 * while the header or the program headers lie beyond avail.
 */
typedef struct hs_error *(*extent_read_fn)(void *arg, void *buf, size_t len, uint64_t off);

static struct hs_error *declared_extent(extent_read_fn read, void *arg, uint64_t avail, uint64_t *ret,
				       bool *final_ret)
{
	unsigned char eh[ELF64_EHDR_SIZE], *ph;
	uint64_t phoff, phnum, lower;
	struct hs_error *err;
	bool dummy;

	if (!final_ret)
		final_ret = &dummy;
	*ret = UINT64_MAX;
	*final_ret = false;
	if (avail < sizeof(eh))
		return NULL;
	if ((err = read(arg, eh, sizeof(eh), 0)))
		return err;
	if (!ehdr_declares(eh, &phoff, &phnum, &lower)) {
		*final_ret = true;	/* no header will bound it, however much follows */
		return NULL;
	}
	if (phoff > avail || avail - phoff < phnum * ELF64_PHDR_SIZE)
		return NULL;
	*final_ret = true;
	if (!(ph = malloc(phnum * ELF64_PHDR_SIZE)))	/* at most 65534 x 56 bytes */
		return &hs_error_nomem;
	if (!(err = read(arg, ph, phnum * ELF64_PHDR_SIZE, phoff)))
		*ret = phdrs_extent(ph, phnum, lower);
	free(ph);
	return err;
}

static struct hs_error *read_tmp(void *arg, void *buf, size_t len, uint64_t off)
{
	return pread_exact(*(int *)arg, buf, len, off, "the decompressed core");
}

static struct hs_error *read_core(void *arg, void *buf, size_t len, uint64_t off)
{
	return core_file_pread(arg, buf, len, off);
}

/* CORE_FILE_ZSTD_MAX, or what CORE_FILE_ZSTD_MAX_ENV says instead. */
static uint64_t zstd_max(void)
{
	const char *s = getenv(CORE_FILE_ZSTD_MAX_ENV);
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return CORE_FILE_ZSTD_MAX;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	}
	if (errno || *end || v == 0 || v > (UINT64_MAX >> shift))
		return CORE_FILE_ZSTD_MAX;
	return (uint64_t)v << shift;
}

static bool all_zero(const unsigned char *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* Reads the seek table from the end of the file; returns false (no error) when there is none. */
static struct hs_error *load_seek_table(struct core_file *cf, uint64_t file_size, bool *found)
{
	unsigned char footer[ZSTD_SEEKABLE_FOOTER_SIZE], head[8], *table = NULL;
	uint32_t nframes, entry_size, frame_size;
	uint64_t table_off, comp = 0, decomp = 0;
	struct hs_error *err;

	*found = false;
	if (file_size < ZSTD_SEEKABLE_FOOTER_SIZE + 8)
		return NULL;
	if ((err = pread_exact(cf->fd, footer, sizeof(footer), file_size - sizeof(footer), "the seek table footer")))
		return err;
	if (le32(footer + 5) != ZSTD_SEEKABLE_MAGIC)
		return NULL;
	nframes = le32(footer);
	if (footer[4] & 0x7c)
		return hs_error_create(HS_ERR_FORMAT, "seek table descriptor 0x%02x has reserved bits set", footer[4]);
	entry_size = footer[4] & 0x80 ? 12 : 8;
	if (nframes == 0 || nframes > ZSTD_SEEKABLE_MAX_FRAMES)
		return hs_error_create(HS_ERR_FORMAT, "seek table lists %u frames", nframes);
	frame_size = nframes * entry_size + ZSTD_SEEKABLE_FOOTER_SIZE;
	if ((uint64_t)frame_size + 8 > file_size)
		return hs_error_create(HS_ERR_FORMAT, "seek table of %u frames is larger than the file", nframes);
	table_off = file_size - frame_size - 8;
	if ((err = pread_exact(cf->fd, head, 8, table_off, "the seek table header")))
		return err;
	if (le32(head) != ZSTD_SKIPPABLE_SEEK_TABLE_MAGIC || le32(head + 4) != frame_size)
		return hs_error_create(HS_ERR_FORMAT, "seek table frame header at offset 0x%llx is corrupt",
				       (unsigned long long)table_off);
	if (!(table = malloc(frame_size)) || !(cf->frames = calloc(nframes, sizeof(*cf->frames)))) {
		free(table);
		return &hs_error_nomem;
	}
	if ((err = pread_exact(cf->fd, table, frame_size, table_off + 8, "the seek table"))) {
		free(table);
		return err;
	}
	for (uint32_t i = 0; i < nframes; i++) {
		uint32_t c = le32(table + (size_t)i * entry_size), d = le32(table + (size_t)i * entry_size + 4);

		if (c != 0 && d != 0 && c <= ZSTD_compressBound(d) && comp + c > table_off) {
			free(table);
			return hs_error_create(HS_ERR_FORMAT, "seek table entry %u: frame at offset 0x%llx runs %llu bytes past "
							      "the end of the frames: the file is truncated", i,
					       (unsigned long long)comp, (unsigned long long)(comp + c - table_off));
		}
		if (c == 0 || d == 0 || d > CORE_FILE_FRAME_MAX || c > ZSTD_compressBound(d)) {
			free(table);
			return hs_error_create(HS_ERR_FORMAT, "seek table entry %u is corrupt (compressed %u, decompressed %u)",
					       i, c, d);
		}
		cf->frames[i] = (struct seek_entry){ comp, c, decomp, d };
		comp += c;
		decomp += d;
	}
	free(table);
	if (comp != table_off)
		return hs_error_create(HS_ERR_FORMAT, "seek table covers %llu compressed bytes, the file has %llu",
				       (unsigned long long)comp, (unsigned long long)table_off);
	cf->nframes = nframes;
	cf->size = decomp;
	*found = true;
	return NULL;
}

/* Decompresses a non-seekable zstd file into an unnamed temporary file and maps it. */
static struct hs_error *inflate_stream(struct core_file *cf)
{
	const char *dir = getenv("TMPDIR");
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize(), hint = 1;	/* 0: between frames */
	unsigned char *in = malloc(in_cap), *out = malloc(out_cap);
	struct hs_error *err = NULL;
	/* extent: what the core's headers declare, once they have been decompressed */
	uint64_t total = 0, off = 0, cap = zstd_max(), extent = UINT64_MAX;
	bool extent_final = false;	/* the extent is known, or known to be unknowable */
	int tmp = -1;

	if (!ds || !in || !out) {
		err = &hs_error_nomem;
		goto cleanup;
	}
	tmp = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tmp < 0) {
		err = hs_error_errno(errno, "cannot create a temporary file to decompress into");
		goto cleanup;
	}
	/*
	 * Several frames may follow one another (zstd -T, `cat a.zst b.zst`):
	 * the stream decoder starts the next frame by itself, so every byte read
	 * is fed to it, and only EOF ends the loop. EOF is an end only between
	 * frames (hint 0); inside one, the file is truncated.
	 */
	for (;;) {
		ssize_t n = pread(cf->fd, in, in_cap, (off_t)off);
		ZSTD_inBuffer ib = { in, n > 0 ? (size_t)n : 0, 0 };
		ZSTD_outBuffer ob;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = hs_error_errno(errno, "cannot read the compressed core");
			goto cleanup;
		}
		if (n == 0 && hint == 0)
			break;
		if (n == 0) {
			err = hs_error_create(HS_ERR_FORMAT, "zstd stream truncated after %llu bytes", (unsigned long long)off);
			goto cleanup;
		}
		off += (uint64_t)n;
		cf->stats.bytes_read += (uint64_t)n;
		/*
		 * Until the input is used up and, inside a frame, the decoder has
		 * nothing more to flush (a full output may mean more is pending). At
		 * a frame's end, asking again with no input would only make it wait
		 * for the next frame's header (hint 9), as if the file were truncated.
		 */
		do {
			ob = (ZSTD_outBuffer){ out, out_cap, 0 };
			hint = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(hint)) {
				err = hs_error_create(HS_ERR_FORMAT, "corrupt zstd data: %s", ZSTD_getErrorName(hint));
				goto cleanup;
			}
			if (total + ob.pos > cap) {
				err = hs_error_create(HS_ERR_LIMIT, "decompressed core exceeds %llu bytes (the cap; %s raises it)",
						      (unsigned long long)cap, CORE_FILE_ZSTD_MAX_ENV);
				goto cleanup;
			}
			/* a stream that does not start like an ELF file is not a core: stop before writing gigabytes */
			if (total == 0 && ob.pos >= 4 && memcmp(out, "\177ELF", 4) != 0) {
				err = hs_error_create(HS_ERR_FORMAT, "not an ELF file: the zstd stream does not hold an ELF core");
				goto cleanup;
			}
			/* zero pages (most of a core's untouched memory, all of a bomb's) stay holes */
			for (size_t w = all_zero(out, ob.pos) ? ob.pos : 0; w < ob.pos;) {
				ssize_t m = pwrite(tmp, out + w, ob.pos - w, (off_t)(total + w));
				if (m < 0) {
					err = hs_error_errno(errno, "cannot write the decompressed core");
					goto cleanup;
				}
				w += (size_t)m;
			}
			total += ob.pos;
			if (!extent_final && ob.pos > 0 &&
			    (err = declared_extent(read_tmp, &tmp, total, &extent, &extent_final)))
				goto cleanup;
			if (total > extent) {
				err = hs_error_create(HS_ERR_FORMAT, "zstd stream runs past the end of its core: "
						      "its ELF headers declare %llu bytes", (unsigned long long)extent);
				goto cleanup;
			}
		} while (ib.pos < ib.size || (ob.pos == ob.size && hint != 0));
	}
	cf->stats.bytes_decompressed = total;
	if (total == 0) {
		err = hs_error_create(HS_ERR_FORMAT, "zstd stream decompresses to nothing");
		goto cleanup;
	}
	if (ftruncate(tmp, (off_t)total) != 0) {	/* a core that ends in zeros ends in a hole */
		err = hs_error_errno(errno, "cannot write the decompressed core");
		goto cleanup;
	}
	cf->map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, tmp, 0);
	if (cf->map != MAP_FAILED)
		madvise((void *)cf->map, total, MADV_RANDOM);
	if (cf->map == MAP_FAILED) {
		cf->map = NULL;
		err = hs_error_errno(errno, "cannot map the decompressed core");
		goto cleanup;
	}
	cf->map_len = cf->size = total;
cleanup:
	if (tmp >= 0)
		close(tmp);
	ZSTD_freeDStream(ds);
	free(in);
	free(out);
	return err;
}

struct hs_error *core_file_open(const char *path, struct core_file **ret)
{
	struct core_file *cf = calloc(1, sizeof(*cf));
	unsigned char magic[4];
	struct hs_error *err = NULL;
	struct stat st;
	bool seekable;

	if (!cf)
		return &hs_error_nomem;
	for (unsigned i = 0; i < CORE_FILE_CACHE_FRAMES; i++)
		cf->cache[i].index = UINT64_MAX;
	cf->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (cf->fd < 0) {
		err = hs_error_errno(errno, "cannot open '%s'", path);
		goto fail;
	}
	if (fstat(cf->fd, &st) != 0) {
		err = hs_error_errno(errno, "cannot stat '%s'", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = hs_error_create(HS_ERR_FORMAT, "'%s' is not a regular file", path);
		goto fail;
	}
	if (st.st_size == 0) {
		err = hs_error_create(HS_ERR_FORMAT, "'%s' is empty", path);
		goto fail;
	}
	if (st.st_size >= 4 && (err = pread_exact(cf->fd, magic, 4, 0, "the file header")))
		goto fail;
	if (st.st_size >= 4 && le32(magic) == ZSTD_FRAME_MAGIC) {
		if ((err = load_seek_table(cf, (uint64_t)st.st_size, &seekable)))
			goto fail;
		if (seekable) {
			uint64_t extent;

			cf->kind = CORE_FILE_ZSTD_SEEKABLE;
			if (!(cf->dctx = ZSTD_createDCtx())) {
				err = &hs_error_nomem;
				goto fail;
			}
			/* frames are decompressed only when read, but none past what the core declares is worth keeping */
			if ((err = declared_extent(read_core, cf, cf->size, &extent, NULL)))
				goto fail;
			if (cf->size > extent) {
				err = hs_error_create(HS_ERR_FORMAT, "seek table runs past the end of its core: "
						      "its frames hold %llu bytes, its ELF headers declare %llu",
						      (unsigned long long)cf->size, (unsigned long long)extent);
				goto fail;
			}
		} else {
			cf->kind = CORE_FILE_ZSTD_STREAM;
			if ((err = inflate_stream(cf)))
				goto fail;
		}
	} else {
		cf->kind = CORE_FILE_PLAIN;
		cf->size = cf->map_len = (uint64_t)st.st_size;
		cf->map = mmap(NULL, cf->map_len, PROT_READ, MAP_PRIVATE, cf->fd, 0);
		if (cf->map == MAP_FAILED) {
			cf->map = NULL;
			err = hs_error_errno(errno, "cannot map '%s'", path);
			goto fail;
		}
		/*
		 * Analysis touches a few pages per thread stack, scattered over the
		 * file: without this, readahead turns each touch of a gcore core
		 * (whole 8 MiB stacks) into an 8 MiB read, and cold runs read it all.
		 */
		madvise((void *)cf->map, cf->map_len, MADV_RANDOM);
	}
	*ret = cf;
	return NULL;
fail:
	core_file_destroy(cf);
	return err;
}

void core_file_destroy(struct core_file *cf)
{
	if (!cf)
		return;
	if (cf->map)
		munmap((void *)cf->map, cf->map_len);
	if (cf->fd >= 0)
		close(cf->fd);
	for (unsigned i = 0; i < CORE_FILE_CACHE_FRAMES; i++)
		free(cf->cache[i].data);
	free(cf->frames);
	free(cf->comp_buf);
	free(cf->span_buf);
	free(cf->advised);
	if (cf->pages)
		free(cf->pages->data);
	free(cf->pages);
	ZSTD_freeDCtx(cf->dctx);
	free(cf);
}

enum core_file_kind core_file_kind(const struct core_file *cf) { return cf->kind; }
uint64_t core_file_size(const struct core_file *cf) { return cf->size; }

void core_file_stats(const struct core_file *cf, struct core_file_stats *ret)
{
	*ret = cf->stats;
	if (cf->kind == CORE_FILE_PLAIN && !cf->pages)
		ret->bytes_read = 0;	/* mmap: the page cache decides; callers count what they touch */
}

/* The frame holding off: binary search over the seek table. */
static uint64_t frame_of(const struct core_file *cf, uint64_t off)
{
	uint64_t lo = 0, hi = cf->nframes;

	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (cf->frames[mid].decomp_off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Drops least recently used frames until need more bytes fit in CORE_FILE_CACHE_BYTES. */
static void evict_for(struct core_file *cf, size_t need)
{
	while (cf->cache_bytes + need > CORE_FILE_CACHE_BYTES) {
		struct cached_frame *victim = NULL;

		for (unsigned i = 0; i < CORE_FILE_CACHE_FRAMES; i++)
			if (cf->cache[i].data && (!victim || cf->cache[i].last_use < victim->last_use))
				victim = &cf->cache[i];
		if (!victim)
			return;
		free(victim->data);
		cf->cache_bytes -= victim->len;
		*victim = (struct cached_frame){ .index = UINT64_MAX };
	}
}

static struct hs_error *get_frame(struct core_file *cf, uint64_t index, struct cached_frame **ret)
{
	const struct seek_entry *e = &cf->frames[index];
	struct cached_frame *slot = &cf->cache[0];
	struct hs_error *err;
	size_t n;

	for (unsigned i = 0; i < CORE_FILE_CACHE_FRAMES; i++) {
		if (cf->cache[i].index == index) {
			cf->cache[i].last_use = ++cf->clock;
			*ret = &cf->cache[i];
			return NULL;
		}
		if (cf->cache[i].last_use < slot->last_use)
			slot = &cf->cache[i];
	}
	if (cf->comp_cap < e->comp_size) {
		free(cf->comp_buf);
		if (!(cf->comp_buf = malloc(e->comp_size))) {
			cf->comp_cap = 0;
			return &hs_error_nomem;
		}
		cf->comp_cap = e->comp_size;
	}
	if ((err = pread_exact(cf->fd, cf->comp_buf, e->comp_size, e->comp_off, "a compressed frame")))
		return err;
	cf->stats.bytes_read += e->comp_size;
	if (slot->len < e->decomp_size) {
		free(slot->data);
		cf->cache_bytes -= slot->len;
		slot->data = NULL;
		slot->len = 0;
		slot->index = UINT64_MAX;
		evict_for(cf, e->decomp_size);
		if (!(slot->data = malloc(e->decomp_size)))
			return &hs_error_nomem;
		slot->len = e->decomp_size;
		cf->cache_bytes += slot->len;
	}
	n = ZSTD_decompressDCtx(cf->dctx, slot->data, e->decomp_size, cf->comp_buf, e->comp_size);
	if (ZSTD_isError(n) || n != e->decomp_size) {
		slot->index = UINT64_MAX;
		return hs_error_create(HS_ERR_FORMAT, "compressed frame %llu at offset 0x%llx is corrupt: %s",
				       (unsigned long long)index, (unsigned long long)e->comp_off,
				       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
	}
	cf->stats.bytes_decompressed += n;
	cf->stats.frames_decompressed++;
	slot->index = index;
	slot->last_use = ++cf->clock;
	*ret = slot;
	return NULL;
}

/*
 * Plain files are mapped with MADV_RANDOM, so a page fault reads one page.
 * Reads come in clusters (a thread's stack), so the first touch of each 64
 * KiB block asks for the whole block at once: one I/O instead of sixteen on
 * a cold cache, and never the 8 MiB readahead that reads all of a gcore core.
 */
#define PREFETCH_BLOCK_SHIFT 16

static void prefetch(struct core_file *cf, uint64_t off, size_t len)
{
	uint64_t first = off >> PREFETCH_BLOCK_SHIFT, last = (off + len - 1) >> PREFETCH_BLOCK_SHIFT;

	if (cf->kind != CORE_FILE_PLAIN || len == 0)
		return;
	if (!cf->advised) {
		uint64_t bytes = ((cf->size >> PREFETCH_BLOCK_SHIFT) + 8) / 8;
		/* past 16 MiB of bitmap (a 8 TiB core), go without */
		if (bytes > (16u << 20) || !(cf->advised = calloc(1, (size_t)bytes)))
			return;
	}
	for (uint64_t b = first; b <= last; b++) {
		if (cf->advised[b / 8] & (1u << (b % 8)))
			continue;
		cf->advised[b / 8] |= (unsigned char)(1u << (b % 8));
		posix_fadvise(cf->fd, (off_t)(b << PREFETCH_BLOCK_SHIFT), 1 << PREFETCH_BLOCK_SHIFT, POSIX_FADV_WILLNEED);
	}
}

static struct hs_error *range_error(const struct core_file *cf, size_t len, uint64_t off)
{
	return hs_error_create(HS_ERR_FORMAT, "read of %zu bytes at offset 0x%llx is past the end of the core (%llu bytes)",
			       len, (unsigned long long)off, (unsigned long long)cf->size);
}

/*
 * Every page of a mapping that was read stays in our resident set, and a
 * fault maps the cached pages around it too (fault-around, 64 KiB): a copy
 * of a few words from each of a gcore core's thousand stacks made 75 MiB of
 * it resident. Above this size, copies out of a plain core go through the
 * page cache above instead, and peeks (notes, headers) still map.
 */
#define CORE_FILE_MAP_READ_MAX (256ull << 20)

/* The cached page at page number page, read if need be; NULL with *err set. */
static const unsigned char *cached_page(struct core_file *cf, uint64_t page, struct hs_error **err)
{
	struct page_cache *pc = cf->pages;
	size_t set = (size_t)((page * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_CACHE_SETS_SHIFT)), way = 0;
	uint64_t off = page << PAGE_CACHE_SHIFT;
	size_t want = (size_t)MIN((uint64_t)1 << PAGE_CACHE_SHIFT, cf->size - off);
	unsigned char *slot;

	for (size_t w = 0; w < PAGE_CACHE_WAYS; w++) {
		if (pc->tag[set][w] == page + 1) {
			pc->used[set][w] = ++pc->clock;
			return pc->data + ((set * PAGE_CACHE_WAYS + w) << PAGE_CACHE_SHIFT);
		}
		if (pc->used[set][w] < pc->used[set][way])
			way = w;
	}
	slot = pc->data + ((set * PAGE_CACHE_WAYS + way) << PAGE_CACHE_SHIFT);
	pc->tag[set][way] = 0;
	prefetch(cf, off, want);	/* a miss: the block around it is likely next (on a cold cache) */
	if ((*err = pread_exact(cf->fd, slot, want, off, "the core")))
		return NULL;
	cf->stats.bytes_read += want;
	pc->tag[set][way] = page + 1;
	pc->used[set][way] = ++pc->clock;
	return slot;
}

/* core_file_pread() of a large plain core: a read within one page through the cache. */
static struct hs_error *pread_cached(struct core_file *cf, unsigned char *out, size_t len, uint64_t off)
{
	const unsigned char *page;
	struct hs_error *err = NULL;

	/* a read across pages (a stack scanned whole) in one system call, past the cache */
	if ((off >> PAGE_CACHE_SHIFT) != ((off + len - 1) >> PAGE_CACHE_SHIFT)) {
		prefetch(cf, off, len);
		if ((err = pread_exact(cf->fd, out, len, off, "the core")))
			return err;
		cf->stats.bytes_read += len;
		return NULL;
	}
	if (!cf->pages) {
		if (!(cf->pages = calloc(1, sizeof(*cf->pages))) ||
		    !(cf->pages->data = malloc((size_t)PAGE_CACHE_SETS * PAGE_CACHE_WAYS << PAGE_CACHE_SHIFT))) {
			free(cf->pages);
			cf->pages = NULL;
			return &hs_error_nomem;
		}
	}
	if (!(page = cached_page(cf, off >> PAGE_CACHE_SHIFT, &err)))
		return err;
	memcpy(out, page + (off & (((uint64_t)1 << PAGE_CACHE_SHIFT) - 1)), len);
	return NULL;
}

struct hs_error *core_file_pread(struct core_file *cf, void *buf, size_t len, uint64_t off)
{
	unsigned char *out = buf;

	if (off > cf->size || len > cf->size - off)
		return range_error(cf, len, off);
	if (cf->kind == CORE_FILE_PLAIN && cf->size > CORE_FILE_MAP_READ_MAX && len > 0)
		return pread_cached(cf, out, len, off);
	if (cf->map) {
		prefetch(cf, off, len);
		memcpy(buf, cf->map + off, len);
		return NULL;
	}
	while (len > 0) {
		struct cached_frame *fr;
		uint64_t index = frame_of(cf, off), in;
		struct hs_error *err = get_frame(cf, index, &fr);
		size_t n;

		if (err)
			return err;
		in = off - cf->frames[index].decomp_off;
		n = (size_t)MIN((uint64_t)len, cf->frames[index].decomp_size - in);
		memcpy(out, fr->data + in, n);
		out += n;
		off += n;
		len -= n;
	}
	return NULL;
}

const void *core_file_peek(struct core_file *cf, uint64_t off, size_t len, struct hs_error **err_ret)
{
	struct cached_frame *fr;
	uint64_t index;

	*err_ret = NULL;
	if (off > cf->size || len > cf->size - off) {
		*err_ret = range_error(cf, len, off);
		return NULL;
	}
	if (cf->map) {
		prefetch(cf, off, len);
		return cf->map + off;
	}
	index = frame_of(cf, off);
	if (off + len <= cf->frames[index].decomp_off + cf->frames[index].decomp_size) {
		if ((*err_ret = get_frame(cf, index, &fr)))
			return NULL;
		return fr->data + (off - cf->frames[index].decomp_off);
	}
	/* spans frames: assemble into a scratch buffer */
	if (cf->span_cap < len) {
		free(cf->span_buf);
		if (!(cf->span_buf = malloc(len))) {
			cf->span_cap = 0;
			*err_ret = &hs_error_nomem;
			return NULL;
		}
		cf->span_cap = len;
	}
	if ((*err_ret = core_file_pread(cf, cf->span_buf, len, off)))
		return NULL;
	return cf->span_buf;
}
