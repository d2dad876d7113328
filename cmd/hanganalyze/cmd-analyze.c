/* hanganalyze [analyze] [OPTIONS] CORE: see usage() and the README's hanganalyze(1). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"
#include "analyzer/user_rules.h"
#include "cmd/hanganalyze/hanganalyze.h"
#include "common/strbuf.h"
#include "reports/report.h"

enum format { FORMAT_TEXT, FORMAT_JSON };

static void usage(FILE *out)
{
	fputs("usage: hanganalyze [analyze] [OPTIONS] CORE\n"
	      "\n"
	      "Unwinds and symbolizes every thread of CORE (an ELF core from hangsnap, gdb's gcore,\n"
	      "the kernel or systemd-coredump; plain or zstd) and reports the process, each thread's\n"
	      "state and system call, and its stack. Threads with identical stacks are grouped.\n"
	      "\n"
	      "options:\n"
	      "  -f, --format=FORMAT  text (default) or json (the hanganalyze/1 document)\n"
	      "  -a, --all-threads    text: one block per thread instead of per group of identical stacks\n"
	      "  -e, --exe=PATH       the executable, when it is not at the path recorded in the core\n"
	      "      --sysroot=DIR    look up the core's file paths under DIR\n"
	      "      --no-inline      do not show inlined calls as frames of their own\n"
	      "      --rules=DIR      also load the user rules in DIR/*.rules (may be repeated)\n"
	      "      --no-default-rules  skip ~/.config/hanganalyze/rules.d and /etc/hanganalyze/rules.d\n"
	      "      --fail-on=SEVERITY  exit 1 when a finding is at least SEVERITY (low, medium, high, critical)\n"
	      "      --stats          print bytes read and decompressed from CORE on stderr\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n"
	      "\n"
	      "Debug info is found as gdb and eu-stack find it: /usr/lib/debug/.build-id,\n"
	      ".gnu_debuglink, and debuginfod when DEBUGINFOD_URLS is set.\n"
	      "\n"
	      "exit status: 0 done, 1 a finding at or above --fail-on, 2 usage error (or a bad rule file),\n"
	      "3 the core is unreadable or corrupt, 4 internal error\n",
	      out);
}

static int parse_severity(const char *s)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* The user rules: the default directories (when present), then each --rules DIR. */
static struct hs_error *load_rules(const char *const *dirs, size_t ndirs, bool defaults, struct user_rules **ret)
{
	struct user_rules *r;
	struct hs_error *err;

	*ret = NULL;
	if ((err = user_rules_create(&r)))
		return err;
	if (defaults) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		char path[4096];

		if (xdg && *xdg)
			snprintf(path, sizeof(path), "%s/hanganalyze/rules.d", xdg);
		else
			snprintf(path, sizeof(path), "%s/.config/hanganalyze/rules.d", home ? home : "");
		if ((err = user_rules_load_dir(r, path, true)) ||
		    (err = user_rules_load_dir(r, "/etc/hanganalyze/rules.d", true)))
			goto fail;
	}
	for (size_t i = 0; i < ndirs; i++)
		if ((err = user_rules_load_dir(r, dirs[i], false)))
			goto fail;
	*ret = r;
	return NULL;
fail:
	user_rules_destroy(r);
	return err;
}

int cmd_analyze(int argc, char **argv)
{
	enum { OPT_SYSROOT = 256, OPT_NO_INLINE, OPT_STATS, OPT_RULES, OPT_NO_DEFAULT_RULES, OPT_FAIL_ON };
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "all-threads", no_argument, NULL, 'a' },
		{ "exe", required_argument, NULL, 'e' },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "no-inline", no_argument, NULL, OPT_NO_INLINE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct model_options mopts = { 0 };
	struct report_options ropts = { 0 };
	enum format format = FORMAT_TEXT;
	bool stats = false, ok;
	struct elfcore *core;
	struct model *m;
	struct hs_error *err;
	struct strbuf out;
	struct user_rules *urules = NULL;
	const char *rule_dirs[32];
	size_t nrule_dirs = 0;
	bool default_rules = true;
	int fail_on = -1;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:ae:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "text") == 0)
				format = FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				format = FORMAT_JSON;
			else {
				fprintf(stderr, "hanganalyze: unknown format '%s': use text or json\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a': ropts.all_threads = true; break;
		case 'e': mopts.exe = optarg; break;
		case OPT_SYSROOT: mopts.sysroot = optarg; break;
		case OPT_NO_INLINE: mopts.no_inline = true; break;
		case OPT_STATS: stats = true; break;
		case OPT_RULES:
			if (nrule_dirs == sizeof(rule_dirs) / sizeof(rule_dirs[0])) {
				fputs("hanganalyze: too many --rules directories\n", stderr);
				return EXIT_USAGE;
			}
			rule_dirs[nrule_dirs++] = optarg;
			break;
		case OPT_NO_DEFAULT_RULES: default_rules = false; break;
		case OPT_FAIL_ON:
			if ((fail_on = parse_severity(optarg)) < 0) {
				fprintf(stderr, "hanganalyze: unknown severity '%s': use low, medium, high or critical\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_DONE;
		case 'V': printf("hanganalyze %s\n", HANGSNAP_VERSION); return EXIT_DONE;
		default:
			fputs("usage: hanganalyze [analyze] [OPTIONS] CORE ('hanganalyze --help' for more)\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "hanganalyze: %s\nusage: hanganalyze [analyze] [OPTIONS] CORE\n",
			optind == argc ? "no core file given" : "more than one core file given");
		return EXIT_USAGE;
	}
	ropts.core_path = argv[optind];

	if ((err = load_rules(rule_dirs, nrule_dirs, default_rules, &urules))) {
		fprintf(stderr, "hanganalyze: %s\n", hs_error_message(err));
		rc = err->kind == HS_ERR_NOMEM ? EXIT_INTERNAL : EXIT_USAGE;
		hs_error_destroy(err);
		return rc;
	}
	mopts.user_rules = urules;

	if ((err = elfcore_open(ropts.core_path, &core))) {
		rc = report_error(err, "cannot read core '%s'", ropts.core_path);
		hs_error_destroy(err);
		user_rules_destroy(urules);
		return rc;
	}
	if ((err = model_build(core, &mopts, &m))) {
		rc = report_error(err, "cannot analyze core '%s'", ropts.core_path);
		hs_error_destroy(err);
		user_rules_destroy(urules);
		return rc;
	}
	strbuf_init(&out);
	ok = format == FORMAT_JSON ? report_json(m, &ropts, &out) : report_text(m, &ropts, &out);
	if (!ok) {
		fputs("hanganalyze: cannot render the report: out of memory\n", stderr);
		rc = EXIT_INTERNAL;
	} else {
		rc = write_stdout(out.buf, out.len);
	}
	if (stats) {
		struct core_file_stats st;
		core_file_stats(m->core->file, &st);
		fprintf(stderr, "hanganalyze: core %" PRIu64 " bytes, read %" PRIu64 ", decompressed %" PRIu64
				" in %" PRIu64 " frames\n",
			core_file_size(m->core->file), st.bytes_read, st.bytes_decompressed, st.frames_decompressed);
	}
	if (rc == EXIT_DONE && fail_on >= 0)
		for (size_t i = 0; i < m->findings.len; i++)
			if ((int)m->findings.items[i].severity >= fail_on)
				rc = EXIT_FINDING;
	strbuf_deinit(&out);
	model_destroy(m);
	user_rules_destroy(urules);
	return rc;
}
