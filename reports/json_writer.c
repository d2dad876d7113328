/* See json_writer.h. */
#include "reports/json_writer.h"

#include "common/utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void json_writer_init(struct json_writer *w, struct strbuf *sb)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
	w->first[0] = true;
}

bool json_writer_ok(const struct json_writer *w)
{
	return !w->failed && w->depth == 0;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
	if (!w->failed && !strbuf_append(w->sb, s, n))
		w->failed = true;
}

/* ",\n" and the deepest indentation: a separator and a newline are one append */
static const char sep_indent[2 + 2 * JSON_MAX_DEPTH + 1] =
	",\n                                                                ";
_Static_assert(sizeof(sep_indent) >= 2 + 2 * JSON_MAX_DEPTH, "indentation for every level");

static void newline(struct json_writer *w)
{
	put(w, sep_indent + 1, 1 + 2 * (size_t)w->depth);
}

/* Separator and indentation before a value or key at the current level. */
static void before_item(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0) {
		bool first = w->first[w->depth];
		put(w, sep_indent + (first ? 1 : 0), (first ? 1 : 2) + 2 * (size_t)w->depth);
	}
	w->first[w->depth] = false;
}

static void open_level(struct json_writer *w, const char *c)
{
	before_item(w);
	put(w, c, 1);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	w->first[++w->depth] = true;
}

static void close_level(struct json_writer *w, const char *c)
{
	bool empty = w->first[w->depth];

	if (w->depth == 0) {
		w->failed = true;
		return;
	}
	w->depth--;
	if (!empty)
		newline(w);
	put(w, c, 1);
}

void json_object_begin(struct json_writer *w) { open_level(w, "{"); }
void json_object_end(struct json_writer *w) { close_level(w, "}"); }
void json_array_begin(struct json_writer *w) { open_level(w, "["); }
void json_array_end(struct json_writer *w) { close_level(w, "]"); }

/* ASCII bytes written as they are: printable, but for '"', '\\' and '<' (a table: one load a byte) */
#define PLAIN(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\' && (c) != '<')
#define T4(c) PLAIN(c), PLAIN((c) + 1), PLAIN((c) + 2), PLAIN((c) + 3)
#define T16(c) T4(c), T4((c) + 4), T4((c) + 8), T4((c) + 12)
#define T64(c) T16(c), T16((c) + 16), T16((c) + 32), T16((c) + 48)
static const bool plain_ascii[256] = { T64(0), T64(64), T64(128), T64(192) };
#undef T64
#undef T16
#undef T4
#undef PLAIN

bool json_escape(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *run = s;
	uint32_t cp;

	/* runs of bytes that need no escaping (printable ASCII, valid UTF-8) are appended whole */
	while (*s) {
		size_t n;
		bool ok;

		if (plain_ascii[*s]) {
			s++;
			continue;
		}
		if (*s >= 0x80 && (n = utf8_decode((const char *)s, &cp)) != 0) {
			s += n;
			continue;
		}
		if (s > run && !strbuf_append(sb, run, (size_t)(s - run)))
			return false;
		switch (*s) {
		case '"': ok = strbuf_append(sb, "\\\"", 2); break;
		case '\\': ok = strbuf_append(sb, "\\\\", 2); break;
		case '\n': ok = strbuf_append(sb, "\\n", 2); break;
		case '\t': ok = strbuf_append(sb, "\\t", 2); break;
		case '\r': ok = strbuf_append(sb, "\\r", 2); break;
		/* '<' escaped too, so JSON embedded in HTML cannot close a script element */
		case '<': ok = strbuf_append(sb, "\\u003c", 6); break;
		default:
			ok = *s < 0x20 || *s == 0x7f ? strbuf_appendf(sb, "\\u%04x", *s)
						     : strbuf_append(sb, "\\ufffd", 6);	/* not UTF-8 */
		}
		if (!ok)
			return false;
		run = ++s;
	}
	return s == run || strbuf_append(sb, run, (size_t)(s - run));
}

void json_key(struct json_writer *w, const char *key)
{
	before_item(w);
	put(w, "\"", 1);
	if (!w->failed && !json_escape(w->sb, key))
		w->failed = true;
	put(w, "\": ", 3);
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	before_item(w);
	put(w, "\"", 1);
	if (!w->failed && !json_escape(w->sb, s))
		w->failed = true;
	put(w, "\"", 1);
}

/* digits of v in base (10 or 16) at the end of buf[0..32); returns where they start */
static char *digits(char *end, uint64_t v, unsigned base)
{
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return end;
}

static void literal(struct json_writer *w, const char *s, size_t n)
{
	before_item(w);
	put(w, s, n);
}

void json_int(struct json_writer *w, int64_t v)
{
	char buf[32], *p = digits(buf + sizeof(buf), v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10);

	if (v < 0)
		*--p = '-';
	literal(w, p, (size_t)(buf + sizeof(buf) - p));
}

void json_uint(struct json_writer *w, uint64_t v)
{
	char buf[32], *p = digits(buf + sizeof(buf), v, 10);

	literal(w, p, (size_t)(buf + sizeof(buf) - p));
}

void json_bool(struct json_writer *w, bool v) { literal(w, v ? "true" : "false", v ? 4 : 5); }
void json_null(struct json_writer *w) { literal(w, "null", 4); }

void json_hex(struct json_writer *w, uint64_t v)
{
	char buf[32], *p;

	buf[sizeof(buf) - 1] = '"';
	p = digits(buf + sizeof(buf) - 1, v, 16);
	*--p = 'x';
	*--p = '0';
	*--p = '"';
	literal(w, p, (size_t)(buf + sizeof(buf) - p));
}

void json_raw(struct json_writer *w, const char *json, size_t len)
{
	while (len > 0 && json[len - 1] == '\n')
		len--;
	before_item(w);
	put(w, json, len);
}
