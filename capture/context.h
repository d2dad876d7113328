/*
 * The hang context: what the kernel knows about a process that a core alone
 * does not tell — per-thread state and syscall, CPU use between two samples,
 * descriptors, sockets, pipes, file locks and children. Collected from /proc
 * while the target runs (none of it needs the target stopped).
 */
#ifndef HS_CAPTURE_CONTEXT_H
#define HS_CAPTURE_CONTEXT_H

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

/* Refreshes only the per-thread state, syscall and wchan (right before freezing). */
void context_refresh_syscalls(pid_t pid, struct hangsnap_context *ctx);

#endif
