/*
 * Fuzz target for the tree manifest parser (formats/tree_manifest.c): any
 * bytes must be parsed or refused with an HS_ERR_FORMAT error — no crash,
 * no read past len (the input is not NUL-terminated), no leak. What parses
 * must keep the format's promises (formats/tree_manifest.h), which
 * hanganalyze DIR relies on: 1 to 64 processes, valid core names, no pid
 * twice, every parent listed before its child; and formatting it again must
 * parse to the same manifest.
 *
 * Built with replay-main.c as fuzz-manifest-replay, run over
 * corpus-manifest/ in every build, and with -fsanitize=fuzzer as
 * fuzz-manifest (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tree_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct tree_manifest *m)
{
	if (m->n == 0 || m->n > TREE_MANIFEST_MAX_PROCESSES)
		abort();
	for (size_t i = 0; i < m->n; i++) {
		const struct tree_process *t = &m->procs[i];
		bool parent_seen = i == 0;

		if (t->pid <= 0 || t->ppid < 0 || (t->core[0] && !tree_manifest_valid_name(t->core)))
			abort();
		for (size_t j = 0; j < i; j++) {
			if (m->procs[j].pid == t->pid)
				abort();
			if (m->procs[j].pid == t->ppid)
				parent_seen = true;
		}
		if (!parent_seen)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* static: a manifest is some 16 KiB */
	static struct tree_manifest m, again;
	struct hs_error *err;
	char *copy, *text;
	size_t len;

	/* an exact-size copy, so that ASan sees any read past the end */
	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, data, size);
	err = tree_manifest_parse(copy, size, &m);
	free(copy);
	if (err) {
		if (err->kind != HS_ERR_FORMAT)
			abort();
		hs_error_destroy(err);
		return 0;
	}
	check(&m);
	if (tree_manifest_format(&m, &text, &len))
		return 0;
	if ((err = tree_manifest_parse(text, len, &again)))
		abort();
	free(text);
	if (again.n != m.n)
		abort();
	for (size_t i = 0; i < m.n; i++)
		if (again.procs[i].pid != m.procs[i].pid || again.procs[i].ppid != m.procs[i].ppid ||
		    again.procs[i].start_boot_ns != m.procs[i].start_boot_ns ||
		    strcmp(again.procs[i].core, m.procs[i].core) != 0)
			abort();
	return 0;
}
