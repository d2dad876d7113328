/*
 * Little-endian field encoding for our own on-disk records.
 *
 * Writing appends to a strbuf and remembers the first failure, so a record
 * encoder can put every field and check once at the end. Reading walks a
 * bounded cursor: every get checks the remaining length, and a short read
 * marks the cursor bad and yields zeros, so a decoder reads all fields and
 * checks once. Strings are a u16 length then that many bytes (no NUL).
 */
#ifndef HS_FORMATS_BYTES_H
#define HS_FORMATS_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/strbuf.h"

struct byte_writer {
	struct strbuf *sb;
	bool failed;
};

static inline void bw_put(struct byte_writer *w, const void *p, size_t n)
{
	if (!w->failed && !strbuf_append(w->sb, p, n))
		w->failed = true;
}

static inline void bw_u8(struct byte_writer *w, uint8_t v) { bw_put(w, &v, 1); }

static inline void bw_u16(struct byte_writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	bw_put(w, b, 2);
}

static inline void bw_u32(struct byte_writer *w, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	bw_put(w, b, 4);
}

static inline void bw_u64(struct byte_writer *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	bw_put(w, b, 8);
}

/* Strings longer than UINT16_MAX are cut there; the encoders cap earlier. */
static inline void bw_str(struct byte_writer *w, const char *s, size_t len)
{
	if (!s)
		len = 0;
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	bw_u16(w, (uint16_t)len);
	bw_put(w, s, len);
}

static inline void bw_cstr(struct byte_writer *w, const char *s)
{
	bw_str(w, s, s ? strlen(s) : 0);
}

struct byte_reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline const uint8_t *br_take(struct byte_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static inline uint64_t br_uint(struct byte_reader *r, size_t n)
{
	const uint8_t *p = br_take(r, n);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline uint8_t br_u8(struct byte_reader *r) { return (uint8_t)br_uint(r, 1); }
static inline uint16_t br_u16(struct byte_reader *r) { return (uint16_t)br_uint(r, 2); }
static inline uint32_t br_u32(struct byte_reader *r) { return (uint32_t)br_uint(r, 4); }
static inline uint64_t br_u64(struct byte_reader *r) { return br_uint(r, 8); }

/*
 * Reads a string into a new NUL-terminated allocation (*out, caller frees).
 * Embedded NULs are kept (len_ret tells the real length). Returns false only
 * on allocation failure; a truncated record sets r->bad and yields "".
 */
bool br_str(struct byte_reader *r, char **out, size_t *len_ret);

#endif
