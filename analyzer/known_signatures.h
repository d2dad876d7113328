/*
 * Known-signatures files, the list `hanganalyze check --known FILE` compares
 * each core's hang signature with:
 *
 *   # comments and blank lines are ignored
 *   f0d1950a9fd69d26  expected   # shutdown join on the metrics connect, ticket OPS-12
 *   723ebb6c          forbidden  # the ABBA deadlock fixed in 2.4: must not come back
 *
 * A signature is 8 to 16 leading lowercase hex digits of a hang's hash.
 */
#ifndef HS_ANALYZER_KNOWN_SIGNATURES_H
#define HS_ANALYZER_KNOWN_SIGNATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define KNOWN_SIGNATURES_MAX 10000u
#define KNOWN_SIGNATURES_FILE_MAX (16u << 20)

struct known_signature {
	char prefix[17];	/* 8 to 16 lowercase hex digits */
	bool forbidden;		/* "forbidden" (a regression), else "expected" */
	char *comment;		/* after '#', without the CR of a CRLF line; NULL when none */
};

struct known_signatures {
	struct known_signature *items;
	size_t len, cap;
};

#define KNOWN_SIGNATURES_INIT { NULL, 0, 0 }

/*
 * Parses len bytes of text (need not be NUL-terminated; not modified) and
 * appends its signatures to *ret (KNOWN_SIGNATURES_INIT or earlier results).
 * A bad line gives HS_ERR_INVALID "NAME:LINE: problem"; ret then holds what
 * came before it, for known_signatures_deinit(). Out of memory: &hs_error_nomem.
 */
struct hs_error *known_signatures_parse(const char *name, const char *text, size_t len,
					struct known_signatures *ret);

/* Frees what l holds and empties it. */
void known_signatures_deinit(struct known_signatures *l);

/* The first entry whose prefix starts hash, or NULL. */
const struct known_signature *known_signatures_lookup(const struct known_signatures *l, const char *hash);

#endif
