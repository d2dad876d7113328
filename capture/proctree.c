/* The process table from /proc (see capture/proctree.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "capture/proc.h"
#include "capture/proctree.h"
#include "common/vec.h"

/* A /proc entry named by a pid: digits only, 1 to INT_MAX. */
static bool parse_pid(const char *s, pid_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > INT_MAX)
		return false;
	*ret = (pid_t)v;
	return true;
}

struct hs_error *proctree_read_table(struct proc_entry **ret, size_t *n_ret)
{
	VEC(struct proc_entry) table = VEC_INIT;
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return hs_error_errno(errno, "cannot open '/proc'");
	while ((de = readdir(dir))) {
		struct proc_stat st;
		struct proc_entry *e;
		struct hs_error *err;
		pid_t pid;

		if (!parse_pid(de->d_name, &pid))
			continue;
		if ((err = proc_read_stat(pid, 0, &st))) {
			hs_error_destroy(err);	/* gone meanwhile */
			continue;
		}
		if (!(e = VEC_PUSH(&table))) {
			closedir(dir);
			VEC_DEINIT(&table);
			return &hs_error_nomem;
		}
		e->pid = pid;
		e->ppid = st.ppid;
		e->alive = !proc_stat_gone(&st);
		e->starttime = st.starttime;
	}
	closedir(dir);
	*ret = table.items;
	*n_ret = table.len;
	return NULL;
}

static bool is_excluded(const struct proctree_query *q, pid_t pid)
{
	for (size_t i = 0; i < q->nexclude; i++)
		if (q->exclude[i] == pid)
			return true;
	return false;
}

struct hs_error *proctree_list_entries(const struct proctree_query *q, struct proc_entry **ret, size_t *n_ret,
				       bool *more_ret)
{
	struct proc_entry *table, *tree;
	size_t ntable, n = 0;
	struct hs_error *err;

	*more_ret = false;
	if ((err = proctree_read_table(&table, &ntable)))
		return err;
	if (!(tree = malloc((q->cap ? q->cap : 1) * sizeof(*tree)))) {
		free(table);
		return &hs_error_nomem;
	}
	for (size_t i = 0; i < ntable && q->first > 0 && q->cap; i++)
		if (table[i].pid == q->first && table[i].alive && table[i].ppid == q->parent) {
			tree[n++] = table[i];
			break;
		}
	/* breadth first from parent (or, first_only, from first); first is already in and is skipped */
	for (size_t head = q->first_only ? 1 : 0;; head++) {
		pid_t parent = head == 0 ? q->parent : tree[head - 1].pid;

		if (head > n)
			break;
		for (size_t i = 0; i < ntable; i++) {
			const struct proc_entry *e = &table[i];

			if (e->ppid != parent || !e->alive || e->pid == q->first || e->pid == q->parent)
				continue;
			if (parent == q->parent && is_excluded(q, e->pid))
				continue;
			if (n == q->cap) {
				*more_ret = true;
				break;
			}
			tree[n++] = *e;
		}
	}
	free(table);
	*ret = tree;
	*n_ret = n;
	return NULL;
}

struct hs_error *proctree_list(const struct proctree_query *q, pid_t **ret, size_t *n_ret, bool *more_ret)
{
	struct proc_entry *entries;
	struct hs_error *err;
	pid_t *tree;
	size_t n;

	if ((err = proctree_list_entries(q, &entries, &n, more_ret)))
		return err;
	if (!(tree = malloc((n ? n : 1) * sizeof(*tree)))) {
		free(entries);
		return &hs_error_nomem;
	}
	for (size_t i = 0; i < n; i++)
		tree[i] = entries[i].pid;
	free(entries);
	*ret = tree;
	*n_ret = n;
	return NULL;
}

struct hs_error *proctree_kill(const struct proctree_query *q, void (*reap)(void *arg), void *arg,
			       size_t *killed_ret, bool *all_gone_ret)
{
	*killed_ret = 0;
	*all_gone_ret = false;
	for (unsigned round = 0; round < PROCTREE_KILL_ROUNDS; round++) {
		struct hs_error *err;
		pid_t *tree;
		size_t n;
		bool more;

		if ((err = proctree_list(q, &tree, &n, &more))) {
			if (q->first > 0)
				kill(q->first, SIGKILL);
			return err;
		}
		for (size_t i = 0; i < n; i++)
			kill(tree[i], SIGKILL);
		free(tree);
		if (round == 0)
			*killed_ret = n;
		if (reap)
			reap(arg);
		if (n == 0) {
			*all_gone_ret = true;
			return NULL;
		}
		nanosleep(&(struct timespec){ 0, PROCTREE_KILL_INTERVAL_MS * 1000000L }, NULL);
	}
	return NULL;
}
