/*
 * Fuzz target for the user rule file parser (analyzer/user_rules.c): any
 * bytes must be loaded or refused with an HS_ERR_INVALID "NAME:LINE: problem"
 * error — no crash, no read past len (the input is not NUL-terminated), no
 * leak. A refused file loads nothing (all or nothing per file), a loaded one
 * at most USER_RULES_MAX rules, and loading the same text again into the
 * same set must refuse it (every id would be defined twice) and keep the
 * rules already there.
 *
 * Built with replay-main.c as fuzz-rules-replay, run over corpus-rules/ in
 * every build, and with -fsanitize=fuzzer as fuzz-rules (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/user_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct user_rules *r;
	struct hs_error *err;
	unsigned n;
	char *copy;

	if (user_rules_create(&r))
		return 0;
	/* an exact-size copy, so that ASan sees any read past the end */
	if (!(copy = malloc(size ? size : 1))) {
		user_rules_destroy(r);
		return 0;
	}
	memcpy(copy, data, size);
	err = user_rules_parse(r, "fuzz.rules", copy, size);
	n = user_rules_count(r);
	if (err) {
		if (err->kind == HS_ERR_NOMEM)
			goto out;
		if (err->kind != HS_ERR_INVALID || n != 0 || !strstr(hs_error_message(err), "fuzz.rules"))
			abort();
		hs_error_destroy(err);
		goto out;
	}
	if (n > USER_RULES_MAX)
		abort();
	if (n > 0) {
		if (!(err = user_rules_parse(r, "fuzz.rules", copy, size)))
			abort();
		if (err->kind != HS_ERR_INVALID || user_rules_count(r) != n)
			abort();
		hs_error_destroy(err);
	}
out:
	free(copy);
	user_rules_destroy(r);
	return 0;
}
