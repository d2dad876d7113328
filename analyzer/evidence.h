/*
 * Evidence: what each thread waits for, worked out from its system call and
 * arguments, its stack, the memory of the process (lock words, pthread
 * structs) and the HANGSNAP context (fds, sockets, pipes, file locks,
 * children, CPU samples).
 *
 * glibc x86_64 facts used (DESIGN.md, "Evidence"), each derived from libc's
 * debug info when it is installed and taken from the glibc 2.3x layout
 * otherwise; `layout` says which:
 *  - a contended mutex waits in futex(&m->__lock, FUTEX_WAIT[_PRIVATE], 2)
 *    from __lll_lock_wait; the owner's tid is m->__data.__owner (offset 8);
 *  - PI mutexes (FUTEX_LOCK_PI) and robust mutexes keep the owner's tid in
 *    the futex word itself;
 *  - a stdio lock (_IO_lock_t) keeps the owning thread's struct pthread
 *    pointer, which is that thread's fs_base, at offset 8;
 *  - rwlock waiters sleep on __wrphase_futex (offset 8) or __writers_futex
 *    (offset 12); the writer holding it is __cur_writer (offset 24);
 *  - pthread_join waits in futex(&pd->tid, FUTEX_WAIT..., tid) where pd, the
 *    pthread_t, is the target thread's fs_base.
 */
#ifndef HS_ANALYZER_EVIDENCE_H
#define HS_ANALYZER_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/hangsnap_notes.h"

struct model;

enum wait_kind {
	WAIT_NONE,		/* not waiting: running, or nothing known */
	WAIT_RUNNING,		/* on CPU in user space */
	WAIT_MUTEX,		/* a pthread mutex (or an lll lock) */
	WAIT_RWLOCK,
	WAIT_STDIO_LOCK,	/* flockfile / a FILE's internal lock */
	WAIT_CONDVAR,
	WAIT_FUTEX,		/* a futex we cannot place */
	WAIT_JOIN,		/* pthread_join */
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

struct blocked_on {
	enum wait_kind kind;
	uint64_t addr;			/* the lock or futex word, 0 when n/a */
	int32_t owner;			/* lock owner or join target tid; 0 unknown */
	bool owner_alive;		/* owner is a thread in the core */
	const char *layout;		/* where struct offsets came from: "DWARF" or "glibc 2.3x" */
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
};

/* Fills blocked_on for every thread of m. Only fails when memory runs out. */
struct hs_error *evidence_collect(struct model *m);

/* "mutex", "join", "connect"...: the wait kind as it reads in reports. */
const char *wait_kind_name(enum wait_kind kind);

/* Appends a short description of fd target (socket/pipe/file) to sb: "127.0.0.1:45000 -> 127.0.0.1:8080 SYN_SENT". */
struct strbuf;
bool evidence_describe_fd(struct strbuf *sb, const struct fd_target *ft);

/* TCP state name for a socket record ("SYN_SENT"), "" for unknown. */
const char *tcp_state_name(unsigned state);

#endif
