/*
 * The wait-for graph: an edge from each blocked thread to what it waits on —
 * another thread (the owner of a lock it wants, the thread it joins) or an
 * object (a socket, a pipe, a file lock, a child process, a condvar). A
 * thread waits on one thing at a time, so each thread has at most one edge
 * out, and cycles and chains are walked in linear time.
 */
#ifndef HS_ANALYZER_WAITGRAPH_H
#define HS_ANALYZER_WAITGRAPH_H

#include <stdbool.h>

#include "analyzer/evidence.h"
#include "analyzer/model.h"
#include "common/strbuf.h"

/* Sets waits_for / waits_on / in_cycle on every thread. Fails only when memory runs out. */
struct hs_error *waitgraph_build(struct model *m);

/*
 * After thread edges (waits_for) were added or changed by hand — a process
 * tree's edges across processes (analyzer/tree.c) — finds the cycles and
 * chain roots again. Fails only when memory runs out.
 */
struct hs_error *waitgraph_close(struct model *m);

/* True when the thread's edge points to another thread (a lock owner or a join target). */
bool waitgraph_thread_edge(const struct thread *t);

/*
 * The end of the chain that starts at t: follows thread edges until a thread
 * without one (the root blocker) or until the chain closes on itself (then
 * the first thread met twice). Never NULL.
 */
const struct thread *waitgraph_root(const struct model *m, const struct thread *t);

/*
 * Appends what t is stuck in, as a clause of a sentence: "connect() to
 * 127.0.0.1:8080 (SYN_SENT) with no timeout", "read() on fd 5 (pipe, 0 of
 * 65536 bytes queued) with no timeout", "mutex 0x55d0 owned by 4712".
 */
bool waitgraph_describe_wait(struct strbuf *sb, const struct model *m, const struct thread *t);

/* " for at least 41 s" / " with no progress in the 200 ms sample" / "" */
bool waitgraph_describe_duration(struct strbuf *sb, const struct thread *t);

#endif
