/*
 * hangsnap: freeze a live process for milliseconds and write an ELF core with
 * the context of its hang. Only this file prints or chooses exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/context.h"
#include "capture/coredump.h"
#include "capture/snapshot.h"
#include "common/outfile.h"
#include "common/util.h"
#include "formats/zstd_seekable.h"

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
};

static const char usage_text[] =
	"usage: hangsnap [options] PID\n"
	"\n"
	"Freeze a running process for milliseconds, write an ELF core of it plus the\n"
	"kernel-side context of its hang, and let it run on.\n"
	"\n"
	"  -o, --output PATH        write the core to PATH\n"
	"                           (default: core.PID.TIME.hang.zst, or .hang without zstd)\n"
	"      --compress=zstd|none seekable zstd (default) or a plain, sparse ELF core\n"
	"      --level N            zstd compression level (default 3)\n"
	"      --plain-copy PATH    also write the same snapshot uncompressed to PATH\n"
	"      --interval MS        time between the two CPU samples (default 200)\n"
	"      --stop-timeout MS    how long to wait for every thread to stop (default 2000)\n"
	"      --memory-budget SIZE copy at most SIZE bytes of memory before letting the\n"
	"                           process go (K/M/G suffixes; default: half of MemAvailable);\n"
	"                           larger images are written while the process is stopped\n"
	"  -f, --force              replace an existing output file\n"
	"  -q, --quiet              print nothing but errors\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"Exit status: 0 written; 2 usage; 3 no such process; 4 internal error;\n"
	"5 not permitted to trace; 6 zombie; 7 PID is hangsnap itself; 8 output error.\n";

struct options {
	pid_t pid;
	const char *output;
	const char *plain_copy;
	bool compress;
	int level;
	unsigned interval_ms;
	unsigned stop_timeout_ms;
	uint64_t memory_budget;
	bool force;
	bool quiet;
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

static uint64_t default_memory_budget(void)
{
	char *buf = NULL, *p;
	uint64_t avail = 0;
	struct hs_error *err = hs_read_file("/proc/meminfo", 1 << 16, &buf, NULL, NULL);

	if (!err && (p = strstr(buf, "MemAvailable:")))
		avail = strtoull(p + 13, NULL, 10) * 1024;
	hs_error_destroy(err);
	free(buf);
	return avail ? avail / 2 : 1ull << 30;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_COMPRESS = 256, OPT_INTERVAL, OPT_STOP_TIMEOUT, OPT_BUDGET, OPT_PLAIN_COPY, OPT_LEVEL };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "plain-copy", required_argument, NULL, OPT_PLAIN_COPY },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
		{ "memory-budget", required_argument, NULL, OPT_BUDGET },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->compress = true;
	o->interval_ms = 200;
	o->stop_timeout_ms = 2000;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:fqhV", longopts, NULL)) != -1) {
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
		o->memory_budget = default_memory_budget();
	return -1;
}

/* progress on a terminal */

/*
 * A progress line on a terminal, for dumps that take a while: it appears
 * only once a phase has run 100 ms, then updates ten times a second.
 */
struct progress {
	bool enabled;
	bool shown;
	uint64_t last_ns;	/* phase start, then the last update */
	const char *what;
};

static void progress_begin(struct progress *p, const char *what)
{
	p->what = what;
	p->last_ns = hs_now_mono_ns();
	p->shown = false;
}

static void progress_update(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	uint64_t now = hs_now_mono_ns();
	char a[32], b[32];

	if (!p->enabled || now - p->last_ns < 100000000u)
		return;
	p->last_ns = now;
	p->shown = true;
	fprintf(stderr, "\r%s: %s %3u%% (%s of %s)\033[K", progname, p->what,
		total ? (unsigned)(done * 100 / total) : 100u, hs_format_bytes(done, a, sizeof(a)),
		hs_format_bytes(total, b, sizeof(b)));
}

static void progress_end(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

/* writing */

struct write_job {
	const struct core_builder *cb;
	struct core_source src;
	int plain_fd;		/* streaming: read the plain core back from here */
};

static void read_core(void *arg, uint64_t off, void *buf, size_t len)
{
	const struct write_job *job = arg;

	if (job->plain_fd >= 0) {
		ssize_t n = pread(job->plain_fd, buf, len, (off_t)off);
		if (n < (ssize_t)len)
			memset((char *)buf + (n > 0 ? n : 0), 0, len - (size_t)(n > 0 ? n : 0));
		return;
	}
	core_builder_read(job->cb, &job->src, off, buf, len);
}

struct live_source {
	pid_t pid;
	int memfd;
	uint64_t failed_pages;
};

static void read_live(void *arg, uint64_t vaddr, void *buf, size_t len)
{
	struct live_source *ls = arg;
	snapshot_read_memory(ls->pid, ls->memfd, vaddr, buf, len, &ls->failed_pages);
}

struct session {
	struct options *opts;
	struct hangsnap_context ctx;
	struct snapshot snap;
	struct core_builder cb;
	size_t process_note_off;
	struct outfile out;		/* the main output */
	struct outfile stream_tmp;	/* streaming + zstd: the plain core written while stopped */
	struct live_source live;
	struct progress progress;
	uint64_t bytes_written;
};

static void fill_process_timing(struct session *s)
{
	struct hs_process_info *p = &s->ctx.process;

	p->capture_real_ns = s->snap.capture_real_ns;
	p->freeze_ns = s->snap.freeze_end_ns > s->snap.freeze_start_ns ? s->snap.freeze_end_ns - s->snap.freeze_start_ns : 0;
	p->nthreads = (uint32_t)s->snap.threads.len;
	p->nthreads_unstopped = s->snap.nthreads_unstopped;
	p->interval_ms = s->opts->interval_ms;
	p->flags = (s->snap.streamed ? HS_PROC_STREAMED : 0) |
		   (s->snap.pages_failed || s->live.failed_pages ? HS_PROC_PARTIAL_MEMORY : 0) |
		   (s->snap.nthreads_unstopped ? HS_PROC_UNSTOPPED_THREADS : 0);
}

/* Streaming mode: runs while the target is stopped, from the tracer thread. */
static struct hs_error *stream_while_stopped(struct snapshot *snap, void *arg)
{
	struct session *s = arg;
	struct hs_error *err;
	int fd;

	if ((err = coredump_build(snap, &s->ctx, &s->cb, &s->process_note_off)))
		return err;
	if (s->opts->compress) {
		/* the plain core goes to an unnamed file beside the output, compressed after detach */
		if ((err = outfile_open(s->out.path, true, &s->stream_tmp)))
			return err;
		fd = s->stream_tmp.fd;
	} else {
		fd = s->out.fd;
	}
	progress_begin(&s->progress, "writing (process stopped)");
	err = core_write_plain(&s->cb, &(struct core_source){ read_live, &s->live }, fd, progress_update, &s->progress);
	progress_end(&s->progress);
	return err;
}

static int64_t syscall_before(void *arg, pid_t tid)
{
	struct session *s = arg;
	struct hs_thread_info *t = hangsnap_context_thread(&s->ctx, tid);
	return t ? t->syscall_nr : -1;
}

static struct hs_error *write_outputs(struct session *s)
{
	struct write_job job = { &s->cb, { read_live, &s->live }, -1 };
	struct hs_error *err;

	if (!s->snap.streamed) {
		fill_process_timing(s);
		if ((err = coredump_build(&s->snap, &s->ctx, &s->cb, &s->process_note_off)))
			return err;
	} else {
		/* the notes were laid out while stopped; now the freeze time is known */
		fill_process_timing(s);
		if ((err = coredump_update_process(&s->cb, &s->ctx, s->process_note_off)))
			return err;
		int fd = s->opts->compress ? s->stream_tmp.fd : s->out.fd;
		if (pwrite(fd, s->cb.head, s->cb.head_len, 0) != (ssize_t)s->cb.head_len)
			return hs_error_errno(errno, "cannot write the core header");
		job.plain_fd = s->opts->compress ? s->stream_tmp.fd : -1;
	}

	if (s->opts->plain_copy && !s->snap.streamed) {
		struct outfile copy;
		if ((err = outfile_open(s->opts->plain_copy, s->opts->force, &copy)))
			return err;
		progress_begin(&s->progress, "writing plain copy");
		err = core_write_plain(&s->cb, &job.src, copy.fd, progress_update, &s->progress);
		progress_end(&s->progress);
		if (!err)
			err = outfile_commit(&copy);
		else
			outfile_abort(&copy);
		if (err)
			return err;
	}

	if (s->opts->compress) {
		struct seekable_write_options zo = { .level = s->opts->level,
						     .progress = progress_update,
						     .progress_arg = &s->progress };
		progress_begin(&s->progress, "compressing");
		err = zstd_seekable_write(s->out.fd, core_builder_size(&s->cb), read_core, &job, &zo, &s->bytes_written);
		progress_end(&s->progress);
		if (err)
			return err;
	} else if (!s->snap.streamed) {
		progress_begin(&s->progress, "writing");
		err = core_write_plain(&s->cb, &job.src, s->out.fd, progress_update, &s->progress);
		progress_end(&s->progress);
		if (err)
			return err;
		s->bytes_written = core_builder_size(&s->cb);
	} else {
		s->bytes_written = core_builder_size(&s->cb);
	}
	return NULL;
}

static char *default_output(pid_t pid, bool compress)
{
	char *path = NULL;

	if (asprintf(&path, "core.%d.%lld.hang%s", (int)pid, (long long)time(NULL), compress ? ".zst" : "") < 0)
		return NULL;
	return path;
}

static const struct outfile *signal_outfiles[2];

static void on_fatal_signal(int sig)
{
	for (size_t i = 0; i < 2; i++)
		if (signal_outfiles[i])
			outfile_abort_signal_safe(signal_outfiles[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void report(const struct session *s, const char *path)
{
	char dumped[32], written[32];
	double stopped_ms = (double)s->ctx.process.freeze_ns / 1e6;

	for (size_t i = 0; i < s->snap.threads.len; i++) {
		const struct snapshot_thread *t = &s->snap.threads.items[i];
		const struct hs_thread_info *ti;
		if (t->stopped || t->exited)
			continue;
		ti = hangsnap_context_thread((struct hangsnap_context *)&s->ctx, t->tid);
		fprintf(stderr, "%s: warning: thread %d (%s) did not stop within %u ms (state %c); saved without full registers\n",
			progname, (int)t->tid, ti && ti->comm ? ti->comm : "?", s->opts->stop_timeout_ms,
			t->state ? t->state : '?');
	}
	if (s->snap.streamed)
		fprintf(stderr, "%s: note: %s of memory exceeds the memory budget; the core was written while the process was stopped\n",
			progname, hs_format_bytes(s->snap.bytes_planned, dumped, sizeof(dumped)));
	if (s->snap.pages_failed || s->live.failed_pages)
		fprintf(stderr, "%s: warning: %llu pages could not be read and are zero in the core\n", progname,
			(unsigned long long)(s->snap.pages_failed + s->live.failed_pages));
	if (s->opts->quiet)
		return;
	fprintf(stderr, "%s: pid %d (%s): %zu threads, %s dumped, %s written to '%s', stopped %.1f ms\n", progname,
		(int)s->snap.pid, s->ctx.process.comm ? s->ctx.process.comm : "?", s->snap.threads.len,
		hs_format_bytes(s->snap.bytes_planned, dumped, sizeof(dumped)),
		hs_format_bytes(s->bytes_written, written, sizeof(written)), path, stopped_ms);
}

int main(int argc, char **argv)
{
	struct options opts;
	struct session s;
	struct hs_error *err;
	char *output = NULL;
	uint64_t t0;
	int rc;

	if ((rc = parse_args(argc, argv, &opts)) >= 0)
		return rc;

	memset(&s, 0, sizeof(s));
	s.opts = &opts;
	s.out.fd = s.stream_tmp.fd = -1;
	s.progress.enabled = isatty(STDERR_FILENO) && !opts.quiet;
	hangsnap_context_init(&s.ctx);
	snapshot_init(&s.snap);
	core_builder_init(&s.cb);

	if ((err = snapshot_check_target(opts.pid)))
		return fail(err, exit_code_for(err));

	output = opts.output ? strdup(opts.output) : default_output(opts.pid, opts.compress);
	if (!output)
		return fail(&hs_error_nomem, EXIT_INTERNAL);
	if ((err = outfile_open(output, opts.force, &s.out))) {
		free(output);
		return fail(err, EXIT_OUTPUT);
	}
	signal_outfiles[0] = &s.out;
	signal_outfiles[1] = &s.stream_tmp;
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);

	/* context: two CPU samples an interval apart, all while the target runs */
	t0 = hs_now_mono_ns();
	if ((err = context_sample_first(opts.pid, &s.ctx)))
		goto failed;
	if (opts.interval_ms)
		nanosleep(&(struct timespec){ opts.interval_ms / 1000, (long)(opts.interval_ms % 1000) * 1000000L }, NULL);
	if ((err = context_collect(opts.pid, hs_now_mono_ns() - t0, &s.ctx)))
		goto failed;
	/* syscalls again, as close to the freeze as possible */
	context_refresh_syscalls(opts.pid, &s.ctx);

	s.live.pid = opts.pid;
	{
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)opts.pid);
		s.live.memfd = open(path, O_RDONLY | O_CLOEXEC);
	}
	struct snapshot_options so = {
		.stop_timeout_ms = opts.stop_timeout_ms,
		.memory_budget = opts.memory_budget,
		.syscall_before = syscall_before,
		.stream = stream_while_stopped,
		.arg = &s,
	};
	if ((err = snapshot_take(opts.pid, &so, &s.snap)))
		goto failed;
	if ((err = write_outputs(&s)) || (err = outfile_commit(&s.out)))
		goto output_failed;
	if (s.stream_tmp.fd >= 0)
		outfile_abort(&s.stream_tmp);
	report(&s, output);
	rc = EXIT_OK;
	goto cleanup;

output_failed:
	if (err->kind == HS_ERR_OS)
		err->kind = HS_ERR_EXISTS;	/* exit code: output error */
failed:
	rc = exit_code_for(err);
	fail(err, rc);
	outfile_abort(&s.out);
	outfile_abort(&s.stream_tmp);
cleanup:
	if (s.live.memfd > 0)
		close(s.live.memfd);
	core_builder_deinit(&s.cb);
	snapshot_deinit(&s.snap);
	hangsnap_context_deinit(&s.ctx);
	free(output);
	return rc;
}
