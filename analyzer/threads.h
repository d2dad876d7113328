/*
 * The first stages of the analysis (analyze.c): the process and its threads
 * as the core records them, before any unwinding, and what needs the stacks
 * to finish: restarted syscalls and groups of identical threads.
 */
#ifndef HS_ANALYZER_THREADS_H
#define HS_ANALYZER_THREADS_H

#include "analyzer/model.h"

/*
 * Fills m's process identity (pid, comm, exe, cmdline, host, capture times,
 * producer) from the HANGSNAP process record or NT_PRPSINFO, and copies the
 * core's warnings. Fails only when memory runs out.
 */
struct hs_error *threads_read_process(struct model *m);

/*
 * Fills m->threads from NT_PRSTATUS matched with the HANGSNAP thread records
 * (names, states, registers, the syscall each is in, decoded), and builds the
 * tid index. Fails only when memory runs out.
 */
struct hs_error *threads_read(struct model *m);

/*
 * Names the real call of threads whose registers say restart_syscall(2),
 * from the libc wrapper on top of their stack: needs the frames.
 */
void threads_resolve_restarts(struct model *m);

/* Fills m->groups and each thread's group: identical stacks and syscalls, shown once. */
struct hs_error *threads_group(struct model *m);

#endif
