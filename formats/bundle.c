/* Bundles: see formats/bundle.h for the container and the manifest. */
#include "formats/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "common/strbuf.h"
#include "common/util.h"

#define MAGIC "hangsnap-bundle"
#define BLOCK 512u
/* zero padding accepted after the end of the archive (tar pads to its record size) */
#define MAX_TRAILER (1u << 20)
#define CHUNK (256u << 10)

/* ---- the manifest ---- */

bool bundle_valid_member(const char *name)
{
	return hs_plain_name(name, BUNDLE_MAX_MEMBER);
}

void bundle_manifest_free(struct bundle_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->entries[i].path);
	free(m->entries);
	m->entries = NULL;
	m->n = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A decimal field without sign or leading zeros (but "0"), at most max. */
static bool parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* PATH decoded into a new string; NULL (with *nomem) when malformed or out of memory. */
static char *decode_path(const char *s, size_t len, bool *nomem)
{
	char *out = malloc(len + 1), *o = out;

	*nomem = !out;
	if (!out || len == 0)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			if (s[i] < '!' || s[i] > '~')
				goto bad;
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0 || (hi | lo) == 0)
			goto bad;
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp((*(const struct bundle_entry *const *)a)->member, (*(const struct bundle_entry *const *)b)->member);
}

/* Splits [s, end) at single spaces into at most max fields; the count, or max+1 when there are more. */
static size_t split(const char *s, const char *end, const char **f, size_t *flen, size_t max)
{
	size_t n = 0;

	while (s <= end) {
		const char *sp = memchr(s, ' ', (size_t)(end - s));
		const char *stop = sp ? sp : end;

		if (n == max)
			return max + 1;
		f[n] = s;
		flen[n++] = (size_t)(stop - s);
		if (!sp)
			break;
		s = sp + 1;
	}
	return n;
}

struct hs_error *bundle_manifest_parse(const char *buf, size_t len, struct bundle_manifest *ret)
{
	struct bundle_manifest m = { .entries = NULL };
	struct bundle_entry **sorted = NULL;
	struct hs_error *err = NULL;
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	size_t cap = 0;

	*ret = (struct bundle_manifest){ .entries = NULL };
	if (len > BUNDLE_MAX_MANIFEST)
		return hs_error_create(HS_ERR_FORMAT, "the bundle's manifest is larger than %u bytes", BUNDLE_MAX_MANIFEST);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *f[6];
		size_t flen[6], nf;
		struct bundle_entry *e;
		uint64_t v;
		bool nomem;

		line++;
		if (!nl) {
			err = hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest does not end in a newline", line);
			goto fail;
		}
		if (memchr(p, '\0', (size_t)(nl - p))) {
			err = hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest holds a NUL byte", line);
			goto fail;
		}
		if (line == 1) {
			nf = split(p, nl, f, flen, 2);
			if (nf != 2 || flen[0] != strlen(MAGIC) || memcmp(f[0], MAGIC, flen[0]) != 0 ||
			    !parse_decimal(f[1], flen[1], UINT32_MAX, &v)) {
				err = hs_error_create(HS_ERR_FORMAT, "not a bundle: its manifest does not start with '" MAGIC
						      " %d'", BUNDLE_VERSION);
				goto fail;
			}
			if (v != BUNDLE_VERSION) {
				err = hs_error_create(HS_ERR_FORMAT, "the bundle is of version %" PRIu64 "; this hanganalyze "
						      "reads version %d", v, BUNDLE_VERSION);
				goto fail;
			}
			p = nl + 1;
			continue;
		}
		if (*p == '#') {
			p = nl + 1;
			continue;
		}
		nf = split(p, nl, f, flen, 5);
		if (m.n == BUNDLE_MAX_ENTRIES) {
			err = hs_error_create(HS_ERR_FORMAT, "the bundle's manifest lists more than %u files", BUNDLE_MAX_ENTRIES);
			goto fail;
		}
		if (m.n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct bundle_entry *ne = realloc(m.entries, ncap * sizeof(*ne));

			if (!ne) {
				err = &hs_error_nomem;
				goto fail;
			}
			m.entries = ne;
			cap = ncap;
		}
		e = &m.entries[m.n];
		*e = (struct bundle_entry){ .kind = BUNDLE_CORE };
		if (nf == 4 && flen[0] == 4 && memcmp(f[0], "core", 4) == 0)
			e->kind = BUNDLE_CORE;
		else if (nf == 5 && flen[0] == 3 && memcmp(f[0], "elf", 3) == 0)
			e->kind = BUNDLE_ELF;
		else if (nf == 5 && flen[0] == 5 && memcmp(f[0], "debug", 5) == 0)
			e->kind = BUNDLE_DEBUG;
		else {
			err = hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest is not a record this hanganalyze "
					      "knows", line);
			goto fail;
		}
		if ((e->kind == BUNDLE_CORE) != (m.n == 0)) {
			err = hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest: the core must be the first "
					      "entry, and the only one", line);
			goto fail;
		}
		if (flen[1] > BUNDLE_MAX_MEMBER || (memcpy(e->member, f[1], flen[1]), e->member[flen[1]] = '\0',
						     !bundle_valid_member(e->member)) ||
		    strcmp(e->member, BUNDLE_MANIFEST_NAME) == 0) {
			err = hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest: bad member name", line);
			goto fail;
		}
		if (!parse_decimal(f[2], flen[2], BUNDLE_MAX_SIZE, &e->size)) {
			err = hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest: bad size", line);
			goto fail;
		}
		if (e->kind != BUNDLE_CORE) {
			bool ok = flen[3] >= 2 && flen[3] <= BUNDLE_MAX_BUILD_ID && flen[3] % 2 == 0;

			for (size_t i = 0; ok && i < flen[3]; i++)
				ok = (f[3][i] >= '0' && f[3][i] <= '9') || (f[3][i] >= 'a' && f[3][i] <= 'f');
			if (!ok) {
				err = hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest: bad build-id", line);
				goto fail;
			}
			memcpy(e->build_id, f[3], flen[3]);
			e->build_id[flen[3]] = '\0';
		}
		if (!(e->path = decode_path(f[nf - 1], flen[nf - 1], &nomem))) {
			err = nomem ? &hs_error_nomem
				    : hs_error_create(HS_ERR_FORMAT, "line %u of the bundle's manifest: bad path", line);
			goto fail;
		}
		m.n++;
		p = nl + 1;
	}
	if (m.n == 0) {
		err = hs_error_create(HS_ERR_FORMAT, line ? "the bundle's manifest names no core" : "the bundle's manifest is empty");
		goto fail;
	}
	if (!(sorted = malloc(m.n * sizeof(*sorted)))) {
		err = &hs_error_nomem;
		goto fail;
	}
	for (size_t i = 0; i < m.n; i++)
		sorted[i] = &m.entries[i];
	qsort(sorted, m.n, sizeof(*sorted), cmp_member);
	for (size_t i = 1; i < m.n; i++)
		if (strcmp(sorted[i - 1]->member, sorted[i]->member) == 0) {
			err = hs_error_create(HS_ERR_FORMAT, "the bundle's manifest names the member '%s' twice",
					      sorted[i]->member);
			goto fail;
		}
	free(sorted);
	*ret = m;
	return NULL;
fail:
	free(sorted);
	bundle_manifest_free(&m);
	return err;
}

static bool encode_path(struct strbuf *sb, const char *path)
{
	bool ok = true;

	for (const unsigned char *s = (const unsigned char *)path; *s && ok; s++)
		ok = *s >= '!' && *s <= '~' && *s != '%' ? strbuf_append(sb, s, 1) : strbuf_appendf(sb, "%%%02X", *s);
	return ok;
}

struct hs_error *bundle_manifest_format(const struct bundle_manifest *m, char **ret, size_t *len_ret)
{
	static const char *const kinds[] = { "core", "elf", "debug" };
	struct strbuf sb;
	bool ok;

	strbuf_init(&sb);
	ok = strbuf_appendf(&sb, MAGIC " %d\n", BUNDLE_VERSION);
	for (size_t i = 0; i < m->n && ok; i++) {
		const struct bundle_entry *e = &m->entries[i];

		ok = strbuf_appendf(&sb, "%s %s %" PRIu64 " ", kinds[e->kind], e->member, e->size) &&
		     (e->kind == BUNDLE_CORE || strbuf_appendf(&sb, "%s ", e->build_id)) && encode_path(&sb, e->path) &&
		     strbuf_addstr(&sb, "\n");
	}
	if (!ok) {
		strbuf_deinit(&sb);
		return &hs_error_nomem;
	}
	*ret = strbuf_detach(&sb, len_ret);
	return NULL;
}

/* ---- tar headers (POSIX ustar) ---- */

struct tar_header {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], typeflag;
	char linkname[100], magic[6], version[2], uname[32], gname[32], devmajor[8], devminor[8], prefix[155], pad[12];
};
_Static_assert(sizeof(struct tar_header) == BLOCK, "a tar header is one block");

/* v in octal, width-1 digits and a NUL */
static void put_octal(char *field, size_t width, uint64_t v)
{
	field[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

static unsigned checksum(const struct tar_header *h)
{
	const unsigned char *b = (const unsigned char *)h;
	unsigned sum = 0;

	for (size_t i = 0; i < BLOCK; i++)
		sum += i >= offsetof(struct tar_header, chksum) && i < offsetof(struct tar_header, typeflag) ? ' ' : b[i];
	return sum;
}

static void make_header(struct tar_header *h, const char *name, uint64_t size, uint64_t mtime)
{
	memset(h, 0, sizeof(*h));
	strncpy(h->name, name, sizeof(h->name) - 1);
	put_octal(h->mode, sizeof(h->mode), 0600);
	put_octal(h->uid, sizeof(h->uid), 0);
	put_octal(h->gid, sizeof(h->gid), 0);
	if (size < (1ull << 33)) {
		put_octal(h->size, sizeof(h->size), size);
	} else {
		/* GNU's base-256 form for 8 GiB and more, which GNU tar and bsdtar read */
		h->size[0] = (char)0x80;
		for (size_t i = sizeof(h->size); i-- > 1; size >>= 8)
			h->size[i] = (char)(size & 0xff);
	}
	put_octal(h->mtime, sizeof(h->mtime), mtime & 077777777777ull);
	h->typeflag = '0';
	memcpy(h->magic, "ustar", 6);
	memcpy(h->version, "00", 2);
	put_octal(h->chksum, 7, checksum(h));
	h->chksum[7] = ' ';
}

/* An octal field: digits, then NULs or spaces to its end; false when malformed. */
static bool get_octal(const char *field, size_t width, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < width && field[i] == ' ')
		i++;
	if (i == width || field[i] < '0' || field[i] > '7')
		return false;
	for (; i < width && field[i] >= '0' && field[i] <= '7'; i++) {
		if (v >> 60)
			return false;
		v = v << 3 | (uint64_t)(field[i] - '0');
	}
	for (; i < width; i++)
		if (field[i] != '\0' && field[i] != ' ')
			return false;
	*ret = v;
	return true;
}

static bool get_size(const struct tar_header *h, uint64_t *ret)
{
	const unsigned char *s = (const unsigned char *)h->size;
	uint64_t v = 0;

	if (s[0] != 0x80)
		return get_octal(h->size, sizeof(h->size), ret);
	for (size_t i = 1; i < sizeof(h->size); i++) {
		if (v >> 56)
			return false;
		v = v << 8 | s[i];
	}
	*ret = v;
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/*
 * A member's header: HS_ERR_FORMAT unless it is a well-formed ustar header
 * of a regular file named want (NULL: any valid member name, into name_ret).
 */
static struct hs_error *check_header(const struct tar_header *h, const char *want, uint64_t *size_ret)
{
	char name[sizeof(h->name) + 1];
	uint64_t sum;

	if (all_zero(h, sizeof(*h)))
		return hs_error_create(HS_ERR_FORMAT, "the bundle ends before its member '%s'", want);
	if (memcmp(h->magic, "ustar", 6) != 0 || memcmp(h->version, "00", 2) != 0 ||
	    !get_octal(h->chksum, sizeof(h->chksum), &sum) || sum != checksum(h))
		return hs_error_create(HS_ERR_FORMAT, "the bundle's tar header before '%s' is damaged", want);
	memcpy(name, h->name, sizeof(h->name));
	name[sizeof(h->name)] = '\0';
	if (!all_zero(h->prefix, sizeof(h->prefix)) || strcmp(name, want) != 0)
		return hs_error_create(HS_ERR_FORMAT, "the bundle holds another member where '%s' belongs", want);
	if (h->typeflag != '0' && h->typeflag != '\0')
		return hs_error_create(HS_ERR_FORMAT, "the bundle's member '%s' is not a regular file (tar type '%c')", want,
				       h->typeflag >= '!' && h->typeflag <= '~' ? h->typeflag : '?');
	if (!get_size(h, size_ret))
		return hs_error_create(HS_ERR_FORMAT, "the bundle's member '%s' has a damaged size", want);
	return NULL;
}

/* ---- writing ---- */

struct bundle_writer {
	int fd;
	ZSTD_CCtx *c;
	void *out, *buf;
	size_t out_cap;
	uint64_t written, mtime;
};

static struct hs_error *write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hs_error_errno(errno, "cannot write the bundle");
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

static struct hs_error *feed(struct bundle_writer *w, const void *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { data, len, 0 };
	struct hs_error *err;
	bool done;

	do {
		ZSTD_outBuffer o = { w->out, w->out_cap, 0 };
		size_t rem = ZSTD_compressStream2(w->c, &o, &in, mode);

		if (ZSTD_isError(rem))
			return hs_error_create(HS_ERR_INTERNAL, "cannot compress the bundle: %s", ZSTD_getErrorName(rem));
		if ((err = write_all(w->fd, w->out, o.pos)))
			return err;
		w->written += o.pos;
		done = mode == ZSTD_e_end ? rem == 0 : in.pos == in.size;
	} while (!done);
	return NULL;
}

struct hs_error *bundle_writer_open(int fd, int level, int threads, struct bundle_writer **ret)
{
	struct bundle_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return &hs_error_nomem;
	w->fd = fd;
	w->out_cap = ZSTD_CStreamOutSize();
	w->c = ZSTD_createCCtx();
	w->out = malloc(w->out_cap);
	w->buf = malloc(CHUNK);
	w->mtime = (uint64_t)time(NULL);
	if (!w->c || !w->out || !w->buf) {
		bundle_writer_free(w);
		return &hs_error_nomem;
	}
	ZSTD_CCtx_setParameter(w->c, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(w->c, ZSTD_c_checksumFlag, 1);
	if (threads > 0)
		ZSTD_CCtx_setParameter(w->c, ZSTD_c_nbWorkers, threads);	/* ignored by a libzstd without threads */
	*ret = w;
	return NULL;
}

static struct hs_error *add_header(struct bundle_writer *w, const char *member, uint64_t size)
{
	struct tar_header h;

	if (!bundle_valid_member(member) && strcmp(member, BUNDLE_MANIFEST_NAME) != 0)
		return hs_error_create(HS_ERR_INTERNAL, "'%s' is not a valid bundle member name", member);
	make_header(&h, member, size, w->mtime);
	return feed(w, &h, sizeof(h), ZSTD_e_continue);
}

static struct hs_error *pad(struct bundle_writer *w, uint64_t size)
{
	static const char zeros[BLOCK];

	return size % BLOCK ? feed(w, zeros, BLOCK - size % BLOCK, ZSTD_e_continue) : NULL;
}

struct hs_error *bundle_writer_add_buffer(struct bundle_writer *w, const char *member, const void *data, size_t len)
{
	struct hs_error *err;

	if ((err = add_header(w, member, len)) || (err = feed(w, data, len, ZSTD_e_continue)))
		return err;
	return pad(w, len);
}

struct hs_error *bundle_writer_add_file(struct bundle_writer *w, const char *member, int fd, uint64_t size)
{
	struct hs_error *err;
	uint64_t off = 0;

	if ((err = add_header(w, member, size)))
		return err;
	while (off < size) {
		size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		ssize_t n = pread(fd, w->buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hs_error_errno(errno, "cannot read '%s' for the bundle", member);
		if (n == 0)
			return hs_error_create(HS_ERR_OS, "'%s' became shorter while it was being bundled", member);
		if ((err = feed(w, w->buf, (size_t)n, ZSTD_e_continue)))
			return err;
		off += (uint64_t)n;
	}
	return pad(w, size);
}

struct hs_error *bundle_writer_finish(struct bundle_writer *w, uint64_t *written_ret)
{
	static const char end[2 * BLOCK];
	struct hs_error *err;

	if ((err = feed(w, end, sizeof(end), ZSTD_e_end)))
		return err;
	if (written_ret)
		*written_ret = w->written;
	return NULL;
}

void bundle_writer_free(struct bundle_writer *w)
{
	if (!w)
		return;
	ZSTD_freeCCtx(w->c);
	free(w->out);
	free(w->buf);
	free(w);
}

/* ---- reading ---- */

struct zreader {
	int fd;
	off_t off;		/* pread offset, or -1: read() */
	ZSTD_DCtx *d;
	char *in;
	size_t in_cap;
	ZSTD_inBuffer ib;
	size_t last;		/* ZSTD_decompressStream's last hint that made progress: 0 at the end of a frame */
	bool eof;
};

/* Up to n decompressed bytes into buf (*got; fewer only at the end of the input). */
static struct hs_error *zread(struct zreader *r, void *buf, size_t n, size_t *got)
{
	ZSTD_outBuffer ob = { buf, n, 0 };

	while (ob.pos < ob.size) {
		size_t before_out = ob.pos, before_in = r->ib.pos;

		size_t rc = ZSTD_decompressStream(r->d, &ob, &r->ib);

		if (ZSTD_isError(rc))
			return hs_error_create(HS_ERR_FORMAT, "the bundle's zstd data is damaged: %s", ZSTD_getErrorName(rc));
		/* (with no input after a frame's end it asks for the next frame's header: not a frame left open) */
		if (ob.pos != before_out || r->ib.pos != before_in)
			r->last = rc;
		if (ob.pos == ob.size || ob.pos != before_out || r->ib.pos != before_in)
			continue;
		if (r->eof)
			break;
		/* no progress: more input */
		for (;;) {
			ssize_t k = r->off >= 0 ? pread(r->fd, r->in, r->in_cap, r->off) : read(r->fd, r->in, r->in_cap);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return hs_error_errno(errno, "cannot read the bundle");
			if (r->off >= 0)
				r->off += k;
			r->ib = (ZSTD_inBuffer){ r->in, (size_t)k, 0 };
			r->eof = k == 0;
			break;
		}
	}
	*got = ob.pos;
	return NULL;
}

static struct hs_error *zread_exact(struct zreader *r, void *buf, size_t n, const char *what)
{
	struct hs_error *err;
	size_t got;

	if ((err = zread(r, buf, n, &got)))
		return err;
	if (got < n)
		return hs_error_create(HS_ERR_FORMAT, "the bundle is truncated (in %s)", what);
	return NULL;
}

static bool zreader_init(struct zreader *r, int fd, off_t off)
{
	*r = (struct zreader){ .fd = fd, .off = off, .d = ZSTD_createDCtx(), .in_cap = ZSTD_DStreamInSize() };
	r->in = malloc(r->in_cap);
	if (r->d)
		ZSTD_DCtx_setParameter(r->d, ZSTD_d_windowLogMax, 27);	/* at most 128 MiB of window, whatever the frame asks */
	return r->d && r->in;
}

static void zreader_deinit(struct zreader *r)
{
	ZSTD_freeDCtx(r->d);
	free(r->in);
}

bool bundle_sniff(int fd)
{
	struct zreader r;
	struct tar_header h;
	unsigned char magic[4];
	struct hs_error *err;
	uint64_t size;
	bool yes = false;

	if (pread(fd, magic, 4, 0) != 4 || magic[0] != 0x28 || magic[1] != 0xb5 || magic[2] != 0x2f || magic[3] != 0xfd)
		return false;
	if (!zreader_init(&r, fd, 0)) {
		zreader_deinit(&r);
		return false;
	}
	err = zread_exact(&r, &h, sizeof(h), "its first header");
	if (!err)
		err = check_header(&h, BUNDLE_MANIFEST_NAME, &size);
	yes = !err;
	hs_error_destroy(err);
	zreader_deinit(&r);
	return yes;
}

/* An unnamed file in dir, read-write; -errno. */
static int unnamed_file(const char *dir)
{
	char *tmpl = NULL;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	if (asprintf(&tmpl, "%s/.hanganalyze-bundle.XXXXXX", dir) < 0)
		return -ENOMEM;
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) >= 0)
		unlink(tmpl);
	else
		fd = -errno;
	free(tmpl);
	return fd;
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; b->fds && i < b->manifest.n; i++)
		if (b->fds[i] >= 0)
			close(b->fds[i]);
	free(b->fds);
	b->fds = NULL;
	bundle_manifest_free(&b->manifest);
}

struct hs_error *bundle_read(int fd, const char *tmpdir, uint64_t max_total, struct bundle *ret)
{
	struct bundle b = { .fds = NULL };
	struct zreader r;
	struct tar_header h;
	struct hs_error *err = NULL;
	char *text = NULL, *chunk = NULL;
	uint64_t size, total = 0, trailer = 0;

	*ret = (struct bundle){ .fds = NULL };
	if (!zreader_init(&r, fd, -1) || !(chunk = malloc(CHUNK))) {
		err = &hs_error_nomem;
		goto out;
	}
	if ((err = zread_exact(&r, &h, sizeof(h), "its first header")))
		goto out;
	if ((err = check_header(&h, BUNDLE_MANIFEST_NAME, &size))) {
		hs_error_destroy(err);
		err = hs_error_create(HS_ERR_FORMAT, "not a bundle: its first member is not a " BUNDLE_MANIFEST_NAME);
		goto out;
	}
	if (size > BUNDLE_MAX_MANIFEST) {
		err = hs_error_create(HS_ERR_FORMAT, "the bundle's manifest is larger than %u bytes", BUNDLE_MAX_MANIFEST);
		goto out;
	}
	if (!(text = malloc((size_t)size + BLOCK))) {
		err = &hs_error_nomem;
		goto out;
	}
	if ((err = zread_exact(&r, text, (size_t)((size + BLOCK - 1) / BLOCK * BLOCK), "its manifest")) ||
	    (err = bundle_manifest_parse(text, (size_t)size, &b.manifest)))
		goto out;
	for (size_t i = 0; i < b.manifest.n; i++) {
		total += b.manifest.entries[i].size;
		if (total > max_total) {
			err = hs_error_create(HS_ERR_LIMIT, "the bundle's files add up to more than %" PRIu64 " bytes, the most "
					      "this analysis unpacks", max_total);
			goto out;
		}
	}
	if (!(b.fds = malloc(b.manifest.n * sizeof(*b.fds)))) {
		err = &hs_error_nomem;
		goto out;
	}
	for (size_t i = 0; i < b.manifest.n; i++)
		b.fds[i] = -1;
	for (size_t i = 0; i < b.manifest.n; i++) {
		const struct bundle_entry *e = &b.manifest.entries[i];
		uint64_t left, padded;

		if ((err = zread_exact(&r, &h, sizeof(h), e->member)) || (err = check_header(&h, e->member, &size)))
			goto out;
		if (size != e->size) {
			err = hs_error_create(HS_ERR_FORMAT, "the bundle's member '%s' has %" PRIu64 " bytes; its manifest "
					      "says %" PRIu64, e->member, size, e->size);
			goto out;
		}
		if ((b.fds[i] = unnamed_file(tmpdir)) < 0) {
			err = hs_error_errno(-b.fds[i], "cannot create a temporary file in '%s' to unpack the bundle", tmpdir);
			b.fds[i] = -1;
			goto out;
		}
		padded = (size + BLOCK - 1) / BLOCK * BLOCK;
		for (left = padded; left; ) {
			size_t n = left < CHUNK ? (size_t)left : CHUNK;
			uint64_t done = padded - left;
			size_t data = done >= size ? 0 : (size - done < n ? (size_t)(size - done) : n);

			if ((err = zread_exact(&r, chunk, n, e->member)))
				goto out;
			if (data && (err = write_all(b.fds[i], chunk, data))) {
				hs_error_destroy(err);
				err = hs_error_errno(errno, "cannot unpack the bundle's '%s' into '%s'", e->member, tmpdir);
				goto out;
			}
			left -= n;
		}
		if (lseek(b.fds[i], 0, SEEK_SET) != 0) {
			err = hs_error_errno(errno, "cannot unpack the bundle's '%s'", e->member);
			goto out;
		}
	}
	/* the end: zero blocks only, then the end of the zstd data */
	for (;;) {
		size_t got;

		if ((err = zread(&r, chunk, CHUNK, &got)))
			goto out;
		if (!all_zero(chunk, got)) {
			err = hs_error_create(HS_ERR_FORMAT, "the bundle holds data after its last member");
			goto out;
		}
		if (got < 2 * BLOCK && trailer == 0) {
			err = hs_error_create(HS_ERR_FORMAT, "the bundle is truncated (its end of archive is missing)");
			goto out;
		}
		trailer += got;
		if (got < CHUNK)
			break;
		if (trailer > MAX_TRAILER) {
			err = hs_error_create(HS_ERR_FORMAT, "the bundle holds more than %u bytes of padding", MAX_TRAILER);
			goto out;
		}
	}
	if (r.last != 0) {
		err = hs_error_create(HS_ERR_FORMAT, "the bundle is truncated (its zstd frame does not end)");
		goto out;
	}
	*ret = b;
	b = (struct bundle){ .fds = NULL };
out:
	bundle_free(&b);
	free(text);
	free(chunk);
	zreader_deinit(&r);
	return err;
}
