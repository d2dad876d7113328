#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/snapshot-internal.h"
#include "common/util.h"

void snapshot_init(struct snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
}

void snapshot_deinit(struct snapshot *snap)
{
	for (size_t i = 0; i < snap->threads.len; i++)
		free(snap->threads.items[i].xstate);
	VEC_DEINIT(&snap->threads);
	for (size_t i = 0; i < snap->maps.len; i++)
		free(snap->maps.items[i].path);
	VEC_DEINIT(&snap->maps);
	VEC_DEINIT(&snap->runs);
	for (size_t i = 0; i < snap->overflow.len; i++)
		free(snap->overflow.items[i]);
	VEC_DEINIT(&snap->overflow);
	if (snap->arena)
		munmap(snap->arena, snap->arena_size);
	free(snap->auxv);
	memset(snap, 0, sizeof(*snap));
}

struct hs_error *snapshot_estimate(pid_t pid, uint64_t *bytes_ret)
{
	struct snapshot probe;
	struct hs_error *err;

	snapshot_init(&probe);
	err = memory_plan(pid, false, &probe);
	*bytes_ret = probe.bytes_planned;
	snapshot_deinit(&probe);
	return err;
}

/* Fills registers of threads that never stopped from /proc/TID/syscall (sp, pc, nr, args). */
static void fill_unstopped(pid_t pid, struct snapshot *snap)
{
	for (size_t i = 0; i < snap->threads.len; i++) {
		struct snapshot_thread *t = &snap->threads.items[i];
		char path[96], *line = NULL;
		struct proc_stat st;
		struct hs_error *err;
		int64_t nr;
		uint64_t args[6], sp, pc;

		if (t->stopped || t->exited)
			continue;
		snap->nthreads_unstopped++;
		if ((err = proc_read_stat(pid, t->tid, &st)) == NULL)
			t->state = st.state;
		hs_error_destroy(err);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)t->tid);
		if ((err = hs_read_file(path, 512, &line, NULL, NULL))) {
			hs_error_destroy(err);
			continue;
		}
		if (proc_parse_syscall(line, &nr, args, &sp, &pc)) {
			t->regs.orig_rax = (unsigned long long)nr;
			t->regs.rdi = args[0];
			t->regs.rsi = args[1];
			t->regs.rdx = args[2];
			t->regs.r10 = args[3];
			t->regs.r8 = args[4];
			t->regs.r9 = args[5];
			t->regs.rsp = sp;
			t->regs.rip = pc;
		}
		free(line);
	}
}

struct tracer_job {
	pid_t pid;
	const struct snapshot_options *opts;
	struct snapshot *snap;
	struct hs_error *err;
};

/* The plan of the memory to copy: maps and pagemap, no ptrace. */
static void *plan_main(void *arg)
{
	struct tracer_job *job = arg;
	uint64_t t0 = hs_now_mono_ns();

	job->err = memory_plan(job->pid, true, job->snap);
	job->snap->phase_ns[SNAPSHOT_PHASE_PLAN] = hs_now_mono_ns() - t0;
	return NULL;
}

/*
 * The ptracer. Everything between the first PTRACE_SEIZE and the last
 * PTRACE_DETACH happens here; when this thread exits, the kernel detaches
 * whatever is still attached.
 *
 * Once every thread has stopped, a second thread plans the memory copy
 * while this one reads the registers (both a few milliseconds with a
 * thousand threads); the copy itself runs on every CPU.
 */
static void *tracer_main(void *arg)
{
	struct tracer_job *job = arg;
	struct tracer_job plan = *job;
	struct snapshot *snap = job->snap;
	pthread_t planner;
	char path[64];
	struct hs_error *err;
	uint64_t t;

	err = freeze_all(job->pid, job->opts, snap);
	t = hs_now_mono_ns();
	snap->phase_ns[SNAPSHOT_PHASE_STOP] = snap->freeze_start_ns ? t - snap->freeze_start_ns : 0;
	if (err)
		goto detach;
	plan.err = NULL;
	snap->plan_beside_registers = pthread_create(&planner, NULL, plan_main, &plan) == 0;
	freeze_read_registers(job->opts, snap);
	fill_unstopped(job->pid, snap);
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)job->pid);
	if ((err = hs_read_file(path, 64 * 1024, (char **)&snap->auxv, &snap->auxv_len, NULL))) {
		hs_error_destroy(err);
		snap->auxv = NULL;
		snap->auxv_len = 0;
	}
	snap->phase_ns[SNAPSHOT_PHASE_REGISTERS] = hs_now_mono_ns() - t;
	if (snap->plan_beside_registers)
		pthread_join(planner, NULL);
	else
		plan_main(&plan);
	if ((err = plan.err))
		goto detach;
	t = hs_now_mono_ns();
	if (snap->bytes_planned > job->opts->memory_budget && job->opts->stream) {
		snap->streamed = true;
		err = job->opts->stream(snap, job->opts->arg);
	} else {
		err = memory_copy(job->pid, snap);
	}
	snap->phase_ns[SNAPSHOT_PHASE_COPY] = hs_now_mono_ns() - t;
detach:
	t = hs_now_mono_ns();
	freeze_detach_all(snap);
	snap->phase_ns[SNAPSHOT_PHASE_DETACH] = snap->freeze_end_ns - t;
	job->err = err;
	return NULL;
}

struct hs_error *snapshot_check_target(pid_t pid)
{
	struct proc_stat st;
	struct hs_error *err;
	char path[64];
	int fd;

	if (pid == getpid())
		return hs_error_create(HS_ERR_SELF, "process %d is hangsnap itself", (int)pid);
	if ((err = proc_read_stat(pid, 0, &st))) {
		if (err->kind == HS_ERR_NO_PROCESS) {
			hs_error_destroy(err);
			return hs_error_create(HS_ERR_NO_PROCESS, "no process with pid %d", (int)pid);
		}
		return err;
	}
	if (proc_stat_gone(&st))
		return hs_error_create(HS_ERR_ZOMBIE, "process %d (%s) is a zombie; it has no memory or threads to snapshot",
				       (int)pid, st.comm);
	/* kthreadd and its children: no memory map, no registers of user code (PF_KTHREAD, linux/sched.h) */
	if (st.flags & 0x00200000ul)
		return hs_error_create(HS_ERR_ZOMBIE, "process %d (%s) is a kernel thread; it has no user space to snapshot",
				       (int)pid, st.comm);
	/* /proc/PID/mem needs the same access as PTRACE_ATTACH: ask before doing any work */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			return hs_error_create(HS_ERR_PERMISSION,
					       "not permitted to trace process %d (%s); run as its owner or with CAP_SYS_PTRACE, "
					       "and check kernel.yama.ptrace_scope",
					       (int)pid, st.comm);
		if (e == ENOENT || e == ESRCH)
			return hs_error_create(HS_ERR_NO_PROCESS, "no process with pid %d", (int)pid);
		return hs_error_errno(e, "cannot open '%s'", path);
	}
	close(fd);
	return NULL;
}

struct hs_error *snapshot_take(pid_t pid, const struct snapshot_options *opts, struct snapshot *snap)
{
	struct tracer_job job = { pid, opts, snap, NULL };
	struct hs_error *err;
	uint64_t estimate = 0;
	pthread_t tracer;
	int e;

	if ((err = snapshot_check_target(pid)))
		return err;
	snap->pid = pid;
	if ((err = snapshot_estimate(pid, &estimate)))
		return err;
	if (estimate <= opts->memory_budget || !opts->stream) {
		/* a little slack for pages that become resident before the freeze */
		size_t slack = (size_t)(estimate / 8) + (16u << 20);
		if ((err = memory_arena_create(snap, (size_t)estimate + slack)))
			return err;
	}
	if ((e = pthread_create(&tracer, NULL, tracer_main, &job)) != 0)
		return hs_error_errno(e, "cannot start the tracer thread");
	pthread_join(tracer, NULL);
	if (job.err)
		return job.err;
	if (snap->threads.len == 0)
		return hs_error_create(HS_ERR_NO_PROCESS, "process %d exited before it could be stopped", (int)pid);
	return NULL;
}
