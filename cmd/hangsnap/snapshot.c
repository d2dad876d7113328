/*
 * One snapshot as the command line asks for it: capture_snapshot() with the
 * options of `hangsnap PID` (or of one process of the watchdog), the
 * progress line on a terminal, the warnings and the summary line, and the
 * exit code. main.c and watchdog.c both snapshot through here.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cmd/hangsnap/hangsnap.h"
#include "common/util.h"

const char *progname = "hangsnap";

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

int fail(struct hs_error *err, int code)
{
	fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
	hs_error_destroy(err);
	return code;
}

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

/* --stats: one line a step; the freeze's phases indented under it */
static void print_stats(const struct capture_result *r)
{
	bool shown = false;

	for (size_t i = 0; i < r->ntimings; i++) {
		const struct capture_timing *t = &r->timings[i];

		if (t->while_stopped && !shown) {
			fprintf(stderr, "%s: step %-12s %8.1f ms (%zu threads, %zu mappings, %zu page runs)\n", progname, "freeze",
				(double)r->stopped_ns / 1e6, r->nthreads, r->nmappings, r->nruns);
			shown = true;
		}
		if (t->while_stopped)
			fprintf(stderr, "%s:   phase %-23s %8.1f ms\n", progname, t->what, (double)t->ns / 1e6);
		else
			fprintf(stderr, "%s: step %-12s %8.1f ms\n", progname, t->what, (double)t->ns / 1e6);
	}
}

static void report(const struct options *opts, const struct capture_result *r)
{
	char dumped[32], written[32];

	if (opts->stats)
		print_stats(r);
	for (size_t i = 0; i < r->messages.len; i++)
		fprintf(stderr, "%s: %s: %s\n", progname, r->messages.items[i].kind == CAPTURE_NOTE ? "note" : "warning",
			r->messages.items[i].text);
	if (opts->quiet)
		return;
	fprintf(stderr, "%s: pid %d (%s): %zu threads, %s dumped, %s written to '%s', stopped %.1f ms\n", progname,
		(int)r->pid, r->comm ? r->comm : "?", r->nthreads, hs_format_bytes(r->bytes_dumped, dumped, sizeof(dumped)),
		hs_format_bytes(r->bytes_written, written, sizeof(written)), r->path, (double)r->stopped_ns / 1e6);
}

int snapshot_process(const struct options *opts, pid_t pid, const char *output, bool catch_signals)
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
