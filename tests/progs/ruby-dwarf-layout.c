/*
 * Test-only: the Ruby layout read from a libruby's DWARF (ruby_dwarf.c),
 * printed one "field value" a line, and with --table X.Y the built-in table
 * of that version in the same form, for a diff (run-ruby-dwarf.sh).
 *   ruby-dwarf-layout LIBRUBY VERSION [--no-fallback]
 *   ruby-dwarf-layout --table VERSION
 * --no-fallback: the DWARF alone, no built-in values for what it lacks.
 * Exits 1 when there is no layout, saying why on stderr.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/runtimes/ruby_dwarf.h"

static void print(const struct ruby_layout *L)
{
	printf("version %s\nheaders %s\n", L->version, L->headers);
	for (size_t i = 0; i < ruby_layout_nfields; i++) {
		int64_t v;

		memcpy(&v, (const char *)L + ruby_layout_fields[i].offset, sizeof(v));
		printf("%s %" PRId64 "\n", ruby_layout_fields[i].name, v);
	}
}

int main(int argc, char **argv)
{
	const struct ruby_layout *table;
	struct ruby_layout L;
	char why[256], minor[16];
	bool used = false;
	Dwarf *dw;
	int fd;

	if (argc == 3 && strcmp(argv[1], "--table") == 0) {
		if (!(table = ruby_layout_find(argv[2]))) {
			fprintf(stderr, "no built-in layout for %s\n", argv[2]);
			return 1;
		}
		print(table);
		return 0;
	}
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--no-fallback") != 0)) {
		fprintf(stderr, "usage: ruby-dwarf-layout LIBRUBY VERSION [--no-fallback] | --table VERSION\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0 || !(dw = dwarf_begin(fd, DWARF_C_READ))) {
		fprintf(stderr, "%s: no DWARF\n", argv[1]);
		return 1;
	}
	snprintf(minor, sizeof(minor), "%.*s", (int)(strrchr(argv[2], '.') ? strrchr(argv[2], '.') - argv[2] : 0), argv[2]);
	table = argc == 4 ? NULL : ruby_layout_find(argv[2]);
	if (!ruby_dwarf_read(dw, argv[2], minor, table, &L, &used, why, sizeof(why))) {
		fprintf(stderr, "%s: no DWARF layout: %s\n", argv[1], why);
		return 1;
	}
	if (used)
		fprintf(stderr, "note: values missing from the DWARF were taken from the built-in %s table\n", table->version);
	print(&L);
	dwarf_end(dw);
	close(fd);
	return 0;
}
