/*
 * One snapshot of a live process, start to finish: the hang context sampled
 * while it runs, the freeze (capture/snapshot.h), the ELF core with its
 * HANGSNAP notes (capture/coredump.h), seekable zstd or a plain core, and an
 * optional plain copy. This is the call hangsnap makes for `hangsnap PID` and
 * for every process the watchdog snapshots; it needs nothing from the
 * command line, so anything that can name a pid and a path can call it.
 *
 * Like all library code it never prints and never exits. What the command
 * shows comes back as data: the result's counters for the summary line,
 * warnings and notes as strings, and progress through a callback that is
 * only told bytes done and total (the caller decides whether and how to
 * draw).
 *
 * Usage:
 *
 *     struct capture_options o;
 *     struct capture_result r;
 *     capture_options_init(&o);
 *     o.output = "core.hang.zst";
 *     capture_result_init(&r);
 *     err = capture_snapshot(pid, &o, &r);
 *     ... print r.messages, then the error or the summary ...
 *     capture_result_deinit(&r);
 */
#ifndef HS_CAPTURE_CAPTURE_H
#define HS_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/outfile.h"
#include "common/vec.h"

/* The phases that write bytes, as progress reports them. */
enum capture_phase {
	CAPTURE_PHASE_WRITE_STOPPED,	/* streaming: the plain core, while the target is stopped */
	CAPTURE_PHASE_PLAIN_COPY,	/* the --plain-copy file */
	CAPTURE_PHASE_COMPRESS,		/* the seekable zstd output */
	CAPTURE_PHASE_WRITE,		/* the plain output, after the target was let go */
};

enum capture_progress_event {
	CAPTURE_PROGRESS_BEGIN,		/* done is 0 */
	CAPTURE_PROGRESS_UPDATE,	/* as often as the writer likes */
	CAPTURE_PROGRESS_END,		/* the phase is over (also when it failed) */
};

/*
 * Progress of one phase: total is the size of the uncompressed core, done
 * how much of it has been written (or compressed) so far. Each phase gets
 * BEGIN, any number of UPDATEs and END, in that order; phases do not
 * overlap. CAPTURE_PHASE_WRITE_STOPPED is reported from the tracer thread
 * while the target is stopped: the callback must be quick there, since its
 * time is freeze time, and must not call into this library.
 */
typedef void (*capture_progress_fn)(void *arg, enum capture_phase phase, enum capture_progress_event event,
				    uint64_t done, uint64_t total);

/*
 * Output files a fatal-signal handler may remove. While capture_snapshot()
 * has output files open it publishes them in files[] (and withdraws them
 * before it returns), so that a handler for SIGINT/SIGTERM/SIGHUP can call
 * capture_abort_signal_safe() and no named temporary is left behind.
 */
struct capture_cleanup {
	const struct outfile *volatile files[2];
};

/* Unlinks the named temporaries published in c; async-signal-safe. */
void capture_abort_signal_safe(const struct capture_cleanup *c);

struct capture_options {
	const char *output;		/* required: the core's path (0600, never a symlink) */
	const char *plain_copy;		/* also write the same image uncompressed here; NULL: no */
	bool compress;			/* seekable zstd (default) or a plain, sparse ELF core */
	int level;			/* zstd level 1-19; 0: the writer's default (3) */
	unsigned interval_ms;		/* between the two CPU samples (default 200) */
	unsigned stop_timeout_ms;	/* for every thread to stop (default 2000) */
	uint64_t memory_budget;		/* bytes copied before the target is let go; 0: capture_default_memory_budget() */
	bool force;			/* replace existing output and plain copy */
	capture_progress_fn progress;	/* NULL: no reports */
	void *progress_arg;
	struct capture_cleanup *cleanup; /* NULL: nothing published */
};

/* The defaults above; output is NULL and must be set. */
void capture_options_init(struct capture_options *opts);

/* Half of MemAvailable, or 1 GiB when /proc/meminfo does not say. */
uint64_t capture_default_memory_budget(void);

/*
 * The default name of a core, "core.PID.TIME.hang.zst" (".hang" when not
 * compressed; TIME in seconds since the epoch), inside dir when dir is not
 * NULL. Returns a new string, or NULL when out of memory.
 */
char *capture_default_path(const char *dir, pid_t pid, bool compress);

/* Where capture_snapshot() stopped; what the command maps to exit codes. */
enum capture_stage {
	CAPTURE_STAGE_TARGET,	/* checking the target (kinds below) */
	CAPTURE_STAGE_OPEN,	/* creating the output: any kind is an output error */
	CAPTURE_STAGE_CONTEXT,	/* sampling /proc while the target runs */
	CAPTURE_STAGE_FREEZE,	/* stopping, copying (and, when streaming, writing), detaching */
	CAPTURE_STAGE_WRITE,	/* laying out and writing the files after the target was let go */
	CAPTURE_STAGE_DONE,	/* success */
};

enum capture_message_kind {
	CAPTURE_NOTE,		/* worth knowing, nothing is missing */
	CAPTURE_WARNING,	/* the core lacks something */
};

struct capture_message {
	enum capture_message_kind kind;
	char *text;		/* lowercase, no trailing period, no program name */
};

/* how long one step took, for --stats */
struct capture_timing {
	const char *what;		/* a static string: "stop", "copy"... */
	bool while_stopped;		/* part of the freeze */
	uint64_t ns;
};

#define CAPTURE_MAX_TIMINGS 8

struct capture_result {
	enum capture_stage stage;	/* DONE, or the stage that failed */
	pid_t pid;
	char *comm;			/* the process's name, NULL when unknown */
	char *path;			/* copies of opts->output and opts->plain_copy */
	char *plain_copy_path;
	size_t nthreads;		/* threads in the core */
	unsigned nthreads_unstopped;	/* of which saved without full registers */
	uint64_t bytes_dumped;		/* memory bytes in the core */
	uint64_t bytes_written;		/* size of the output file (compressed, with zstd) */
	uint64_t stopped_ns;		/* first seize to last detach */
	bool streamed;			/* over the memory budget: written while stopped */
	uint64_t pages_failed;		/* unreadable pages, zero in the core */
	size_t nmappings, nruns;	/* mappings read, page runs copied */
	struct capture_timing timings[CAPTURE_MAX_TIMINGS];	/* in order */
	size_t ntimings;
	VEC(struct capture_message) messages;	/* in the order to show them */
};

void capture_result_init(struct capture_result *ret);
/* Frees what ret owns; accepts a result that was only initialized. */
void capture_result_deinit(struct capture_result *ret);

/*
 * Snapshots pid into opts->output (and opts->plain_copy): samples the hang
 * context for opts->interval_ms while pid runs, freezes it, copies its
 * registers and resident memory, lets it go, then writes the files. The
 * output appears complete under its name or not at all; on failure nothing
 * is left behind and the target always runs on.
 *
 * Returns NULL and fills ret (initialized by the caller, who deinits it
 * either way). ret->messages are only filled on success. On failure returns
 * an error the caller owns, with ret->stage saying where it happened and
 * the kind what:
 *   HS_ERR_NO_PROCESS  pid does not exist, or vanished meanwhile
 *   HS_ERR_ZOMBIE      pid is a zombie, exiting, or a kernel thread
 *   HS_ERR_SELF        pid is the caller's own process
 *   HS_ERR_PERMISSION  pid cannot be traced by us
 *   HS_ERR_EXISTS      an output file is already there and !opts->force
 *   HS_ERR_OS          a system call failed (at CAPTURE_STAGE_OPEN or
 *                      CAPTURE_STAGE_WRITE: writing the output)
 *   HS_ERR_INVALID     opts->output is NULL
 *   HS_ERR_NOMEM, HS_ERR_LIMIT, HS_ERR_INTERNAL  anything else
 * At CAPTURE_STAGE_OPEN every kind means the output could not be created.
 *
 * The call blocks for the interval plus the freeze and the writes. Each
 * call has its own tracer thread; the watchdog makes its calls one after
 * another (several at once, for different pids, is untried).
 */
struct hs_error *capture_snapshot(pid_t pid, const struct capture_options *opts, struct capture_result *ret);

#endif
