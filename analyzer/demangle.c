/*
 * See demangle.h. libiberty's own allocator (xmalloc) exits when memory runs
 * out, but only its Ada and D demanglers use it; the C++ and Rust ones that
 * DMGL_AUTO runs allocate with malloc and return NULL when it fails.
 */
#include "analyzer/demangle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

char *demangle_name(const char *name)
{
	const char *at;
	size_t len;
	char *mangled, *plain, *ret;

	/* every Itanium name starts with "_Z", every Rust one with "_ZN" (legacy) or "_R" (v0): C names stop here */
	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	len = (at = strchr(name, '@')) ? (size_t)(at - name) : strlen(name);
	if (len > DEMANGLE_NAME_MAX || !(mangled = strndup(name, len)))
		return NULL;
	plain = cplus_demangle(mangled, DMGL_AUTO);
	free(mangled);
	if (!plain || !at)
		return plain;
	if (asprintf(&ret, "%s%s", plain, at) < 0)
		ret = NULL;
	free(plain);
	return ret;
}
