/* See frames.h. */
#include "analyzer/frames.h"

#include <stdint.h>
#include <stdio.h>
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

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool frame_is_library_code(const struct frame *f)
{
	static const char *const namespaces[] = { "std::", "__gnu_cxx::", "__cxxabiv1::", "core::", "alloc::",
						  "<std::", "<core::", "<alloc::", NULL };

	if (f->file && (starts_with(f->file, "/usr/include/") || strstr(f->file, "/rustc/") ||
			strstr(f->file, "/library/std/src/") || strstr(f->file, "/library/core/src/") ||
			strstr(f->file, "/library/alloc/src/")))
		return true;
	for (const char *const *n = namespaces; f->function && *n; n++)
		if (starts_with(f->function, *n))
			return true;
	return false;
}

const struct frame *frame_app(const struct thread *t)
{
	const struct frame *first = NULL;

	/* the program's own code; failing that, the first frame of its modules (library code inlined into them) */
	for (size_t i = 0; i < t->frames.len; i++) {
		const struct frame *f = &t->frames.items[i];
		if (!f->module || frame_is_runtime_module(f->module))
			continue;
		if (!frame_is_library_code(f))
			return f;
		if (!first)
			first = f;
	}
	return first;
}

/* The "-1.4.2" at the end of a gem directory's name: a '-' then a digit. */
static size_t gem_name_len(const char *seg, size_t len)
{
	for (size_t i = len; i-- > 1;)
		if (seg[i] == '-' && i + 1 < len && seg[i + 1] >= '0' && seg[i + 1] <= '9')
			return i;
	return len;
}

/* Skips a "3.1.0/" version directory at p. */
static const char *skip_version_dir(const char *p)
{
	const char *q = p;

	while ((*q >= '0' && *q <= '9') || *q == '.')
		q++;
	return q > p && *q == '/' ? q + 1 : p;
}

void frame_source(const char *path, struct frame_source *out)
{
	const char *p;

	memset(out, 0, sizeof(*out));
	out->kind = SOURCE_APP;
	out->rel = path ? path : "";
	if (!path || !*path)
		return;
	if (path[0] == '<') {	/* "<internal:kernel>", "<main>" */
		out->kind = SOURCE_INTERNAL;
		return;
	}
	if ((p = strstr(path, "/gems/"))) {
		const char *seg = p + strlen("/gems/"), *slash = strchr(seg, '/');
		if (slash) {
			size_t n = gem_name_len(seg, (size_t)(slash - seg));
			out->kind = SOURCE_LIBRARY;
			snprintf(out->lib, sizeof(out->lib), "%.*s", (int)n, seg);
			out->rel = strncmp(slash + 1, "lib/", 4) == 0 ? slash + 5 : slash + 1;
			return;
		}
	}
	if ((p = strstr(path, "/vendor_ruby/")) || (p = strstr(path, "/site_ruby/"))) {
		const char *rest = skip_version_dir(strchr(p + 1, '/') + 1);
		size_t n = strcspn(rest, "/.");
		out->kind = SOURCE_LIBRARY;
		snprintf(out->lib, sizeof(out->lib), "%.*s", (int)n, rest);
		out->rel = rest;
		return;
	}
	/* Python: a package (site-packages, Debian's dist-packages), or the standard library */
	if ((p = strstr(path, "/site-packages/")) || (p = strstr(path, "/dist-packages/"))) {
		const char *rest = strchr(p + 1, '/') + 1;
		size_t n = strcspn(rest, "/.");
		out->kind = SOURCE_LIBRARY;
		snprintf(out->lib, sizeof(out->lib), "%.*s", (int)n, rest);
		out->rel = rest;
		return;
	}
	if ((p = strstr(path, "/lib/python"))) {
		const char *v = p + strlen("/lib/python"), *rest = skip_version_dir(v);
		if (rest != v) {
			out->kind = SOURCE_STDLIB;
			out->rel = rest;
			return;
		}
	}
	if ((p = strstr(path, "/lib/ruby/"))) {
		const char *rest = skip_version_dir(p + strlen("/lib/ruby/"));
		if (rest != p + strlen("/lib/ruby/")) {
			out->kind = SOURCE_STDLIB;
			out->rel = rest;
			return;
		}
	}
	/* the program's own file: its name, wherever it is installed */
	out->rel = (p = strrchr(path, '/')) ? p + 1 : path;
}

size_t frame_runtime_app(const struct thread *t)
{
	const struct runtime_frame *f = t->rt.frames.items;
	size_t lib = SIZE_MAX, any = SIZE_MAX;

	for (size_t i = 0; i < t->rt.frames.len; i++) {
		struct frame_source src;

		if (f[i].cfunc)
			continue;
		frame_source(f[i].path, &src);
		if (src.kind == SOURCE_APP)
			return i;
		if (src.kind == SOURCE_LIBRARY && lib == SIZE_MAX)
			lib = i;
		if (any == SIZE_MAX)
			any = i;
	}
	return lib != SIZE_MAX ? lib : any;
}
