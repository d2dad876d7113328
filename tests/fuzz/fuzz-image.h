/*
 * The memory image the walker fuzz targets (fuzz-ruby.c, fuzz-python.c) read
 * from: regions { u64 addr, u32 len, len bytes } to the end of the input (a
 * short last region is cut to what remains), the last region holding an
 * address winning, as a later mapping would. Header-only: each target is
 * one file of its own.
 */
#ifndef HS_TESTS_FUZZ_IMAGE_H
#define HS_TESTS_FUZZ_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FUZZ_IMAGE_REGIONS 4096u

struct fuzz_image {
	struct fuzz_region { uint64_t addr; const uint8_t *bytes; uint32_t len; } r[FUZZ_IMAGE_REGIONS];
	size_t n;
};

/* A walker's read(): the bytes at addr, up to the end of the region holding it. */
static size_t fuzz_image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct fuzz_image *img = ctx;

	for (size_t i = img->n; i-- > 0;) {
		const struct fuzz_region *g = &img->r[i];
		if (addr >= g->addr && addr - g->addr < g->len) {
			size_t n = (size_t)(g->len - (addr - g->addr));
			if (n > len)
				n = len;
			memcpy(buf, g->bytes + (addr - g->addr), n);
			return n;
		}
	}
	return 0;
}

/* Takes n bytes of the input at *p into out; 0 when fewer are left. */
static int fuzz_take(const uint8_t **p, const uint8_t *end, void *out, size_t n)
{
	if ((size_t)(end - *p) < n)
		return 0;
	memcpy(out, *p, n);
	*p += n;
	return 1;
}

/* The regions from *p to end, into img. */
static void fuzz_image_parse(struct fuzz_image *img, const uint8_t *p, const uint8_t *end)
{
	img->n = 0;
	while (img->n < FUZZ_IMAGE_REGIONS) {
		uint64_t addr;
		uint32_t len;

		if (!fuzz_take(&p, end, &addr, 8) || !fuzz_take(&p, end, &len, 4))
			break;
		if (len > (size_t)(end - p))
			len = (uint32_t)(end - p);
		img->r[img->n++] = (struct fuzz_region){ addr, p, len };
		p += len;
	}
}

#endif
