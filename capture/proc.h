/*
 * Parsers for the /proc files hangsnap reads. Every read is capped; a
 * vanished process or thread shows up as an HS_ERR_NO_PROCESS error.
 */
#ifndef HS_CAPTURE_PROC_H
#define HS_CAPTURE_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* The fields of /proc/PID/stat (or /proc/PID/task/TID/stat) we use. */
struct proc_stat {
	char comm[64];		/* may hold any bytes but NUL, from the target */
	char state;
	pid_t ppid;
	pid_t pgrp;
	pid_t session;
	uint64_t utime, stime;	/* clock ticks */
	unsigned long flags;	/* the kernel's PF_* flags */
	long nice;
	long num_threads;
	uint64_t starttime;	/* clock ticks since boot */
};

/*
 * Has the process of st exited (a zombie, or dead)? A leader that exited
 * before its threads shows 'Z' while they still run: that one has not.
 */
static inline bool proc_stat_gone(const struct proc_stat *st)
{
	return (st->state == 'Z' && st->num_threads <= 1) || st->state == 'X';
}

/* Reads /proc/PID/stat (tid <= 0) or /proc/PID/task/TID/stat. */
struct hs_error *proc_read_stat(pid_t pid, pid_t tid, struct proc_stat *ret);

/* Parses a stat line already in memory (exported for tests). */
bool proc_parse_stat(const char *line, struct proc_stat *ret);

/* Reads voluntary/nonvoluntary context switches from .../status. */
struct hs_error *proc_read_ctxt_switches(pid_t pid, pid_t tid, uint64_t *vcsw_ret, uint64_t *nvcsw_ret);

/* Reads "Uid:"/"Gid:" (real ids) from /proc/PID/status. */
struct hs_error *proc_read_ids(pid_t pid, uint32_t *uid_ret, uint32_t *gid_ret);

/*
 * Lists the thread ids in /proc/PID/task into a new array (*tids_ret, caller
 * frees), at most cap of them. Fails with HS_ERR_LIMIT when there are more.
 */
struct hs_error *proc_list_tasks(pid_t pid, size_t cap, pid_t **tids_ret, size_t *n_ret);

/*
 * Parses a /proc/TID/syscall line: "running", "-1 SP PC", or
 * "NR ARG0..ARG5 SP PC". Returns false for anything else.
 */
bool proc_parse_syscall(const char *line, int64_t *nr_ret, uint64_t args_ret[6], uint64_t *sp_ret,
			uint64_t *pc_ret);

/* Clock ticks per second (sysconf(_SC_CLK_TCK)). */
long proc_clock_ticks(void);

#endif
