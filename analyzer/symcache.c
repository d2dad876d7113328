/* The symbol cache: see symcache.h for what it keeps and its format. */
#include "analyzer/symcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"
#include "common/vec.h"

#define MAGIC "HSSYMC"	/* then NUL and the version byte */
#define NONE 0xffffffffu

enum { REC_PC = 1, REC_TAIL = 2, REC_MEMBER = 3, REC_FACT = 4 };

struct rec {
	uint8_t kind;
	bool flag;		/* PC: has_cfi; TAIL: found */
	uint64_t off;
	const char *a, *b;	/* TAIL: above; MEMBER: type, member */
	uint32_t first, n;	/* frames */
	int64_t value;
};

struct symcache {
	struct symcache_key key;	/* strings owned (in strings) */
	VEC(struct rec) recs;
	VEC(struct symcache_frame) frames;
	VEC(char *) strings;
	uint32_t *slots;		/* record index + 1, 0 empty */
	size_t nslots;
	bool dirty;
};

/* ---- strings and lookups ---- */

static const char *own(struct symcache *c, const char *s, size_t len, bool *nomem)
{
	char *copy, **slot;

	if (!s)
		return NULL;
	if (!(copy = malloc(len + 1)) || !(slot = VEC_PUSH(&c->strings))) {
		free(copy);
		*nomem = true;
		return NULL;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	*slot = copy;
	return copy;
}

static uint64_t rec_hash(uint8_t kind, uint64_t off, const char *a, const char *b)
{
	uint64_t h = hs_fnv1a(&kind, 1, HS_FNV1A_INIT);

	h = hs_fnv1a(&off, sizeof(off), h);
	h = a ? hs_fnv1a(a, strlen(a) + 1, h) : hs_fnv1a("\xff", 1, h);
	return b ? hs_fnv1a(b, strlen(b) + 1, h) : hs_fnv1a("\xff", 1, h);
}

static bool same_str(const char *x, const char *y)
{
	return x == y || (x && y && strcmp(x, y) == 0);
}

/* The slot for (kind, off, a, b): holding its record, or empty. */
static uint32_t *slot_of(const struct symcache *c, uint8_t kind, uint64_t off, const char *a, const char *b)
{
	size_t mask = c->nslots - 1;

	for (size_t i = rec_hash(kind, off, a, b) & mask;; i = (i + 1) & mask) {
		const struct rec *r;

		if (!c->slots[i])
			return &c->slots[i];
		r = &c->recs.items[c->slots[i] - 1];
		if (r->kind == kind && r->off == off && same_str(r->a, a) && same_str(r->b, b))
			return &c->slots[i];
	}
}

static bool grow_slots(struct symcache *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 1024;
	uint32_t *old = c->slots;
	size_t nold = c->nslots;

	if (!(c->slots = calloc(n, sizeof(*c->slots)))) {
		c->slots = old;
		return false;
	}
	c->nslots = n;
	for (size_t i = 0; i < nold; i++)
		if (old[i]) {
			const struct rec *r = &c->recs.items[old[i] - 1];
			*slot_of(c, r->kind, r->off, r->a, r->b) = old[i];
		}
	free(old);
	return true;
}

static const struct rec *find(const struct symcache *c, uint8_t kind, uint64_t off, const char *a, const char *b)
{
	uint32_t *slot;

	if (!c->nslots)
		return NULL;
	slot = slot_of(c, kind, off, a, b);
	return *slot ? &c->recs.items[*slot - 1] : NULL;
}

/* Appends a record (strings already owned); the frames are the last n pushed. false: full, or no memory. */
static bool insert(struct symcache *c, const struct rec *r)
{
	struct rec *slot;
	uint32_t *s;

	if (c->recs.len >= SYMCACHE_MAX_RECORDS)
		return false;
	if ((c->recs.len + 1) * 2 > c->nslots && !grow_slots(c))
		return false;
	s = slot_of(c, r->kind, r->off, r->a, r->b);
	if (*s)
		return true;	/* (a damaged file may repeat one: the first wins) */
	if (!(slot = VEC_PUSH(&c->recs)))
		return false;
	*slot = *r;
	*s = (uint32_t)c->recs.len;
	return true;
}

void symcache_free(struct symcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->strings.len; i++)
		free(c->strings.items[i]);
	VEC_DEINIT(&c->strings);
	VEC_DEINIT(&c->recs);
	VEC_DEINIT(&c->frames);
	free(c->slots);
	free(c);
}

static bool copy_key(struct symcache *c, const struct symcache_key *k)
{
	bool nomem = false;

	c->key = *k;
	c->key.analyzer = own(c, k->analyzer, strlen(k->analyzer), &nomem);
	c->key.build_id = own(c, k->build_id, strlen(k->build_id), &nomem);
	c->key.debug_path = own(c, k->debug_path, strlen(k->debug_path), &nomem);
	return !nomem;
}

struct hs_error *symcache_new(const struct symcache_key *key, struct symcache **ret)
{
	struct symcache *c = calloc(1, sizeof(*c));

	if (!c || !copy_key(c, key)) {
		symcache_free(c);
		return &hs_error_nomem;
	}
	*ret = c;
	return NULL;
}

bool symcache_dirty(const struct symcache *c)
{
	return c->dirty;
}

size_t symcache_records(const struct symcache *c)
{
	return c->recs.len;
}

/* ---- lookups and additions ---- */

bool symcache_find_pc(const struct symcache *c, uint64_t off, const struct symcache_frame **frames, uint32_t *n,
		      bool *has_cfi)
{
	const struct rec *r = find(c, REC_PC, off, NULL, NULL);

	if (!r)
		return false;
	*frames = r->n ? c->frames.items + r->first : NULL;	/* (no frames: maybe no array at all) */
	*n = r->n;
	*has_cfi = r->flag;
	return true;
}

/* Copies n frames (their strings owned) to the end of c->frames. */
static bool push_frames(struct symcache *c, const struct symcache_frame *frames, uint32_t n)
{
	bool nomem = false;

	for (uint32_t i = 0; i < n; i++) {
		struct symcache_frame *f = VEC_PUSH(&c->frames);

		if (!f)
			return false;
		*f = frames[i];
		f->raw = own(c, frames[i].raw, frames[i].raw ? strlen(frames[i].raw) : 0, &nomem);
		f->file = own(c, frames[i].file, frames[i].file ? strlen(frames[i].file) : 0, &nomem);
		if (nomem)
			return false;
	}
	return true;
}

static bool fits(const char *s)
{
	return !s || strlen(s) <= SYMCACHE_MAX_STRING;
}

static bool frames_fit(const struct symcache_frame *frames, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!fits(frames[i].raw) || !fits(frames[i].file))
			return false;
	return n <= SYMCACHE_MAX_FRAMES;
}

struct hs_error *symcache_add_pc(struct symcache *c, uint64_t off, const struct symcache_frame *frames, uint32_t n,
				 bool has_cfi)
{
	struct rec r = { .kind = REC_PC, .off = off, .flag = has_cfi, .first = (uint32_t)c->frames.len, .n = n };

	if (!frames_fit(frames, n) || find(c, REC_PC, off, NULL, NULL))
		return NULL;	/* too big to keep: derived every time */
	if (!push_frames(c, frames, n))
		return &hs_error_nomem;
	if (insert(c, &r))
		c->dirty = true;
	return NULL;
}

bool symcache_find_tail(const struct symcache *c, uint64_t off, const char *above, bool *found,
			const struct symcache_frame **frame)
{
	const struct rec *r = find(c, REC_TAIL, off, above, NULL);

	if (!r)
		return false;
	*found = r->flag;
	*frame = r->flag ? &c->frames.items[r->first] : NULL;
	return true;
}

struct hs_error *symcache_add_tail(struct symcache *c, uint64_t off, const char *above, bool found,
				   const struct symcache_frame *frame)
{
	struct rec r = { .kind = REC_TAIL, .off = off, .flag = found, .first = (uint32_t)c->frames.len, .n = found };
	bool nomem = false;

	if (!fits(above) || (found && !frames_fit(frame, 1)) || find(c, REC_TAIL, off, above, NULL))
		return NULL;
	r.a = own(c, above, above ? strlen(above) : 0, &nomem);
	if (nomem || (found && !push_frames(c, frame, 1)))
		return &hs_error_nomem;
	if (insert(c, &r))
		c->dirty = true;
	return NULL;
}

bool symcache_find_member(const struct symcache *c, uint64_t off, const char *type, const char *member, int64_t *value)
{
	const struct rec *r = find(c, REC_MEMBER, off, type, member);

	if (!r)
		return false;
	*value = r->value;
	return true;
}

struct hs_error *symcache_add_member(struct symcache *c, uint64_t off, const char *type, const char *member,
				     int64_t value)
{
	struct rec r = { .kind = REC_MEMBER, .off = off, .value = value };
	bool nomem = false;

	if (!fits(type) || !fits(member) || find(c, REC_MEMBER, off, type, member))
		return NULL;
	r.a = own(c, type, type ? strlen(type) : 0, &nomem);
	r.b = own(c, member, member ? strlen(member) : 0, &nomem);
	if (nomem)
		return &hs_error_nomem;
	if (insert(c, &r))
		c->dirty = true;
	return NULL;
}

bool symcache_find_fact(const struct symcache *c, const char *name, int64_t *value)
{
	const struct rec *r = find(c, REC_FACT, 0, name, NULL);

	if (!r)
		return false;
	*value = r->value;
	return true;
}

struct hs_error *symcache_add_fact(struct symcache *c, const char *name, int64_t value)
{
	struct rec r = { .kind = REC_FACT, .value = value };
	bool nomem = false;

	if (!fits(name) || find(c, REC_FACT, 0, name, NULL))
		return NULL;
	r.a = own(c, name, strlen(name), &nomem);
	if (nomem)
		return &hs_error_nomem;
	if (insert(c, &r))
		c->dirty = true;
	return NULL;
}

/* ---- the format ---- */

static bool put(struct strbuf *sb, const void *p, size_t n)
{
	return strbuf_append(sb, p, n);
}

static bool put_u8(struct strbuf *sb, uint8_t v) { return put(sb, &v, 1); }
static bool put_u32(struct strbuf *sb, uint32_t v) { return put(sb, &v, 4); }
static bool put_u64(struct strbuf *sb, uint64_t v) { return put(sb, &v, 8); }

static bool put_str(struct strbuf *sb, const char *s)
{
	return s ? put_u32(sb, (uint32_t)strlen(s)) && put(sb, s, strlen(s)) : put_u32(sb, NONE);
}

static bool put_frame(struct strbuf *sb, const struct symcache_frame *f)
{
	return put_str(sb, f->raw) && put_str(sb, f->file) && put_u32(sb, (uint32_t)f->line) && put_u8(sb, f->inlined) &&
	       put_u8(sb, f->how) && put_u64(sb, f->offset) && put_u64(sb, f->pc);
}

static bool put_key(struct strbuf *sb, const struct symcache_key *k)
{
	return put_str(sb, k->analyzer) && put_str(sb, k->build_id) && put_u64(sb, k->elf_size) &&
	       put_u64(sb, k->elf_mtime_ns) && put_u64(sb, k->elf_ino) && put_str(sb, k->debug_path) &&
	       put_u64(sb, k->debug_size) && put_u64(sb, k->debug_mtime_ns) && put_u64(sb, k->debug_ino) &&
	       put_u32(sb, k->flags);
}

struct hs_error *symcache_format(const struct symcache *c, void **ret, size_t *len_ret)
{
	struct strbuf sb;
	uint64_t sum;
	bool ok;

	strbuf_init(&sb);
	ok = put(&sb, MAGIC, sizeof(MAGIC)) && put_u8(&sb, SYMCACHE_VERSION) && put_key(&sb, &c->key) &&
	     put_u32(&sb, (uint32_t)c->recs.len);
	for (size_t i = 0; i < c->recs.len && ok; i++) {
		const struct rec *r = &c->recs.items[i];

		ok = put_u8(&sb, r->kind) && put_u64(&sb, r->off) && put_str(&sb, r->a) && put_str(&sb, r->b);
		if (ok && r->kind == REC_PC) {
			ok = put_u8(&sb, r->flag) && put_u32(&sb, r->n);
			for (uint32_t j = 0; j < r->n && ok; j++)
				ok = put_frame(&sb, &c->frames.items[r->first + j]);
		} else if (ok && r->kind == REC_TAIL) {
			ok = put_u8(&sb, r->flag) && (!r->flag || put_frame(&sb, &c->frames.items[r->first]));
		} else if (ok) {
			ok = put_u64(&sb, (uint64_t)r->value);
		}
	}
	if (ok) {
		sum = hs_fnv1a(sb.buf, sb.len, HS_FNV1A_INIT);
		ok = put_u64(&sb, sum);
	}
	if (!ok) {
		strbuf_deinit(&sb);
		return &hs_error_nomem;
	}
	*ret = strbuf_detach(&sb, len_ret);
	return NULL;
}

struct reader {
	const unsigned char *p, *end;
	bool bad;
};

static bool get(struct reader *r, void *out, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		memset(out, 0, n);
		return false;
	}
	memcpy(out, r->p, n);
	r->p += n;
	return true;
}

static uint8_t get_u8(struct reader *r) { uint8_t v; get(r, &v, 1); return v; }
static uint32_t get_u32(struct reader *r) { uint32_t v; get(r, &v, 4); return v; }
static uint64_t get_u64(struct reader *r) { uint64_t v; get(r, &v, 8); return v; }

/* A str field, owned by c (NULL for none); r->bad when malformed. */
static const char *get_str(struct reader *r, struct symcache *c, bool *nomem)
{
	uint32_t len = get_u32(r);
	const char *s;

	if (r->bad || len == NONE)
		return NULL;
	if (len > SYMCACHE_MAX_STRING || (size_t)(r->end - r->p) < len || memchr(r->p, '\0', len)) {
		r->bad = true;
		return NULL;
	}
	s = own(c, (const char *)r->p, len, nomem);
	r->p += len;
	return s;
}

static void get_frame(struct reader *r, struct symcache *c, struct symcache_frame *f, bool *nomem)
{
	f->raw = get_str(r, c, nomem);
	f->file = get_str(r, c, nomem);
	f->line = (int32_t)get_u32(r);
	f->inlined = get_u8(r) != 0;
	f->how = get_u8(r);
	f->offset = get_u64(r);
	f->pc = get_u64(r);
	if (f->how > 4)
		r->bad = true;
}

static bool key_equal(const struct symcache_key *a, const struct symcache_key *b)
{
	return same_str(a->analyzer, b->analyzer) && same_str(a->build_id, b->build_id) && a->elf_size == b->elf_size &&
	       a->elf_mtime_ns == b->elf_mtime_ns && a->elf_ino == b->elf_ino && same_str(a->debug_path, b->debug_path) &&
	       a->debug_size == b->debug_size && a->debug_mtime_ns == b->debug_mtime_ns && a->debug_ino == b->debug_ino &&
	       a->flags == b->flags;
}

struct hs_error *symcache_parse(const void *buf, size_t len, const struct symcache_key *key, struct symcache **ret)
{
	struct reader r = { buf, (const unsigned char *)buf + len, false };
	struct symcache *c;
	struct symcache_key k = { .analyzer = NULL };
	char magic[sizeof(MAGIC)];
	uint64_t sum;
	uint32_t n;
	bool nomem = false;

	*ret = NULL;
	if (len > SYMCACHE_MAX_BYTES || len < sizeof(MAGIC) + 1 + 8)
		return hs_error_create(HS_ERR_FORMAT, "symbol cache: bad size");
	memcpy(&sum, (const unsigned char *)buf + len - 8, 8);
	if (hs_fnv1a(buf, len - 8, HS_FNV1A_INIT) != sum)
		return hs_error_create(HS_ERR_FORMAT, "symbol cache: bad checksum");
	r.end -= 8;
	if (!get(&r, magic, sizeof(magic)) || memcmp(magic, MAGIC, sizeof(MAGIC)) != 0 || get_u8(&r) != SYMCACHE_VERSION)
		return hs_error_create(HS_ERR_FORMAT, "symbol cache: not one, or another version");
	if (!(c = calloc(1, sizeof(*c))))
		return &hs_error_nomem;
	k.analyzer = get_str(&r, c, &nomem);
	k.build_id = get_str(&r, c, &nomem);
	k.elf_size = get_u64(&r);
	k.elf_mtime_ns = get_u64(&r);
	k.elf_ino = get_u64(&r);
	k.debug_path = get_str(&r, c, &nomem);
	k.debug_size = get_u64(&r);
	k.debug_mtime_ns = get_u64(&r);
	k.debug_ino = get_u64(&r);
	k.flags = get_u32(&r);
	c->key = k;
	n = get_u32(&r);
	if (nomem) {
		symcache_free(c);
		return &hs_error_nomem;
	}
	if (r.bad || !key_equal(&k, key) || n > SYMCACHE_MAX_RECORDS) {
		symcache_free(c);
		return hs_error_create(HS_ERR_FORMAT, "symbol cache: damaged, or for another file or analyzer");
	}
	for (uint32_t i = 0; i < n && !r.bad && !nomem; i++) {
		struct rec rec = { .kind = get_u8(&r) };
		uint32_t nframes;

		rec.off = get_u64(&r);
		rec.a = get_str(&r, c, &nomem);
		rec.b = get_str(&r, c, &nomem);
		rec.first = (uint32_t)c->frames.len;
		switch (rec.kind) {
		case REC_PC:
			rec.flag = get_u8(&r) != 0;
			nframes = get_u32(&r);
			if (nframes > SYMCACHE_MAX_FRAMES || rec.a || rec.b) {
				r.bad = true;
				break;
			}
			for (uint32_t j = 0; j < nframes && !r.bad && !nomem; j++) {
				struct symcache_frame *f = VEC_PUSH(&c->frames);
				if (!f) {
					nomem = true;
					break;
				}
				get_frame(&r, c, f, &nomem);
			}
			rec.n = nframes;
			break;
		case REC_TAIL:
			rec.flag = get_u8(&r) != 0;
			if (rec.flag) {
				struct symcache_frame *f = VEC_PUSH(&c->frames);
				if (!f)
					nomem = true;
				else
					get_frame(&r, c, f, &nomem);
				rec.n = 1;
			}
			if (rec.b)
				r.bad = true;
			break;
		case REC_MEMBER:
		case REC_FACT:
			rec.value = (int64_t)get_u64(&r);
			if (rec.kind == REC_FACT && (rec.b || rec.off))
				r.bad = true;
			break;
		default:
			r.bad = true;
		}
		if (!r.bad && !nomem && !insert(c, &rec))
			nomem = true;
	}
	if (nomem) {
		symcache_free(c);
		return &hs_error_nomem;
	}
	if (r.bad || r.p != r.end) {
		symcache_free(c);
		return hs_error_create(HS_ERR_FORMAT, "symbol cache: damaged");
	}
	c->dirty = false;
	*ret = c;
	return NULL;
}

/* ---- files ---- */

static bool valid_build_id(const char *id)
{
	size_t n = strlen(id);

	if (n < 2 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

struct hs_error *symcache_load(const char *dir, const struct symcache_key *key, struct symcache **ret)
{
	struct hs_error *err;
	char *path = NULL, *buf = NULL;
	unsigned char *data;
	struct stat st;
	size_t len = 0, got = 0;
	int fd;

	*ret = NULL;
	if (!valid_build_id(key->build_id) || asprintf(&path, "%s/%s", dir, key->build_id) < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	free(path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > SYMCACHE_MAX_BYTES ||
	    !(buf = malloc((size_t)st.st_size))) {
		close(fd);
		return NULL;
	}
	len = (size_t)st.st_size;
	data = (unsigned char *)buf;
	while (got < len) {
		ssize_t k = pread(fd, data + got, len - got, (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	err = got == len ? symcache_parse(buf, len, key, ret) : NULL;
	free(buf);
	if (err && err->kind == HS_ERR_FORMAT) {
		/* damaged or stale: derived afresh and written anew */
		hs_error_destroy(err);
		err = NULL;
	}
	return err;
}

/* An unnamed file in dir (O_TMPFILE), else a named one under tmp (removed on failure); -errno. */
static int open_temp(const char *dir, const char *tmp, bool *named)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

	*named = false;
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	*named = true;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd >= 0 ? fd : -errno;
}

struct hs_error *symcache_save(const char *dir, const struct symcache *c)
{
	struct hs_error *err = NULL;
	char *tmp = NULL, *path = NULL, proc[32];
	void *data;
	size_t len, done = 0;
	bool named, placed = false;
	int fd;

	if (!valid_build_id(c->key.build_id))
		return NULL;
	if ((err = symcache_format(c, &data, &len)))
		return err;
	if (len > SYMCACHE_MAX_BYTES) {
		free(data);
		return NULL;
	}
	if (asprintf(&path, "%s/%s", dir, c->key.build_id) < 0 ||
	    asprintf(&tmp, "%s/.%s.%d.%llx", dir, c->key.build_id, (int)getpid(),
		     (unsigned long long)hs_now_mono_ns()) < 0) {
		free(path);
		free(data);
		return &hs_error_nomem;
	}
	/* written unnamed, given a unique name, then renamed over: a kill at any moment leaves no part file */
	if ((fd = open_temp(dir, tmp, &named)) < 0) {
		err = hs_error_errno(-fd, "cannot write the symbol cache in '%s'", dir);
		goto out;
	}
	while (done < len) {
		ssize_t k = write(fd, (char *)data + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			err = hs_error_errno(k < 0 ? errno : ENOSPC, "cannot write the symbol cache '%s'", path);
			break;
		}
		done += (size_t)k;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!err && !named && linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
		err = hs_error_errno(errno, "cannot write the symbol cache '%s'", path);
	placed = !err;
	if (close(fd) != 0 && !err)
		err = hs_error_errno(errno, "cannot write the symbol cache '%s'", path);
	/* concurrent writers: each renames a whole file over the name, the last one stays */
	if (!err && rename(tmp, path) != 0)
		err = hs_error_errno(errno, "cannot write the symbol cache '%s'", path);
	if (err && (named || placed))
		unlink(tmp);
out:
	free(tmp);
	free(path);
	free(data);
	return err;
}
