/*
 * A growable byte buffer, NUL-terminated for convenience.
 *
 * strbuf_init() leaves it empty without allocating; strbuf_deinit() frees it.
 * Appending functions return false only when memory runs out, leaving the
 * buffer as it was; callers map that to &hs_error_nomem.
 */
#ifndef HS_COMMON_STRBUF_H
#define HS_COMMON_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void strbuf_init(struct strbuf *sb);
void strbuf_deinit(struct strbuf *sb);
/* Makes room for at least extra more bytes (plus the terminator). */
bool strbuf_reserve(struct strbuf *sb, size_t extra);
bool strbuf_append_slow(struct strbuf *sb, const void *data, size_t len);

/* Appends len bytes (inline when they fit: renderers append many small pieces). */
static inline bool strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	if (len >= sb->cap - sb->len)	/* (also when nothing is allocated: cap == len == 0) */
		return strbuf_append_slow(sb, data, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return true;
}
/* Appends the NUL-terminated string s. */
bool strbuf_addstr(struct strbuf *sb, const char *s);
bool strbuf_appendf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strbuf_append_zeros(struct strbuf *sb, size_t len);
/* Hands the buffer over to the caller (NULL when empty) and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len_ret);

#endif
