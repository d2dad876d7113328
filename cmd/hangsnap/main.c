/*
 * hangsnap: freeze a live process for milliseconds and write an ELF core with
 * the context of its hang. Only this directory prints or chooses exit codes.
 *
 * Three modes: `hangsnap PID` snapshots one running process (here, through
 * capture_snapshot()); `hangsnap --tree PID` (tree.c) snapshots PID and its
 * descendants into a directory with a manifest; `hangsnap --timeout SECS --
 * CMD...` (the watchdog, watchdog.c) runs CMD and, should it outlive SECS,
 * snapshots it and everything under it, kills them and runs hanganalyze on
 * the cores.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cmd/hangsnap/hangsnap.h"
#include "cmd/hangsnap/watchdog.h"
#include "common/util.h"
#include "common/version.h"

static const char usage_text[] =
	"usage: hangsnap [options] [--analyze [--db PATH | --no-db]] PID\n"
	"       hangsnap --bundle [-o FILE] [options] [--analyze [--db PATH | --no-db]] PID\n"
	"       hangsnap --tree [-o DIR] [options] [--analyze [--db PATH | --no-db]] PID\n"
	"       hangsnap --timeout SECS [options] [--db PATH | --no-db] -- CMD [ARG...]\n"
	"\n"
	"Freeze a running process for milliseconds, write an ELF core of it plus the\n"
	"kernel-side context of its hang, and let it run on.\n"
	"\n"
	"With --analyze, run hanganalyze on the core once it is written, its report on\n"
	"stdout (the process has been let go by then).\n"
	"\n"
	"With --bundle, write the core together with the executable, libraries and debug\n"
	"files it needs into one file, FILE (default core.PID.TIME.bundle), that\n"
	"'hanganalyze FILE' analyzes on any machine (see 'hanganalyze bundle --help').\n"
	"\n"
	"With --tree, snapshot PID and each live process under it (at most 64), one\n"
	"after the other, into the directory DIR, one core each, with DIR/tree.manifest\n"
	"naming whose core is which (hanganalyze DIR analyzes them as one case).\n"
	"\n"
	"With --timeout, run CMD instead (no shell; stdin, stdout and stderr shared).\n"
	"If it has not exited after SECS seconds, snapshot it and each process under\n"
	"it (at most 64), kill them all with SIGKILL, and run hanganalyze once on all\n"
	"the cores as one case, its report on stderr. SIGINT, SIGTERM and SIGHUP are\n"
	"passed on to CMD.\n"
	"\n"
	"  -o, --output PATH        write the core to PATH\n"
	"                           (default: core.PID.TIME.hang.zst, or .hang without zstd);\n"
	"                           with --timeout, the directory for the cores (default .);\n"
	"                           with --tree, the directory DIR (default: tree.PID.TIME);\n"
	"                           with --bundle, the bundle FILE\n"
	"      --compress=zstd|none seekable zstd (default) or a plain, sparse ELF core\n"
	"      --level N            zstd compression level (default 3)\n"
	"      --plain-copy PATH    also write the same snapshot uncompressed to PATH\n"
	"      --interval MS        time between the two CPU samples (default 200)\n"
	"      --stop-timeout MS    how long to wait for every thread to stop (default 2000)\n"
	"      --memory-budget SIZE copy at most SIZE bytes of memory before letting the\n"
	"                           process go (K/M/G suffixes; default: half of MemAvailable);\n"
	"                           larger images are written while the process is stopped\n"
	"      --bundle             write a bundle: the core and the files it needs\n"
	"      --tree               snapshot PID and its descendants into a directory\n"
	"      --timeout SECS       watchdog: run CMD, snapshot it if it outlives SECS\n"
	"                           (a decimal number greater than 0, like 300 or 0.5)\n"
	"      --analyze            analyze the core with hanganalyze (report on stdout)\n"
	"      --db PATH|URI        --analyze, watchdog: hanganalyze files the cases in PATH\n"
	"                           (or on the PostgreSQL server at URI)\n"
	"      --no-db              --analyze, watchdog: hanganalyze files no case\n"
	"  -f, --force              replace an existing output file (with --tree, a tree.manifest)\n"
	"  -q, --quiet              print nothing but errors (and, with --timeout, the analysis)\n"
	"      --stats              print how long each step took (and, of the freeze, each\n"
	"                           of its phases) on stderr\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Exit status: 0 written; 2 usage; 3 no such process; 4 internal error;\n"
	"5 not permitted to trace; 6 zombie or kernel thread; 7 PID is hangsnap itself; 8 output error;\n"
	"with --analyze, 9 when the core was written but could not be analyzed;\n"
	"with --bundle, 9 when the core was written (and kept) but could not be bundled.\n"
	"With --tree: as for PID's own snapshot (the others failing are warnings).\n"
	"With --timeout: CMD's exit status, or 128+N if signal N killed it; 124 CMD\n"
	"timed out (snapshotted and killed); 126 CMD cannot be run; 127 CMD not found.\n";

/* watchdog: at most this many seconds for --timeout (some 31 years) */
#define TIMEOUT_MAX_S 1e9

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}


/*
 * A decimal number of seconds greater than 0 ("300", "0.5", "2."), into
 * nanoseconds. No sign, exponent, hex, "inf" or unit: strtod() alone would take them.
 */
static bool parse_seconds(const char *s, uint64_t *ns_ret)
{
	const char *p = s;
	bool digits = false;
	double v;

	for (; *p >= '0' && *p <= '9'; p++)
		digits = true;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits = true;
	if (!digits || *p)
		return false;
	errno = 0;
	v = strtod(s, NULL);
	if (errno || !(v > 0) || v > TIMEOUT_MAX_S)
		return false;
	*ns_ret = (uint64_t)(v * 1e9 + 0.5);
	return *ns_ret > 0;
}

/* long options without a short letter */
enum {
	OPT_COMPRESS = 256, OPT_INTERVAL, OPT_STOP_TIMEOUT, OPT_BUDGET, OPT_PLAIN_COPY, OPT_LEVEL,
	OPT_TIMEOUT, OPT_DB, OPT_NO_DB, OPT_ANALYZE, OPT_TREE, OPT_BUNDLE, OPT_STATS,
};

/* Applies option c (getopt_long's, with optarg); returns an exit code, or -1 to go on. */
static int parse_option(int c, char **argv, struct options *o)
{
	unsigned long long v;

	switch (c) {
	case 'o': o->output = optarg; break;
	case 'f': o->force = true; break;
	case 'q': o->quiet = true; break;
	case 'h': fputs(usage_text, stdout); return EXIT_OK;
	case 'V': printf("hangsnap %s\n", HANGSNAP_VERSION_STRING); return EXIT_OK;
	case OPT_COMPRESS:
		if (strcmp(optarg, "zstd") == 0)
			o->compress = true;
		else if (strcmp(optarg, "none") == 0)
			o->compress = false;
		else {
			fprintf(stderr, "%s: error: unknown compression '%s' (expected zstd or none)\n", progname, optarg);
			return EXIT_USAGE;
		}
		break;
	case OPT_LEVEL:
		if (!parse_uint(optarg, 19, &v) || v == 0) {
			fprintf(stderr, "%s: error: invalid --level '%s' (expected 1 to 19)\n", progname, optarg);
			return EXIT_USAGE;
		}
		o->level = (int)v;
		break;
	case OPT_PLAIN_COPY: o->plain_copy = optarg; break;
	case OPT_INTERVAL:
		if (!parse_uint(optarg, 60000, &v)) {
			fprintf(stderr, "%s: error: invalid --interval '%s' (expected 0 to 60000 ms)\n", progname, optarg);
			return EXIT_USAGE;
		}
		o->interval_ms = (unsigned)v;
		break;
	case OPT_STOP_TIMEOUT:
		if (!parse_uint(optarg, 600000, &v) || v == 0) {
			fprintf(stderr, "%s: error: invalid --stop-timeout '%s' (expected 1 to 600000 ms)\n", progname, optarg);
			return EXIT_USAGE;
		}
		o->stop_timeout_ms = (unsigned)v;
		break;
	case OPT_BUDGET:
		if (!hs_parse_size(optarg, &o->memory_budget)) {
			fprintf(stderr, "%s: error: invalid --memory-budget '%s' (expected a size like 512M)\n", progname, optarg);
			return EXIT_USAGE;
		}
		break;
	case OPT_TIMEOUT:
		if (!parse_seconds(optarg, &o->timeout_ns)) {
			fprintf(stderr, "%s: error: invalid --timeout '%s' (expected seconds greater than 0, like 300 or 0.5)\n",
				progname, optarg);
			return EXIT_USAGE;
		}
		o->watchdog = true;
		o->timeout_arg = optarg;
		break;
	case OPT_DB: o->db = optarg; o->no_db = false; break;
	case OPT_ANALYZE: o->analyze = true; break;
	case OPT_TREE: o->tree = true; break;
	case OPT_BUNDLE: o->bundle = true; break;
	case OPT_STATS: o->stats = true; break;
	case OPT_NO_DB: o->no_db = true; o->db = NULL; break;
	case '?':
	default:
		if (optopt)
			fprintf(stderr, "%s: error: unknown or incomplete option '-%c'\n", progname, optopt);
		else
			fprintf(stderr, "%s: error: unknown option '%s'\n", progname, argv[optind - 1]);
		fputs("Try 'hangsnap --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
	return -1;
}

/* After the options: the PID, or CMD after "--" for the watchdog. Returns an exit code, or -1. */
static int parse_operands(int argc, char **argv, const char *last_optarg, struct options *o)
{
	unsigned long long v;

	if (o->bundle && (o->tree || o->watchdog || o->plain_copy)) {
		fprintf(stderr, "%s: error: --bundle cannot be used with %s\n", progname,
			o->tree ? "--tree" : o->watchdog ? "--timeout" : "--plain-copy");
		return EXIT_USAGE;
	}
	if (o->tree && (o->watchdog || o->plain_copy)) {
		fprintf(stderr, "%s: error: --tree cannot be used with %s\n", progname,
			o->watchdog ? "--timeout" : "--plain-copy (it names one file)");
		return EXIT_USAGE;
	}
	if (o->watchdog) {
		/* getopt consumed the "--"; it must not be the argument of the last option (-o --) */
		if (optind == 0 || strcmp(argv[optind - 1], "--") != 0 || argv[optind - 1] == last_optarg) {
			fprintf(stderr, "%s: error: --timeout runs a command given after '--': hangsnap --timeout SECS [options] -- CMD [ARG...]\n",
				progname);
			return EXIT_USAGE;
		}
		if (optind == argc) {
			fprintf(stderr, "%s: error: no command given after '--'\n", progname);
			return EXIT_USAGE;
		}
		if (o->plain_copy) {
			fprintf(stderr, "%s: error: --plain-copy names one file and cannot be used with --timeout\n", progname);
			return EXIT_USAGE;
		}
		o->command = argv + optind;
		return -1;
	}
	if ((o->db || o->no_db) && !o->analyze) {
		fprintf(stderr, "%s: error: '%s' is only used with --analyze or --timeout\n", progname,
			o->db ? "--db" : "--no-db");
		return EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "%s: error: %s\n", progname, optind == argc ? "no PID given" : "more than one PID given");
		fputs("usage: hangsnap [options] PID\nTry 'hangsnap --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
	if (!parse_uint(argv[optind], INT_MAX, &v) || v == 0) {
		fprintf(stderr, "%s: error: '%s' is not a process id\n", progname, argv[optind]);
		return EXIT_USAGE;
	}
	o->pid = (pid_t)v;
	return -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "plain-copy", required_argument, NULL, OPT_PLAIN_COPY },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
		{ "memory-budget", required_argument, NULL, OPT_BUDGET },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "db", required_argument, NULL, OPT_DB },
		{ "no-db", no_argument, NULL, OPT_NO_DB },
		{ "analyze", no_argument, NULL, OPT_ANALYZE },
		{ "tree", no_argument, NULL, OPT_TREE },
		{ "bundle", no_argument, NULL, OPT_BUNDLE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *last_optarg = NULL;
	struct capture_options defaults;
	int c, rc;

	/* the library's defaults, so that they are written in one place */
	capture_options_init(&defaults);
	memset(o, 0, sizeof(*o));
	o->compress = defaults.compress;
	o->interval_ms = defaults.interval_ms;
	o->stop_timeout_ms = defaults.stop_timeout_ms;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:fqhV", longopts, NULL)) != -1) {
		last_optarg = optarg;
		if ((rc = parse_option(c, argv, o)) >= 0)
			return rc;
	}
	if ((rc = parse_operands(argc, argv, last_optarg, o)) < 0 && !o->memory_budget)
		o->memory_budget = capture_default_memory_budget();
	return rc;
}

/*
 * A progress line on a terminal, for dumps that take a while: it appears
 * only once a phase has run 100 ms, then updates ten times a second.
 */
int main(int argc, char **argv)
{
	struct options opts;
	char *output;
	int rc;

	if ((rc = parse_args(argc, argv, &opts)) >= 0)
		return rc;
	if (opts.watchdog)
		return watchdog_run(&opts);
	if (opts.tree)
		return tree_run(&opts);

	if (opts.bundle)
		output = opts.output ? strdup(opts.output) : bundle_default_path(opts.pid);
	else
		output = opts.output ? strdup(opts.output) : capture_default_path(NULL, opts.pid, opts.compress);
	if (!output)
		return fail(&hs_error_nomem, EXIT_INTERNAL);
	rc = opts.bundle ? bundle_run(&opts, opts.pid, output) : snapshot_process(&opts, opts.pid, output, true);
	if (rc == EXIT_OK && opts.analyze)
		rc = analyze_core(&opts, output);
	free(output);
	return rc;
}
