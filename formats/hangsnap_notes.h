/*
 * HANGSNAP notes: the kernel-side context of a hang, stored in the core's
 * PT_NOTE segment next to the standard notes. The byte layout of every record
 * is specified at the top of hangsnap_notes.c.
 *
 * The structs here are the in-memory form shared by the capture side (which
 * fills them from /proc) and the analyzer (which decodes them from a core).
 * Strings are NUL-terminated heap copies owned by the struct; *_deinit()
 * frees them. Decoders cap every length and count; see HS_NOTE_*_MAX.
 */
#ifndef HS_FORMATS_HANGSNAP_NOTES_H
#define HS_FORMATS_HANGSNAP_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "common/vec.h"

#define HANGSNAP_NOTE_OWNER "HANGSNAP"
#define HANGSNAP_RECORD_VERSION 1

enum hangsnap_note_type {
	HANGSNAP_NT_PROCESS = 1,
	HANGSNAP_NT_THREAD = 2,
	HANGSNAP_NT_FD = 3,
	HANGSNAP_NT_SOCKET = 4,
	HANGSNAP_NT_PIPE = 5,
	HANGSNAP_NT_LOCK = 6,
	HANGSNAP_NT_CHILD = 7,
};

/* Caps applied by encoders (truncate) and decoders (reject). */
#define HS_NOTE_STR_MAX 4096u
#define HS_NOTE_DESC_MAX 65536u
#define HS_PIPE_MAX_HOLDERS 32u

enum hs_process_flags {
	HS_PROC_STREAMED = 1u << 0,	  /* memory was written while the target was stopped */
	HS_PROC_PARTIAL_MEMORY = 1u << 1, /* some readable pages could not be copied */
	HS_PROC_UNSTOPPED_THREADS = 1u << 2, /* at least one thread never stopped */
};

struct hs_process_info {
	int32_t pid, ppid;
	uint32_t uid, gid;
	uint32_t flags;			/* enum hs_process_flags */
	uint32_t interval_ms;		/* time between the two CPU samples */
	uint32_t nthreads;		/* threads seen */
	uint32_t nthreads_unstopped;	/* of those, threads that never stopped */
	uint64_t start_boot_ns;		/* process start, since boot */
	uint64_t start_real_ns;		/* process start, wall clock (0 if unknown) */
	uint64_t capture_real_ns;	/* when the threads were stopped, wall clock */
	uint64_t freeze_ns;		/* how long the target was stopped */
	char *comm;
	char *exe;			/* readlink of /proc/PID/exe */
	char *build_id;			/* hex, "" if unknown */
	char *cmdline;			/* argv joined by NUL bytes */
	size_t cmdline_len;
	char *host;
	char *boot_id;
};

enum hs_thread_flags {
	HS_THREAD_STOPPED = 1u << 0,	/* frozen: registers in NT_PRSTATUS are valid */
	HS_THREAD_EXITED = 1u << 1,	/* exited while being captured */
};

#define HS_SYSCALL_RUNNING (-1)	/* /proc/TID/syscall said "running" */
#define HS_SYSCALL_UNKNOWN (-2)	/* unreadable or not sampled */

struct hs_thread_info {
	int32_t tid;
	char state;			/* /proc/TID/stat state letter */
	uint8_t flags;			/* enum hs_thread_flags */
	int64_t syscall_nr;		/* or HS_SYSCALL_RUNNING / HS_SYSCALL_UNKNOWN */
	uint64_t syscall_args[6];
	uint64_t syscall_sp, syscall_pc;
	uint64_t utime[2], stime[2];	/* clock ticks at the first and second sample */
	uint64_t vcsw[2], nvcsw[2];	/* voluntary / involuntary context switches */
	uint64_t sample_ns;		/* time between the two samples */
	char *comm;
	char *wchan;
	char *syscall_line;		/* the raw /proc/TID/syscall line */
};

enum hs_fd_kind {
	HS_FD_OTHER = 0,
	HS_FD_FILE = 1,
	HS_FD_DIR = 2,
	HS_FD_SOCKET = 3,
	HS_FD_PIPE = 4,
	HS_FD_FIFO = 5,
	HS_FD_ANON = 6,			/* anon_inode: eventfd, epoll, timerfd, signalfd... */
	HS_FD_CHAR = 7,
	HS_FD_BLOCK = 8,
};

struct hs_fd_info {
	int32_t fd;
	uint32_t kind;			/* enum hs_fd_kind */
	uint32_t flags;			/* open flags (fdinfo "flags:", octal there) */
	uint32_t mnt_id;
	uint64_t pos;
	uint64_t inode;
	char *target;			/* readlink of /proc/PID/fd/N */
	char *extra;			/* fdinfo lines past the first three (epoll tfd, eventfd-count...) */
};

struct hs_socket_info {
	uint64_t inode;
	uint16_t family;		/* AF_INET, AF_INET6, AF_UNIX */
	uint16_t protocol;		/* IPPROTO_TCP, IPPROTO_UDP, 0 for unix */
	uint8_t state;			/* TCP_* for inet, SS_* for unix */
	uint8_t timer;			/* /proc/net/tcp timer_active */
	uint16_t local_port, remote_port;
	uint8_t local_addr[16], remote_addr[16]; /* network order; IPv4 in the first 4 bytes */
	uint32_t rx_queue, tx_queue;
	uint32_t retransmits;
	uint32_t uid;
	uint64_t timer_ticks;		/* time until the socket timer fires, clock ticks */
	char *path;			/* unix socket path ("" when unnamed) */
};

struct hs_pipe_holder {
	int32_t pid;
	int32_t fd;
	uint8_t mode;			/* 'r', 'w' or 'u' (read/write) */
};

#define HS_PIPE_UNKNOWN UINT32_MAX

struct hs_pipe_info {
	uint64_t inode;
	uint32_t queued;		/* bytes waiting, or HS_PIPE_UNKNOWN */
	uint32_t capacity;		/* bytes, or HS_PIPE_UNKNOWN */
	uint32_t nholders;
	struct hs_pipe_holder holders[HS_PIPE_MAX_HOLDERS];
	char *path;			/* FIFO path, "" for anonymous pipes */
};

enum hs_lock_kind { HS_LOCK_OTHER = 0, HS_LOCK_FLOCK = 1, HS_LOCK_POSIX = 2, HS_LOCK_OFD = 3, HS_LOCK_LEASE = 4 };
enum hs_lock_mode { HS_LOCK_MODE_OTHER = 0, HS_LOCK_READ = 1, HS_LOCK_WRITE = 2 };

#define HS_LOCK_EOF UINT64_MAX

struct hs_lock_info {
	uint32_t id;			/* /proc/locks ordinal; a waiter shares its holder's id */
	uint8_t waiting;		/* 1 for "->" rows: this pid waits for the lock */
	uint8_t kind;			/* enum hs_lock_kind */
	uint8_t mode;			/* enum hs_lock_mode */
	uint8_t mandatory;
	int32_t pid;			/* -1 for OFD locks */
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	uint64_t start, end;		/* end == HS_LOCK_EOF for "EOF" */
	char *path;			/* the target's path for that inode, "" if unknown */
};

struct hs_child_info {
	int32_t pid;
	char state;
	uint32_t nthreads;
	int64_t syscall_nr;		/* of the child's main thread */
	char *comm;
	char *wchan;
	char *syscall_line;
};

/* Everything the HANGSNAP notes of one core hold. */
struct hangsnap_context {
	struct hs_process_info process;
	VEC(struct hs_thread_info) threads;
	VEC(struct hs_fd_info) fds;
	VEC(struct hs_socket_info) sockets;
	VEC(struct hs_pipe_info) pipes;
	VEC(struct hs_lock_info) locks;
	VEC(struct hs_child_info) children;
};

void hangsnap_context_init(struct hangsnap_context *ctx);
void hangsnap_context_deinit(struct hangsnap_context *ctx);

/* Returns the thread record for tid, or NULL. Linear; contexts are small. */
struct hs_thread_info *hangsnap_context_thread(struct hangsnap_context *ctx, int32_t tid);

/*
 * Encoders append one note descriptor (not the note header) to sb; they only
 * fail when memory runs out. Decoders read one descriptor of len bytes into
 * *ret (zeroed first; deinit it even on failure) and fail with HS_ERR_FORMAT
 * on a truncated record or an over-cap length or count.
 */
struct hs_error *hs_process_info_encode(const struct hs_process_info *info, struct strbuf *sb);
struct hs_error *hs_process_info_decode(const void *desc, size_t len, struct hs_process_info *ret);
void hs_process_info_deinit(struct hs_process_info *info);

struct hs_error *hs_thread_info_encode(const struct hs_thread_info *info, struct strbuf *sb);
struct hs_error *hs_thread_info_decode(const void *desc, size_t len, struct hs_thread_info *ret);
void hs_thread_info_deinit(struct hs_thread_info *info);

struct hs_error *hs_fd_info_encode(const struct hs_fd_info *info, struct strbuf *sb);
struct hs_error *hs_fd_info_decode(const void *desc, size_t len, struct hs_fd_info *ret);
void hs_fd_info_deinit(struct hs_fd_info *info);

struct hs_error *hs_socket_info_encode(const struct hs_socket_info *info, struct strbuf *sb);
struct hs_error *hs_socket_info_decode(const void *desc, size_t len, struct hs_socket_info *ret);
void hs_socket_info_deinit(struct hs_socket_info *info);

struct hs_error *hs_pipe_info_encode(const struct hs_pipe_info *info, struct strbuf *sb);
struct hs_error *hs_pipe_info_decode(const void *desc, size_t len, struct hs_pipe_info *ret);
void hs_pipe_info_deinit(struct hs_pipe_info *info);

struct hs_error *hs_lock_info_encode(const struct hs_lock_info *info, struct strbuf *sb);
struct hs_error *hs_lock_info_decode(const void *desc, size_t len, struct hs_lock_info *ret);
void hs_lock_info_deinit(struct hs_lock_info *info);

struct hs_error *hs_child_info_encode(const struct hs_child_info *info, struct strbuf *sb);
struct hs_error *hs_child_info_decode(const void *desc, size_t len, struct hs_child_info *ret);
void hs_child_info_deinit(struct hs_child_info *info);

#endif
