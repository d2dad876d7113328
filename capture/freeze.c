/*
 * Stopping and releasing every thread of a process with ptrace.
 *
 * PTRACE_SEIZE does not stop a thread and sends no SIGSTOP, so nothing is
 * left pending for the target to see; PTRACE_INTERRUPT then stops it in a
 * PTRACE_EVENT_STOP. Threads created while we attach are caught by listing
 * /proc/PID/task again until a pass finds nobody new (a stopped thread cannot
 * clone, so the set converges).
 *
 * What the target must not notice:
 *  - A signal that arrives while we attach shows up as a signal-delivery
 *    stop instead of the interrupt stop; we keep the thread stopped there and
 *    hand the signal back with PTRACE_DETACH, so it is delivered once.
 *  - A blocking syscall woken by the interrupt returns -ERESTART* and the
 *    kernel restarts it on detach. A few (epoll_wait, sigtimedwait, semop,
 *    inotify read...) return a bare -EINTR instead, the bug documented in
 *    ptrace(2). For a thread that was blocked in that very syscall before we
 *    came, we turn -EINTR into -ERESTARTNOHAND: the kernel then restarts the
 *    call when no handler runs, and still reports EINTR if a real signal
 *    with a handler arrives — exactly what the program would have seen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <elf.h>
#include <cpuid.h>

#include "capture/snapshot-internal.h"
#include "common/util.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#define ERESTARTNOHAND 514

/*
 * The thread tid, looked for at index hint first: /proc lists the tasks in
 * the same order every time, so a second listing finds each there.
 */
static struct snapshot_thread *find_thread(struct snapshot *snap, pid_t tid, size_t hint)
{
	if (hint < snap->threads.len && snap->threads.items[hint].tid == tid)
		return &snap->threads.items[hint];
	for (size_t i = 0; i < snap->threads.len; i++)
		if (snap->threads.items[i].tid == tid)
			return &snap->threads.items[i];
	return NULL;
}

static struct hs_error *seize_error(pid_t pid, pid_t tid, int e)
{
	if (e == EPERM)
		return hs_error_errno_kind(HS_ERR_PERMISSION, e,
					   "cannot attach to process %d (thread %d); check ptrace permissions "
					   "(kernel.yama.ptrace_scope, CAP_SYS_PTRACE, another tracer)",
					   (int)pid, (int)tid);
	return hs_error_errno(e, "cannot attach to thread %d of process %d", (int)tid, (int)pid);
}

/* Handles one wait status; returns true when the thread is now settled (stopped or gone). */
static bool note_wait_status(struct snapshot_thread *t, int status)
{
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		t->exited = true;
		t->stopped = false;
		return true;
	}
	if (!WIFSTOPPED(status))
		return false;
	t->stopped = true;
	if ((status >> 16) == PTRACE_EVENT_STOP)
		return true;	/* our interrupt, or a group-stop: nothing to re-deliver */
	/* a signal-delivery stop: the signal must reach the target after detach */
	t->pending_signal = WSTOPSIG(status);
	if (ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &t->siginfo) != 0)
		memset(&t->siginfo, 0, sizeof(t->siginfo));
	return true;
}

/*
 * Waits until every seized thread has stopped or the deadline passes.
 *
 * Thread by thread: waitpid() for one pid finds it directly, where
 * waitpid(-1) walks the whole list of our tracees on every call — with 1000
 * threads, that walk was three quarters of the freeze. The threads stop in
 * about the order they were interrupted, so one sweep collects most of them.
 */
static void wait_for_stops(struct snapshot *snap, size_t from, uint64_t deadline_ns)
{
	size_t pending = 0;

	for (size_t i = from; i < snap->threads.len; i++)
		pending += !snap->threads.items[i].stopped && !snap->threads.items[i].exited;
	while (pending > 0) {
		bool progress = false;

		for (size_t i = from; i < snap->threads.len && pending > 0; i++) {
			struct snapshot_thread *t = &snap->threads.items[i];
			int status;
			pid_t r;

			if (t->stopped || t->exited)
				continue;
			/* __WNOTHREAD: only our own tracees, never a child another thread of hangsnap started */
			do
				r = waitpid(t->tid, &status, __WALL | __WNOTHREAD | WNOHANG);
			while (r < 0 && errno == EINTR);
			if (r == t->tid ? note_wait_status(t, status) : r < 0) {
				if (r < 0)
					t->exited = true;	/* ECHILD: gone and reaped */
				pending--;
				progress = true;
			}
		}
		if (pending == 0 || hs_now_mono_ns() >= deadline_ns)
			break;
		if (!progress)
			nanosleep(&(struct timespec){ 0, 20000 }, NULL);
	}
}

struct hs_error *freeze_all(pid_t pid, const struct snapshot_options *opts, struct snapshot *snap)
{
	uint64_t deadline = hs_now_mono_ns() + (uint64_t)opts->stop_timeout_ms * 1000000u;
	bool first = true;

	for (int round = 0; round < 1000; round++) {
		pid_t *tids;
		size_t n, from = snap->threads.len, added = 0;
		struct hs_error *err = proc_list_tasks(pid, SNAPSHOT_MAX_THREADS, &tids, &n);

		if (err)
			return err;
		/* the main thread goes first: its NT_PRSTATUS must lead the core */
		for (size_t i = 0; i < n; i++) {
			if (tids[i] == pid && i != 0) {
				tids[i] = tids[0];
				tids[0] = pid;
			}
		}
		for (size_t i = 0; i < n; i++) {
			struct snapshot_thread *t;

			if (find_thread(snap, tids[i], i))
				continue;
			if (snap->threads.len >= SNAPSHOT_MAX_THREADS) {
				free(tids);
				return hs_error_create(HS_ERR_LIMIT, "process %d has more than %u threads", (int)pid,
						       SNAPSHOT_MAX_THREADS);
			}
			if (ptrace(PTRACE_SEIZE, tids[i], NULL, NULL) != 0) {
				int e = errno;
				if (e == ESRCH)
					continue;	/* exited meanwhile */
				if (first || e != EPERM) {
					pid_t tid = tids[i];	/* the message needs it after tids is gone */

					free(tids);
					return seize_error(pid, tid, e);
				}
				continue;
			}
			if (first) {
				snap->freeze_start_ns = hs_now_mono_ns();
				first = false;
			}
			if (!(t = VEC_PUSH(&snap->threads))) {
				/* the tracer thread's exit detaches it */
				free(tids);
				return &hs_error_nomem;
			}
			t->tid = tids[i];
			if (ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL) != 0)
				t->exited = errno == ESRCH;
			added++;
		}
		free(tids);
		wait_for_stops(snap, from, deadline);
		if (added == 0)
			break;
	}
	if (first)
		return hs_error_create(HS_ERR_NO_PROCESS, "process %d has no threads left", (int)pid);
	snap->capture_real_ns = hs_now_real_ns();
	return NULL;
}

/*
 * XSAVE layout facts (Intel SDM vol. 1, 13.4): bytes 464..471 of the legacy
 * area hold XCR0 as Linux saves it (gdb reads the enabled features there),
 * bytes 512..519 are XSTATE_BV; component i ≥ 2 lives at the offset and size
 * CPUID leaf 0xD sub-leaf i reports.
 */
#define XSAVE_FXSAVE_REGS_END 416	/* x87 and XMM registers; then padding, sw_reserved */
#define XSAVE_XCR0_OFFSET 464
#define XSAVE_BV_OFFSET 512
#define XSAVE_HEADER_END 576
/* x87, SSE, AVX, MPX, AVX-512, PKRU: every component gdb and eu-stack know */
#define XSTATE_KNOWN_MASK 0x2ffull

/*
 * Drops the components past PKRU (AMX tile config and data, 8 KiB a thread):
 * gdb 13 rejects an NT_X86_XSTATE whose size does not match the features it
 * knows ("Unexpected size of section .reg-xstate"), and no unwinder or hang
 * analysis reads tile registers. Returns the new length.
 */
static size_t trim_xstate(unsigned char *x, size_t len)
{
	uint64_t xcr0, bv, keep;
	size_t end = XSAVE_HEADER_END;

	if (len < XSAVE_HEADER_END)
		return len;
	memcpy(&xcr0, x + XSAVE_XCR0_OFFSET, 8);
	if (!(xcr0 & ~XSTATE_KNOWN_MASK))
		return len;
	keep = xcr0 & XSTATE_KNOWN_MASK;
	/*
	 * CPUID traps to the hypervisor in a VM (microseconds each): with 1000
	 * threads, eight per thread was most of the freeze. The layout depends
	 * only on XCR0, which all threads share: compute it once.
	 */
	static uint64_t cached_xcr0;
	static size_t cached_end;
	if (cached_xcr0 == xcr0 && cached_end) {
		end = cached_end;
	} else {
		for (unsigned i = 2; i < 10; i++) {
			unsigned eax, ebx, ecx, edx;
			if (!(keep & (1ull << i)) || !__get_cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx))
				continue;
			if (ebx + eax > end)
				end = ebx + eax;
		}
		cached_xcr0 = xcr0;
		cached_end = end;
	}
	if (end > len)
		return len;
	memcpy(x + XSAVE_XCR0_OFFSET, &keep, 8);
	memcpy(&bv, x + XSAVE_BV_OFFSET, 8);
	bv &= keep;
	memcpy(x + XSAVE_BV_OFFSET, &bv, 8);
	return end;
}

void freeze_read_registers(const struct snapshot_options *opts, struct snapshot *snap)
{
	unsigned char *xbuf = malloc(SNAPSHOT_XSTATE_MAX);

	for (size_t i = 0; i < snap->threads.len; i++) {
		struct snapshot_thread *t = &snap->threads.items[i];
		struct iovec iov;

		if (!t->stopped)
			continue;
		if (ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs) != 0) {
			t->stopped = false;
			t->exited = errno == ESRCH;
			continue;
		}
		iov.iov_base = xbuf;
		iov.iov_len = SNAPSHOT_XSTATE_MAX;
		if (xbuf && ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) == 0 && iov.iov_len > 0) {
			/*
			 * The FXSAVE area leads the XSAVE one, and PTRACE_GETFPREGS
			 * returns its registers (up to byte 416) with the rest zero:
			 * one system call a thread fewer.
			 */
			if (iov.iov_len >= sizeof(t->fpregs)) {
				memset(&t->fpregs, 0, sizeof(t->fpregs));
				memcpy(&t->fpregs, xbuf, XSAVE_FXSAVE_REGS_END);
				t->have_fpregs = true;
			}
			size_t len = trim_xstate(xbuf, iov.iov_len);
			if ((t->xstate = malloc(len))) {
				memcpy(t->xstate, xbuf, len);
				t->xstate_len = len;
			}
		}
		if (!t->have_fpregs)
			t->have_fpregs = ptrace(PTRACE_GETFPREGS, t->tid, NULL, &t->fpregs) == 0;
		/* see the top of this file: undo the bare -EINTR our interrupt caused */
		if ((long long)t->regs.orig_rax >= 0 && (long long)t->regs.rax == -EINTR && opts->syscall_before &&
		    opts->syscall_before(opts->arg, t->tid) == (long long)t->regs.orig_rax) {
			struct user_regs_struct fixed = t->regs;
			fixed.rax = (unsigned long long)-ERESTARTNOHAND;
			t->eintr_restarted = ptrace(PTRACE_SETREGS, t->tid, NULL, &fixed) == 0;
		}
	}
	free(xbuf);
}

void freeze_detach_all(struct snapshot *snap)
{
	for (size_t i = 0; i < snap->threads.len; i++) {
		struct snapshot_thread *t = &snap->threads.items[i];

		if (t->exited)
			continue;
		/*
		 * A thread that never stopped cannot be detached (ESRCH); the
		 * kernel detaches it when our tracer thread exits.
		 */
		ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pending_signal);
	}
	snap->freeze_end_ns = hs_now_mono_ns();
}
