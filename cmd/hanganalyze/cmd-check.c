/*
 * hanganalyze check --known FILE [--format=text|junit] [-o FILE] [analyze options] CORE...
 *
 * CI's question: is every hang in these cores a known, expected one? Each
 * core is analyzed (and stored, unless --no-db) and its signature looked up
 * in FILE:
 *
 *   # comments and blank lines are ignored
 *   f0d1950a9fd69d26  expected   # shutdown join on the metrics connect, ticket OPS-12
 *   723ebb6c          forbidden  # the ABBA deadlock fixed in 2.4: must not come back
 *
 * A signature (8 to 16 leading hex digits) marked "expected" passes;
 * "forbidden" fails as regressed; one not listed fails as new. A core with
 * no hang passes. Exit 0 when every core passes, 1 when any fails, 2 for
 * usage errors (and a bad FILE, named with its line), 3 for an unreadable core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/known_signatures.h"
#include "cmd/hanganalyze/hanganalyze.h"
#include "common/outfile.h"
#include "common/util.h"

static void usage(FILE *out)
{
	char names[64];

	fprintf(out, "usage: hanganalyze check --known FILE [--format=%s] [-o OUTPUT] [analyze options] CORE...\n",
		report_format_synopsis(REPORT_CHECK, false, names, sizeof(names)));
	fputs("\n"
	      "Analyzes each CORE and compares its hang signature with FILE, which lists known\n"
	      "signatures, one per line: 'SIGNATURE expected|forbidden [# comment]' (8 to 16 leading\n"
	      "hex digits). Exit 0 when every hang found is known and expected; 1 when one is new (not\n"
	      "in FILE) or regressed (marked forbidden); 2 usage error; 3 unreadable core.\n"
	      "--format=junit writes JUnit XML for CI (to OUTPUT, or stdout). Cases are stored in the\n"
	      "case database like analyze does (--db PATH|URI, --no-db).\n"
	      "\n"
	      "options:\n"
	      "      --known=FILE     the known signatures (required)\n"
	      "  -f, --format=FORMAT  text (default) or junit\n"
	      "  -o, --output=OUTPUT  write the verdicts to OUTPUT instead of stdout\n"
	      "  -h, --help           show this help\n"
	      "analyze options, applied to each CORE (see 'hanganalyze analyze --help'):\n"
	      "  -a, --all-threads, -e, --exe=PATH, --sysroot=DIR, --search=DIR, --debug-dir=DIR,\n"
	      "  --no-inline, --no-demangle, --no-runtime, --no-cache, --rules=DIR, --no-default-rules,\n"
	      "  --db=PATH|URI, --no-db, -q, --quiet (the default here), --stats\n",
	      out);
}

/* Reads and parses FILE; prints "FILE:LINE: problem" and returns EXIT_USAGE on a bad line. */
static int load_known(const char *path, struct known_signatures *ret)
{
	struct hs_error *err;
	char *buf;
	size_t len;
	bool truncated;

	if ((err = hs_read_file(path, KNOWN_SIGNATURES_FILE_MAX, &buf, &len, &truncated))) {
		fprintf(stderr, "hanganalyze: cannot read known-signatures file: %s\n", hs_error_message(err));
		hs_error_destroy(err);
		return EXIT_USAGE;
	}
	if (truncated)
		err = hs_error_create(HS_ERR_INVALID, "%s: larger than %u bytes", path, KNOWN_SIGNATURES_FILE_MAX);
	else
		err = known_signatures_parse(path, buf, len, ret);
	free(buf);
	if (err) {
		fprintf(stderr, "hanganalyze: %s\n", hs_error_message(err));
		hs_error_destroy(err);
		return EXIT_USAGE;
	}
	return EXIT_DONE;
}

int cmd_check(int argc, char **argv)
{
	static const struct option options[] = {
		ANALYSIS_LONG_OPTIONS,
		{ "known", required_argument, NULL, OPT_KNOWN },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct report_format *format = report_format_default(REPORT_CHECK);
	struct analysis_options a;
	struct known_signatures known = KNOWN_SIGNATURES_INIT;
	const char *known_path = NULL, *output = NULL;
	struct report_check_result *results = NULL;
	size_t nresults = 0, failures = 0;
	struct strbuf out;
	int opt, rc, worst = EXIT_DONE;
	bool ok = true;

	analysis_init(&a);
	a.quiet = true;	/* CI logs want the verdicts, not where each case went */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:ae:qo:h", options, NULL)) != -1) {
		if (opt == 'f') {
			char names[64];
			if ((format = report_format_find(optarg, REPORT_CHECK)))
				continue;
			if (report_format_find(optarg, REPORT_CASE))
				fprintf(stderr, "hanganalyze: check writes %s\n",
					report_format_list(REPORT_CHECK, false, names, sizeof(names)));
			else
				fprintf(stderr, "hanganalyze: unknown format '%s': use %s\n", optarg,
					report_format_list(REPORT_CHECK, false, names, sizeof(names)));
			return EXIT_USAGE;
		}
		if ((rc = analysis_parse_option(&a, opt, optarg)) >= 0) {
			if (rc != EXIT_DONE)
				return rc;
			continue;
		}
		switch (opt) {
		case OPT_KNOWN: known_path = optarg; break;
		case 'o': output = optarg; break;
		case 'h': usage(stdout); return EXIT_DONE;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!known_path || optind == argc) {
		fprintf(stderr, "hanganalyze: check needs --known FILE and at least one core\n");
		return EXIT_USAGE;
	}
	if ((rc = load_known(known_path, &known)) != EXIT_DONE) {
		known_signatures_deinit(&known);
		return rc;
	}
	if ((rc = analysis_begin(&a)) != EXIT_DONE)
		goto out;
	if (!(results = calloc((size_t)(argc - optind), sizeof(*results)))) {
		rc = EXIT_INTERNAL;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		struct report_check_result *r = &results[nresults++];
		uint64_t t0 = hs_now_mono_ns();
		struct model *m;
		const struct known_signature *k;

		r->core = argv[i];
		rc = analysis_run(&a, argv[i], &m, false);
		r->seconds = (hs_now_mono_ns() - t0) / 1e9;
		if (rc != EXIT_DONE) {
			r->verdict = REPORT_FAIL_ERROR;
			if (rc > worst)
				worst = rc;
			continue;
		}
		if (m->signature.hash) {
			r->hash = strdup(m->signature.hash);
			r->rule = strdup(m->signature.rule);
			r->summary = strdup(m->findings.items[0].summary ? m->findings.items[0].summary : "");
			k = known_signatures_lookup(&known, m->signature.hash);
			r->verdict = !k ? REPORT_FAIL_NEW : k->forbidden ? REPORT_FAIL_REGRESSED : REPORT_PASS_KNOWN;
			r->comment = k ? k->comment : NULL;	/* borrowed from known, which outlives results */
			failures += r->verdict == REPORT_FAIL_NEW || r->verdict == REPORT_FAIL_REGRESSED;
		} else {
			r->verdict = REPORT_PASS_NO_HANG;
		}
		model_destroy(m);
	}

	strbuf_init(&out);
	ok = format->render_check(&(struct report_check){ results, nresults }, &out);
	if (!ok) {
		rc = EXIT_INTERNAL;
	} else if (output) {
		struct outfile of;
		struct hs_error *err = outfile_open(output, true, &of);
		if (!err && write(of.fd, out.buf, out.len) != (ssize_t)out.len)
			err = hs_error_errno(errno, "cannot write '%s'", output);
		if (!err)
			err = outfile_commit(&of);
		else
			outfile_abort(&of);
		rc = err ? (fprintf(stderr, "hanganalyze: %s\n", hs_error_message(err)), EXIT_INTERNAL) : EXIT_DONE;
		hs_error_destroy(err);
	} else {
		rc = write_stdout(out.buf, out.len);
	}
	strbuf_deinit(&out);
	if (rc == EXIT_DONE)
		rc = worst != EXIT_DONE ? worst : failures ? EXIT_FINDING : EXIT_DONE;
out:
	for (size_t i = 0; i < nresults; i++) {
		/* the copies made above: the rows are borrowed strings to the renderers, owned here */
		free((char *)results[i].hash);
		free((char *)results[i].summary);
		free((char *)results[i].rule);
	}
	free(results);
	known_signatures_deinit(&known);
	analysis_end(&a);
	return rc;
}
