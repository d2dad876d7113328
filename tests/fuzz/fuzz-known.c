/*
 * Fuzz target for the known-signatures file parser (analyzer/known_signatures.c,
 * hanganalyze check --known FILE): any bytes must be parsed or refused with
 * an HS_ERR_INVALID "NAME:LINE: problem" error — no crash, no read past len
 * (the input is not NUL-terminated), no leak. What parses keeps the format's
 * promises, which check's verdicts rely on: at most KNOWN_SIGNATURES_MAX
 * entries, each prefix 8 to 16 lowercase hex digits, found again by
 * known_signatures_lookup(), and a comment without CR.
 *
 * Built with replay-main.c as fuzz-known-replay, run over corpus-known/ in
 * every build, and with -fsanitize=fuzzer as fuzz-known (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/known_signatures.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct known_signatures *l)
{
	if (l->len > KNOWN_SIGNATURES_MAX)
		abort();
	for (size_t i = 0; i < l->len; i++) {
		const struct known_signature *k = &l->items[i], *found;
		size_t n = strlen(k->prefix);
		char hash[17];

		if (n < 8 || n > 16 || strspn(k->prefix, "0123456789abcdef") != n)
			abort();
		if (k->comment && strchr(k->comment, '\r'))
			abort();
		/* a full hash that starts with this prefix finds it, or an earlier entry that also matches */
		memset(hash, '0', 16);
		memcpy(hash, k->prefix, n);
		hash[16] = '\0';
		found = known_signatures_lookup(l, hash);
		if (!found || found > k || strncmp(hash, found->prefix, strlen(found->prefix)) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct known_signatures l = KNOWN_SIGNATURES_INIT;
	struct hs_error *err;
	char *copy;

	/* an exact-size copy, so that ASan sees any read past the end */
	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, data, size);
	err = known_signatures_parse("fuzz.known", copy, size, &l);
	free(copy);
	if (err) {
		if (err->kind != HS_ERR_NOMEM &&
		    (err->kind != HS_ERR_INVALID || strncmp(hs_error_message(err), "fuzz.known:", 11) != 0))
			abort();
		hs_error_destroy(err);
	}
	check(&l);
	known_signatures_deinit(&l);
	return 0;
}
