/*
 * The wait-for graph as the HTML and DOT reports draw it: the model's
 * per-thread edges (waits_for / waits_on) folded into something a person can
 * read at 1000 threads.
 *
 * Nodes:
 *  - thread nodes: the threads of one group (identical stacks). A group
 *    whose threads wait on up to CASE_GRAPH_SPLIT different things is split
 *    into one node per thing (so two threads with the same stack that
 *    deadlock on each other are two nodes, not a self-loop); a group whose
 *    threads wait on more stays one node;
 *  - object nodes: what threads wait on that is not a thread — a lock with
 *    no live owner, a socket, a pipe, a file or file lock, a child process,
 *    a condition variable, a futex — one per object (same socket inode, same
 *    lock address... is one node). More than CASE_GRAPH_AGGREGATE objects of
 *    one kind waited on by one thread node alone are one node ("200 sockets").
 * Edges: one per distinct (from, to, wait kind), with the number of threads.
 *
 * A group is drawn in the graph when one of its threads is worth it: in a
 * finding, in a cycle, waiting on another thread or waited on, or in a wait
 * that can hang (report_wait_is_interesting). Past
 * CASE_GRAPH_MAX_THREAD_NODES thread nodes (or as many object nodes), those
 * in findings and cycles are kept first, then the biggest; the rest are
 * counted in omitted_*.
 *
 * The other groups — condvar waits, sleeps, accept(), idle pollers — are
 * idle nodes: one per group, no edges, drawn apart from the graph; past
 * CASE_GRAPH_MAX_IDLE_NODES, the biggest are kept and the rest is one
 * CASE_NODE_IDLE_MORE node.
 */
#ifndef HS_REPORTS_CASE_GRAPH_H
#define HS_REPORTS_CASE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer/model.h"
#include "common/error.h"
#include "common/vec.h"

#define CASE_GRAPH_SPLIT 8u
#define CASE_GRAPH_AGGREGATE 4u
#define CASE_GRAPH_MAX_THREAD_NODES 60u
#define CASE_GRAPH_MAX_OBJECT_NODES 60u
#define CASE_GRAPH_MAX_IDLE_NODES 24u

enum case_node_kind {
	CASE_NODE_THREADS,	/* threads of one group (or part of it) in the graph */
	CASE_NODE_OBJECT,	/* what threads wait on */
	CASE_NODE_IDLE,		/* an idle group: no edges */
	CASE_NODE_IDLE_MORE,	/* the idle groups past the limit, together */
};

struct case_node {
	enum case_node_kind kind;
	char id[32];		/* "g3" (a whole group), "g3.1" (part of a split group), "o2" (an object), "idle" */
	size_t group;		/* thread and idle nodes: the model group */
	size_t nthreads;	/* threads in it; objects: threads waiting on it */
	size_t ngroups;		/* CASE_NODE_IDLE_MORE: groups in it */
	size_t first_thread;	/* index of its first thread (objects: first waiter) in m->threads */
	const char *object_kind;	/* objects: "socket", "pipe", "file", "child", "lock", "condvar", "futex",
					   "thread" (not in the core), "fd", "fds", "wait"; NULL for thread nodes */
	size_t nobjects;	/* objects: > 1 when several were folded into this node */
	/* text from the core, not escaped: the renderer escapes it */
	char *label;		/* "3 threads: worker", "out_metrics 4723", "socket", "5 sockets" */
	char *detail;		/* second line: "output_thread · connect()", "tcp 127.0.0.1:8080 SYN_SENT" */
	char *title;		/* the whole story, for a tooltip */
	bool cycle;		/* a thread in it is in a wait cycle */
	bool root;		/* holds the root blocker of the top finding */
	bool finding;		/* a thread in it is named by a finding */
	/* its process, an index in m->procs: a thread node's threads' (one group is
	   one process), an object's when the thread nodes drawn with an edge to or
	   from it are all of one process; SIZE_MAX otherwise, and for every node
	   of a one-process model (m->procs.len < 2) */
	size_t proc;
};

struct case_edge {
	size_t from, to;	/* node indices */
	enum wait_kind kind;
	size_t count;		/* threads that wait this way */
	bool cycle;		/* part of a wait cycle */
	bool root;		/* the root blocker's own wait */
	char *title;		/* the first thread's wait, described (not escaped) */
};

struct case_graph {
	VEC(struct case_node) nodes;	/* thread nodes (core order), objects, then idle nodes */
	size_t nlaid_out;		/* nodes[0..nlaid_out) are the graph; the rest are idle nodes */
	VEC(struct case_edge) edges;	/* between nodes of the graph only */
	size_t *thread_node;		/* per thread of the model: its node, or SIZE_MAX when not drawn */
	size_t idle_threads, idle_groups;	/* in idle nodes */
	size_t omitted_threads;		/* not drawn: over the node budget */
	size_t omitted_nodes;
};

/* Builds the graph from m (fails only when memory runs out); deinit it even on failure. */
struct hs_error *case_graph_build(const struct model *m, struct case_graph *ret);
void case_graph_deinit(struct case_graph *g);

#endif
