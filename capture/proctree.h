/*
 * The process table from /proc: who is whose parent, and which processes
 * are still alive. Enough to follow a process tree (a command and
 * everything under it) and to kill it; the watchdog does both.
 *
 * Everything here is racy by nature: processes come and go between reading
 * /proc and acting on a pid. A process that vanishes while the table is
 * read is left out, not an error.
 */
#ifndef HS_CAPTURE_PROCTREE_H
#define HS_CAPTURE_PROCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* SIGKILL rounds of proctree_kill(), PROCTREE_KILL_INTERVAL_MS apart. */
#define PROCTREE_KILL_ROUNDS 200
#define PROCTREE_KILL_INTERVAL_MS 10

struct proc_entry {
	pid_t pid, ppid;
	bool alive;			/* neither a zombie nor dead */
	uint64_t starttime;		/* clock ticks since boot (/proc/PID/stat field 22) */
};

/*
 * Reads the pid, ppid and state of every process in /proc into a new array
 * (*ret, the caller frees it). Fails with HS_ERR_OS when /proc cannot be
 * listed, HS_ERR_NOMEM.
 */
struct hs_error *proctree_read_table(struct proc_entry **ret, size_t *n_ret);

/*
 * A process tree: the live descendants of `parent` (in practice our own
 * pid, as a child subreaper, so orphans stay in the tree), found breadth
 * first, parents before their children.
 *
 * With first_only, the tree is `first` and its live descendants alone
 * (hangsnap --tree PID: parent is PID's parent, first is PID); the other
 * children of parent and exclude are ignored.
 */
struct proctree_query {
	pid_t parent;
	pid_t first;		/* a child of parent listed first (when alive), or 0 */
	const pid_t *exclude;	/* children of parent that are not part of the tree */
	size_t nexclude;
	size_t cap;		/* list at most this many */
	bool first_only;	/* only first's subtree, not parent's other children */
};

/*
 * Lists the tree q describes into a new array (*ret, the caller frees it):
 * q->first first, then the others; never q->parent itself. *more_ret is set
 * when there were more than q->cap. Fails as proctree_read_table().
 */
struct hs_error *proctree_list(const struct proctree_query *q, pid_t **ret, size_t *n_ret, bool *more_ret);

/*
 * As proctree_list(), with each process's table entry (ppid, start time)
 * rather than its pid alone: every entry's ppid is q->parent or the pid of
 * an earlier entry, as the table had it.
 */
struct hs_error *proctree_list_entries(const struct proctree_query *q, struct proc_entry **ret, size_t *n_ret,
				       bool *more_ret);

/*
 * SIGKILLs the tree q describes until nothing is left of it, listing it
 * again every PROCTREE_KILL_INTERVAL_MS and calling reap(arg) after each
 * round's signals (the caller waits for its own children there; reap may be
 * NULL). Processes in uninterruptible sleep die only when they wake, so it
 * gives up after PROCTREE_KILL_ROUNDS rounds.
 *
 * *killed_ret is the number of processes found in the first round;
 * *all_gone_ret is false when some survived. When the tree cannot be listed
 * it SIGKILLs q->first alone and returns the error (*all_gone_ret false).
 */
struct hs_error *proctree_kill(const struct proctree_query *q, void (*reap)(void *arg), void *arg,
			       size_t *killed_ret, bool *all_gone_ret);

#endif
