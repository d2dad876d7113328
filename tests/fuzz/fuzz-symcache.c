/*
 * Fuzz target for the symbol cache's parser (analyzer/symcache.c), which
 * reads files from ${XDG_CACHE_HOME}/hanganalyze/symbols that anything
 * running as the user could have written. Any bytes must be parsed or
 * refused with HS_ERR_FORMAT — no crash, no read past the end, no leak —
 * and what parses must format to a file that parses again to as many
 * records, whose lookups answer the same.
 *
 * The first byte picks the input's form: 'c', the rest is a cache file
 * without its checksum, which the target appends (so that mutations reach
 * the key and the records); anything else, the rest is the file as it is.
 * The key the seeds carry (make-symcache-seeds.py) is fuzz_key below.
 *
 * Built with replay-main.c as fuzz-symcache-replay, run over
 * corpus-symcache/ in every build, and with -fsanitize=fuzzer as
 * fuzz-symcache (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/symcache.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct symcache_key fuzz_key = {
	.analyzer = "fuzz-analyzer",
	.build_id = "0123456789abcdef",
	.elf_size = 1, .elf_mtime_ns = 2, .elf_ino = 3,
	.debug_path = "/fuzz/debug",
	.debug_size = 4, .debug_mtime_ns = 5, .debug_ino = 6,
	.flags = 0,
};

static void probe(const struct symcache *a, const struct symcache *b)
{
	for (uint64_t off = 0; off < 64; off++) {
		const struct symcache_frame *fa, *fb;
		uint32_t na, nb;
		bool ca, cb;
		int64_t va, vb;

		if (symcache_find_pc(a, off, &fa, &na, &ca) != symcache_find_pc(b, off, &fb, &nb, &cb))
			abort();
		if (symcache_find_member(a, off, "pthread_mutex_t", "__owner", &va) !=
		    symcache_find_member(b, off, "pthread_mutex_t", "__owner", &vb))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symcache *c, *again;
	struct hs_error *err;
	unsigned char *buf;
	size_t len;
	void *text;
	size_t tlen;

	if (size == 0)
		return 0;
	len = size - 1;
	/* an exact-size copy, so that ASan sees any read past the end */
	if (!(buf = malloc(len + 8)))
		return 0;
	memcpy(buf, data + 1, len);
	if (data[0] == 'c') {
		uint64_t sum = hs_fnv1a(buf, len, HS_FNV1A_INIT);
		memcpy(buf + len, &sum, 8);
		len += 8;
	}
	err = symcache_parse(buf, len, &fuzz_key, &c);
	free(buf);
	if (err) {
		if (err->kind != HS_ERR_FORMAT && err->kind != HS_ERR_NOMEM)
			abort();
		hs_error_destroy(err);
		return 0;
	}
	if (symcache_dirty(c))
		abort();
	if (!symcache_format(c, &text, &tlen)) {
		if (symcache_parse(text, tlen, &fuzz_key, &again))
			abort();
		if (symcache_records(again) != symcache_records(c))
			abort();
		probe(c, again);
		symcache_free(again);
		free(text);
	}
	/* adding to a parsed cache keeps it whole */
	if (symcache_add_fact(c, "has_debuginfo", 1) || symcache_add_member(c, 7, "t", "m", 3))
		abort();
	symcache_free(c);
	return 0;
}
