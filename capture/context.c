#include "capture/context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capture/proc.h"
#include "common/util.h"
#include "formats/elf_buildid.h"

static char *xstrdup(const char *s, bool *nomem)
{
	char *p = strdup(s ? s : "");
	if (!p)
		*nomem = true;
	return p;
}

/* Reads a small /proc text file's first line; "" when unreadable. */
static char *read_line(const char *path, bool *nomem)
{
	char *buf = NULL;
	struct hs_error *err = hs_read_file(path, 4096, &buf, NULL, NULL);

	if (err) {
		hs_error_destroy(err);
		return xstrdup("", nomem);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static struct hs_error *sample_thread(pid_t pid, struct hs_thread_info *t, int slot)
{
	struct proc_stat st;
	struct hs_error *err;

	if ((err = proc_read_stat(pid, t->tid, &st)))
		return err;
	t->utime[slot] = st.utime;
	t->stime[slot] = st.stime;
	t->state = st.state;
	return proc_read_ctxt_switches(pid, t->tid, &t->vcsw[slot], &t->nvcsw[slot]);
}

struct hs_error *context_sample_first(pid_t pid, struct hangsnap_context *ctx)
{
	pid_t *tids;
	size_t n;
	struct hs_error *err;
	bool nomem = false;

	if ((err = proc_list_tasks(pid, CONTEXT_MAX_THREADS, &tids, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		struct proc_stat st;
		struct hs_thread_info *t;

		if ((err = proc_read_stat(pid, tids[i], &st))) {
			/* a thread that exited between the listing and now */
			hs_error_destroy(err);
			continue;
		}
		t = VEC_PUSH(&ctx->threads);
		if (!t) {
			free(tids);
			return &hs_error_nomem;
		}
		t->tid = tids[i];
		t->syscall_nr = HS_SYSCALL_UNKNOWN;
		t->comm = xstrdup(st.comm, &nomem);
		if ((err = sample_thread(pid, t, 0)))
			hs_error_destroy(err);
	}
	free(tids);
	if (nomem)
		return &hs_error_nomem;
	if (ctx->threads.len == 0)
		return hs_error_create(HS_ERR_NO_PROCESS, "process %d has no threads left", (int)pid);
	return NULL;
}

static void refresh_thread_syscall(pid_t pid, struct hs_thread_info *t, bool *nomem)
{
	char path[96];

	free(t->syscall_line);
	free(t->wchan);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)t->tid);
	t->syscall_line = read_line(path, nomem);
	if (!t->syscall_line ||
	    !proc_parse_syscall(t->syscall_line, &t->syscall_nr, t->syscall_args, &t->syscall_sp, &t->syscall_pc))
		t->syscall_nr = HS_SYSCALL_UNKNOWN;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)pid, (int)t->tid);
	t->wchan = read_line(path, nomem);
	if (t->wchan && strcmp(t->wchan, "0") == 0)
		t->wchan[0] = '\0';
}

void context_refresh_syscalls(pid_t pid, struct hangsnap_context *ctx)
{
	bool nomem = false;

	for (size_t i = 0; i < ctx->threads.len; i++) {
		struct hs_thread_info *t = &ctx->threads.items[i];
		struct proc_stat st;
		struct hs_error *err = proc_read_stat(pid, t->tid, &st);

		if (err) {
			hs_error_destroy(err);
			continue;
		}
		t->state = st.state;
		refresh_thread_syscall(pid, t, &nomem);
	}
}

static struct hs_error *second_sample(pid_t pid, uint64_t sample_ns, struct hangsnap_context *ctx)
{
	pid_t *tids;
	size_t n;
	struct hs_error *err;
	bool nomem = false;

	if ((err = proc_list_tasks(pid, CONTEXT_MAX_THREADS, &tids, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		if (!hangsnap_context_thread(ctx, tids[i])) {
			struct proc_stat st;
			struct hs_thread_info *t;

			if ((err = proc_read_stat(pid, tids[i], &st))) {
				hs_error_destroy(err);
				continue;
			}
			if (!(t = VEC_PUSH(&ctx->threads))) {
				free(tids);
				return &hs_error_nomem;
			}
			t->tid = tids[i];
			t->syscall_nr = HS_SYSCALL_UNKNOWN;
			t->comm = xstrdup(st.comm, &nomem);
			if ((err = sample_thread(pid, t, 0)))
				hs_error_destroy(err);
		}
	}
	free(tids);
	for (size_t i = 0; i < ctx->threads.len; i++) {
		struct hs_thread_info *t = &ctx->threads.items[i];

		t->sample_ns = sample_ns;
		if ((err = sample_thread(pid, t, 1))) {
			if (err->kind == HS_ERR_NO_PROCESS) {
				t->flags |= HS_THREAD_EXITED;
				t->utime[1] = t->utime[0];
				t->stime[1] = t->stime[0];
				t->vcsw[1] = t->vcsw[0];
				t->nvcsw[1] = t->nvcsw[0];
			}
			hs_error_destroy(err);
			continue;
		}
		refresh_thread_syscall(pid, t, &nomem);
	}
	return nomem ? &hs_error_nomem : NULL;
}

static struct hs_error *collect_identity(pid_t pid, struct hangsnap_context *ctx)
{
	struct hs_process_info *p = &ctx->process;
	struct proc_stat st;
	struct hs_error *err;
	char path[64], buf[PATH_MAX];
	struct utsname uts;
	bool nomem = false;
	ssize_t n;

	if ((err = proc_read_stat(pid, 0, &st)))
		return err;
	p->pid = pid;
	p->ppid = st.ppid;
	p->comm = xstrdup(st.comm, &nomem);
	p->start_boot_ns = st.starttime * (1000000000ull / (uint64_t)proc_clock_ticks());
	{
		/* btime in /proc/stat turns the boot-relative start into wall-clock time */
		char *stat = NULL, *bt;
		if (!(err = hs_read_file("/proc/stat", 1 << 20, &stat, NULL, NULL))) {
			if ((bt = strstr(stat, "\nbtime ")))
				p->start_real_ns = strtoull(bt + 7, NULL, 10) * 1000000000ull + p->start_boot_ns;
			free(stat);
		}
		hs_error_destroy(err);
	}
	if ((err = proc_read_ids(pid, &p->uid, &p->gid)))
		hs_error_destroy(err);

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	p->exe = xstrdup(buf, &nomem);
	{
		char *hex = NULL;
		struct hs_error *e = elf_build_id_hex_path(path, &hex);
		if (e) {
			hs_error_destroy(e);
			p->build_id = xstrdup("", &nomem);
		} else {
			p->build_id = hex;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((err = hs_read_file(path, HS_NOTE_STR_MAX, &p->cmdline, &p->cmdline_len, NULL))) {
		hs_error_destroy(err);
		p->cmdline = xstrdup("", &nomem);
		p->cmdline_len = 0;
	}
	/* drop the trailing NUL that ends the last argument */
	while (p->cmdline_len > 0 && p->cmdline[p->cmdline_len - 1] == '\0')
		p->cmdline_len--;
	p->host = xstrdup(uname(&uts) == 0 ? uts.nodename : "", &nomem);
	p->boot_id = read_line("/proc/sys/kernel/random/boot_id", &nomem);
	return nomem ? &hs_error_nomem : NULL;
}

/* descriptors */

static uint32_t fd_kind_of(const char *target, mode_t mode, bool have_mode)
{
	if (strncmp(target, "socket:", 7) == 0)
		return HS_FD_SOCKET;
	if (strncmp(target, "pipe:", 5) == 0)
		return HS_FD_PIPE;
	if (strncmp(target, "anon_inode:", 11) == 0)
		return HS_FD_ANON;
	if (!have_mode)
		return HS_FD_OTHER;
	if (S_ISFIFO(mode))
		return HS_FD_FIFO;
	if (S_ISDIR(mode))
		return HS_FD_DIR;
	if (S_ISCHR(mode))
		return HS_FD_CHAR;
	if (S_ISBLK(mode))
		return HS_FD_BLOCK;
	if (S_ISREG(mode))
		return HS_FD_FILE;
	return HS_FD_OTHER;
}

void context_parse_fdinfo(char *buf, struct hs_fd_info *fd, bool *nomem)
{
	char *line, *save = NULL;
	struct strbuf extra;

	strbuf_init(&extra);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "pos:", 4) == 0)
			fd->pos = strtoull(line + 4, NULL, 10);
		else if (strncmp(line, "flags:", 6) == 0)
			fd->flags = (uint32_t)strtoul(line + 6, NULL, 8);
		else if (strncmp(line, "mnt_id:", 7) == 0)
			fd->mnt_id = (uint32_t)strtoul(line + 7, NULL, 10);
		else if (strncmp(line, "ino:", 4) == 0)
			continue;
		else if (extra.len + strlen(line) + 1 < HS_NOTE_STR_MAX) {
			/* epoll "tfd:" lines, "eventfd-count:", inotify watches, lock rows... */
			if (!strbuf_append(&extra, line, strlen(line)) || !strbuf_append(&extra, "\n", 1))
				*nomem = true;
		}
	}
	fd->extra = extra.buf ? strbuf_detach(&extra, NULL) : xstrdup("", nomem);
}

static void parse_fdinfo(int dirfd, const char *name, struct hs_fd_info *fd, bool *nomem)
{
	char *buf = NULL;
	struct hs_error *err;

	err = hs_read_file_at(dirfd, name, 64 * 1024, &buf, NULL, NULL);
	if (err) {
		hs_error_destroy(err);
		fd->extra = xstrdup("", nomem);
		return;
	}
	context_parse_fdinfo(buf, fd, nomem);
	free(buf);
}

static struct hs_error *collect_fds(pid_t pid, struct hangsnap_context *ctx)
{
	char path[64];
	int fddir, infodir;
	DIR *dir;
	struct dirent *de;
	bool nomem = false;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	fddir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0)
		return hs_error_errno(errno, "cannot open '%s'", path);
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	infodir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fdopendir(dup(fddir));
	if (!dir) {
		int e = errno;
		close(fddir);
		if (infodir >= 0)
			close(infodir);
		return hs_error_errno(e, "cannot list '/proc/%d/fd'", (int)pid);
	}
	while ((de = readdir(dir)) && ctx->fds.len < CONTEXT_MAX_FDS) {
		char *end, target[PATH_MAX];
		long fdnum = strtol(de->d_name, &end, 10);
		struct hs_fd_info *fd;
		struct stat st;
		bool have_mode;
		ssize_t n;

		if (*end || fdnum < 0)
			continue;
		n = readlinkat(fddir, de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;	/* closed meanwhile */
		target[n] = '\0';
		have_mode = fstatat(fddir, de->d_name, &st, 0) == 0;
		if (!(fd = VEC_PUSH(&ctx->fds))) {
			nomem = true;
			break;
		}
		fd->fd = (int32_t)fdnum;
		fd->target = xstrdup(target, &nomem);
		fd->kind = fd_kind_of(target, have_mode ? st.st_mode : 0, have_mode);
		fd->inode = have_mode ? (uint64_t)st.st_ino : 0;
		if (!have_mode) {
			/* "socket:[123]" style links carry the inode when stat fails */
			const char *lb = strchr(target, '[');
			if (lb)
				fd->inode = strtoull(lb + 1, NULL, 10);
		}
		if (infodir >= 0)
			parse_fdinfo(infodir, de->d_name, fd, &nomem);
		else
			fd->extra = xstrdup("", &nomem);
	}
	closedir(dir);
	close(fddir);
	if (infodir >= 0)
		close(infodir);
	return nomem ? &hs_error_nomem : NULL;
}

static bool fd_inode_kind(const struct hangsnap_context *ctx, uint64_t inode, uint32_t kind)
{
	for (size_t i = 0; i < ctx->fds.len; i++)
		if (ctx->fds.items[i].inode == inode && ctx->fds.items[i].kind == kind)
			return true;
	return false;
}

/* sockets */

static void parse_hex_addr(const char *hex, size_t hexlen, uint8_t out[16])
{
	/* /proc/net prints each 32-bit word of the address as the host-order value of its bytes */
	memset(out, 0, 16);
	for (size_t w = 0; w < hexlen / 8 && w < 4; w++) {
		char word[9];
		uint32_t v;

		memcpy(word, hex + w * 8, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, NULL, 16);
		memcpy(out + w * 4, &v, 4);
	}
}

bool context_parse_inet_row(const char *line, struct hs_socket_info *ret)
{
	char local[40], remote[40];
	unsigned lport, rport, st, tr, retr, uid;
	unsigned long txq, rxq, when;
	unsigned long long inode;

	memset(ret, 0, sizeof(*ret));
	if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %lx:%lx %x:%lx %x %u %*d %llu", local, &lport,
		   remote, &rport, &st, &txq, &rxq, &tr, &when, &retr, &uid, &inode) != 12)
		return false;
	ret->inode = inode;
	ret->state = (uint8_t)st;
	ret->timer = (uint8_t)tr;
	ret->local_port = (uint16_t)lport;
	ret->remote_port = (uint16_t)rport;
	parse_hex_addr(local, strlen(local), ret->local_addr);
	parse_hex_addr(remote, strlen(remote), ret->remote_addr);
	ret->tx_queue = (uint32_t)txq;
	ret->rx_queue = (uint32_t)rxq;
	ret->retransmits = retr;
	ret->uid = uid;
	ret->timer_ticks = when;
	return true;
}

static void collect_inet(pid_t pid, const char *file, uint16_t family, uint16_t proto,
			 struct hangsnap_context *ctx, bool *nomem)
{
	char path[64], line[512];
	FILE *f;
	unsigned long lines = 0;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, file);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f) && lines++ < 4000000) {
		struct hs_socket_info row, *s;

		if (!context_parse_inet_row(line, &row))
			continue;
		if (!row.inode || !fd_inode_kind(ctx, row.inode, HS_FD_SOCKET))
			continue;
		if (!(s = VEC_PUSH(&ctx->sockets))) {
			*nomem = true;
			break;
		}
		*s = row;
		s->family = family;
		s->protocol = proto;
		s->path = xstrdup("", nomem);
	}
	fclose(f);
}

bool context_parse_unix_row(const char *line, struct hs_socket_info *ret, const char **path_ret)
{
	unsigned long long inode;
	unsigned type, st;
	int consumed = 0;
	const char *sockpath;

	memset(ret, 0, sizeof(*ret));
	if (sscanf(line, "%*x: %*x %*x %*x %x %x %llu%n", &type, &st, &inode, &consumed) != 3)
		return false;
	sockpath = line + consumed;
	while (*sockpath == ' ')
		sockpath++;
	ret->inode = inode;
	ret->family = AF_UNIX;
	ret->protocol = (uint16_t)type;	/* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	ret->state = (uint8_t)st;
	*path_ret = sockpath;
	return true;
}

static void collect_unix(pid_t pid, struct hangsnap_context *ctx, bool *nomem)
{
	char path[64], line[PATH_MAX + 128];
	FILE *f;
	unsigned long lines = 0;

	snprintf(path, sizeof(path), "/proc/%d/net/unix", (int)pid);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f) && lines++ < 4000000) {
		struct hs_socket_info row, *s;
		const char *sockpath;

		if (!context_parse_unix_row(line, &row, &sockpath))
			continue;
		if (!fd_inode_kind(ctx, row.inode, HS_FD_SOCKET))
			continue;
		if (!(s = VEC_PUSH(&ctx->sockets))) {
			*nomem = true;
			break;
		}
		*s = row;
		s->path = xstrdup(sockpath, nomem);
		if (s->path)
			s->path[strcspn(s->path, "\n")] = '\0';
	}
	fclose(f);
}

static void collect_sockets(pid_t pid, struct hangsnap_context *ctx, bool *nomem)
{
	bool any = false;

	for (size_t i = 0; i < ctx->fds.len; i++)
		any |= ctx->fds.items[i].kind == HS_FD_SOCKET;
	if (!any)
		return;
	collect_inet(pid, "tcp", AF_INET, IPPROTO_TCP, ctx, nomem);
	collect_inet(pid, "tcp6", AF_INET6, IPPROTO_TCP, ctx, nomem);
	collect_inet(pid, "udp", AF_INET, IPPROTO_UDP, ctx, nomem);
	collect_inet(pid, "udp6", AF_INET6, IPPROTO_UDP, ctx, nomem);
	collect_unix(pid, ctx, nomem);
}

/* pipes */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/*
 * Fill level and capacity through a duplicate of the target's own descriptor
 * (pidfd_getfd): unlike opening /proc/PID/fd/N it adds no reader or writer to
 * the pipe, so it cannot wake anybody blocked in open() on a FIFO.
 */
static void pipe_fill(int pidfd, int targetfd, struct hs_pipe_info *p)
{
	int fd, queued, size;

	p->queued = p->capacity = HS_PIPE_UNKNOWN;
	if (pidfd < 0)
		return;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, targetfd, 0);
	if (fd < 0)
		return;
	if (ioctl(fd, FIONREAD, &queued) == 0 && queued >= 0)
		p->queued = (uint32_t)queued;
	if ((size = fcntl(fd, F_GETPIPE_SZ)) > 0)
		p->capacity = (uint32_t)size;
	close(fd);
}

static struct hs_pipe_info *pipe_by_inode(struct hangsnap_context *ctx, uint64_t inode)
{
	for (size_t i = 0; i < ctx->pipes.len; i++)
		if (ctx->pipes.items[i].inode == inode)
			return &ctx->pipes.items[i];
	return NULL;
}

static uint8_t fd_mode(int infodir, const char *name)
{
	char *buf = NULL, *f;
	uint8_t mode = 'u';
	struct hs_error *err = hs_read_file_at(infodir, name, 4096, &buf, NULL, NULL);

	if (err) {
		hs_error_destroy(err);
		return mode;
	}
	if ((f = strstr(buf, "flags:"))) {
		unsigned long flags = strtoul(f + 6, NULL, 8);
		mode = (flags & O_ACCMODE) == O_RDONLY ? 'r' : (flags & O_ACCMODE) == O_WRONLY ? 'w' : 'u';
	}
	free(buf);
	return mode;
}

/* Finds every process that holds one of our pipes: one pass over all of /proc. */
static void scan_pipe_holders(struct hangsnap_context *ctx)
{
	DIR *procdir = opendir("/proc");
	struct dirent *pde;
	unsigned long scanned = 0;

	if (!procdir)
		return;
	while ((pde = readdir(procdir)) && scanned < 2000000) {
		char path[64], *end;
		long pid = strtol(pde->d_name, &end, 10);
		int fddir, infodir;
		DIR *dir;
		struct dirent *de;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		if ((fddir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fdinfo", pid);
		infodir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (!(dir = fdopendir(fddir))) {
			close(fddir);
			if (infodir >= 0)
				close(infodir);
			continue;
		}
		while ((de = readdir(dir)) && scanned++ < 2000000) {
			char target[PATH_MAX];
			struct hs_pipe_info *p;
			struct stat st;
			uint64_t inode = 0;
			ssize_t n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);

			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strncmp(target, "pipe:[", 6) == 0)
				inode = strtoull(target + 6, NULL, 10);
			else if (target[0] == '/' && fstatat(dirfd(dir), de->d_name, &st, 0) == 0 && S_ISFIFO(st.st_mode))
				inode = st.st_ino;
			if (!inode || !(p = pipe_by_inode(ctx, inode)) || p->nholders >= HS_PIPE_MAX_HOLDERS)
				continue;
			p->holders[p->nholders].pid = (int32_t)pid;
			p->holders[p->nholders].fd = atoi(de->d_name);
			p->holders[p->nholders].mode = infodir >= 0 ? fd_mode(infodir, de->d_name) : 'u';
			p->nholders++;
		}
		closedir(dir);
		if (infodir >= 0)
			close(infodir);
	}
	closedir(procdir);
}

static void collect_pipes(pid_t pid, struct hangsnap_context *ctx, bool *nomem)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (size_t i = 0; i < ctx->fds.len; i++) {
		const struct hs_fd_info *fd = &ctx->fds.items[i];
		struct hs_pipe_info *p;

		if (fd->kind != HS_FD_PIPE && fd->kind != HS_FD_FIFO)
			continue;
		if (pipe_by_inode(ctx, fd->inode))
			continue;
		if (!(p = VEC_PUSH(&ctx->pipes))) {
			*nomem = true;
			break;
		}
		p->inode = fd->inode;
		p->path = xstrdup(fd->kind == HS_FD_FIFO ? fd->target : "", nomem);
		pipe_fill(pidfd, fd->fd, p);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (ctx->pipes.len)
		scan_pipe_holders(ctx);
}

/* file locks */

static bool lock_row_relevant(const struct hangsnap_context *ctx, pid_t pid, int32_t row_pid, uint64_t inode)
{
	if (row_pid == pid)
		return true;
	for (size_t i = 0; i < ctx->fds.len; i++)
		if (ctx->fds.items[i].inode == inode && ctx->fds.items[i].kind == HS_FD_FILE)
			return true;
	return false;
}

static const char *path_of_inode(const struct hangsnap_context *ctx, uint64_t inode)
{
	for (size_t i = 0; i < ctx->fds.len; i++)
		if (ctx->fds.items[i].inode == inode && ctx->fds.items[i].kind == HS_FD_FILE)
			return ctx->fds.items[i].target;
	return "";
}

bool context_parse_lock_row(const char *line, struct hs_lock_info *row)
{
	char kind[16], adv[16], mode[16], start[32], end[32];
	unsigned id, maj, min;
	unsigned long long ino;
	int pidv, off = 0;

	memset(row, 0, sizeof(*row));
	if (sscanf(line, "%u: %n", &id, &off) != 1)
		return false;
	if (strncmp(line + off, "-> ", 3) == 0) {
		row->waiting = 1;
		off += 3;
	}
	if (sscanf(line + off, "%15s %15s %15s %d %x:%x:%llu %31s %31s", kind, adv, mode, &pidv, &maj, &min, &ino,
		   start, end) != 9)
		return false;
	row->id = id;
	row->kind = !strcmp(kind, "FLOCK")	? HS_LOCK_FLOCK
		    : !strcmp(kind, "POSIX")	? HS_LOCK_POSIX
		    : !strcmp(kind, "OFDLCK") ? HS_LOCK_OFD
		    : !strcmp(kind, "LEASE")	? HS_LOCK_LEASE
						: HS_LOCK_OTHER;
	row->mandatory = !strcmp(adv, "MANDATORY");
	row->mode = !strcmp(mode, "READ") ? HS_LOCK_READ : !strcmp(mode, "WRITE") ? HS_LOCK_WRITE : HS_LOCK_MODE_OTHER;
	row->pid = pidv;
	row->dev_major = maj;
	row->dev_minor = min;
	row->inode = ino;
	row->start = strtoull(start, NULL, 10);
	row->end = !strcmp(end, "EOF") ? HS_LOCK_EOF : strtoull(end, NULL, 10);
	return true;
}

/*
 * /proc/locks rows look like
 *   "12: POSIX  ADVISORY  WRITE 4711 08:01:393219 0 EOF"
 *   "12: -> FLOCK  ADVISORY  WRITE 4712 08:01:393219 0 EOF"
 * A "->" row is a waiter blocked on the lock of the same ordinal. Keep every
 * row on an inode that one of the process's rows or descriptors touches, so
 * the holder of a lock we wait for is recorded too.
 */
static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void collect_locks(pid_t pid, struct hangsnap_context *ctx, bool *nomem)
{
	char *buf = NULL, *line, *save = NULL;
	struct hs_error *err = hs_read_file("/proc/locks", 8u << 20, &buf, NULL, NULL);
	VEC(uint64_t) inodes = VEC_INIT;
	struct hs_lock_info row;

	if (err) {
		hs_error_destroy(err);
		return;
	}
	/* pass 1: inodes with a row of ours */
	for (int pass = 0; pass < 2; pass++) {
		char *copy = strdup(buf);
		if (!copy) {
			*nomem = true;
			break;
		}
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!context_parse_lock_row(line, &row))
				continue;
			if (pass == 0) {
				uint64_t *slot;
				if (lock_row_relevant(ctx, pid, row.pid, row.inode) && (slot = VEC_PUSH(&inodes)))
					*slot = row.inode;
				continue;
			}
			if (!inodes.len ||	/* (and then items may be NULL, which bsearch must not get) */
			    !bsearch(&row.inode, inodes.items, inodes.len, sizeof(*inodes.items), compare_u64) ||
			    ctx->locks.len >= CONTEXT_MAX_LOCK_ROWS)
				continue;
			struct hs_lock_info *l = VEC_PUSH(&ctx->locks);
			if (!l) {
				*nomem = true;
				break;
			}
			*l = row;
			l->path = xstrdup(path_of_inode(ctx, row.inode), nomem);
		}
		free(copy);
		/* sorted, so that pass 2 is not rows x rows on a machine with many locks */
		if (pass == 0 && inodes.len)
			qsort(inodes.items, inodes.len, sizeof(*inodes.items), compare_u64);
	}
	VEC_DEINIT(&inodes);
	free(buf);
}

/* children */

static void collect_children(pid_t pid, struct hangsnap_context *ctx, bool *nomem)
{
	DIR *procdir = opendir("/proc");
	struct dirent *de;

	if (!procdir)
		return;
	while ((de = readdir(procdir)) && ctx->children.len < CONTEXT_MAX_CHILDREN) {
		char *end, path[64];
		long cpid = strtol(de->d_name, &end, 10);
		struct proc_stat st;
		struct hs_child_info *c;
		struct hs_error *err;

		if (*end || cpid <= 0 || cpid == pid)
			continue;
		if ((err = proc_read_stat((pid_t)cpid, 0, &st))) {
			hs_error_destroy(err);
			continue;
		}
		if (st.ppid != pid)
			continue;
		if (!(c = VEC_PUSH(&ctx->children))) {
			*nomem = true;
			break;
		}
		c->pid = (int32_t)cpid;
		c->state = st.state;
		c->nthreads = (uint32_t)st.num_threads;
		c->comm = xstrdup(st.comm, nomem);
		snprintf(path, sizeof(path), "/proc/%ld/syscall", cpid);
		c->syscall_line = read_line(path, nomem);
		{
			uint64_t args[6], sp, pc;
			if (!c->syscall_line || !proc_parse_syscall(c->syscall_line, &c->syscall_nr, args, &sp, &pc))
				c->syscall_nr = HS_SYSCALL_UNKNOWN;
		}
		snprintf(path, sizeof(path), "/proc/%ld/wchan", cpid);
		c->wchan = read_line(path, nomem);
		if (c->wchan && strcmp(c->wchan, "0") == 0)
			c->wchan[0] = '\0';
	}
	closedir(procdir);
}

struct hs_error *context_collect(pid_t pid, uint64_t sample_ns, struct hangsnap_context *ctx)
{
	struct hs_error *err;
	bool nomem = false;

	if ((err = second_sample(pid, sample_ns, ctx)))
		return err;
	if ((err = collect_identity(pid, ctx)))
		return err;
	if ((err = collect_fds(pid, ctx))) {
		/* a process can be analyzed without its descriptors; keep going */
		if (err == &hs_error_nomem)
			return err;
		hs_error_destroy(err);
	}
	collect_sockets(pid, ctx, &nomem);
	collect_pipes(pid, ctx, &nomem);
	collect_locks(pid, ctx, &nomem);
	collect_children(pid, ctx, &nomem);
	ctx->process.nthreads = (uint32_t)ctx->threads.len;
	return nomem ? &hs_error_nomem : NULL;
}
