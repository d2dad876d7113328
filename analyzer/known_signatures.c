/* See known_signatures.h for the format. */
#include "analyzer/known_signatures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/vec.h"

void known_signatures_deinit(struct known_signatures *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i].comment);
	VEC_DEINIT(l);
}

/* One line, NUL-terminated and modifiable; NULL when it is fine (or blank). */
static struct hs_error *parse_line(const char *name, unsigned lineno, char *line, struct known_signatures *ret)
{
	char hash[64], status[32], *p = line + strspn(line, " \t");
	struct known_signature *k;
	int n = 0;

	if (!*p || *p == '#' || *p == '\r')
		return NULL;
	if (sscanf(p, "%63s %31s%n", hash, status, &n) != 2)
		return hs_error_create(HS_ERR_INVALID, "%s:%u: expected 'SIGNATURE expected|forbidden'", name, lineno);
	if (strlen(hash) < 8 || strlen(hash) > 16 || strspn(hash, "0123456789abcdef") != strlen(hash))
		return hs_error_create(HS_ERR_INVALID,
				       "%s:%u: '%s' is not a signature: give 8 to 16 lowercase hex digits", name,
				       lineno, hash);
	if (strcmp(status, "expected") != 0 && strcmp(status, "forbidden") != 0)
		return hs_error_create(HS_ERR_INVALID, "%s:%u: unknown status '%s': use expected or forbidden", name,
				       lineno, status);
	p += n;
	p += strspn(p, " \t");
	if (*p && *p != '#' && *p != '\r')
		return hs_error_create(HS_ERR_INVALID,
				       "%s:%u: unexpected text after the status (comments start with #)", name, lineno);
	if (ret->len >= KNOWN_SIGNATURES_MAX)
		return hs_error_create(HS_ERR_INVALID, "%s:%u: too many signatures", name, lineno);
	if (!(k = VEC_PUSH(ret)))
		return &hs_error_nomem;
	snprintf(k->prefix, sizeof(k->prefix), "%s", hash);
	k->forbidden = status[0] == 'f';
	if (*p == '#') {
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\r")] = '\0';
		if (!(k->comment = strdup(p)))
			return &hs_error_nomem;
	}
	return NULL;
}

struct hs_error *known_signatures_parse(const char *name, const char *text, size_t len,
					struct known_signatures *ret)
{
	struct hs_error *err = NULL;
	char *buf, *line, *next;
	unsigned lineno = 0;

	if (len > KNOWN_SIGNATURES_FILE_MAX)
		return hs_error_create(HS_ERR_INVALID, "%s: larger than %u bytes", name, KNOWN_SIGNATURES_FILE_MAX);
	/* a NUL would end its line early and hide the rest of it */
	if (memchr(text, '\0', len))
		return hs_error_create(HS_ERR_INVALID, "%s: not a text file (it holds a NUL byte)", name);
	if (!(buf = malloc(len + 1)))
		return &hs_error_nomem;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = buf; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		err = parse_line(name, ++lineno, line, ret);
	}
	free(buf);
	return err;
}

const struct known_signature *known_signatures_lookup(const struct known_signatures *l, const char *hash)
{
	for (size_t i = 0; i < l->len; i++)
		if (strncmp(hash, l->items[i].prefix, strlen(l->items[i].prefix)) == 0)
			return &l->items[i];
	return NULL;
}
