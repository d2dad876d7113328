/*
 * casedb-tool create-at-version PATH N: creates a case database at schema
 * version N (an older one), for the migration tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casedb/casedb.h"

int main(int argc, char **argv)
{
	struct hs_error *err;

	if (argc != 4 || strcmp(argv[1], "create-at-version") != 0) {
		fprintf(stderr, "usage: casedb-tool create-at-version PATH N\n");
		return 2;
	}
	if ((err = casedb_create_at_version(argv[2], atoi(argv[3])))) {
		fprintf(stderr, "casedb-tool: %s\n", hs_error_message(err));
		hs_error_destroy(err);
		return 1;
	}
	return 0;
}
