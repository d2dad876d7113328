/*
 * The analysis sandbox: no_new_privs, Landlock (where offered), then a
 * seccomp BPF filter. See sandbox.h for the contract and the allowed calls.
 *
 * The order matters: no_new_privs first (both others need it unprivileged),
 * Landlock before seccomp (the filter does not allow the landlock_* calls).
 */
#include "common/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "common/util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(HS_SANITIZER_BUILD)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

/* ---- Landlock (the uapi header of an older distribution may lack it all) ---- */

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

struct hs_landlock_ruleset_attr {
	uint64_t handled_access_fs;
};

struct hs_landlock_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define HS_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define HS_LANDLOCK_RULE_PATH_BENEATH 1

#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
/* ABI 1 handles bits 0..12, ABI 2 adds REFER (13), ABI 3 TRUNCATE (14), ABI 5 IOCTL_DEV (15) */
static uint64_t landlock_handled(int abi)
{
	uint64_t all = (1ULL << 13) - 1;

	if (abi >= 2)
		all |= 1ULL << 13;
	if (abi >= 3)
		all |= 1ULL << 14;
	if (abi >= 5)
		all |= 1ULL << 15;
	return all;
}

static int landlock_allow(int ruleset, const char *path, uint64_t access)
{
	struct hs_landlock_path_beneath_attr rule = { .allowed_access = access };
	int rc;

	if ((rule.parent_fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return -errno;
	rc = syscall(__NR_landlock_add_rule, ruleset, HS_LANDLOCK_RULE_PATH_BENEATH, &rule, 0) ? -errno : 0;
	close(rule.parent_fd);
	return rc;
}

/* write_dir, or its nearest existing ancestor, into buf (PATH_MAX) */
static int existing_dir(const char *write_dir, char *buf)
{
	struct stat st;
	char *slash;

	if (strlen(write_dir) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(buf, *write_dir ? write_dir : ".");
	while (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (!(slash = strrchr(buf, '/')))
			return strcpy(buf, "."), 0;
		if (slash == buf)
			return strcpy(buf, "/"), 0;
		*slash = '\0';
	}
	return 0;
}

/* Read-only /, writable write_dir and cache_dir; 0 when in force, else a negative errno (-ENOSYS etc.: not offered). */
static int landlock_enter(const char *write_dir, const char *cache_dir, int *abi_ret)
{
	struct hs_landlock_ruleset_attr attr;
	char dir[PATH_MAX];
	int abi, ruleset, rc;

	*abi_ret = 0;
	abi = (int)syscall(__NR_landlock_create_ruleset, NULL, 0, HS_LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return -errno;
	attr.handled_access_fs = landlock_handled(abi);
	if ((ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0)) < 0)
		return -errno;
	/* cores name arbitrary library paths, and libdw loads libdebuginfod: all of / stays readable */
	rc = landlock_allow(ruleset, "/", LL_READ_FILE | LL_READ_DIR | LL_EXECUTE);
	if (rc == 0 && write_dir && (rc = existing_dir(write_dir, dir)) == 0)
		rc = landlock_allow(ruleset, dir, attr.handled_access_fs);
	if (rc == 0 && cache_dir && (rc = existing_dir(cache_dir, dir)) == 0)
		rc = landlock_allow(ruleset, dir, attr.handled_access_fs);
	if (rc == 0 && syscall(__NR_landlock_restrict_self, ruleset, 0) != 0)
		rc = -errno;
	close(ruleset);
	if (rc == 0)
		*abi_ret = abi;
	return rc;
}

/* ---- seccomp ---- */

/* x32 calls are x86-64 calls with this bit set in the number */
#if defined(__x86_64__)
#define X32_SYSCALL_BIT 0x40000000U
/* opening for anything but reading (O_TMPFILE's own bit: O_DIRECTORY alone is fine) */
#define OPEN_WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | 020000000U)

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + (n) * sizeof(uint64_t))

static const int allowed_always[] = {
	SYS_read, SYS_pread64, SYS_readv, SYS_preadv, SYS_write, SYS_writev,
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_brk, SYS_madvise,
	SYS_close, SYS_fstat, SYS_newfstatat, SYS_stat, SYS_lstat, SYS_statx, SYS_lseek, SYS_fadvise64, SYS_getdents, SYS_getdents64,
	SYS_readlink, SYS_readlinkat, SYS_access, SYS_faccessat, SYS_faccessat2, SYS_getcwd, SYS_fcntl,
	SYS_futex, SYS_clock_gettime, SYS_gettimeofday, SYS_nanosleep, SYS_clock_nanosleep, SYS_getrandom,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack,
	SYS_sched_yield, SYS_sched_getaffinity, SYS_getpid, SYS_gettid, SYS_getuid, SYS_geteuid, SYS_getgid,
	SYS_getegid, SYS_prlimit64, SYS_uname, SYS_sysinfo, SYS_tgkill, SYS_exit, SYS_exit_group,
	SYS_socketpair,
};

/* SQLite's, when a case will be stored (Landlock confines the writes to the database's directory) */
static const int allowed_writing[] = {
	SYS_open, SYS_openat, SYS_pwrite64, SYS_pwritev, SYS_fsync, SYS_fdatasync, SYS_ftruncate, SYS_fallocate,
	SYS_unlink, SYS_unlinkat, SYS_mkdir, SYS_mkdirat, SYS_fchown, SYS_fchmod,
	/* the symbol cache's files are linked, then renamed into place */
	SYS_link, SYS_linkat, SYS_rename, SYS_renameat, SYS_renameat2,
};

#ifdef SANITIZER_BUILD
/*
 * LeakSanitizer checks for leaks at exit by stopping the world: it clones a
 * tracer thread that ptrace-attaches to the process's own threads, and it
 * names itself the ptracer with prctl(PR_SET_PTRACER). Refused, the check
 * fails and the process exits non-zero. Allowed in sanitizer builds only.
 */
static const int allowed_sanitizer[] = {
	SYS_clone, SYS_ptrace, SYS_wait4, SYS_prctl, SYS_getppid, SYS_kill, SYS_sched_setaffinity,
};
#endif

#define MAX_FILTER 256

static void emit(struct sock_filter *f, size_t *n, struct sock_filter insn)
{
	if (*n < MAX_FILTER)
		f[(*n)++] = insn;
}

static void emit_allow_list(struct sock_filter *f, size_t *n, const int *nrs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		emit(f, n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nrs[i], 0, 1));
		emit(f, n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
}

/* nr: a read-only open (arg's flags without OPEN_WRITE_FLAGS) is allowed, any other EACCES */
static void emit_read_only_open(struct sock_filter *f, size_t *n, int nr, unsigned arg)
{
	emit(f, n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4));
	emit(f, n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg)));
	emit(f, n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, OPEN_WRITE_FLAGS, 0, 1));
	emit(f, n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES));
	emit(f, n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

static int seccomp_enter(bool writing, bool log)
{
	struct sock_filter f[MAX_FILTER];
	struct sock_fprog prog;
	size_t n = 0;

	/* the architecture: a foreign one's numbers mean other calls, so it is killed */
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	emit(f, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	emit(f, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 1));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
	emit_allow_list(f, &n, allowed_always, ARRAY_SIZE(allowed_always));
	if (writing)
		emit_allow_list(f, &n, allowed_writing, ARRAY_SIZE(allowed_writing));
#ifdef SANITIZER_BUILD
	emit_allow_list(f, &n, allowed_sanitizer, ARRAY_SIZE(allowed_sanitizer));
#endif
	/* (A still holds the number: the blocks below load an argument only when theirs matched) */
	if (!writing) {
		emit_read_only_open(f, &n, SYS_openat, 2);
		emit_read_only_open(f, &n, SYS_open, 1);
	}
	/* ioctl: isatty()'s TCGETS only */
	emit(f, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 4));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)));
	emit(f, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCGETS, 0, 1));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
	/* openat2 is refused with ENOSYS, so that a caller falls back to openat and its check */
	emit(f, &n, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
	emit(f, &n, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
	if (n == MAX_FILTER)
		return -E2BIG;
	prog = (struct sock_fprog){ .len = (unsigned short)n, .filter = f };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, log ? SECCOMP_FILTER_FLAG_LOG : 0, &prog) != 0)
		return -errno;
	return 0;
}

#else
/* The allow-list names x86-64 system calls: elsewhere there is no filter (seccomp stays off, --stats says so). */
static int seccomp_enter(bool store, bool log)
{
	(void)store;
	(void)log;
	return 1;
}
#endif

int sandbox_enter(const char *write_dir, const char *cache_dir, bool log, struct sandbox_status *ret)
{
	int rc;

	*ret = (struct sandbox_status){ 0 };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	rc = landlock_enter(write_dir, cache_dir, &ret->landlock_abi);
	ret->landlock_errno = rc < 0 ? -rc : 0;
	if ((rc = seccomp_enter(write_dir != NULL || cache_dir != NULL, log)) < 0)
		return rc;
	ret->seccomp = rc == 0;
	return 0;
}

void sandbox_selftest(const char *write_path, int *exec_errno, int *open_errno)
{
	static char *const argv[] = { "hanganalyze-sandbox-selftest", NULL };
	int fd;

	/* a path that does not exist: outside the sandbox this fails too, with ENOENT, and runs nothing */
	*exec_errno = execve("/nonexistent/hanganalyze-sandbox-selftest", argv, argv + 1) == 0 ? 0 : errno;
	fd = open(write_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	*open_errno = fd >= 0 ? 0 : errno;
	if (fd >= 0) {
		close(fd);
		unlink(write_path);
	}
}
