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

#include "analyzer/model.h"

struct unwinder;
/*
 * Fills blocked_on for every thread of m. u is the unwind stage's libdwfl
 * session, for struct layouts from libc's debug info; NULL: the glibc 2.3x
 * offsets are used. Only fails when memory runs out.
 */
struct hs_error *evidence_collect(struct model *m, struct unwinder *u);

/* Appends a short description of fd target (socket/pipe/file) to sb: "127.0.0.1:45000 -> 127.0.0.1:8080 SYN_SENT". */
struct strbuf;
bool evidence_describe_fd(struct strbuf *sb, const struct fd_target *ft);

#endif
