/* See frames.h. */
#include "analyzer/frames.h"

#include <string.h>

bool frame_is_runtime_module(const char *module)
{
	static const char *const runtime[] = { "libc.so", "ld-linux", "libpthread.so", "libresolv.so", "libnss_",
					       "[vdso]", "libstdc++.so", "libgcc_s.so", NULL };

	if (!module)
		return false;
	for (const char *const *r = runtime; *r; r++)
		if (strncmp(module, *r, strlen(*r)) == 0)
			return true;
	return false;
}

const struct frame *frame_app(const struct thread *t)
{
	for (size_t i = 0; i < t->frames.len; i++)
		if (!frame_is_runtime_module(t->frames.items[i].module) && t->frames.items[i].module)
			return &t->frames.items[i];
	return NULL;
}
