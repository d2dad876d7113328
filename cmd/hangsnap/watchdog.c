/*
 * hangsnap --timeout SECS -- CMD (see watchdog.h).
 *
 * The watchdog runs CMD as its child and waits with the signals it cares
 * about blocked and taken from sigtimedwait(): SIGCHLD, and SIGINT, SIGTERM
 * and SIGHUP, which it passes on to CMD. No handler ever runs, so nothing
 * races with waitpid(), and the snapshot's tracer thread inherits the mask.
 *
 * hangsnap makes itself a child subreaper: a process under CMD whose parent
 * exits is re-parented to hangsnap, not to init, so "CMD and everything
 * under it" is everything under hangsnap — except the children hangsnap
 * already had when it started (`sleep 60 & exec hangsnap ...`), which are
 * left alone.
 *
 * On timeout: snapshot each process in turn (CMD first), SIGKILL them all,
 * then analyze the cores, all of them in one hanganalyze, as one case. SIGKILL, not SIGTERM and a grace period: the cores
 * already hold the hang, and a hung program's exit path would hang or run
 * on broken state. Killing before analyzing releases what the hung
 * processes hold (ports, locks, memory) at once — the analysis needs only
 * the cores and the executables on disk — and a hangsnap killed during a
 * long analysis cannot leave them behind. CMD also gets PR_SET_PDEATHSIG
 * SIGKILL, for a hangsnap that is itself SIGKILLed while waiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/proctree.h"
#include "cmd/hangsnap/watchdog.h"
#include "common/util.h"

#define WATCHDOG_MAX_SNAPSHOTS 64u		/* processes snapshotted on timeout */
#define WATCHDOG_MAX_TREE 4096			/* processes followed under CMD */
#define WATCHDOG_STOP_GRACE_NS 2000000000ull	/* after passing on a signal, before SIGKILL */

static const int passed_on_signals[] = { SIGINT, SIGTERM, SIGHUP };

struct watchdog {
	const struct options *opts;
	char what[96];			/* CMD in messages, shortened */
	pid_t self;
	pid_t cmd_pid;
	bool cmd_reaped;
	int cmd_status;
	sigset_t waited;		/* blocked: SIGCHLD and the signals we pass on */
	sigset_t saved_mask;		/* restored in the children we start */
	struct sigaction saved_sigchld;
	pid_t *foreign;			/* our children from before CMD */
	size_t nforeign;
	int stop_signal;		/* the first SIGINT/SIGTERM/SIGHUP received, or 0 */
};

/* CMD's tree: everything under us but the children we had before CMD. */
static struct proctree_query tree_query(const struct watchdog *w)
{
	return (struct proctree_query){ .parent = w->self, .first = w->cmd_pid, .exclude = w->foreign,
					.nexclude = w->nforeign, .cap = WATCHDOG_MAX_TREE };
}

/*
 * Reaps every child that has exited: CMD (its status kept), an orphan of
 * CMD's that was re-parented to us, and `pid` (*status_ret, *done_ret).
 */
static void reap_children(struct watchdog *w, pid_t pid, int *status_ret, bool *done_ret)
{
	pid_t r;
	int status;

	while ((r = waitpid(-1, &status, WNOHANG)) > 0 || (r < 0 && errno == EINTR)) {
		if (r == w->cmd_pid) {
			w->cmd_reaped = true;
			w->cmd_status = status;
		}
		if (r == pid && pid > 0) {
			*status_ret = status;
			*done_ret = true;
		}
	}
}

enum wait_result { WAIT_EXITED, WAIT_DEADLINE, WAIT_SIGNAL };

/*
 * Waits until child pid has exited (*status_ret), deadline_ns
 * (CLOCK_MONOTONIC) has passed, or a signal we pass on arrived (*si_ret).
 */
static enum wait_result wait_for(struct watchdog *w, pid_t pid, uint64_t deadline_ns, int *status_ret, siginfo_t *si_ret)
{
	bool done = false;

	for (;;) {
		uint64_t now, left;
		int sig;

		reap_children(w, pid, status_ret, &done);
		if (done)
			return WAIT_EXITED;
		if (pid == w->cmd_pid && w->cmd_reaped) {
			*status_ret = w->cmd_status;
			return WAIT_EXITED;
		}
		now = hs_now_mono_ns();
		if (now >= deadline_ns)
			return WAIT_DEADLINE;
		left = deadline_ns - now;
		sig = sigtimedwait(&w->waited, si_ret,
				   &(struct timespec){ (time_t)(left / 1000000000u), (long)(left % 1000000000u) });
		if (sig > 0 && sig != SIGCHLD)
			return WAIT_SIGNAL;
	}
}

/* An exit status as timeout(1) gives it: CMD's own, or 128 + the signal that killed it. */
static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_INTERNAL;
}

static void pass_on(const struct watchdog *w, const siginfo_t *si)
{
	/*
	 * A terminal sends ^C and hangups to its whole foreground process
	 * group (si_code SI_KERNEL): if CMD is still in ours, it has the signal
	 * already, and a second ^C could cut short the first one's cleanup.
	 */
	if (si->si_code == SI_KERNEL && getpgid(w->cmd_pid) == getpgrp())
		return;
	kill(w->cmd_pid, si->si_signo);
}

static void reap_all(void *arg)
{
	int status;
	bool done;

	reap_children(arg, -1, &status, &done);
}

/*
 * SIGKILLs CMD's tree until nothing is left of it (processes in
 * uninterruptible sleep die only when they wake: proctree_kill() stops
 * trying after PROCTREE_KILL_ROUNDS). Returns how many processes there were.
 */
static size_t kill_tree(struct watchdog *w)
{
	struct proctree_query q = tree_query(w);
	struct hs_error *err;
	size_t killed;
	bool all_gone;

	if ((err = proctree_kill(&q, reap_all, w, &killed, &all_gone))) {
		fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
		hs_error_destroy(err);
	}
	if (!all_gone)
		fprintf(stderr, "%s: warning: processes of '%s' are still alive after SIGKILL (in uninterruptible sleep?)\n",
			progname, w->what);
	return killed;
}

static void describe_command(char **argv, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		int n = snprintf(buf + len, size - len, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= size - len) {
			strcpy(buf + size - 4, "...");
			return;
		}
		len += (size_t)n;
	}
}

/* mkdir -p */
static struct hs_error *make_directory(const char *path)
{
	char *p = strdup(path);
	struct stat st;

	if (!p)
		return &hs_error_nomem;
	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			struct hs_error *err = hs_error_errno(errno, "cannot create directory '%s'", p);
			free(p);
			return err;
		}
		*c = saved;
		if (!saved)
			break;
	}
	free(p);
	if (stat(path, &st) != 0)
		return hs_error_errno(errno, "cannot create directory '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return hs_error_create(HS_ERR_INVALID, "'%s' is not a directory", path);
	return NULL;
}


/*
 * Runs hanganalyze once on all the cores, as one case (the processes of one
 * hang wait for each other: the analysis needs them together), its report
 * (stdout) on our stderr: the one next to our own executable, else the
 * first in PATH.
 */
static void analyze_cores(struct watchdog *w, char **cores, size_t ncores)
{
	char *sibling;
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	siginfo_t si;
	pid_t pid;
	int e, status = 0;

	if (ncores == 0)
		return;
	sibling = sibling_analyzer();
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &w->saved_mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

	if (!w->opts->quiet) {
		if (ncores == 1) {
			fprintf(stderr, "%s: analyzing '%s'\n", progname, cores[0]);
		} else {
			fprintf(stderr, "%s: analyzing %zu cores as one case:", progname, ncores);
			for (size_t i = 0; i < ncores; i++)
				fprintf(stderr, " '%s'", cores[i]);
			fputc('\n', stderr);
		}
	}
	e = spawn_analyzer(w->opts, sibling, cores, ncores, &actions, &attr, &pid);
	if (e == ENOENT && !sibling) {
		char dir[PATH_MAX];
		fprintf(stderr, "%s: cannot analyze the cores: 'hanganalyze' is neither next to hangsnap (in '%s') nor in PATH\n",
			progname, self_dir(dir, sizeof(dir)));
	} else if (e) {
		fprintf(stderr, "%s: error: cannot run '%s': %s\n", progname, sibling ? sibling : "hanganalyze", strerror(e));
	} else if (wait_for(w, pid, UINT64_MAX, &status, &si) == WAIT_SIGNAL) {
		/* told to stop: the cores stay for later */
		kill(pid, SIGTERM);
		if (wait_for(w, pid, hs_now_mono_ns() + WATCHDOG_STOP_GRACE_NS, &status, &si) != WAIT_EXITED) {
			kill(pid, SIGKILL);
			wait_for(w, pid, UINT64_MAX, &status, &si);
		}
		fprintf(stderr, "%s: analysis stopped by SIG%s\n", progname, sigabbrev_np(si.si_signo) ?: "?");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		/* 1: a finding at or above --fail-on, not a failure */
		if (ncores == 1)
			fprintf(stderr, "%s: warning: hanganalyze failed on '%s' (exit status %d)\n", progname, cores[0],
				exit_status_of(status));
		else
			fprintf(stderr, "%s: warning: hanganalyze failed on the %zu cores (exit status %d)\n", progname,
				ncores, exit_status_of(status));
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	free(sibling);
}

/* CMD outlived --timeout: snapshot its tree, kill it, analyze the cores. */
static int timed_out(struct watchdog *w)
{
	const struct options *opts = w->opts;
	struct hs_error *err;
	pid_t *tree = NULL;
	size_t n = 0, nsnap, ncores = 0, nkilled;
	char **cores = NULL;
	int status;
	bool more, done;
	struct proctree_query q = tree_query(w);

	if ((err = proctree_list(&q, &tree, &n, &more))) {
		fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
		hs_error_destroy(err);
		n = 0;
	}
	/* it may have exited at the last moment */
	reap_children(w, -1, &status, &done);
	if (w->cmd_reaped) {
		free(tree);
		return exit_status_of(w->cmd_status);
	}
	nsnap = MIN(n, (size_t)WATCHDOG_MAX_SNAPSHOTS);
	if (!opts->quiet) {
		fprintf(stderr, "%s: '%s' did not exit within %s s: ", progname, w->what, opts->timeout_arg);
		if (nsnap == 0)
			fprintf(stderr, "no process left to snapshot\n");
		else if (nsnap == 1)
			fprintf(stderr, "snapshotting pid %d\n", (int)tree[0]);
		else if (n == nsnap && !more)
			fprintf(stderr, "snapshotting pid %d and %zu descendant%s\n", (int)tree[0], nsnap - 1,
				nsnap == 2 ? "" : "s");
		else
			fprintf(stderr, "snapshotting pid %d and %zu descendants (not the other %s%zu: at most %u processes)\n",
				(int)tree[0], nsnap - 1, more ? "more than " : "", n - nsnap, WATCHDOG_MAX_SNAPSHOTS);
	}
	if (nsnap && opts->output && (err = make_directory(opts->output))) {
		fprintf(stderr, "%s: error: %s\n", progname, hs_error_message(err));
		hs_error_destroy(err);
		nsnap = 0;
	}
	if (nsnap && !(cores = calloc(nsnap, sizeof(*cores)))) {
		fprintf(stderr, "%s: error: out of memory\n", progname);
		nsnap = 0;
	}
	for (size_t i = 0; i < nsnap; i++) {
		char *path = capture_default_path(opts->output, tree[i], opts->compress);

		if (!path) {
			fprintf(stderr, "%s: error: out of memory\n", progname);
			break;
		}
		if (snapshot_process(opts, tree[i], path, false) == EXIT_OK)
			cores[ncores++] = path;
		else
			free(path);
	}
	nkilled = kill_tree(w);
	if (!opts->quiet) {
		if (nkilled > 1)
			fprintf(stderr, "%s: killed '%s' (pid %d) and %zu descendant%s\n", progname, w->what, (int)w->cmd_pid,
				nkilled - 1, nkilled == 2 ? "" : "s");
		else
			fprintf(stderr, "%s: killed '%s' (pid %d)\n", progname, w->what, (int)w->cmd_pid);
	}
	analyze_cores(w, cores, ncores);
	for (size_t i = 0; i < ncores; i++)
		free(cores[i]);
	free(cores);
	free(tree);
	return EXIT_TIMED_OUT;
}

/* fork + execvp; returns -1 when CMD runs, else the exit code */
static int start_command(struct watchdog *w)
{
	char **argv = w->opts->command;
	int pipefd[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		fprintf(stderr, "%s: error: cannot create a pipe: %s\n", progname, strerror(errno));
		return EXIT_INTERNAL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: error: cannot fork: %s\n", progname, strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return EXIT_INTERNAL;
	}
	if (pid == 0) {
		close(pipefd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != w->self)
			_exit(EXIT_INTERNAL);	/* hangsnap is already gone */
		sigaction(SIGCHLD, &w->saved_sigchld, NULL);
		sigprocmask(SIG_SETMASK, &w->saved_mask, NULL);
		execvp(argv[0], argv);
		e = errno;
		/* the parent says why: the pipe closes on exec, so data means failure */
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(EXIT_CANNOT_INVOKE);
		_exit(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
	}
	close(pipefd[1]);
	w->cmd_pid = pid;
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(e)) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		w->cmd_reaped = true;
		fprintf(stderr, "%s: error: cannot run '%s': %s\n", progname, argv[0], strerror(e));
		return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
	}
	return -1;
}

/* Our children from before (a shell's background jobs, kept across exec) are not CMD's. */
static struct hs_error *find_foreign_children(struct watchdog *w)
{
	struct proc_entry *table;
	struct hs_error *err;
	size_t ntable;

	if ((err = proctree_read_table(&table, &ntable)))
		return err;
	if (!(w->foreign = malloc((ntable + 1) * sizeof(*w->foreign)))) {
		free(table);
		return &hs_error_nomem;
	}
	for (size_t i = 0; i < ntable; i++)
		if (table[i].ppid == w->self)
			w->foreign[w->nforeign++] = table[i].pid;
	free(table);
	return NULL;
}

/*
 * Blocks what we wait for. A signal we were started with ignored (nohup:
 * SIGHUP) stays ignored, and CMD inherits that; SIGCHLD must not be
 * SIG_IGN, or the kernel would reap CMD for us.
 */
static void block_waited_signals(struct watchdog *w)
{
	sigemptyset(&w->waited);
	sigaddset(&w->waited, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(passed_on_signals); i++) {
		struct sigaction sa;
		if (sigaction(passed_on_signals[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
			sigaddset(&w->waited, passed_on_signals[i]);
	}
	sigaction(SIGCHLD, &(struct sigaction){ .sa_handler = SIG_DFL }, &w->saved_sigchld);
	sigprocmask(SIG_BLOCK, &w->waited, &w->saved_mask);
}

int watchdog_run(const struct options *opts)
{
	struct watchdog w = { .opts = opts };
	struct hs_error *err;
	uint64_t deadline;
	siginfo_t si;
	struct stat st;
	int rc, status;

	describe_command(opts->command, w.what, sizeof(w.what));
	w.self = getpid();
	if (opts->output && stat(opts->output, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: error: '%s' is not a directory (with --timeout, -o names the directory for the cores)\n",
			progname, opts->output);
		return EXIT_USAGE;
	}

	if ((err = find_foreign_children(&w)))
		return fail(err, EXIT_INTERNAL);

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		fprintf(stderr, "%s: warning: cannot become a child subreaper: %s; orphans of '%s' will not be followed\n",
			progname, strerror(errno), w.what);

	block_waited_signals(&w);

	deadline = hs_now_mono_ns() + opts->timeout_ns;
	if ((rc = start_command(&w)) >= 0)
		goto out;
	for (;;) {
		switch (wait_for(&w, w.cmd_pid, deadline, &status, &si)) {
		case WAIT_EXITED:
			rc = exit_status_of(status);
			goto out;
		case WAIT_SIGNAL:
			if (!w.stop_signal) {
				/* as timeout(1): CMD gets it, and its exit status is ours */
				w.stop_signal = si.si_signo;
				pass_on(&w, &si);
				deadline = MIN(deadline, hs_now_mono_ns() + WATCHDOG_STOP_GRACE_NS);
				continue;
			}
			/* a second signal: stop waiting */
			break;
		case WAIT_DEADLINE:
			if (!w.stop_signal) {
				rc = timed_out(&w);
				goto out;
			}
			if (!opts->quiet)
				fprintf(stderr, "%s: '%s' did not exit within 2 s of SIG%s\n", progname, w.what,
					sigabbrev_np(w.stop_signal) ?: "?");
			break;
		}
		/* told to stop, and CMD did not: no snapshot, kill everything */
		{
			size_t nkilled = kill_tree(&w);
			if (!opts->quiet && nkilled)
				fprintf(stderr, "%s: killed '%s' (pid %d)\n", progname, w.what, (int)w.cmd_pid);
		}
		rc = w.cmd_reaped ? exit_status_of(w.cmd_status) : 128 + w.stop_signal;
		if (w.cmd_reaped && WIFSIGNALED(w.cmd_status) && WTERMSIG(w.cmd_status) == SIGKILL)
			rc = 128 + w.stop_signal;
		goto out;
	}
out:
	free(w.foreign);
	return rc;
}
