/*
 * hangsnap --tree PID [-o DIR]: PID and its live descendants, one core each,
 * and DIR/tree.manifest (formats/tree_manifest.h) saying whose core is which
 * and who is whose parent, for hanganalyze DIR.
 *
 * The processes are listed once, breadth first, parents before children (at
 * most TREE_MANIFEST_MAX_PROCESSES), then snapshotted one after the other
 * through snapshot_process(), as the watchdog does: each is frozen only for
 * its own copy, so the tree is not one instant but a sequence of them, the
 * root first. A process that exits or refuses meanwhile keeps its line, with
 * no core, so that its children's parent is still listed. hangsnap itself is
 * left out (`hangsnap --tree $$` from a shell).
 *
 * The manifest is written last, once every core is on disk: a DIR with a
 * tree.manifest is a finished tree, which is why an existing one is refused
 * (without -f) before anything is snapshotted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/proc.h"
#include "capture/proctree.h"
#include "cmd/hangsnap/hangsnap.h"
#include "common/util.h"
#include "formats/tree_manifest.h"

/* processes followed under PID before the cap of the manifest is applied */
#define TREE_MAX_LISTED 4096u

/* clock ticks since boot into nanoseconds since boot, without overflowing first */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tck = hz > 0 ? (uint64_t)hz : 100;

	return ticks / tck * 1000000000u + ticks % tck * 1000000000u / tck;
}

/*
 * DIR, made ready: created 0700 when missing (*created_ret), refused with
 * EXIT_OUTPUT when it is not a directory or already holds a tree (unless
 * -f). Returns an exit code, or -1 to go on.
 */
static int prepare_dir(const struct options *opts, const char *dir, bool *created_ret)
{
	char *manifest = tree_manifest_path(dir, TREE_MANIFEST_NAME);
	struct stat st;
	int rc = -1;

	*created_ret = false;
	if (!manifest)
		return fail(&hs_error_nomem, EXIT_INTERNAL);
	if (mkdir(dir, 0700) == 0) {
		*created_ret = true;
	} else if (errno != EEXIST) {
		fprintf(stderr, "%s: error: cannot create directory '%s': %s\n", progname, dir, strerror(errno));
		rc = EXIT_OUTPUT;
	} else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: error: '%s' is not a directory (with --tree, -o names the directory for the cores)\n",
			progname, dir);
		rc = EXIT_OUTPUT;
	} else if (lstat(manifest, &st) == 0 && !opts->force) {
		fprintf(stderr, "%s: error: '%s' already holds a tree ('%s'; use --force to replace it)\n", progname, dir,
			manifest);
		rc = EXIT_OUTPUT;
	}
	free(manifest);
	return rc;
}

/*
 * PID's tree as the process table has it, hangsnap itself left out, capped
 * at TREE_MANIFEST_MAX_PROCESSES (a prefix of a breadth-first list keeps
 * every parent before its children). Says on stderr how many were left out.
 * When PID itself is not in the table as a live process, it is listed alone,
 * so that snapshot_process() says what is wrong with it.
 */
static int list_tree(const struct options *opts, const struct proc_stat *root, struct proc_entry **ret, size_t *n_ret)
{
	struct proctree_query q = { .parent = root->ppid, .first = opts->pid, .cap = TREE_MAX_LISTED, .first_only = true };
	struct proc_entry *tree;
	struct hs_error *err;
	size_t n, kept = 0;
	bool more;
	pid_t self = getpid();

	if ((err = proctree_list_entries(&q, &tree, &n, &more)))
		return fail(err, EXIT_INTERNAL);
	if (n == 0 || tree[0].pid != opts->pid) {
		free(tree);
		if (!(tree = malloc(sizeof(*tree))))
			return fail(&hs_error_nomem, EXIT_INTERNAL);
		tree[0] = (struct proc_entry){ .pid = opts->pid, .ppid = root->ppid, .starttime = root->starttime };
		n = 1;
		more = false;
	}
	for (size_t i = 0; i < n; i++)
		if (tree[i].pid != self || i == 0)
			tree[kept++] = tree[i];
	if (kept > TREE_MANIFEST_MAX_PROCESSES || more)
		fprintf(stderr, "%s: warning: the tree of pid %d has %s%zu processes: snapshotting the first %u, not the other %s%zu\n",
			progname, (int)opts->pid, more ? "more than " : "", kept, TREE_MANIFEST_MAX_PROCESSES,
			more ? "more than " : "", kept - MIN(kept, (size_t)TREE_MANIFEST_MAX_PROCESSES));
	*ret = tree;
	*n_ret = MIN(kept, (size_t)TREE_MANIFEST_MAX_PROCESSES);
	return -1;
}

/* DIR/tree.manifest, replacing an old one with -f (checked by prepare_dir()). */
static int write_manifest(const struct options *opts, const char *dir, const struct tree_manifest *m)
{
	struct hs_error *err;

	if (opts->force) {
		char *old = tree_manifest_path(dir, TREE_MANIFEST_NAME);
		if (!old)
			return fail(&hs_error_nomem, EXIT_INTERNAL);
		if (unlink(old) != 0 && errno != ENOENT) {
			fprintf(stderr, "%s: error: cannot replace '%s': %s\n", progname, old, strerror(errno));
			free(old);
			return EXIT_OUTPUT;
		}
		free(old);
	}
	if ((err = tree_manifest_write(dir, m)))
		return fail(err, EXIT_OUTPUT);
	return EXIT_OK;
}

/* Snapshots every process of tree into dir and fills *m; returns the root's exit code. */
static int snapshot_tree(const struct options *opts, const char *dir, const struct proc_entry *tree, size_t n,
			 struct tree_manifest *m, size_t *ncores_ret)
{
	int root_rc = EXIT_INTERNAL;

	*ncores_ret = 0;
	m->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct tree_process *t = &m->procs[m->n++];
		char *path = capture_default_path(dir, tree[i].pid, opts->compress);
		int rc;

		t->pid = (int32_t)tree[i].pid;
		t->ppid = (int32_t)tree[i].ppid;
		t->start_boot_ns = ticks_to_ns(tree[i].starttime);
		t->core[0] = '\0';
		if (!path) {
			rc = fail(&hs_error_nomem, EXIT_INTERNAL);
		} else if ((rc = snapshot_process(opts, tree[i].pid, path, true)) == EXIT_OK) {
			const char *base = strrchr(path, '/');
			snprintf(t->core, sizeof(t->core), "%s", base ? base + 1 : path);
			++*ncores_ret;
		} else if (i > 0) {
			fprintf(stderr, "%s: warning: pid %d is listed in the tree without a core\n", progname,
				(int)tree[i].pid);
		}
		free(path);
		if (i == 0)
			root_rc = rc;
	}
	return root_rc;
}

int tree_run(const struct options *opts)
{
	struct tree_manifest *m = NULL;
	struct proc_entry *tree = NULL;
	struct proc_stat root;
	struct hs_error *err;
	char *dir = NULL;
	size_t n = 0, ncores = 0;
	bool created;
	int rc, wrc;

	/* a pid that is not there makes no directory */
	if ((err = proc_read_stat(opts->pid, 0, &root))) {
		if (err->kind != HS_ERR_NO_PROCESS)
			return fail(err, EXIT_INTERNAL);
		hs_error_destroy(err);
		fprintf(stderr, "%s: error: no process with pid %d\n", progname, (int)opts->pid);
		return EXIT_NO_PROCESS;
	}
	if (opts->output)
		dir = strdup(opts->output);
	else if (asprintf(&dir, "tree.%d.%lld", (int)opts->pid, (long long)time(NULL)) < 0)
		dir = NULL;
	if (!dir || !(m = calloc(1, sizeof(*m)))) {
		rc = fail(&hs_error_nomem, EXIT_INTERNAL);
		goto out;
	}
	if ((rc = prepare_dir(opts, dir, &created)) >= 0)
		goto out;
	if ((rc = list_tree(opts, &root, &tree, &n)) >= 0)
		goto remove_dir;
	rc = snapshot_tree(opts, dir, tree, n, m, &ncores);
	if (ncores == 0)
		goto remove_dir;
	if ((wrc = write_manifest(opts, dir, m)) != EXIT_OK) {
		rc = wrc;
		goto out;
	}
	if (!opts->quiet) {
		if (ncores == m->n)
			fprintf(stderr, "%s: wrote tree of %zu process%s to '%s'\n", progname, m->n, m->n == 1 ? "" : "es", dir);
		else
			fprintf(stderr, "%s: wrote tree of %zu processes to '%s' (%zu without a core)\n", progname, m->n, dir,
				m->n - ncores);
	}
	if (rc == EXIT_OK && opts->analyze)
		rc = analyze_core(opts, dir);
	goto out;
remove_dir:
	/* nothing was written: no empty directory left behind */
	if (created)
		rmdir(dir);
out:
	free(tree);
	free(m);
	free(dir);
	return rc;
}
