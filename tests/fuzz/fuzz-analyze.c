/*
 * Fuzz target for the whole analysis of a hostile core: whatever the bytes,
 * opening it and running every stage (analyze.h: unwinding through libdwfl
 * with our own memory callbacks, the Ruby and Python walkers, evidence, the
 * wait-for graph, every rule, the signature) and every case renderer (text,
 * JSON, HTML, dot) must end cleanly — no crash, no hang, no leak, no
 * unbounded allocation. fuzz-core covers the reader alone, much faster;
 * this one reaches what a core's contents steer after it.
 *
 * The input is the core file itself, through a memfd opened by path as
 * hanganalyze opens a core. No sysroot, so the modules are looked up where
 * the core says (usually absent: the analysis must cope with that too), and
 * no debuginfod: DEBUGINFOD_URLS is unset first.
 *
 * Built with -fsanitize=fuzzer as fuzz-analyze (clang), and with
 * replay-main.c as fuzz-analyze-replay over the core corpus and the corrupt
 * cores in every build.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyzer/analyze.h"
#include "common/strbuf.h"
#include "tests/fuzz/fuzz-input.h"
#include "formats/elfcore_reader.h"
#include "reports/format.h"
#include "reports/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct elfcore *core;
	struct model *m = NULL;
	struct hs_error *err;
	int fd;

	unsetenv("DEBUGINFOD_URLS");
	fd = fuzz_input_fd("fuzz-analyze", data, size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((err = elfcore_open(path, &core))) {
		hs_error_destroy(err);
		close(fd);
		return 0;
	}
	/* analyze_core takes the core over, on failure too */
	if ((err = analyze_core(core, NULL, NULL, &m))) {
		if (err->kind != HS_ERR_NOMEM && err->kind != HS_ERR_FORMAT && err->kind != HS_ERR_LIMIT &&
		    err->kind != HS_ERR_INTERNAL && err->kind != HS_ERR_OS) {
			fprintf(stderr, "fuzz-analyze: unexpected error kind %d: %s\n", (int)err->kind, hs_error_message(err));
			abort();
		}
		hs_error_destroy(err);
		close(fd);
		return 0;
	}
	for (size_t i = 0;; i++) {
		const struct report_format *f = report_format_at(REPORT_CASE, false, i);
		struct report_options opts = { .core_path = "fuzz.core" };
		struct strbuf sb;

		if (!f)
			break;
		strbuf_init(&sb);
		/* only running out of memory may fail a renderer */
		(void)f->render_case(m, &opts, &sb);
		strbuf_deinit(&sb);
	}
	model_destroy(m);
	close(fd);
	return 0;
}
