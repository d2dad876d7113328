/*
 * hs_fnv1a() skips runs of zero bytes with powers of the prime; its values
 * must be FNV-1a's, byte for byte (stored case hashes and cache checksums
 * depend on them): the published test vectors, and a plain byte loop over
 * data with zero runs of every length at every alignment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "tests/unit/unit.h"

static uint64_t reference(const unsigned char *b, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * HS_FNV1A_PRIME;
	return h;
}

int main(void)
{
	static unsigned char buf[1 << 20];
	uint64_t rng = 0x2545f4914f6cdd1dull;

	/* test vectors of the FNV-1a 64-bit definition */
	CHECK(hs_fnv1a("", 0, HS_FNV1A_INIT) == 0xcbf29ce484222325ull);
	CHECK(hs_fnv1a("a", 1, HS_FNV1A_INIT) == 0xaf63dc4c8601ec8cull);
	CHECK(hs_fnv1a("foobar", 6, HS_FNV1A_INIT) == 0x85944171f73967e8ull);

	/* zero runs of 0..200 bytes between random bytes, at every offset mod 8 */
	for (size_t run = 0; run <= 200; run++) {
		for (size_t off = 0; off < 8; off++) {
			size_t n = off + run + 9;

			for (size_t i = 0; i < n; i++) {
				rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
				buf[i] = (unsigned char)(rng | 1);
			}
			memset(buf + off, 0, run);
			CHECK(hs_fnv1a(buf, n, HS_FNV1A_INIT) == reference(buf, n, HS_FNV1A_INIT));
			/* and at the very end */
			CHECK(hs_fnv1a(buf, off + run, 7) == reference(buf, off + run, 7));
		}
	}
	/* one long zero run (all 20 bits of its length), and data that is mostly zeros */
	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	CHECK(hs_fnv1a(buf, sizeof(buf), HS_FNV1A_INIT) == reference(buf, sizeof(buf), HS_FNV1A_INIT));
	for (size_t i = 0; i < sizeof(buf); i += 1 + (size_t)(rng % 97)) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		buf[i] = (unsigned char)rng;
	}
	CHECK(hs_fnv1a(buf, sizeof(buf), HS_FNV1A_INIT) == reference(buf, sizeof(buf), HS_FNV1A_INIT));
	/* continued across calls, split anywhere */
	for (size_t cut = 0; cut < 300; cut += 7)
		CHECK(hs_fnv1a(buf + cut, sizeof(buf) - cut, hs_fnv1a(buf, cut, HS_FNV1A_INIT)) ==
		      reference(buf, sizeof(buf), HS_FNV1A_INIT));
	return unit_finish();
}
