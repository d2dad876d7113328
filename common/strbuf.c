#include "common/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void strbuf_deinit(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb);
}

bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - sb->len - 1)
		return false;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(sb->buf, cap);
	if (!p)
		return false;
	sb->buf = p;
	sb->cap = cap;
	return true;
}

bool strbuf_append_slow(struct strbuf *sb, const void *data, size_t len)
{
	if (!strbuf_reserve(sb, len))
		return false;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return true;
}

bool strbuf_append_zeros(struct strbuf *sb, size_t len)
{
	if (!strbuf_reserve(sb, len))
		return false;
	memset(sb->buf + sb->len, 0, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return true;
}

bool strbuf_appendf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !strbuf_reserve(sb, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return true;
}

char *strbuf_detach(struct strbuf *sb, size_t *len_ret)
{
	char *p = sb->buf;

	if (len_ret)
		*len_ret = sb->len;
	strbuf_init(sb);
	return p;
}

bool strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}
