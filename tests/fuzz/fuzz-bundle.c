/*
 * Fuzz target for the bundle reader (formats/bundle.c), what `hanganalyze
 * BUNDLE` runs on a file from anywhere. Any bytes must be unpacked or
 * refused with an error — no crash, no leak, no file left with a name, no
 * member larger than its manifest entry. What unpacks must keep the format's
 * promises (formats/bundle.h): the core first, valid and distinct member
 * names, each unpacked file exactly its entry's size; and its manifest,
 * formatted again, must parse to the same entries.
 *
 * The first byte picks the input's form: 'z', the rest is a tar stream that
 * the target compresses with zstd (so that mutations reach the tar headers
 * and the manifest, not just zstd's checksums); anything else, the rest is
 * the file as it is. The manifest parser also runs on the rest directly.
 *
 * Built with replay-main.c as fuzz-bundle-replay, run over corpus-bundle/
 * (made by make-bundle-seeds.py) in every build, and with -fsanitize=fuzzer
 * as fuzz-bundle (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "formats/bundle.h"
#include "tests/fuzz/fuzz-input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the most a fuzz input may unpack to */
#define FUZZ_MAX_TOTAL (64u << 20)

static void check_manifest(const struct bundle_manifest *m)
{
	struct bundle_manifest again;
	char *text;
	size_t len;

	if (m->n == 0 || m->n > BUNDLE_MAX_ENTRIES || m->entries[0].kind != BUNDLE_CORE)
		abort();
	for (size_t i = 0; i < m->n; i++) {
		const struct bundle_entry *e = &m->entries[i];

		if (!bundle_valid_member(e->member) || (i > 0 && e->kind == BUNDLE_CORE) || !e->path || !*e->path ||
		    (e->kind != BUNDLE_CORE && strlen(e->build_id) < 2) || e->size > BUNDLE_MAX_SIZE)
			abort();
		for (size_t j = 0; j < i && m->n < 64; j++)
			if (strcmp(m->entries[j].member, e->member) == 0)
				abort();
	}
	if (bundle_manifest_format(m, &text, &len))
		return;
	if (bundle_manifest_parse(text, len, &again))
		abort();
	free(text);
	if (again.n != m->n)
		abort();
	for (size_t i = 0; i < m->n; i++)
		if (again.entries[i].kind != m->entries[i].kind || again.entries[i].size != m->entries[i].size ||
		    strcmp(again.entries[i].member, m->entries[i].member) != 0 ||
		    strcmp(again.entries[i].build_id, m->entries[i].build_id) != 0 ||
		    strcmp(again.entries[i].path, m->entries[i].path) != 0)
			abort();
	bundle_manifest_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_manifest m;
	struct bundle b;
	struct hs_error *err;
	void *packed = NULL;
	const void *file = data + 1;
	size_t file_len = size ? size - 1 : 0;
	char *copy;
	int fd;

	if (size == 0)
		return 0;
	/* the manifest parser alone, on an exact-size copy (ASan sees a read past the end) */
	if ((copy = malloc(file_len ? file_len : 1))) {
		memcpy(copy, data + 1, file_len);
		if (!(err = bundle_manifest_parse(copy, file_len, &m))) {
			check_manifest(&m);
			bundle_manifest_free(&m);
		} else if (err->kind != HS_ERR_FORMAT && err->kind != HS_ERR_NOMEM) {
			abort();
		}
		hs_error_destroy(err);
		free(copy);
	}
	if (data[0] == 'z') {
		size_t cap = ZSTD_compressBound(file_len);

		if (!(packed = malloc(cap)))
			return 0;
		file_len = ZSTD_compress(packed, cap, data + 1, size - 1, 1);
		if (ZSTD_isError(file_len))
			abort();
		file = packed;
	}
	fd = fuzz_input_fd("bundle", file, file_len);
	free(packed);
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	(void)bundle_sniff(fd);
	err = bundle_read(fd, getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", FUZZ_MAX_TOTAL, &b);
	close(fd);
	if (err) {
		if (err->kind != HS_ERR_FORMAT && err->kind != HS_ERR_LIMIT && err->kind != HS_ERR_NOMEM)
			abort();
		hs_error_destroy(err);
		return 0;
	}
	check_manifest(&b.manifest);
	for (size_t i = 0; i < b.manifest.n; i++) {
		struct stat st;

		if (fstat(b.fds[i], &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != b.manifest.entries[i].size ||
		    st.st_nlink != 0)
			abort();
	}
	bundle_free(&b);
	return 0;
}
