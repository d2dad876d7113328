/*
 * x86_64 system calls: names, and strace-like rendering of the calls a hung
 * thread blocks in, with the arguments that point into memory (sockaddr,
 * pollfd arrays, timespecs, struct flock, fd_sets) read from the core.
 *
 * The kernel ABI: orig_rax holds the number of the call a thread is in (-1
 * when it is in user space), rdi rsi rdx r10 r8 r9 the arguments.
 */
#ifndef HS_ANALYZER_SYSCALLS_H
#define HS_ANALYZER_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

/* Returns the name of syscall nr ("futex"), or NULL for numbers we do not know. */
const char *syscall_name(int64_t nr);

/* Returns the number of arguments syscall nr takes (6 when unknown). */
unsigned syscall_nargs(int64_t nr);

/*
 * Reads len bytes of target memory at addr into buf; returns how many leading
 * bytes were available (0 when addr is not in the core). A short count makes
 * the pointer undecoded: syscall_format() never decodes part of a structure.
 */
typedef size_t syscall_read_fn(void *arg, uint64_t addr, void *buf, size_t len);

/*
 * Appends the call, decoded, to sb: "futex(0x7f3a2c0008e0, FUTEX_WAIT_PRIVATE, 2, NULL)",
 * "connect(5, {AF_INET, 127.0.0.1:8080}, 16)", "poll([{fd=5, events=POLLOUT}], 1, -1)".
 * Pointers whose memory is not in the core are shown as hex, NULL as NULL;
 * int arguments (fds, ms timeouts, pids) use only their low 32 bits, as the
 * kernel does. Arrays show at most 8 elements, then "...". Calls without a
 * decoder print syscall_nargs() arguments, unknown numbers print as
 * "syscall_NNN(...)" with all six; such an argument within +-4096 (as a signed
 * 64-bit value) is decimal, anything else hex. read may be NULL (then no
 * memory is decoded); it is never asked for more than a few hundred bytes,
 * whatever lengths the target's memory claims.
 * Returns false only when memory runs out, and then leaves sb as it was.
 */
bool syscall_format(struct strbuf *sb, int64_t nr, const uint64_t args[6], syscall_read_fn *read,
		    void *read_arg);

#endif
