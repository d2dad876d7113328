#include "capture/proc.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static void task_path(char *buf, size_t size, pid_t pid, pid_t tid, const char *file)
{
	if (tid > 0)
		snprintf(buf, size, "/proc/%d/task/%d/%s", (int)pid, (int)tid, file);
	else
		snprintf(buf, size, "/proc/%d/%s", (int)pid, file);
}

static struct hs_error *read_proc(const char *path, size_t cap, char **buf_ret)
{
	struct hs_error *err = hs_read_file(path, cap, buf_ret, NULL, NULL);

	if (err && err->kind == HS_ERR_OS && (err->errnum == ENOENT || err->errnum == ESRCH))
		err->kind = HS_ERR_NO_PROCESS;
	return err;
}

bool proc_parse_stat(const char *line, struct proc_stat *st)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	unsigned long long f[20];
	size_t n;
	int nf;

	memset(st, 0, sizeof(*st));
	if (!open || !close || close < open)
		return false;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = '\0';
	/*
	 * After the comm: state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime (fields 3..22 of proc(5)).
	 */
	nf = sscanf(close + 1,
		    " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		    &st->state, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10],
		    &f[11], &f[12], &f[13], &f[14], &f[15], &f[16], &f[17], &f[18]);
	if (nf < 20)
		return false;
	st->ppid = (pid_t)f[0];
	st->pgrp = (pid_t)f[1];
	st->session = (pid_t)f[2];
	st->flags = (unsigned long)f[5];
	st->utime = f[10];
	st->stime = f[11];
	st->nice = (long)(long long)f[15];
	st->num_threads = (long)f[16];
	st->starttime = f[18];
	return true;
}

struct hs_error *proc_read_stat(pid_t pid, pid_t tid, struct proc_stat *ret)
{
	char path[64], *buf;
	struct hs_error *err;
	bool ok;

	task_path(path, sizeof(path), pid, tid, "stat");
	if ((err = read_proc(path, 4096, &buf)))
		return err;
	ok = proc_parse_stat(buf, ret);
	free(buf);
	if (!ok)
		return hs_error_create(HS_ERR_FORMAT, "cannot parse '%s'", path);
	return NULL;
}

static bool status_field(const char *buf, const char *key, const char **value_ret)
{
	size_t klen = strlen(key);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0) {
			*value_ret = p + klen;
			return true;
		}
	}
	return false;
}

struct hs_error *proc_read_ctxt_switches(pid_t pid, pid_t tid, uint64_t *vcsw_ret, uint64_t *nvcsw_ret)
{
	char path[64], *buf;
	const char *v;
	struct hs_error *err;

	task_path(path, sizeof(path), pid, tid, "status");
	if ((err = read_proc(path, 16384, &buf)))
		return err;
	*vcsw_ret = status_field(buf, "voluntary_ctxt_switches:", &v) ? strtoull(v, NULL, 10) : 0;
	*nvcsw_ret = status_field(buf, "nonvoluntary_ctxt_switches:", &v) ? strtoull(v, NULL, 10) : 0;
	free(buf);
	return NULL;
}

struct hs_error *proc_read_ids(pid_t pid, uint32_t *uid_ret, uint32_t *gid_ret)
{
	char path[64], *buf;
	const char *v;
	struct hs_error *err;

	task_path(path, sizeof(path), pid, 0, "status");
	if ((err = read_proc(path, 16384, &buf)))
		return err;
	*uid_ret = status_field(buf, "Uid:", &v) ? (uint32_t)strtoul(v, NULL, 10) : 0;
	*gid_ret = status_field(buf, "Gid:", &v) ? (uint32_t)strtoul(v, NULL, 10) : 0;
	free(buf);
	return NULL;
}

struct hs_error *proc_list_tasks(pid_t pid, size_t cap, pid_t **tids_ret, size_t *n_ret)
{
	char path[64];
	struct dirent *de;
	pid_t *tids = NULL, *p;
	size_t n = 0, size = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir) {
		int e = errno;
		return hs_error_errno_kind(e == ENOENT ? HS_ERR_NO_PROCESS : HS_ERR_OS, e,
					   "cannot list '%s'", path);
	}
	while ((de = readdir(dir))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || tid <= 0)
			continue;
		if (n == cap) {
			closedir(dir);
			free(tids);
			return hs_error_create(HS_ERR_LIMIT, "process %d has more than %zu threads", (int)pid, cap);
		}
		if (n == size) {
			size = size ? size * 2 : 64;
			p = realloc(tids, size * sizeof(*tids));
			if (!p) {
				closedir(dir);
				free(tids);
				return &hs_error_nomem;
			}
			tids = p;
		}
		tids[n++] = (pid_t)tid;
	}
	closedir(dir);
	*tids_ret = tids;
	*n_ret = n;
	return NULL;
}

bool proc_parse_syscall(const char *line, int64_t *nr_ret, uint64_t args[6], uint64_t *sp_ret,
			uint64_t *pc_ret)
{
	long long nr;
	unsigned long long a[8];
	int n;

	memset(args, 0, 6 * sizeof(args[0]));
	*sp_ret = *pc_ret = 0;
	if (strncmp(line, "running", 7) == 0) {
		*nr_ret = -1;
		return true;
	}
	n = sscanf(line, "%lld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3],
		   &a[4], &a[5], &a[6], &a[7]);
	if (n == 3 && nr == -1) {
		*nr_ret = -1;
		*sp_ret = a[0];
		*pc_ret = a[1];
		return true;
	}
	if (n != 9 || nr < 0)
		return false;
	*nr_ret = nr;
	for (int i = 0; i < 6; i++)
		args[i] = a[i];
	*sp_ret = a[6];
	*pc_ret = a[7];
	return true;
}

long proc_clock_ticks(void)
{
	long t = sysconf(_SC_CLK_TCK);
	return t > 0 ? t : 100;
}
