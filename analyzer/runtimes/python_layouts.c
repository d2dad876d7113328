/*
 * The built-in CPython layouts: one generated file per minor version. To add
 * a version, run
 *   sh analyzer/runtimes/gen-python-layout.sh INCDIR LIBPYTHON-WITH-DWARF|SRCDIR > analyzer/runtimes/python-3.X.inc
 * (the script's first lines say how each file here was made) and list the
 * file below, oldest first.
 */
#include "analyzer/runtimes/python_layout.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

static const struct py_layout layouts[] = {
#include "analyzer/runtimes/python-3.8.inc"
#include "analyzer/runtimes/python-3.9.inc"
#include "analyzer/runtimes/python-3.10.inc"
#include "analyzer/runtimes/python-3.11.inc"
#include "analyzer/runtimes/python-3.12.inc"
#include "analyzer/runtimes/python-3.13.inc"
#include "analyzer/runtimes/python-3.14.inc"
};

/* "3.11" and "3.11.7" (or "3.11.0rc1") find the 3.11 layout; "3.1" and "3.110" do not. */
const struct py_layout *py_layout_find(const char *version)
{
	for (size_t i = 0; version && i < ARRAY_SIZE(layouts); i++) {
		size_t n = strlen(layouts[i].version);
		if (strncmp(version, layouts[i].version, n) == 0 && (version[n] == '.' || version[n] == '\0'))
			return &layouts[i];
	}
	return NULL;
}

const struct py_layout *py_layout_at(size_t i)
{
	return i < ARRAY_SIZE(layouts) ? &layouts[i] : NULL;
}

const char *py_layout_versions(void)
{
	static char list[ARRAY_SIZE(layouts) * 8];

	if (!list[0])
		for (size_t i = 0, len = 0; i < ARRAY_SIZE(layouts); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", layouts[i].version);
	return list;
}
