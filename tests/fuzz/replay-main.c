/*
 * Runs a fuzz target over saved inputs, for builds without libFuzzer: every
 * regular file under the directories and files given as arguments goes to
 * LLVMFuzzerTestOneInput() once. Exit 0 when every input ran (a bug in the
 * target aborts, or a sanitizer stops the run), 1 when an argument or an
 * input cannot be read, 2 on usage.
 *
 *   fuzz-core-replay tests/fuzz/corpus tests/corrupt crash-1234
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not fuzz inputs: refuse them rather than allocate. */
#define REPLAY_MAX_INPUT (64u << 20)

static unsigned long replayed;
static const char *prog;	/* the replayer's name, as run (fuzz-proc-replay...) */
static int failures;

static int replay_file(const char *path, const struct stat *st)
{
	FILE *f;
	uint8_t *buf;
	size_t len = (size_t)st->st_size, got;

	if (st->st_size < 0 || (uint64_t)st->st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "%s: skipping '%s': larger than %u bytes\n", prog, path, REPLAY_MAX_INPUT);
		return 0;
	}
	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path, strerror(errno));
		failures++;
		return 0;
	}
	/* one spare byte, so that an empty input is still a valid pointer and growth shows */
	if (!(buf = malloc(len + 1))) {
		fclose(f);
		fprintf(stderr, "%s: cannot read '%s': out of memory\n", prog, path);
		failures++;
		return 0;
	}
	got = fread(buf, 1, len + 1, f);
	fclose(f);
	if (got != len) {
		fprintf(stderr, "%s: cannot read '%s': size changed while reading\n", prog, path);
		free(buf);
		failures++;
		return 0;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	replayed++;
	return 0;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		return replay_file(path, st);
	if (type == FTW_DNR || type == FTW_NS) {
		fprintf(stderr, "%s: cannot read '%s'\n", prog, path);
		failures++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;

	prog = slash ? slash + 1 : argc > 0 ? argv[0] : "fuzz-replay";
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", prog);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: cannot read '%s': %s\n", prog, argv[i], strerror(errno));
			failures++;
			continue;
		}
		if (nftw(argv[i], visit, 16, FTW_PHYS) != 0) {
			fprintf(stderr, "%s: cannot walk '%s': %s\n", prog, argv[i], strerror(errno));
			failures++;
		}
	}
	printf("%s: %lu inputs replayed\n", prog, replayed);
	return failures ? 1 : 0;
}
