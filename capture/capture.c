/*
 * capture_snapshot(): the session that ties context, freeze, core layout
 * and writers together (see capture/capture.h for the contract).
 *
 * Two ways through, chosen by snapshot_take() against the memory budget:
 *
 *   buffered   memory is copied into our buffers during the freeze; the core
 *              is laid out and written after the target runs again
 *   streamed   the image does not fit the budget: the plain core is written
 *              from the live, stopped target (stream_while_stopped); with
 *              zstd it goes to an unnamed file beside the output and is
 *              compressed from there after detaching. Its header is written
 *              again at the end, when the freeze duration is known.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/context.h"
#include "capture/coredump.h"
#include "capture/snapshot.h"
#include "common/util.h"
#include "formats/zstd_seekable.h"

void capture_options_init(struct capture_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->compress = true;
	opts->interval_ms = 200;
	opts->stop_timeout_ms = 2000;
}

void capture_result_init(struct capture_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->stage = CAPTURE_STAGE_TARGET;
}

void capture_result_deinit(struct capture_result *ret)
{
	for (size_t i = 0; i < ret->messages.len; i++)
		free(ret->messages.items[i].text);
	VEC_DEINIT(&ret->messages);
	free(ret->comm);
	free(ret->path);
	free(ret->plain_copy_path);
	memset(ret, 0, sizeof(*ret));
}

void capture_abort_signal_safe(const struct capture_cleanup *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->files); i++) {
		const struct outfile *f = c->files[i];
		if (f)
			outfile_abort_signal_safe(f);
	}
}

uint64_t capture_default_memory_budget(void)
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

char *capture_default_path(const char *dir, pid_t pid, bool compress)
{
	char *name = NULL, *path = NULL;
	size_t len;

	if (asprintf(&name, "core.%d.%lld.hang%s", (int)pid, (long long)time(NULL), compress ? ".zst" : "") < 0)
		return NULL;
	if (!dir)
		return name;
	len = strlen(dir);
	if (asprintf(&path, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", name) < 0)
		path = NULL;
	free(name);
	return path;
}

/* progress: the writers' (done, total) callbacks, tagged with the phase */

struct progress_relay {
	capture_progress_fn fn;
	void *arg;
	enum capture_phase phase;
};

static void relay_update(void *arg, uint64_t done, uint64_t total)
{
	const struct progress_relay *r = arg;
	r->fn(r->arg, r->phase, CAPTURE_PROGRESS_UPDATE, done, total);
}

/* Starts a phase; returns the writer's callback (NULL without a caller's one) and its argument in *relay. */
static core_progress_fn progress_begin(const struct capture_options *opts, struct progress_relay *relay,
				       enum capture_phase phase, uint64_t total)
{
	*relay = (struct progress_relay){ opts->progress, opts->progress_arg, phase };
	if (!opts->progress)
		return NULL;
	opts->progress(opts->progress_arg, phase, CAPTURE_PROGRESS_BEGIN, 0, total);
	return relay_update;
}

static void progress_end(const struct progress_relay *relay, uint64_t total)
{
	if (relay->fn)
		relay->fn(relay->arg, relay->phase, CAPTURE_PROGRESS_END, total, total);
}

/* the session */

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

struct session {
	const struct capture_options *opts;
	struct hangsnap_context ctx;
	struct snapshot snap;
	struct core_builder cb;
	size_t process_note_off;
	struct outfile out;		/* the main output */
	struct outfile stream_tmp;	/* streaming + zstd: the plain core written while stopped */
	bool stream_write_failed;	/* the output failed while streaming: an output error, not a freeze's */
	struct live_source live;
	uint64_t bytes_written;
	uint64_t context_ns, write_ns;	/* sampling the context; writing the files */
};

static void add_timing(struct capture_result *ret, const char *what, bool while_stopped, uint64_t ns)
{
	if (ret->ntimings < CAPTURE_MAX_TIMINGS)
		ret->timings[ret->ntimings++] = (struct capture_timing){ what, while_stopped, ns };
}

/* The steps' times: sampling, each phase of the freeze, writing. */
static void fill_timings(const struct session *s, struct capture_result *ret)
{
	static const char *const names[SNAPSHOT_PHASE_COUNT] = {
		[SNAPSHOT_PHASE_STOP] = "stop",
		[SNAPSHOT_PHASE_REGISTERS] = "registers",
		[SNAPSHOT_PHASE_PLAN] = "plan",
		[SNAPSHOT_PHASE_COPY] = "copy",
		[SNAPSHOT_PHASE_DETACH] = "detach",
	};

	add_timing(ret, "context", false, s->context_ns);
	for (int i = 0; i < SNAPSHOT_PHASE_COUNT; i++)
		add_timing(ret, i == SNAPSHOT_PHASE_PLAN && s->snap.plan_beside_registers ? "plan (beside registers)" : names[i],
			   true, s->snap.phase_ns[i]);
	add_timing(ret, s->snap.streamed ? "write (after the stop)" : "write", false, s->write_ns);
}

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

/* Writes the plain core from src to fd, reporting it as phase. */
static struct hs_error *write_plain(struct session *s, enum capture_phase phase, const struct core_source *src, int fd)
{
	uint64_t total = core_builder_size(&s->cb);
	struct progress_relay relay;
	core_progress_fn fn = progress_begin(s->opts, &relay, phase, total);
	struct hs_error *err = core_write_plain(&s->cb, src, fd, fn, &relay);

	progress_end(&relay, total);
	return err;
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
		if ((err = outfile_open(s->out.path, true, &s->stream_tmp))) {
			s->stream_write_failed = true;
			return err;
		}
		fd = s->stream_tmp.fd;
	} else {
		fd = s->out.fd;
	}
	err = write_plain(s, CAPTURE_PHASE_WRITE_STOPPED, &(struct core_source){ read_live, &s->live }, fd);
	s->stream_write_failed = err != NULL;
	return err;
}

static int64_t syscall_before(void *arg, pid_t tid)
{
	struct session *s = arg;
	struct hs_thread_info *t = hangsnap_context_thread(&s->ctx, tid);
	return t ? t->syscall_nr : -1;
}

static struct hs_error *write_plain_copy(struct session *s, const struct core_source *src)
{
	struct outfile copy;
	struct hs_error *err;

	if ((err = outfile_open(s->opts->plain_copy, s->opts->force, &copy)))
		return err;
	err = write_plain(s, CAPTURE_PHASE_PLAIN_COPY, src, copy.fd);
	if (!err)
		return outfile_commit(&copy);
	outfile_abort(&copy);
	return err;
}

static struct hs_error *write_compressed(struct session *s, struct write_job *job)
{
	uint64_t total = core_builder_size(&s->cb);
	struct progress_relay relay;
	struct seekable_write_options zo = { .level = s->opts->level };
	struct hs_error *err;

	zo.progress = progress_begin(s->opts, &relay, CAPTURE_PHASE_COMPRESS, total);
	zo.progress_arg = &relay;
	err = zstd_seekable_write(s->out.fd, total, read_core, job, &zo, &s->bytes_written);
	progress_end(&relay, total);
	return err;
}

static struct hs_error *write_outputs(struct session *s)
{
	struct write_job job = { &s->cb, { read_live, &s->live }, -1 };
	struct hs_error *err;

	fill_process_timing(s);
	if (!s->snap.streamed) {
		if ((err = coredump_build(&s->snap, &s->ctx, &s->cb, &s->process_note_off)))
			return err;
	} else {
		/* the notes were laid out while stopped; now the freeze time is known */
		if ((err = coredump_update_process(&s->cb, &s->ctx, s->process_note_off)))
			return err;
		int fd = s->opts->compress ? s->stream_tmp.fd : s->out.fd;
		if (pwrite(fd, s->cb.head, s->cb.head_len, 0) != (ssize_t)s->cb.head_len)
			return hs_error_errno(errno, "cannot write the core header");
		job.plain_fd = s->opts->compress ? s->stream_tmp.fd : -1;
	}

	if (s->opts->plain_copy && !s->snap.streamed && (err = write_plain_copy(s, &job.src)))
		return err;
	if (s->opts->compress)
		return write_compressed(s, &job);
	if (!s->snap.streamed && (err = write_plain(s, CAPTURE_PHASE_WRITE, &job.src, s->out.fd)))
		return err;
	s->bytes_written = core_builder_size(&s->cb);
	return NULL;
}

static bool add_message(struct capture_result *ret, enum capture_message_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends a message; false when out of memory. */
static bool add_message(struct capture_result *ret, enum capture_message_kind kind, const char *fmt, ...)
{
	struct capture_message *m;
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if (!(m = VEC_PUSH(&ret->messages))) {
		free(text);
		return false;
	}
	m->kind = kind;
	m->text = text;
	return true;
}

/* The summary and its warnings, once the files are written. */
static struct hs_error *fill_result(struct session *s, struct capture_result *ret)
{
	char size[32];

	for (size_t i = 0; i < s->snap.threads.len; i++) {
		const struct snapshot_thread *t = &s->snap.threads.items[i];
		const struct hs_thread_info *ti;
		if (t->stopped || t->exited)
			continue;
		ti = hangsnap_context_thread(&s->ctx, t->tid);
		if (!add_message(ret, CAPTURE_WARNING,
				 "thread %d (%s) did not stop within %u ms (state %c); saved without full registers",
				 (int)t->tid, ti && ti->comm ? ti->comm : "?", s->opts->stop_timeout_ms,
				 t->state ? t->state : '?'))
			return &hs_error_nomem;
	}
	if (s->snap.streamed &&
	    !add_message(ret, CAPTURE_NOTE,
			 "%s of memory exceeds the memory budget; the core was written while the process was stopped",
			 hs_format_bytes(s->snap.bytes_planned, size, sizeof(size))))
		return &hs_error_nomem;
	ret->pages_failed = s->snap.pages_failed + s->live.failed_pages;
	if (ret->pages_failed &&
	    !add_message(ret, CAPTURE_WARNING, "%llu pages could not be read and are zero in the core",
			 (unsigned long long)ret->pages_failed))
		return &hs_error_nomem;
	if (s->ctx.process.comm && !(ret->comm = strdup(s->ctx.process.comm)))
		return &hs_error_nomem;
	ret->pid = s->snap.pid;
	ret->nthreads = s->snap.threads.len;
	ret->nthreads_unstopped = s->snap.nthreads_unstopped;
	ret->bytes_dumped = s->snap.bytes_planned;
	ret->bytes_written = s->bytes_written;
	ret->stopped_ns = s->ctx.process.freeze_ns;
	ret->streamed = s->snap.streamed;
	ret->nmappings = s->snap.maps.len;
	ret->nruns = s->snap.runs.len;
	fill_timings(s, ret);
	return NULL;
}

/* context: two CPU samples an interval apart, all while the target runs */
static struct hs_error *sample_context(struct session *s, pid_t pid)
{
	unsigned interval_ms = s->opts->interval_ms;
	uint64_t t0 = hs_now_mono_ns();
	struct hs_error *err;

	if ((err = context_sample_first(pid, &s->ctx)))
		return err;
	if (interval_ms)
		nanosleep(&(struct timespec){ interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L }, NULL);
	if ((err = context_collect(pid, hs_now_mono_ns() - t0, &s->ctx)))
		return err;
	/* syscalls again, as close to the freeze as possible */
	context_refresh_syscalls(pid, &s->ctx);
	return NULL;
}

static struct hs_error *freeze(struct session *s, pid_t pid)
{
	char path[64];
	struct snapshot_options so = {
		.stop_timeout_ms = s->opts->stop_timeout_ms,
		.memory_budget = s->opts->memory_budget ? s->opts->memory_budget : capture_default_memory_budget(),
		.syscall_before = syscall_before,
		.stream = stream_while_stopped,
		.arg = s,
	};

	s->live.pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	s->live.memfd = open(path, O_RDONLY | O_CLOEXEC);
	return snapshot_take(pid, &so, &s->snap);
}

/* Runs the stages in order, leaving ret->stage at the one that failed. */
static struct hs_error *run(struct session *s, pid_t pid, struct capture_result *ret)
{
	const struct capture_options *opts = s->opts;
	struct hs_error *err;
	uint64_t t0;

	ret->stage = CAPTURE_STAGE_TARGET;
	if (!(ret->path = strdup(opts->output)) || (opts->plain_copy && !(ret->plain_copy_path = strdup(opts->plain_copy))))
		return &hs_error_nomem;
	if ((err = snapshot_check_target(pid)))
		return err;
	ret->stage = CAPTURE_STAGE_OPEN;
	if ((err = outfile_open(opts->output, opts->force, &s->out)))
		return err;
	if (opts->cleanup) {
		opts->cleanup->files[0] = &s->out;
		opts->cleanup->files[1] = &s->stream_tmp;
	}
	ret->stage = CAPTURE_STAGE_CONTEXT;
	t0 = hs_now_mono_ns();
	if ((err = sample_context(s, pid)))
		return err;
	s->context_ns = hs_now_mono_ns() - t0;
	ret->stage = CAPTURE_STAGE_FREEZE;
	if ((err = freeze(s, pid))) {
		if (s->stream_write_failed)	/* disk full while streaming: the output's fault */
			ret->stage = CAPTURE_STAGE_WRITE;
		return err;
	}
	ret->stage = CAPTURE_STAGE_WRITE;
	t0 = hs_now_mono_ns();
	if ((err = write_outputs(s)) || (err = outfile_commit(&s->out)))
		return err;
	s->write_ns = hs_now_mono_ns() - t0;
	if ((err = fill_result(s, ret)))
		return err;
	ret->stage = CAPTURE_STAGE_DONE;
	return NULL;
}

struct hs_error *capture_snapshot(pid_t pid, const struct capture_options *opts, struct capture_result *ret)
{
	struct session s;
	struct hs_error *err;

	memset(&s, 0, sizeof(s));
	s.opts = opts;
	s.out.fd = s.stream_tmp.fd = -1;
	s.live.memfd = -1;
	hangsnap_context_init(&s.ctx);
	snapshot_init(&s.snap);
	core_builder_init(&s.cb);

	if (!opts->output) {
		err = hs_error_create(HS_ERR_INVALID, "no output path given");
	} else if (!(err = run(&s, pid, ret))) {
		if (s.stream_tmp.fd >= 0)
			outfile_abort(&s.stream_tmp);
	}
	if (err) {
		outfile_abort(&s.out);
		outfile_abort(&s.stream_tmp);
	}
	if (opts->cleanup)
		opts->cleanup->files[0] = opts->cleanup->files[1] = NULL;
	if (s.live.memfd >= 0)
		close(s.live.memfd);
	core_builder_deinit(&s.cb);
	snapshot_deinit(&s.snap);
	hangsnap_context_deinit(&s.ctx);
	return err;
}
