/*
 * A small streaming JSON writer into a strbuf, pretty-printed with two-space
 * indentation. Commas and nesting are tracked here so renderers only say what
 * comes next. Strings are written as valid UTF-8 whatever they hold: control
 * bytes are escaped (\n, \u001b), and each byte that is not part of a valid
 * UTF-8 sequence becomes U+FFFD, so output from a hostile core still parses.
 *
 * Errors (out of memory, nesting deeper than JSON_MAX_DEPTH) are sticky: the
 * writer stops writing and json_writer_ok() returns false at the end.
 */
#ifndef HS_REPORTS_JSON_WRITER_H
#define HS_REPORTS_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

#define JSON_MAX_DEPTH 32

struct json_writer {
	struct strbuf *sb;
	int depth;
	bool first[JSON_MAX_DEPTH];	/* nothing written yet at this level */
	bool after_key;
	bool failed;
};

void json_writer_init(struct json_writer *w, struct strbuf *sb);
bool json_writer_ok(const struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* The key of the next member; must be followed by exactly one value. */
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);	/* NULL writes null */
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* "0x7f3a2c0008e0": addresses as strings, since JSON numbers lose precision above 2^53. */
void json_hex(struct json_writer *w, uint64_t v);

/* A value that is already JSON (a stored hanganalyze/1 document), written as is but for a trailing newline. */
void json_raw(struct json_writer *w, const char *json, size_t len);

/* Appends s to sb as JSON string contents (no quotes); false when memory runs out. */
bool json_escape(struct strbuf *sb, const char *s);

#endif
