/*
 * The sandbox hanganalyze analyzes an untrusted core in, the way
 * systemd-coredump isolates its analysis: no_new_privs, a seccomp filter
 * that allows only the system calls the analysis makes, and, where the
 * kernel offers Landlock, a file system that is read-only but for the case
 * database's directory and the symbol cache's. Nothing here needs libseccomp: the filter is raw
 * BPF, for x86-64 only.
 *
 * What the filter allows (the set was found by `strace -f` of every
 * committed fixture analysed in every format, with and without a case
 * database, in the plain and the ASan+UBSan builds; see the README):
 *  - memory: mmap, munmap, mprotect, mremap, brk, madvise;
 *  - files: read, pread64, readv, write, writev (on any fd already open:
 *    only opens are controlled), open/openat (read-only unless write_dir),
 *    close, fstat, newfstatat, stat, lstat, statx, lseek, fadvise64 (the
 *    core reader's readahead hint), getdents(64),
 *    readlink(at), access, faccessat(2), getcwd, fcntl, ioctl TCGETS only
 *    (isatty);
 *  - the process: futex, clock_gettime, gettimeofday, nanosleep,
 *    clock_nanosleep, getrandom, rt_sigaction, rt_sigprocmask,
 *    rt_sigreturn, sigaltstack, sched_yield, sched_getaffinity, getpid,
 *    gettid, getuid, geteuid, getgid, getegid, prlimit64, uname, sysinfo
 *    (glibc's qsort), tgkill (abort()), exit, exit_group, and socketpair
 *    (an AF_UNIX pair: libcurl's wakeup pipe when libdw loads
 *    libdebuginfod; no socket, no connect);
 *  - with write_dir (a case will be stored: SQLite's needs) or cache_dir
 *    (the symbol cache is written): write opens, pwrite64, fsync,
 *    fdatasync, ftruncate, fallocate, unlink(at), mkdir(at), fchown, fchmod,
 *    link(at), rename(at)(2); Landlock keeps their writes in write_dir and cache_dir;
 *  - in sanitizer builds only: what LeakSanitizer's exit-time leak check
 *    needs to stop the world (clone, ptrace, wait4, prctl, getppid, kill,
 *    sched_setaffinity) — see sandbox.c. The filter cannot tell that ptrace
 *    is aimed at the process's own threads: a sanitizer build is a test
 *    build, not one to analyze hostile cores with.
 * Everything else fails with EPERM, a write open (without write_dir) with
 * EACCES, an x32 call with EPERM; only a foreign architecture's call
 * (int 0x80) kills the process. Nothing is ever killed on SIGSYS for a
 * plain forbidden call, so a report is never lost to the filter.
 *
 * Not sandboxed by this module: networking. A caller that lets libdw use
 * debuginfod (DEBUGINFOD_URLS set) does not enter the sandbox at all.
 */
#ifndef HS_COMMON_SANDBOX_H
#define HS_COMMON_SANDBOX_H

#include <stdbool.h>

struct sandbox_status {
	bool seccomp;		/* the filter is in place */
	int landlock_abi;	/* the kernel's Landlock ABI version in force, 0 when not offered */
	int landlock_errno;	/* why Landlock is not in force (ENOSYS, EOPNOTSUPP: not offered), or 0 */
};

/*
 * Enters the sandbox for the rest of the process's life (it cannot be left).
 * write_dir: NULL when nothing will be written but to the file descriptors
 * already open (stdout, stderr); otherwise the directory that may be written
 * (the case database's; when it does not exist yet, its nearest existing
 * ancestor, so that it can be created); cache_dir, when not NULL, another
 * (the symbol cache's, analyzer/symcache.h). Landlock's absence is no error; it
 * is told in ret->landlock_abi and ret->landlock_errno.
 * With log, the kernel logs every refused call (the audit log, or dmesg:
 * "type=1326 ... syscall=N"): how the allowed set is checked against a run.
 * Returns 0, or a negative errno when no_new_privs or the filter could not
 * be set (then ret->seccomp is false and nothing is restricted but, possibly,
 * no_new_privs).
 */
int sandbox_enter(const char *write_dir, const char *cache_dir, bool log, struct sandbox_status *ret);

/*
 * Test hook (HANGANALYZE_SANDBOX_SELFTEST): tries what the sandbox must
 * refuse — execve of a path that does not exist (ENOENT outside the
 * sandbox, EPERM inside) and creating write_path O_WRONLY|O_CREAT|O_EXCL
 * (0 outside: the file is removed again; EACCES inside) — and returns
 * each attempt's errno (0 for success) in *exec_errno and *open_errno.
 */
void sandbox_selftest(const char *write_path, int *exec_errno, int *open_errno);

#endif
