/*
 * hangsnap: freeze a live process for milliseconds and write an ELF core with
 * the context of its hang. Only this file prints or chooses exit codes.
 *
 * Two modes: `hangsnap PID` snapshots one running process; `hangsnap
 * --timeout SECS -- CMD...` (the watchdog, at the end of this file) runs CMD
 * and, should it outlive SECS, snapshots it and everything under it, kills
 * them and runs hanganalyze on the cores.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/proc.h"
#include "common/util.h"
#include "common/vec.h"

#ifndef HANGSNAP_VERSION
#define HANGSNAP_VERSION "0.0.0"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 2,
	EXIT_NO_PROCESS = 3,
	EXIT_INTERNAL = 4,
	EXIT_PERMISSION = 5,
	EXIT_ZOMBIE = 6,
	EXIT_SELF = 7,
	EXIT_OUTPUT = 8,
	EXIT_ANALYZE_FAILED = 9,	/* --analyze: the core was written, the analysis failed */
	/* watchdog mode, as timeout(1) */
	EXIT_TIMED_OUT = 124,
	EXIT_CANNOT_INVOKE = 126,
	EXIT_NOT_FOUND = 127,
};

static const char usage_text[] =
	"usage: hangsnap [options] [--analyze [--db PATH | --no-db]] PID\n"
	"       hangsnap --timeout SECS [options] [--db PATH | --no-db] -- CMD [ARG...]\n"
	"\n"
	"Freeze a running process for milliseconds, write an ELF core of it plus the\n"
	"kernel-side context of its hang, and let it run on.\n"
	"\n"
	"With --analyze, run hanganalyze on the core once it is written, its report on\n"
	"stdout (the process has been let go by then).\n"
	"\n"
	"With --timeout, run CMD instead (no shell; stdin, stdout and stderr shared).\n"
	"If it has not exited after SECS seconds, snapshot it and each process under\n"
	"it (at most 64), kill them all with SIGKILL, and run hanganalyze on every\n"
	"core, its report on stderr. SIGINT, SIGTERM and SIGHUP are passed on to CMD.\n"
	"\n"
	"  -o, --output PATH        write the core to PATH\n"
	"                           (default: core.PID.TIME.hang.zst, or .hang without zstd);\n"
	"                           with --timeout, the directory for the cores (default .)\n"
	"      --compress=zstd|none seekable zstd (default) or a plain, sparse ELF core\n"
	"      --level N            zstd compression level (default 3)\n"
	"      --plain-copy PATH    also write the same snapshot uncompressed to PATH\n"
	"      --interval MS        time between the two CPU samples (default 200)\n"
	"      --stop-timeout MS    how long to wait for every thread to stop (default 2000)\n"
	"      --memory-budget SIZE copy at most SIZE bytes of memory before letting the\n"
	"                           process go (K/M/G suffixes; default: half of MemAvailable);\n"
	"                           larger images are written while the process is stopped\n"
	"      --timeout SECS       watchdog: run CMD, snapshot it if it outlives SECS\n"
	"                           (a decimal number greater than 0, like 300 or 0.5)\n"
	"      --analyze            analyze the core with hanganalyze (report on stdout)\n"
	"      --db PATH            --analyze, watchdog: hanganalyze files the cases in PATH\n"
	"      --no-db              --analyze, watchdog: hanganalyze files no case\n"
	"  -f, --force              replace an existing output file\n"
	"  -q, --quiet              print nothing but errors (and, with --timeout, the analysis)\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Exit status: 0 written; 2 usage; 3 no such process; 4 internal error;\n"
	"5 not permitted to trace; 6 zombie; 7 PID is hangsnap itself; 8 output error;\n"
	"with --analyze, 9 when the core was written but could not be analyzed.\n"
	"With --timeout: CMD's exit status, or 128+N if signal N killed it; 124 CMD\n"
	"timed out (snapshotted and killed); 126 CMD cannot be run; 127 CMD not found.\n";

/* watchdog: at most this many seconds for --timeout (some 31 years) */
#define TIMEOUT_MAX_S 1e9

struct options {
	pid_t pid;
	const char *output;	/* with --timeout: a directory */
	const char *plain_copy;
	bool compress;
	int level;
	unsigned interval_ms;
	unsigned stop_timeout_ms;
	uint64_t memory_budget;
	bool force;
	bool quiet;
	bool analyze;			/* run hanganalyze on the core */
	/* watchdog mode */
	bool watchdog;
	uint64_t timeout_ns;
	const char *timeout_arg;	/* as given, for messages */
	const char *db;
	bool no_db;
	char **command;			/* NULL-terminated argv of CMD */
};

static const char *progname = "hangsnap";

static int exit_code_for(const struct hs_error *err)
{
	switch (err->kind) {
	case HS_ERR_INVALID: return EXIT_USAGE;
	case HS_ERR_NO_PROCESS: return EXIT_NO_PROCESS;
	case HS_ERR_PERMISSION: return EXIT_PERMISSION;
	case HS_ERR_ZOMBIE: return EXIT_ZOMBIE;
	case HS_ERR_SELF: return EXIT_SELF;
	case HS_ERR_EXISTS: return EXIT_OUTPUT;
	default: return EXIT_INTERNAL;
	}
}

static int fail(struct hs_error *err, int code)
{
	fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
	hs_error_destroy(err);
	return code;
}

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

static bool parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' ? (end[1] == 'B' ? 2 : 1) : 1;
	if (*end || v > UINT64_MAX / mult)
		return false;
	*ret = v * mult;
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

static int parse_args(int argc, char **argv, struct options *o)
{
	enum {
		OPT_COMPRESS = 256, OPT_INTERVAL, OPT_STOP_TIMEOUT, OPT_BUDGET, OPT_PLAIN_COPY, OPT_LEVEL,
		OPT_TIMEOUT, OPT_DB, OPT_NO_DB, OPT_ANALYZE,
	};
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
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	const char *last_optarg = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	o->compress = true;
	o->interval_ms = 200;
	o->stop_timeout_ms = 2000;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:fqhV", longopts, NULL)) != -1) {
		last_optarg = optarg;
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'f': o->force = true; break;
		case 'q': o->quiet = true; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'V': printf("hangsnap %s\n", HANGSNAP_VERSION); return EXIT_OK;
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
			if (!parse_size(optarg, &o->memory_budget)) {
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
		if (!o->memory_budget)
			o->memory_budget = capture_default_memory_budget();
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
	if (!o->memory_budget)
		o->memory_budget = capture_default_memory_budget();
	return -1;
}

/*
 * A progress line on a terminal, for dumps that take a while: it appears
 * only once a phase has run 100 ms, then updates ten times a second.
 */
struct progress {
	bool shown;
	uint64_t last_ns;	/* phase start, then the last update */
};

static const char *phase_text(enum capture_phase phase)
{
	switch (phase) {
	case CAPTURE_PHASE_WRITE_STOPPED: return "writing (process stopped)";
	case CAPTURE_PHASE_PLAIN_COPY: return "writing plain copy";
	case CAPTURE_PHASE_COMPRESS: return "compressing";
	case CAPTURE_PHASE_WRITE: return "writing";
	}
	return "writing";
}

static void draw_progress(void *arg, enum capture_phase phase, enum capture_progress_event event, uint64_t done,
			  uint64_t total)
{
	struct progress *p = arg;
	uint64_t now = hs_now_mono_ns();
	char a[32], b[32];

	switch (event) {
	case CAPTURE_PROGRESS_BEGIN:
		p->last_ns = now;
		p->shown = false;
		return;
	case CAPTURE_PROGRESS_END:
		if (p->shown)
			fputs("\r\033[K", stderr);
		p->shown = false;
		return;
	case CAPTURE_PROGRESS_UPDATE:
		break;
	}
	if (now - p->last_ns < 100000000u)
		return;
	p->last_ns = now;
	p->shown = true;
	fprintf(stderr, "\r%s: %s %3u%% (%s of %s)\033[K", progname, phase_text(phase),
		total ? (unsigned)(done * 100 / total) : 100u, hs_format_bytes(done, a, sizeof(a)),
		hs_format_bytes(total, b, sizeof(b)));
}

/* the outputs SIGINT, SIGTERM and SIGHUP remove, while snapshot_process() catches them */
static struct capture_cleanup signal_cleanup;

static void on_fatal_signal(int sig)
{
	capture_abort_signal_safe(&signal_cleanup);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_fatal_signals(void (*handler)(int))
{
	signal(SIGINT, handler);
	signal(SIGTERM, handler);
	signal(SIGHUP, handler);
}

/* What a failed capture exits with: output errors by stage, the rest by kind. */
static int capture_exit_code(const struct hs_error *err, enum capture_stage stage)
{
	if (stage == CAPTURE_STAGE_OPEN || (stage == CAPTURE_STAGE_WRITE && err->kind == HS_ERR_OS))
		return EXIT_OUTPUT;
	return exit_code_for(err);
}

static void report(const struct options *opts, const struct capture_result *r)
{
	char dumped[32], written[32];

	for (size_t i = 0; i < r->messages.len; i++)
		fprintf(stderr, "%s: %s: %s\n", progname, r->messages.items[i].kind == CAPTURE_NOTE ? "note" : "warning",
			r->messages.items[i].text);
	if (opts->quiet)
		return;
	fprintf(stderr, "%s: pid %d (%s): %zu threads, %s dumped, %s written to '%s', stopped %.1f ms\n", progname,
		(int)r->pid, r->comm ? r->comm : "?", r->nthreads, hs_format_bytes(r->bytes_dumped, dumped, sizeof(dumped)),
		hs_format_bytes(r->bytes_written, written, sizeof(written)), r->path, (double)r->stopped_ns / 1e6);
}

/*
 * Snapshots pid into output and prints the warnings and summary line, or
 * the error. Returns an exit code. With catch_signals, SIGINT, SIGTERM and
 * SIGHUP remove a named temporary output before hangsnap dies (the watchdog
 * blocks them instead).
 */
static int snapshot_process(const struct options *opts, pid_t pid, const char *output, bool catch_signals)
{
	struct capture_options co;
	struct capture_result r;
	struct progress progress = { 0 };
	struct hs_error *err;
	int rc = EXIT_OK;

	capture_options_init(&co);
	co.output = output;
	co.plain_copy = opts->plain_copy;
	co.compress = opts->compress;
	co.level = opts->level;
	co.interval_ms = opts->interval_ms;
	co.stop_timeout_ms = opts->stop_timeout_ms;
	co.memory_budget = opts->memory_budget;
	co.force = opts->force;
	if (isatty(STDERR_FILENO) && !opts->quiet) {
		co.progress = draw_progress;
		co.progress_arg = &progress;
	}
	if (catch_signals) {
		co.cleanup = &signal_cleanup;
		catch_fatal_signals(on_fatal_signal);
	}
	capture_result_init(&r);
	if ((err = capture_snapshot(pid, &co, &r)))
		rc = fail(err, capture_exit_code(err, r.stage));
	else
		report(opts, &r);
	if (catch_signals)
		catch_fatal_signals(SIG_DFL);
	capture_result_deinit(&r);
	return rc;
}

/* watchdog mode */

/*
 * The watchdog runs CMD as its child and waits with the signals it cares
 * about blocked and taken from sigtimedwait(): SIGCHLD, and SIGINT, SIGTERM
 * and SIGHUP, which it passes on to CMD. No handler ever runs, so nothing
 * races with waitpid(), and the snapshot's tracer thread inherits the mask.
 *
 * hangsnap makes itself a child subreaper: a process under CMD whose parent
 * exits is re-parented to hangsnap, not to init, so "CMD and everything
 * under it" is everything under hangsnap — except the children hangsnap
 * already had when it started (`sleep 60 & exec hangsnap ...`), which are
 * left alone.
 *
 * On timeout: snapshot each process in turn (CMD first), SIGKILL them all,
 * then analyze the cores. SIGKILL, not SIGTERM and a grace period: the cores
 * already hold the hang, and a hung program's exit path would hang or run
 * on broken state. Killing before analyzing releases what the hung
 * processes hold (ports, locks, memory) at once — the analysis needs only
 * the cores and the executables on disk — and a hangsnap killed during a
 * long analysis cannot leave them behind. CMD also gets PR_SET_PDEATHSIG
 * SIGKILL, for a hangsnap that is itself SIGKILLed while waiting.
 */

#define WATCHDOG_MAX_SNAPSHOTS 64u		/* processes snapshotted on timeout */
#define WATCHDOG_MAX_TREE 4096			/* processes followed under CMD */
#define WATCHDOG_STOP_GRACE_NS 2000000000ull	/* after passing on a signal, before SIGKILL */
#define WATCHDOG_KILL_ROUNDS 200		/* 10 ms apart, until nothing is left under CMD */

static const int passed_on_signals[] = { SIGINT, SIGTERM, SIGHUP };

struct watchdog {
	const struct options *opts;
	char what[96];			/* CMD in messages, shortened */
	pid_t self;
	pid_t cmd_pid;
	bool cmd_reaped;
	int cmd_status;
	sigset_t waited;		/* blocked: SIGCHLD and the signals we pass on */
	sigset_t saved_mask;		/* restored in the children we start */
	struct sigaction saved_sigchld;
	pid_t *foreign;			/* our children from before CMD */
	size_t nforeign;
	int stop_signal;		/* the first SIGINT/SIGTERM/SIGHUP received, or 0 */
};

struct proc_entry {
	pid_t pid, ppid;
	bool alive;			/* neither a zombie nor dead */
};

/* Reads the pid, ppid and state of every process in /proc into a new array. */
static struct hs_error *read_process_table(struct proc_entry **ret, size_t *n_ret)
{
	VEC(struct proc_entry) table = VEC_INIT;
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return hs_error_errno(errno, "cannot open '/proc'");
	while ((de = readdir(dir))) {
		unsigned long long pid;
		struct proc_stat st;
		struct proc_entry *e;
		struct hs_error *err;

		if (!parse_uint(de->d_name, INT_MAX, &pid) || pid == 0)
			continue;
		if ((err = proc_read_stat((pid_t)pid, 0, &st))) {
			hs_error_destroy(err);	/* gone meanwhile */
			continue;
		}
		if (!(e = VEC_PUSH(&table))) {
			closedir(dir);
			VEC_DEINIT(&table);
			return &hs_error_nomem;
		}
		e->pid = (pid_t)pid;
		e->ppid = st.ppid;
		/* a leader that exited before its threads shows 'Z' while they run */
		e->alive = !((st.state == 'Z' && st.num_threads <= 1) || st.state == 'X');
	}
	closedir(dir);
	*ret = table.items;
	*n_ret = table.len;
	return NULL;
}

static bool is_foreign(const struct watchdog *w, pid_t pid)
{
	for (size_t i = 0; i < w->nforeign; i++)
		if (w->foreign[i] == pid)
			return true;
	return false;
}

/*
 * Lists the live processes of CMD's tree into a new array: CMD first, then
 * the others, parents before their children (at most WATCHDOG_MAX_TREE;
 * *more_ret is set when there were more).
 */
static struct hs_error *list_tree(const struct watchdog *w, pid_t **ret, size_t *n_ret, bool *more_ret)
{
	struct proc_entry *table;
	size_t ntable, n = 0;
	struct hs_error *err;
	pid_t *tree;

	*more_ret = false;
	if ((err = read_process_table(&table, &ntable)))
		return err;
	if (!(tree = malloc(WATCHDOG_MAX_TREE * sizeof(*tree)))) {
		free(table);
		return &hs_error_nomem;
	}
	for (size_t i = 0; i < ntable; i++)
		if (table[i].pid == w->cmd_pid && table[i].alive && table[i].ppid == w->self)
			tree[n++] = w->cmd_pid;
	/* breadth first from hangsnap; CMD is already in and is skipped */
	for (size_t head = 0;; head++) {
		pid_t parent = head == 0 ? w->self : tree[head - 1];

		if (head > n)
			break;
		for (size_t i = 0; i < ntable; i++) {
			const struct proc_entry *e = &table[i];

			if (e->ppid != parent || !e->alive || e->pid == w->cmd_pid || e->pid == w->self)
				continue;
			if (parent == w->self && is_foreign(w, e->pid))
				continue;
			if (n == WATCHDOG_MAX_TREE) {
				*more_ret = true;
				break;
			}
			tree[n++] = e->pid;
		}
	}
	free(table);
	*ret = tree;
	*n_ret = n;
	return NULL;
}

/*
 * Reaps every child that has exited: CMD (its status kept), an orphan of
 * CMD's that was re-parented to us, and `pid` (*status_ret, *done_ret).
 */
static void reap_children(struct watchdog *w, pid_t pid, int *status_ret, bool *done_ret)
{
	pid_t r;
	int status;

	while ((r = waitpid(-1, &status, WNOHANG)) > 0 || (r < 0 && errno == EINTR)) {
		if (r == w->cmd_pid) {
			w->cmd_reaped = true;
			w->cmd_status = status;
		}
		if (r == pid && pid > 0) {
			*status_ret = status;
			*done_ret = true;
		}
	}
}

enum wait_result { WAIT_EXITED, WAIT_DEADLINE, WAIT_SIGNAL };

/*
 * Waits until child pid has exited (*status_ret), deadline_ns
 * (CLOCK_MONOTONIC) has passed, or a signal we pass on arrived (*si_ret).
 */
static enum wait_result wait_for(struct watchdog *w, pid_t pid, uint64_t deadline_ns, int *status_ret, siginfo_t *si_ret)
{
	bool done = false;

	for (;;) {
		uint64_t now, left;
		int sig;

		reap_children(w, pid, status_ret, &done);
		if (done)
			return WAIT_EXITED;
		if (pid == w->cmd_pid && w->cmd_reaped) {
			*status_ret = w->cmd_status;
			return WAIT_EXITED;
		}
		now = hs_now_mono_ns();
		if (now >= deadline_ns)
			return WAIT_DEADLINE;
		left = deadline_ns - now;
		sig = sigtimedwait(&w->waited, si_ret,
				   &(struct timespec){ (time_t)(left / 1000000000u), (long)(left % 1000000000u) });
		if (sig > 0 && sig != SIGCHLD)
			return WAIT_SIGNAL;
	}
}

/* An exit status as timeout(1) gives it: CMD's own, or 128 + the signal that killed it. */
static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_INTERNAL;
}

static void pass_on(const struct watchdog *w, const siginfo_t *si)
{
	/*
	 * A terminal sends ^C and hangups to its whole foreground process
	 * group (si_code SI_KERNEL): if CMD is still in ours, it has the signal
	 * already, and a second ^C could cut short the first one's cleanup.
	 */
	if (si->si_code == SI_KERNEL && getpgid(w->cmd_pid) == getpgrp())
		return;
	kill(w->cmd_pid, si->si_signo);
}

/*
 * SIGKILLs CMD's tree until nothing is left of it (processes in
 * uninterruptible sleep die only when they wake: we stop trying after
 * WATCHDOG_KILL_ROUNDS). Returns how many processes there were.
 */
static size_t kill_tree(struct watchdog *w)
{
	size_t first = 0;
	int status;
	bool done;

	for (unsigned round = 0; round < WATCHDOG_KILL_ROUNDS; round++) {
		struct hs_error *err;
		pid_t *tree;
		size_t n;
		bool more;

		if ((err = list_tree(w, &tree, &n, &more))) {
			fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
			hs_error_destroy(err);
			kill(w->cmd_pid, SIGKILL);
			break;
		}
		for (size_t i = 0; i < n; i++)
			kill(tree[i], SIGKILL);
		free(tree);
		if (round == 0)
			first = n;
		reap_children(w, -1, &status, &done);
		if (n == 0)
			return first;
		nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
	}
	fprintf(stderr, "%s: warning: processes of '%s' are still alive after SIGKILL (in uninterruptible sleep?)\n",
		progname, w->what);
	return first;
}

static void describe_command(char **argv, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		int n = snprintf(buf + len, size - len, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= size - len) {
			strcpy(buf + size - 4, "...");
			return;
		}
		len += (size_t)n;
	}
}

/* mkdir -p */
static struct hs_error *make_directory(const char *path)
{
	char *p = strdup(path);
	struct stat st;

	if (!p)
		return &hs_error_nomem;
	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			struct hs_error *err = hs_error_errno(errno, "cannot create directory '%s'", p);
			free(p);
			return err;
		}
		*c = saved;
		if (!saved)
			break;
	}
	free(p);
	if (stat(path, &st) != 0)
		return hs_error_errno(errno, "cannot create directory '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return hs_error_create(HS_ERR_INVALID, "'%s' is not a directory", path);
	return NULL;
}

/* The directory of our own executable into buf ("?" when unknown). */
static const char *self_dir(char *buf, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (len <= 0 || !(buf[len] = '\0', slash = strrchr(buf, '/')))
		return strcpy(buf, "?");
	*slash = '\0';
	return buf;
}

/* The hanganalyze next to our own executable (a new string), or NULL: then PATH's. */
static char *sibling_analyzer(void)
{
	char exe[PATH_MAX], *sibling = NULL;

	if (strcmp(self_dir(exe, sizeof(exe)), "?") == 0)
		return NULL;
	if (asprintf(&sibling, "%s/hanganalyze", exe) < 0)
		return NULL;
	if (access(sibling, X_OK) != 0) {
		free(sibling);
		return NULL;
	}
	return sibling;
}

/*
 * --analyze: hanganalyze [--db PATH | --no-db] CORE, its report on our stdout.
 * Returns its exit status (0, or 1 for a finding at or above --fail-on never
 * set here), or EXIT_ANALYZE_FAILED.
 */
static int analyze_core(const struct options *o, const char *core)
{
	char *sibling = sibling_analyzer(), *argv[5];
	size_t argc = 0;
	int e, status;
	pid_t pid;

	argv[argc++] = "hanganalyze";
	if (o->db) {
		argv[argc++] = "--db";
		argv[argc++] = (char *)o->db;
	} else if (o->no_db) {
		argv[argc++] = "--no-db";
	}
	argv[argc++] = (char *)core;
	argv[argc] = NULL;
	fflush(stdout);
	e = sibling ? posix_spawn(&pid, sibling, NULL, NULL, argv, environ)
		    : posix_spawnp(&pid, "hanganalyze", NULL, NULL, argv, environ);
	if (e) {
		fprintf(stderr, "%s: error: cannot run '%s': %s; the core is '%s'\n", progname,
			sibling ? sibling : "hanganalyze", strerror(e), core);
		free(sibling);
		return EXIT_ANALYZE_FAILED;
	}
	free(sibling);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_ANALYZE_FAILED;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		fprintf(stderr, "%s: error: hanganalyze failed on '%s'\n", progname, core);
		return EXIT_ANALYZE_FAILED;
	}
	return EXIT_OK;
}

/*
 * Runs hanganalyze on each core, its report (stdout) on our stderr: the one
 * next to our own executable, else the first in PATH.
 */
static void analyze_cores(struct watchdog *w, char **cores, size_t ncores)
{
	char *sibling;
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;

	if (ncores == 0)
		return;
	sibling = sibling_analyzer();
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &w->saved_mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

	for (size_t i = 0; i < ncores; i++) {
		char *argv[5];
		size_t argc = 0;
		siginfo_t si;
		pid_t pid;
		int e, status = 0;

		argv[argc++] = "hanganalyze";
		if (w->opts->db) {
			argv[argc++] = "--db";
			argv[argc++] = (char *)w->opts->db;
		} else if (w->opts->no_db) {
			argv[argc++] = "--no-db";
		}
		argv[argc++] = cores[i];
		argv[argc] = NULL;
		if (!w->opts->quiet)
			fprintf(stderr, "%s: analyzing '%s'\n", progname, cores[i]);
		e = sibling ? posix_spawn(&pid, sibling, &actions, &attr, argv, environ)
			    : posix_spawnp(&pid, "hanganalyze", &actions, &attr, argv, environ);
		if (e == ENOENT && !sibling) {
			char dir[PATH_MAX];
			fprintf(stderr, "%s: cannot analyze the cores: 'hanganalyze' is neither next to hangsnap (in '%s') nor in PATH\n",
				progname, self_dir(dir, sizeof(dir)));
			break;
		}
		if (e) {
			fprintf(stderr, "%s: error: cannot run '%s': %s\n", progname, sibling ? sibling : "hanganalyze", strerror(e));
			break;
		}
		if (wait_for(w, pid, UINT64_MAX, &status, &si) == WAIT_SIGNAL) {
			/* told to stop: the cores stay for later */
			kill(pid, SIGTERM);
			if (wait_for(w, pid, hs_now_mono_ns() + WATCHDOG_STOP_GRACE_NS, &status, &si) != WAIT_EXITED) {
				kill(pid, SIGKILL);
				wait_for(w, pid, UINT64_MAX, &status, &si);
			}
			fprintf(stderr, "%s: analysis stopped by SIG%s\n", progname, sigabbrev_np(si.si_signo) ?: "?");
			break;
		}
		/* 1: a finding at or above --fail-on, not a failure */
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			fprintf(stderr, "%s: warning: hanganalyze failed on '%s' (exit status %d)\n", progname, cores[i],
				exit_status_of(status));
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	free(sibling);
}

/* CMD outlived --timeout: snapshot its tree, kill it, analyze the cores. */
static int timed_out(struct watchdog *w)
{
	const struct options *opts = w->opts;
	struct hs_error *err;
	pid_t *tree = NULL;
	size_t n = 0, nsnap, ncores = 0, nkilled;
	char **cores = NULL;
	int status;
	bool more, done;

	if ((err = list_tree(w, &tree, &n, &more))) {
		fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
		hs_error_destroy(err);
		n = 0;
	}
	/* it may have exited at the last moment */
	reap_children(w, -1, &status, &done);
	if (w->cmd_reaped) {
		free(tree);
		return exit_status_of(w->cmd_status);
	}
	nsnap = MIN(n, (size_t)WATCHDOG_MAX_SNAPSHOTS);
	if (!opts->quiet) {
		fprintf(stderr, "%s: '%s' did not exit within %s s: ", progname, w->what, opts->timeout_arg);
		if (nsnap == 0)
			fprintf(stderr, "no process left to snapshot\n");
		else if (nsnap == 1)
			fprintf(stderr, "snapshotting pid %d\n", (int)tree[0]);
		else if (n == nsnap && !more)
			fprintf(stderr, "snapshotting pid %d and %zu descendant%s\n", (int)tree[0], nsnap - 1,
				nsnap == 2 ? "" : "s");
		else
			fprintf(stderr, "snapshotting pid %d and %zu descendants (not the other %s%zu: at most %u processes)\n",
				(int)tree[0], nsnap - 1, more ? "more than " : "", n - nsnap, WATCHDOG_MAX_SNAPSHOTS);
	}
	if (nsnap && opts->output && (err = make_directory(opts->output))) {
		fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
		hs_error_destroy(err);
		nsnap = 0;
	}
	if (nsnap && !(cores = calloc(nsnap, sizeof(*cores)))) {
		fprintf(stderr, "%s: error: out of memory\n", progname);
		nsnap = 0;
	}
	for (size_t i = 0; i < nsnap; i++) {
		char *path = capture_default_path(opts->output, tree[i], opts->compress);

		if (!path) {
			fprintf(stderr, "%s: error: out of memory\n", progname);
			break;
		}
		if (snapshot_process(opts, tree[i], path, false) == EXIT_OK)
			cores[ncores++] = path;
		else
			free(path);
	}
	nkilled = kill_tree(w);
	if (!opts->quiet) {
		if (nkilled > 1)
			fprintf(stderr, "%s: killed '%s' (pid %d) and %zu descendant%s\n", progname, w->what, (int)w->cmd_pid,
				nkilled - 1, nkilled == 2 ? "" : "s");
		else
			fprintf(stderr, "%s: killed '%s' (pid %d)\n", progname, w->what, (int)w->cmd_pid);
	}
	analyze_cores(w, cores, ncores);
	for (size_t i = 0; i < ncores; i++)
		free(cores[i]);
	free(cores);
	free(tree);
	return EXIT_TIMED_OUT;
}

/* fork + execvp; returns -1 when CMD runs, else the exit code */
static int start_command(struct watchdog *w)
{
	char **argv = w->opts->command;
	int pipefd[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		fprintf(stderr, "%s: error: cannot create a pipe: %s\n", progname, strerror(errno));
		return EXIT_INTERNAL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: error: cannot fork: %s\n", progname, strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return EXIT_INTERNAL;
	}
	if (pid == 0) {
		close(pipefd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != w->self)
			_exit(EXIT_INTERNAL);	/* hangsnap is already gone */
		sigaction(SIGCHLD, &w->saved_sigchld, NULL);
		sigprocmask(SIG_SETMASK, &w->saved_mask, NULL);
		execvp(argv[0], argv);
		e = errno;
		/* the parent says why: the pipe closes on exec, so data means failure */
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(EXIT_CANNOT_INVOKE);
		_exit(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
	}
	close(pipefd[1]);
	w->cmd_pid = pid;
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(e)) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		w->cmd_reaped = true;
		fprintf(stderr, "%s: error: cannot run '%s': %s\n", progname, argv[0], strerror(e));
		return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
	}
	return -1;
}

static int run_watchdog(const struct options *opts)
{
	struct watchdog w = { .opts = opts };
	struct proc_entry *table;
	struct hs_error *err;
	uint64_t deadline;
	size_t ntable;
	siginfo_t si;
	struct stat st;
	int rc, status;

	describe_command(opts->command, w.what, sizeof(w.what));
	w.self = getpid();
	if (opts->output && stat(opts->output, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: error: '%s' is not a directory (with --timeout, -o names the directory for the cores)\n",
			progname, opts->output);
		return EXIT_USAGE;
	}

	/* our children from before (a shell's background jobs, kept across exec) are not CMD's */
	if ((err = read_process_table(&table, &ntable)))
		return fail(err, EXIT_INTERNAL);
	if (!(w.foreign = malloc((ntable + 1) * sizeof(*w.foreign)))) {
		free(table);
		return fail(&hs_error_nomem, EXIT_INTERNAL);
	}
	for (size_t i = 0; i < ntable; i++)
		if (table[i].ppid == w.self)
			w.foreign[w.nforeign++] = table[i].pid;
	free(table);

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		fprintf(stderr, "%s: warning: cannot become a child subreaper: %s; orphans of '%s' will not be followed\n",
			progname, strerror(errno), w.what);

	/*
	 * Block what we wait for. A signal we were started with ignored
	 * (nohup: SIGHUP) stays ignored, and CMD inherits that; SIGCHLD must
	 * not be SIG_IGN, or the kernel would reap CMD for us.
	 */
	sigemptyset(&w.waited);
	sigaddset(&w.waited, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(passed_on_signals); i++) {
		struct sigaction sa;
		if (sigaction(passed_on_signals[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
			sigaddset(&w.waited, passed_on_signals[i]);
	}
	sigaction(SIGCHLD, &(struct sigaction){ .sa_handler = SIG_DFL }, &w.saved_sigchld);
	sigprocmask(SIG_BLOCK, &w.waited, &w.saved_mask);

	deadline = hs_now_mono_ns() + opts->timeout_ns;
	if ((rc = start_command(&w)) >= 0)
		goto out;
	for (;;) {
		switch (wait_for(&w, w.cmd_pid, deadline, &status, &si)) {
		case WAIT_EXITED:
			rc = exit_status_of(status);
			goto out;
		case WAIT_SIGNAL:
			if (!w.stop_signal) {
				/* as timeout(1): CMD gets it, and its exit status is ours */
				w.stop_signal = si.si_signo;
				pass_on(&w, &si);
				deadline = MIN(deadline, hs_now_mono_ns() + WATCHDOG_STOP_GRACE_NS);
				continue;
			}
			/* a second signal: stop waiting */
			break;
		case WAIT_DEADLINE:
			if (!w.stop_signal) {
				rc = timed_out(&w);
				goto out;
			}
			if (!opts->quiet)
				fprintf(stderr, "%s: '%s' did not exit within 2 s of SIG%s\n", progname, w.what,
					sigabbrev_np(w.stop_signal) ?: "?");
			break;
		}
		/* told to stop, and CMD did not: no snapshot, kill everything */
		{
			size_t nkilled = kill_tree(&w);
			if (!opts->quiet && nkilled)
				fprintf(stderr, "%s: killed '%s' (pid %d)\n", progname, w.what, (int)w.cmd_pid);
		}
		rc = w.cmd_reaped ? exit_status_of(w.cmd_status) : 128 + w.stop_signal;
		if (w.cmd_reaped && WIFSIGNALED(w.cmd_status) && WTERMSIG(w.cmd_status) == SIGKILL)
			rc = 128 + w.stop_signal;
		goto out;
	}
out:
	free(w.foreign);
	return rc;
}

int main(int argc, char **argv)
{
	struct options opts;
	char *output;
	int rc;

	if ((rc = parse_args(argc, argv, &opts)) >= 0)
		return rc;
	if (opts.watchdog)
		return run_watchdog(&opts);

	output = opts.output ? strdup(opts.output) : capture_default_path(NULL, opts.pid, opts.compress);
	if (!output)
		return fail(&hs_error_nomem, EXIT_INTERNAL);
	rc = snapshot_process(&opts, opts.pid, output, true);
	if (rc == EXIT_OK && opts.analyze)
		rc = analyze_core(&opts, output);
	free(output);
	return rc;
}
