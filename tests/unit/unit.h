/*
 * What the unit tests share: CHECK(cond) counts a failure and says where,
 * without stopping the test; unit_finish() ends main with the verdict.
 */
#ifndef HS_TESTS_UNIT_H
#define HS_TESTS_UNIT_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                          \
		}                                                                            \
	} while (0)

/* "ok" and 0, or the number of failed checks and 1. */
static inline int unit_finish(void)
{
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}

#endif
