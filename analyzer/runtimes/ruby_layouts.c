/*
 * The built-in Ruby layouts: one generated file per version. To add a
 * version, configure its source tree, run
 *   sh analyzer/runtimes/gen-ruby-layout.sh SRCDIR > analyzer/runtimes/ruby-X.Y.inc
 * and list the file below (README, "Ruby versions").
 */
#include "analyzer/runtimes/ruby_layout.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

static const struct ruby_layout layouts[] = {
#include "analyzer/runtimes/ruby-3.1.inc"
#include "analyzer/runtimes/ruby-3.3.inc"
#include "analyzer/runtimes/ruby-3.4.inc"
};

const struct ruby_layout *ruby_layout_find(const char *version)
{
	for (size_t i = 0; version && i < ARRAY_SIZE(layouts); i++) {
		size_t n = strlen(layouts[i].version);
		if (strncmp(version, layouts[i].version, n) == 0 && version[n] == '.')
			return &layouts[i];
	}
	return NULL;
}

const char *ruby_layout_versions(void)
{
	static char list[ARRAY_SIZE(layouts) * 8];

	if (!list[0])
		for (size_t i = 0, len = 0; i < ARRAY_SIZE(layouts); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", layouts[i].version);
	return list;
}

const struct ruby_layout *ruby_layout_at(size_t i)
{
	return i < ARRAY_SIZE(layouts) ? &layouts[i] : NULL;
}
