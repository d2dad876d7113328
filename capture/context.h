/*
 * The hang context: what the kernel knows about a process that a core alone
 * does not tell — per-thread state and syscall, CPU use between two samples,
 * descriptors, sockets, pipes, file locks and children. Collected from /proc
 * while the target runs (none of it needs the target stopped).
 */
#ifndef HS_CAPTURE_CONTEXT_H
#define HS_CAPTURE_CONTEXT_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "formats/hangsnap_notes.h"

/* Caps on what one capture records. */
#define CONTEXT_MAX_THREADS 65536u
#define CONTEXT_MAX_FDS 65536u
#define CONTEXT_MAX_CHILDREN 4096u
#define CONTEXT_MAX_LOCK_ROWS 65536u

/*
 * Takes the first CPU sample: one hs_thread_info per thread of pid with
 * comm, utime/stime[0] and context switches[0]. Fails with HS_ERR_NO_PROCESS
 * when pid is gone.
 */
struct hs_error *context_sample_first(pid_t pid, struct hangsnap_context *ctx);

/*
 * Takes the second CPU sample (sample_ns after the first) and collects the
 * rest of the context: thread state, syscall line and wchan; process identity;
 * descriptors; sockets from the target's network namespace; pipes with fill
 * level and the other ends' holders (scanning every process's descriptors);
 * /proc/locks rows that touch the process; children. A thread born after the
 * first sample gets its second sample in both slots.
 */
struct hs_error *context_collect(pid_t pid, uint64_t sample_ns, struct hangsnap_context *ctx);

/*
 * The parsers of the /proc text context_collect() reads, pure functions of a
 * NUL-terminated line or file (exported for the fuzz target and tests).
 */

/*
 * One row of /proc/PID/net/{tcp,tcp6,udp,udp6} into ret (all but family,
 * protocol and path, which are zero); false for the header or a bad row.
 */
bool context_parse_inet_row(const char *line, struct hs_socket_info *ret);

/*
 * One row of /proc/PID/net/unix into ret (all but path, which is NULL);
 * *path_ret points at the socket's path within line (up to its '\n', if any).
 */
bool context_parse_unix_row(const char *line, struct hs_socket_info *ret, const char **path_ret);

/* One row of /proc/locks (see context.c) into *row; false for a bad row. */
bool context_parse_lock_row(const char *line, struct hs_lock_info *row);

/*
 * The text of /proc/PID/fdinfo/FD (buf, modified) into fd's pos, flags and
 * mnt_id, and the other lines into fd->extra (a new string, capped at
 * HS_NOTE_STR_MAX; NULL and *nomem set when out of memory).
 */
void context_parse_fdinfo(char *buf, struct hs_fd_info *fd, bool *nomem);

/* Refreshes only the per-thread state, syscall and wchan (right before freezing). */
void context_refresh_syscalls(pid_t pid, struct hangsnap_context *ctx);

#endif
