/*
 * Typed growable arrays.
 *
 *   VEC(struct thread) threads = VEC_INIT;
 *   struct thread *t = VEC_PUSH(&threads);   // zeroed slot, NULL when out of memory
 *   ...
 *   VEC_DEINIT(&threads);
 *
 * Elements move when the array grows: do not keep pointers across a push.
 */
#ifndef HS_COMMON_VEC_H
#define HS_COMMON_VEC_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define VEC(type) struct { type *items; size_t len, cap; }
#define VEC_INIT { NULL, 0, 0 }

/* Grows the array behind (void **)items to hold one more element; false when out of memory. */
static inline int vec_grow(void **items, size_t *cap, size_t len, size_t elem)
{
	size_t ncap;
	void *p;

	if (len < *cap)
		return 1;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > (size_t)-1 / elem)
		return 0;
	p = realloc(*items, ncap * elem);
	if (!p)
		return 0;
	*items = p;
	*cap = ncap;
	return 1;
}

#define VEC_PUSH(v)                                                                   \
	(vec_grow((void **)&(v)->items, &(v)->cap, (v)->len, sizeof(*(v)->items))     \
		 ? memset(&(v)->items[(v)->len++], 0, sizeof(*(v)->items))            \
		 : NULL)

#define VEC_DEINIT(v) do { free((v)->items); (v)->items = NULL; (v)->len = (v)->cap = 0; } while (0)

#endif
