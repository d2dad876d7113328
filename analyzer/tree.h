/*
 * A process tree as one case: the models of several cores taken together
 * (`hanganalyze DIR` for a `hangsnap --tree` snapshot, or several cores
 * given at once) become one model with one wait-for graph, whose edges
 * cross processes, one headline and one signature.
 *
 * Each core is analyzed on its own first, with every stage (analyze.h):
 * its threads, findings and evidence are in its own process's terms. Then
 * tree_merge() moves the other processes' threads, groups, modules and
 * findings into the root process's model (model.procs says which are
 * whose), and adds the edges between processes:
 *
 *   wait4/waitid         the waiting thread → the child's blocking thread
 *   a pipe               a reader or writer blocked on it → the blocking
 *                        thread of the process that holds the other end
 *   loopback TCP         a connect in SYN_SENT to a local listener → the
 *                        listener's blocking thread (it does not accept);
 *                        a read on an established connection → the peer's
 *   a file lock          the waiter → the holder's blocking thread
 *
 * A process's "blocking thread" is the root blocker of its top finding, or
 * of its main thread when it has none. Each edge from a thread that waits
 * with no deadline into a process that is itself stuck is a finding
 * (child-wait for children, process-wait otherwise) whose sentence goes
 * down the chain: "sh (4711) waits in wait4() for child 4723
 * (worker), where main (4723) joins ...". Those findings come first among
 * equals, and the signature is computed again over the whole graph.
 *
 * Threads are told apart by tid: the cores must come from one pid
 * namespace (one host, at one time); tids that repeat are refused.
 */
#ifndef HS_ANALYZER_TREE_H
#define HS_ANALYZER_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"
#include "common/error.h"

#define TREE_MAX_PARTS 64u

/*
 * Merges parts[0..n) (analyzed models, taken over: destroyed on failure)
 * into *ret. paths[i] is part i's core path as given (kept in procs for
 * reports). root_pid names the root process, or 0: the first part whose
 * parent is not among the parts. Fails with HS_ERR_FORMAT when tids
 * repeat across parts, HS_ERR_INVALID when n is 0 or above TREE_MAX_PARTS, else only when
 * memory runs out.
 */
struct hs_error *tree_merge(struct model **parts, const char *const *paths, size_t n, int32_t root_pid,
			    struct model **ret);

/* The process (an entry of m->procs) that t belongs to, or NULL for a one-process model. */
const struct process_part *tree_process_of(const struct model *m, const struct thread *t);

#endif
