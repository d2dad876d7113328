/*
 * A frozen image of a live process: every thread's registers and the
 * process's resident memory, taken while all threads are ptrace-stopped.
 *
 * snapshot_take() runs the whole stop → copy → detach sequence in a thread
 * of its own that is the ptracer. Should anything go wrong — or should
 * hangsnap be killed — the kernel detaches every tracee when that thread
 * exits, so the target always runs on. Threads that do not stop within the
 * time limit (uninterruptible sleep) are recorded without registers.
 *
 * Memory goes into buffers of ours before detaching ("buffered"), unless it
 * exceeds the memory budget; then snapshot_take() calls opts->stream while the
 * target is still stopped, and runs carry no data: the callback reads them
 * from the live, stopped process with snapshot_read_memory().
 */
#ifndef HS_CAPTURE_SNAPSHOT_H
#define HS_CAPTURE_SNAPSHOT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "capture/proc.h"
#include "common/error.h"
#include "common/vec.h"

#define SNAPSHOT_MAX_THREADS 65536u
#define SNAPSHOT_MAX_MAPPINGS 262144u
#define SNAPSHOT_XSTATE_MAX 16384u

struct snapshot_thread {
	pid_t tid;
	bool stopped;		/* registers below are from ptrace */
	bool exited;		/* gone before or while stopping */
	bool eintr_restarted;	/* a -EINTR return was turned into a transparent restart */
	int pending_signal;	/* arrived during the freeze; re-delivered on detach */
	char state;		/* /proc state letter when it did not stop */
	struct user_regs_struct regs;
	struct user_fpregs_struct fpregs;
	bool have_fpregs;
	unsigned char *xstate;
	size_t xstate_len;
	siginfo_t siginfo;	/* valid when pending_signal != 0 */
};

enum mapping_dump {
	MAPPING_DUMP_NONE,	/* nothing in the core (text is read from the file) */
	MAPPING_DUMP_MODIFIED,	/* private file mapping: its anonymous (COW) pages + ELF header page */
	MAPPING_DUMP_RESIDENT,	/* anonymous memory: resident and swapped pages */
	MAPPING_DUMP_ALL,	/* every page (vdso) */
};

struct snapshot_run {
	uint64_t addr;
	uint64_t len;
	unsigned char *data;	/* NULL when streaming */
};

struct snapshot_mapping {
	uint64_t start, end, offset;
	bool readable, writable, executable, shared;
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char *path;		/* "" for anonymous memory; "[heap]", "[stack]", "[vdso]"... */
	enum mapping_dump dump;
	uint64_t dump_size;	/* bytes from start present in the core (p_filesz) */
	size_t first_run, nruns; /* into snapshot.runs */
};

/*
 * The steps of a freeze, in order; snapshot.phase_ns[] says how long each
 * took. The plan runs in a thread of its own beside the registers.
 */
enum snapshot_phase {
	SNAPSHOT_PHASE_STOP,		/* seize and interrupt every thread, wait for the stops */
	SNAPSHOT_PHASE_REGISTERS,	/* registers of every thread */
	SNAPSHOT_PHASE_PLAN,		/* auxv, maps and pagemap: which pages go into the core */
	SNAPSHOT_PHASE_COPY,		/* the memory copy (or, streaming, the whole core written) */
	SNAPSHOT_PHASE_DETACH,		/* every thread let go */
	SNAPSHOT_PHASE_COUNT,
};

struct snapshot {
	pid_t pid;
	VEC(struct snapshot_thread) threads;	/* the main thread first */
	VEC(struct snapshot_mapping) maps;	/* ascending addresses */
	VEC(struct snapshot_run) runs;		/* ascending addresses */
	unsigned char *auxv;
	size_t auxv_len;
	uint64_t freeze_start_ns;	/* CLOCK_MONOTONIC, first PTRACE_SEIZE */
	uint64_t freeze_end_ns;		/* last PTRACE_DETACH */
	uint64_t phase_ns[SNAPSHOT_PHASE_COUNT];
	bool plan_beside_registers;	/* the two phases overlapped */
	uint64_t capture_real_ns;	/* wall clock when every thread had stopped */
	uint64_t bytes_planned;		/* run bytes */
	uint64_t pages_failed;		/* readable pages we could not copy (zero-filled) */
	unsigned nthreads_unstopped;
	bool streamed;
	/* buffered mode: our copy of the memory */
	unsigned char *arena;
	size_t arena_size, arena_used;
	VEC(void *) overflow;		/* runs that did not fit the arena */
};

struct snapshot_options {
	unsigned stop_timeout_ms;	/* how long to wait for all threads to stop */
	uint64_t memory_budget;		/* copy at most this much; stream beyond */
	/* tid → syscall it was blocked in before the freeze (-1: none/unknown) */
	int64_t (*syscall_before)(void *arg, pid_t tid);
	/* called while the target is stopped, in streaming mode only */
	struct hs_error *(*stream)(struct snapshot *snap, void *arg);
	void *arg;
};

void snapshot_init(struct snapshot *snap);
void snapshot_deinit(struct snapshot *snap);

/*
 * Returns the number of bytes a snapshot of pid would copy (resident pages of
 * the mappings it dumps), read from /proc without stopping pid. Used to size
 * buffers before the freeze and to choose streaming.
 */
struct hs_error *snapshot_estimate(pid_t pid, uint64_t *bytes_ret);

/*
 * Checks that pid can be snapshotted at all: it exists (HS_ERR_NO_PROCESS),
 * is not a zombie or a kernel thread (HS_ERR_ZOMBIE) and is not us (HS_ERR_SELF).
 */
struct hs_error *snapshot_check_target(pid_t pid);

/*
 * Stops pid, fills snap, detaches. On failure the target has been detached
 * and snap holds whatever was captured (deinit it either way).
 * Error kinds: HS_ERR_NO_PROCESS, HS_ERR_ZOMBIE, HS_ERR_PERMISSION, HS_ERR_LIMIT.
 */
struct hs_error *snapshot_take(pid_t pid, const struct snapshot_options *opts, struct snapshot *snap);

/*
 * Reads len bytes at addr of the (stopped) target into buf: process_vm_readv,
 * then /proc/PID/mem page by page for what that could not read. Pages that
 * neither can read are zero-filled and counted in *failed_pages_ret.
 */
void snapshot_read_memory(pid_t pid, int memfd, uint64_t addr, void *buf, size_t len,
			  uint64_t *failed_pages_ret);

#endif
