/*
 * The analysis model: what hanganalyze knows about one process, built from a
 * core (and its HANGSNAP notes when present). Reports render it; nothing in
 * it points at the core's buffers except `core` itself.
 *
 * This header is the data only: each part below is written by one stage of
 * the analysis (analyze.h lists them: process and threads, unwind, runtime
 * stacks, evidence, wait-for graph, rules, signature) and read by the stages
 * after it and by the renderers. model.c fills nothing: it interns strings,
 * keeps the tid index, answers lookups, collects warnings and frees it all.
 * No libdwfl session lives here; the unwind stage owns it (analyze.c).
 */
#ifndef HS_ANALYZER_MODEL_H
#define HS_ANALYZER_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/vec.h"
#include "formats/elfcore_reader.h"

/* ---- evidence: what a thread waits for (filled by evidence.c) ---- */

enum wait_kind {
	WAIT_NONE,		/* not waiting: running, or nothing known */
	WAIT_RUNNING,		/* on CPU in user space */
	WAIT_MUTEX,		/* a pthread mutex (or an lll lock) */
	WAIT_RWLOCK,
	WAIT_STDIO_LOCK,	/* flockfile / a FILE's internal lock */
	WAIT_CONDVAR,
	WAIT_FUTEX,		/* a futex we cannot place */
	WAIT_JOIN,		/* pthread_join, Thread#join */
	WAIT_CONNECT,
	WAIT_ACCEPT,
	WAIT_READ,		/* read/recv on an fd (socket, pipe, file...) */
	WAIT_WRITE,
	WAIT_POLL,		/* poll/select/epoll over several fds */
	WAIT_SLEEP,		/* nanosleep, pause with nothing to wake it... */
	WAIT_CHILD,		/* wait4/waitid */
	WAIT_FILE_LOCK,		/* flock, fcntl F_SETLKW */
	WAIT_SIGNAL,		/* sigtimedwait, sigsuspend, pause */
	WAIT_OTHER_SYSCALL,
	WAIT_QUEUE,		/* an interpreter queue or condition variable (Queue#pop) */
	WAIT_SEMAPHORE,		/* sem_wait: a POSIX semaphore, which has no owner */
};

/* What an fd waited on is, from the HANGSNAP notes. */
struct fd_target {
	int32_t fd;
	short events;				/* poll events asked for, 0 when n/a */
	const struct hs_fd_info *info;		/* NULL when the core has no fd notes */
	const struct hs_socket_info *socket;	/* for sockets with a known inode */
	const struct hs_pipe_info *pipe;
};

#define EVIDENCE_MAX_FDS 8

#define TIMEOUT_NONE (-1)	/* waits forever */
#define TIMEOUT_UNKNOWN (-2)

/*
 * For a lock that records no owner (a mutex without __owner, an rwlock held
 * by readers, a semaphore, a condvar's waker): the other thread whose stack
 * or registers hold the object's address, found by infer_ownerless()
 * (evidence.c). Inferred, never certain.
 */
struct probable_holder {
	int32_t tid;		/* 0: none found */
	int32_t frame;		/* index in that thread's frames whose stack range holds the reference */
	const char *how;	/* "stack" or "register" (static) */
	const char *reg;	/* the register's name for "register" (static), else NULL */
	uint64_t where;		/* the stack address of the word, 0 for a register */
	uint64_t ref;		/* the address found: the object or one inside it */
	const char *object;	/* the object's symbol ("cfg_lock") from the core's modules (interned), NULL unknown */
	unsigned candidates;	/* threads that referred to it (the best is tid) */
};

struct blocked_on {
	enum wait_kind kind;
	uint64_t addr;			/* the lock or futex word, 0 when n/a */
	int32_t owner;			/* lock owner or join target tid; 0 unknown */
	bool owner_alive;		/* owner is a thread in the core */
	const char *layout;		/* where struct offsets came from: "DWARF", "glibc 2.3x", "Ruby 3.1" */
	const char *call;		/* the interpreter-level call waited in ("Thread#join"), NULL: native */
	struct fd_target fds[EVIDENCE_MAX_FDS];
	unsigned nfds;
	int64_t timeout_ms;		/* TIMEOUT_NONE, TIMEOUT_UNKNOWN or a bound */
	int32_t child;			/* wait4/waitid target, -1 any child, 0 n/a */
	const struct hs_child_info *child_info;
	const struct hs_lock_info *file_lock;	/* the lock waited for (holder row), or NULL */
	const char *file_lock_path;
	bool in_resolver;		/* name resolution frames on the stack */
	bool signal_frame;		/* a signal handler runs on top of interrupted code */
	uint64_t stalled_ns;		/* known to have waited at least this long, 0 unknown */
	bool no_progress;		/* no CPU time and no context switch across the two samples */
	uint64_t cpu_ns;		/* user CPU burned between the two samples */
	uint64_t sample_ns;		/* the time between the two samples */
	int32_t readers;		/* rwlock: readers holding it per glibc's __readers, -1 unknown */
	struct probable_holder holder;	/* an inferred holder or waker (owner and layout "stack reference" when drawn) */
};

/* ---- threads, frames, findings ---- */

#define MODEL_MAX_FRAMES 256u	/* per thread, like eu-stack's default */

enum frame_how {
	FRAME_INITIAL,		/* the thread's registers */
	FRAME_CFI,		/* DWARF call frame information */
	FRAME_FP,		/* frame-pointer fallback: no CFI covered the caller */
	FRAME_INLINE,		/* an inlined call at the same pc, from DWARF scopes */
	FRAME_TAILCALL,		/* a function that tail-called the frame above, from DWARF call sites */
};

struct frame {
	uint64_t pc;		/* for frames past the first: the return address */
	uint64_t sp;		/* the stack pointer of this frame, 0 if unknown */
	const char *function;	/* demangled (demangle.h) unless --no-demangle; NULL when unknown (interned) */
	const char *linkage_name;	/* the raw (mangled) name when function is its demangled form, else NULL (interned) */
	uint64_t offset;	/* pc - symbol start (adjusted pc for callers) */
	const char *module;	/* module basename or NULL (interned) */
	const char *file;	/* source file or NULL (interned) */
	int line;		/* 0 when unknown */
	bool inlined;		/* this function was inlined into the next frame */
	enum frame_how how;
};

/* ---- interpreter stacks (runtime-stacks stage: analyzer/runtimes/) ---- */

/* One frame of an interpreter's own stack (a Ruby method, block or C method). */
struct runtime_frame {
	const char *path;	/* source path as the interpreter prints it (interned), "" unknown */
	const char *label;	/* method or block label: "connect", "block in start" (interned) */
	int line;		/* 0 when unknown */
	bool cfunc;		/* a method written in C: path and line are its caller's */
	uint32_t native;	/* merged above native frame #native (frames.len: below them all) */
};

/* What the interpreter records that a thread waits for. */
enum runtime_wait {
	RUNTIME_WAIT_NONE,
	RUNTIME_WAIT_JOIN,	/* Thread#join: target in wait_tid */
	RUNTIME_WAIT_MUTEX,	/* Mutex#lock: the mutex in wait_obj, its owner in wait_tid */
	RUNTIME_WAIT_QUEUE,	/* Queue#pop / SizedQueue#push / ConditionVariable#wait on wait_obj */
	RUNTIME_WAIT_SLEEP,	/* Kernel#sleep with no timeout */
};

struct runtime_thread {
	bool present;		/* an interpreter thread runs on this native thread */
	const char *name;	/* Thread#name, NULL when nil (interned) */
	const char *status;	/* "run", "sleep", "dead" (Thread#status) */
	bool forever;		/* sleeping with no timeout (join, lock, pop or sleep without one) */
	bool gvl;		/* holds the global VM lock */
	bool partial;		/* the frames end early: the interpreter's memory was unreadable */
	VEC(struct runtime_frame) frames;	/* innermost first */
	enum runtime_wait wait;
	const char *wait_call;	/* "Thread#join", "Mutex#lock", "Queue#pop"... (static) */
	uint64_t wait_obj;	/* the Mutex / Queue object, 0 n/a */
	int32_t wait_tid;	/* join target or mutex owner, 0 unknown */
	bool wait_owner_inferred;	/* the owner is the thread whose frames refer to the lock (it records none) */
	long queue_len;		/* items in the queue waited on, -1 unknown */
	int queue_waiters;	/* threads waiting on it, -1 unknown */
};

/* The interpreter found in the process, if any. */
struct runtime_info {
	const char *name;	/* "ruby"; NULL: none found */
	const char *version;	/* "3.1.2" (interned) */
	const char *layout;	/* where the struct layouts came from: "built-in 3.1" (interned) */
};

struct syscall_call {
	int64_t nr;		/* -1: not in a syscall */
	const char *name;	/* "futex", or NULL for unknown numbers */
	uint64_t args[6];
	char *text;		/* decoded: futex(0x7f.., FUTEX_WAIT_PRIVATE, 2, NULL); NULL only without memory */
	bool restarted;		/* the registers said restart_syscall; nr is the call it resumes */
};

/* Written by the stage named on the right of each part (analyze.h). */
struct thread {
	/* threads stage (the syscall is renamed by the unwind stage when restarted) */
	int32_t tid;
	uint32_t proc;		/* index into model.procs (0 when the model has one process) */
	const char *name;	/* comm (interned), "" when unknown */
	char state;		/* /proc state letter, 0 when unknown */
	bool has_registers;	/* false: it never stopped; pc/sp from /proc only */
	uint64_t regs[GREG_COUNT];
	struct syscall_call syscall;
	const char *wchan;	/* interned, "" when unknown */
	const struct hs_thread_info *ctx;	/* HANGSNAP record, or NULL */
	/* unwind stage (runtime walkers add their frames) */
	VEC(struct frame) frames;
	char *unwind_error;	/* why the stack ends where it does, or NULL */
	/* runtime-stacks stage */
	struct runtime_thread rt;
	/* groups stage */
	size_t group;		/* index into model.groups */
	/* evidence stage */
	struct blocked_on blocked;	/* what it waits for */
	/* waitgraph stage: at most one edge out of each thread */
	int32_t waits_for;	/* tid this thread waits on (lock owner, join target), 0 none */
	char *waits_on;		/* the object it waits on, described, or NULL */
	bool in_cycle;		/* part of a cycle of thread edges */
};

enum severity { SEVERITY_LOW, SEVERITY_MEDIUM, SEVERITY_HIGH, SEVERITY_CRITICAL };

struct tid_list {
	int32_t *items;
	size_t len, cap;
};

/* Threads with identical stacks and syscalls, shown once. */
struct thread_group {
	size_t first;		/* index of the first thread */
	size_t count;
};

struct module_info {
	const char *name;	/* interned path from NT_FILE or the module name */
	uint64_t start, end;
	char *build_id;		/* hex, or NULL */
	bool used;		/* some frame is in it (elf_found, has_debuginfo are known) */
	bool elf_found;		/* its ELF file was found */
	bool has_debuginfo;
	/* with analyze_options.resolve_all (making a bundle): the files found for it, or NULL */
	char *elf_path, *debug_path;
	char *alt_path, *alt_build_id;	/* the dwz file its debug info refers to, and its build-id (hex) */
};

/* Owned strings, in the order they were added. */
struct string_list {
	char **items;
	size_t len, cap;
};

enum core_producer { PRODUCER_UNKNOWN, PRODUCER_HANGSNAP };

/* How sure a finding is: certain from what the core records, or probable from an inferred owner. */
enum confidence { CONFIDENCE_CERTAIN, CONFIDENCE_PROBABLE };

/* A diagnosis: one rule's conclusion about some threads (DESIGN.md, "Findings"). */
struct finding {
	const char *rule;		/* stable id: "lock-cycle" */
	enum severity severity;
	char *summary;			/* one sentence a person can act on */
	struct tid_list threads;	/* every thread involved */
	struct string_list evidence;	/* the facts it rests on */
	char *hint;			/* what to do about it */
	enum confidence confidence;	/* CONFIDENCE_CERTAIN unless it rests on an inferred owner */
};

/* One process of a process tree analyzed as one case (model.procs, analyzer/tree.h). */
struct process_part {
	int32_t pid, ppid;
	const char *comm, *exe, *cmdline;	/* interned in part (in the model itself for the first) */
	struct runtime_info runtime;
	size_t first, count;	/* its threads: threads.items[first .. first+count) */
	struct model *part;	/* the model it was analyzed in (owned), NULL for procs.items[0] */
	const char *core_path;	/* as given, interned in the merged model; NULL unknown */
};

struct model {
	struct elfcore *core;		/* model_create() */
	/* process stage */
	enum core_producer producer;
	int32_t pid;
	int32_t ppid;			/* 0 when unknown (only HANGSNAP notes carry it) */
	uint64_t start_boot_ns;		/* the process's start since boot; 0 unknown */
	const char *comm;
	const char *exe;
	const char *cmdline;		/* arguments joined by spaces */
	const char *host;
	const char *build_id;
	uint64_t captured_real_ns;	/* 0 when unknown */
	uint64_t captured_boot_ns;	/* the same moment since boot (CLOCK_BOOTTIME ~ CLOCK_MONOTONIC); 0 unknown */
	uint64_t freeze_ns;		/* 0 when unknown */
	/* threads stage */
	VEC(struct thread) threads;	/* core order: the main thread first */
	struct tid_index { int32_t tid; uint32_t index; } *tid_index;	/* sorted by tid: model_index_threads() */
	/*
	 * waitgraph stage: per thread (m->threads order), the index of its
	 * waitgraph_root(), so that finding the root of every thread is linear
	 * and not the sum of all chain lengths; NULL until the graph is built
	 */
	uint32_t *wait_root;
	/* evidence stage only: its sorted lookups (evidence.c), NULL outside it */
	struct evidence_index *evidence_index;
	/* groups stage */
	VEC(struct thread_group) groups;
	/* unwind stage */
	VEC(struct module_info) modules;
	/* runtime-stacks stage */
	struct runtime_info runtime;
	/* rules and user-rules stages */
	struct finding_list {
		struct finding *items;
		size_t len, cap;
	} findings;			/* most severe first */
	/* signature stage */
	struct signature {
		char *hash;		/* 16 hex digits; NULL: no hang, no signature */
		char *text;		/* "join-on-blocked: connect SYN_SENT @ output_thread" */
		int version;
		const char *rule;	/* the hang class: the top finding's rule */
		char *frames;		/* every normalized frame of the root blocker(s), one per line */
	} signature;
	/*
	 * A process tree analyzed as one case (analyzer/tree.c): one entry per
	 * process, procs.items[0] this model's own, whose threads come first;
	 * the others' threads, findings and modules were moved into this model
	 * and each part model is kept (owned) for what they point at. Empty
	 * for one process.
	 */
	VEC(struct process_part) procs;
	/* any stage, through model_warn() and model_missing() */
	struct string_list missing;	/* evidence this core could not provide */
	struct string_list warnings;	/* damage and fallbacks worth saying */
	/* string interning (hash set of owned strings) */
	char **strings;
	size_t nstrings, strings_cap;
};

/*
 * An empty model of core (taken over, also on failure: model_destroy()
 * closes it). The stages of analyze.c fill the rest.
 */
struct hs_error *model_create(struct elfcore *core, struct model **ret);

/* Frees everything, including the core; accepts NULL. */
void model_destroy(struct model *m);

void string_list_deinit(struct string_list *l);
void finding_deinit(struct finding *f);

/*
 * (Re)builds the tid index over m->threads, for model_thread(); call it once
 * the thread list is complete. Fails only when memory runs out.
 */
struct hs_error *model_index_threads(struct model *m);

/* The thread with tid, or NULL (binary search; NULL before model_index_threads()). */
struct thread *model_thread(const struct model *m, int32_t tid);

/* "main (4711)": a thread as findings name it, into buf. */
const char *model_thread_label(const struct model *m, int32_t tid, char *buf, size_t size);

/*
 * What tells this case's cores apart from any other's: the core's content
 * hash, or for a process tree all its cores' hashes, in tree order.
 */
uint64_t model_content_hash(const struct model *m);

/* The interpreter of t's process: m->runtime, or its process's in a process tree. */
const struct runtime_info *model_thread_runtime(const struct model *m, const struct thread *t);

/* Returns an interned copy of s (NULL on allocation failure). */
const char *model_intern(struct model *m, const char *s);

/* Adds a printf-formatted line to m->warnings / m->missing (best effort). */
void model_warn(struct model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void model_missing(struct model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
