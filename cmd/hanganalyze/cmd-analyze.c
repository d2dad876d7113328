/*
 * hanganalyze [analyze] [OPTIONS] CORE: see usage() and the README's
 * hanganalyze(1). Also the analysis pipeline that `check` shares:
 * options → user rules → core → model → reports → case database.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/analyze.h"
#include "analyzer/names.h"
#include "analyzer/tree.h"
#include "analyzer/user_rules.h"
#include "casedb/casedb.h"
#include "casedb/file_case.h"
#include "cmd/hanganalyze/hanganalyze.h"
#include "common/sandbox.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "common/version.h"
#include "formats/bundle.h"
#include "formats/elf_buildid.h"
#include "formats/tree_manifest.h"
#include "reports/report.h"

static void usage(FILE *out)
{
	fputs("usage: hanganalyze [analyze] [OPTIONS] CORE\n"
	      "       hanganalyze [analyze] [OPTIONS] DIR | CORE CORE...\n"
	      "\n"
	      "Unwinds and symbolizes every thread of CORE (an ELF core from hangsnap, gdb's gcore,\n"
	      "the kernel or systemd-coredump; plain or zstd), works out what each thread waits for,\n"
	      "names the hang (findings, most severe first), and stores the case in the case database.\n"
	      "\n"
	      "A process tree is one case: DIR written by hangsnap's tree mode (hangsnap(1)), or several\n"
	      "cores of one host given at once (at most 64), analyzed with one wait-for graph whose\n"
	      "edges cross processes (wait4 on a child, a pipe, a loopback connection, a file lock).\n"
	      "\n"
	      "options:\n"
	      "  -f, --format=FORMAT  one of (text is the default):\n",
	      out);
	print_format_help(out, REPORT_CASE);
	fputs("  -a, --all-threads    text: one block per thread instead of per group of identical stacks\n"
	      "  -e, --exe=PATH       the executable, when it is not at the path recorded in the core\n"
	      "      --sysroot=DIR    look up the core's file paths under DIR\n"
	      "      --search=DIR     also look for the core's executable, libraries and debug files\n"
	      "                       among the ELF files under DIR, by build-id (may be repeated;\n"
	      "                       also HANGANALYZE_PATH, colon-separated)\n"
	      "      --debug-dir=DIR  a debug-file directory with a .build-id/xx/yyyy.debug tree, like\n"
	      "                       gdb's debug-file-directory (may be repeated)\n"
	      "      --no-inline      do not show inlined calls as frames of their own\n"
	      "      --no-demangle    show C++ and Rust symbols by their raw (mangled) names\n"
	      "      --no-runtime     do not read interpreter (Ruby) stacks: native frames only\n"
	      "      --no-cache       neither use nor write the symbol cache\n"
	      "                       (${XDG_CACHE_HOME:-~/.cache}/hanganalyze/symbols)\n"
	      "      --rules=DIR      also load the user rules in DIR/*.rules (may be repeated)\n"
	      "      --no-default-rules  skip ~/.config/hanganalyze/rules.d and /etc/hanganalyze/rules.d\n"
	      "      --fail-on=SEVERITY  exit 1 when a finding is at least SEVERITY (low, medium, high, critical)\n"
	      "      --db=PATH|URI    the case database: an SQLite file, or a PostgreSQL server's\n"
	      "                       postgresql:// URI (default $HANGANALYZE_DB, else\n"
	      "                       ${XDG_DATA_HOME:-~/.local/share}/hanganalyze/cases.db)\n"
	      "      --no-db          do not store the case\n"
	      "  -q, --quiet          do not say on stderr where the case was stored\n"
	      "      --stats          print bytes read and decompressed from CORE and each stage's time on stderr\n"
	      "      --no-sandbox     analyze without the sandbox (seccomp, no_new_privs, Landlock; see the README)\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n"
	      "\n"
	      "Debug info is found as gdb and eu-stack find it: /usr/lib/debug/.build-id,\n"
	      ".gnu_debuglink, and debuginfod when DEBUGINFOD_URLS is set.\n"
	      "\n"
	      "exit status: 0 done, 1 a finding at or above --fail-on, 2 usage error (or a bad rule file),\n"
	      "3 the core is unreadable or corrupt (or the database is damaged or refused), 4 internal error\n"
	      "(or the database cannot be written); the report is printed before the case is filed\n",
	      out);
}

void analysis_init(struct analysis_options *a)
{
	*a = (struct analysis_options){
		.format = report_format_default(REPORT_CASE),
		.db_path = cli_globals.db_path,
		.no_db = cli_globals.no_db,
		.quiet = cli_globals.quiet,
	};
}

int analysis_parse_option(struct analysis_options *a, int opt, const char *arg)
{
	switch (opt) {
	case 'f': return parse_format(arg, REPORT_CASE, false, &a->format);
	case 'a': a->report.all_threads = true; return EXIT_DONE;
	case 'e': a->model.exe = arg; return EXIT_DONE;
	case 'q': a->quiet = true; return EXIT_DONE;
	case OPT_SYSROOT: a->model.sysroot = arg; return EXIT_DONE;
	case OPT_NO_INLINE: a->model.no_inline = true; return EXIT_DONE;
	case OPT_NO_DEMANGLE: a->model.no_demangle = true; return EXIT_DONE;
	case OPT_NO_RUNTIME: a->model.no_runtime = true; return EXIT_DONE;
	case OPT_STATS: a->stats = true; return EXIT_DONE;
	case OPT_RULES:
		if (a->nrule_dirs == sizeof(a->rule_dirs) / sizeof(a->rule_dirs[0])) {
			fputs("hanganalyze: too many --rules directories\n", stderr);
			return EXIT_USAGE;
		}
		a->rule_dirs[a->nrule_dirs++] = arg;
		return EXIT_DONE;
	case OPT_NO_DEFAULT_RULES: a->no_default_rules = true; return EXIT_DONE;
	case OPT_NO_CACHE: a->no_cache = true; return EXIT_DONE;
	case OPT_SEARCH:
	case OPT_DEBUG_DIR:
		if (!*arg) {
			fprintf(stderr, "hanganalyze: %s needs a directory\n", opt == OPT_SEARCH ? "--search" : "--debug-dir");
			return EXIT_USAGE;
		}
		if (opt == OPT_SEARCH ? a->nsearch == 48 : a->ndebug == sizeof(a->debug_dirs) / sizeof(a->debug_dirs[0])) {
			fprintf(stderr, "hanganalyze: too many %s directories\n", opt == OPT_SEARCH ? "--search" : "--debug-dir");
			return EXIT_USAGE;
		}
		if (opt == OPT_SEARCH)
			a->search_dirs[a->nsearch++] = arg;
		else
			a->debug_dirs[a->ndebug++] = arg;
		return EXIT_DONE;
	case OPT_DB: a->db_path = arg; a->no_db = false; return EXIT_DONE;
	case OPT_NO_DB: a->no_db = true; return EXIT_DONE;
	}
	return -1;
}

/* mkdir path with mode 0700 unless it exists; then it must be ours, a directory, not writable by others */
static bool private_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return false;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
}

/*
 * The symbol cache (analyzer/symcache.h): ${XDG_CACHE_HOME:-~/.cache}/
 * hanganalyze/symbols, made private, and hanganalyze's own build-id, which
 * its files must carry. No cache (silently: it only saves time) when
 * --no-cache, HANGANALYZE_NO_CACHE, or either cannot be had.
 */
static int setup_cache(struct analysis_options *a)
{
	const char *off = getenv("HANGANALYZE_NO_CACHE"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *base = NULL, *top = NULL, *dir = NULL;
	struct hs_error *err;

	if (a->no_cache || (off && *off && strcmp(off, "0") != 0))
		return EXIT_DONE;
	if ((err = elf_build_id_hex_path("/proc/self/exe", &a->analyzer_id))) {
		hs_error_destroy(err);
		a->analyzer_id = NULL;
		return EXIT_DONE;
	}
	if ((xdg && *xdg ? asprintf(&base, "%s", xdg) : home && *home ? asprintf(&base, "%s/.cache", home) : -1) < 0 ||
	    asprintf(&top, "%s/hanganalyze", base) < 0 || asprintf(&dir, "%s/symbols", top) < 0) {
		free(base);
		free(top);
		free(dir);
		return EXIT_DONE;
	}
	/* ~/.cache itself as XDG says (0700 when made); ours must be private: another user's files would be trusted */
	if ((mkdir(base, 0700) == 0 || errno == EEXIST) && private_dir(top) && private_dir(dir)) {
		a->cache_dir = dir;
		dir = NULL;
	}
	free(base);
	free(top);
	free(dir);
	if (a->cache_dir) {
		a->model.cache_dir = a->cache_dir;
		a->model.analyzer_id = a->analyzer_id;
	}
	return EXIT_DONE;
}

int analysis_begin(struct analysis_options *a)
{
	struct hs_error *err;
	int rc;

	const char *env = getenv("HANGANALYZE_PATH");

	if (!a->no_db && a->db_path && !*a->db_path) {
		fputs("hanganalyze: --db needs a path or a URI\n", stderr);
		return EXIT_USAGE;
	}
	/* HANGANALYZE_PATH: more search directories, after --search's, colon-separated like PATH */
	if (env && *env) {
		char *save = NULL;

		if (!(a->path_env = strdup(env))) {
			fputs("hanganalyze: out of memory\n", stderr);
			return EXIT_INTERNAL;
		}
		for (char *d = strtok_r(a->path_env, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			if (a->nsearch == sizeof(a->search_dirs) / sizeof(a->search_dirs[0])) {
				fputs("hanganalyze: too many directories in --search and HANGANALYZE_PATH\n", stderr);
				return EXIT_USAGE;
			}
			a->search_dirs[a->nsearch++] = d;
		}
	}
	a->model.search_dirs = a->search_dirs;
	a->model.nsearch = a->nsearch;
	a->model.debug_dirs = a->debug_dirs;
	a->model.ndebug = a->ndebug;
	if ((err = file_case_load_rules(a->rule_dirs, a->nrule_dirs, !a->no_default_rules, &a->user_rules))) {
		fprintf(stderr, "hanganalyze: %s\n", hs_error_message(err));
		rc = err->kind == HS_ERR_NOMEM ? EXIT_INTERNAL : EXIT_USAGE;
		hs_error_destroy(err);
		return rc;
	}
	a->model.user_rules = a->user_rules;
	return setup_cache(a);
}

/* Opens (creating) the database on the first case to store: an unreadable core leaves no database behind. */
static int open_db_once(struct analysis_options *a)
{
	struct hs_error *err;
	char *path;
	int rc;

	if (a->db || a->no_db)
		return EXIT_DONE;
	if (!(path = a->db_path ? strdup(a->db_path) : casedb_default_path())) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	/* messages name the database by casedb_name(): the path, or a server without its password */
	err = casedb_open(path, true, &a->db);
	free(path);
	if (err) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
		return rc;
	}
	return EXIT_DONE;
}

void analysis_end(struct analysis_options *a)
{
	casedb_close(a->db);
	a->db = NULL;
	user_rules_destroy(a->user_rules);
	a->user_rules = NULL;
	free(a->path_env);
	a->path_env = NULL;
	free(a->cache_dir);
	free(a->analyzer_id);
	a->cache_dir = a->analyzer_id = NULL;
	a->model.cache_dir = a->model.analyzer_id = NULL;
}

/* A directory from hangsnap --tree: its manifest's cores, root first. */
static int read_tree_dir(const char *dir, char ***paths_ret, size_t *n_ret, int32_t *root_ret)
{
	struct tree_manifest *tm = malloc(sizeof(*tm));
	struct hs_error *err;
	char **paths;
	size_t n = 0;

	if (!tm) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	if ((err = tree_manifest_read(dir, tm))) {
		int rc = err->kind == HS_ERR_OS && err->errnum == ENOENT
				 ? (fprintf(stderr, "hanganalyze: '%s' is a directory without a %s: not a 'hangsnap --tree' snapshot\n",
					    dir, TREE_MANIFEST_NAME), EXIT_BAD_INPUT)
				 : report_error(err, "cannot read the process tree in '%s'", dir);
		hs_error_destroy(err);
		free(tm);
		return rc;
	}
	if (!(paths = calloc(tm->n, sizeof(*paths)))) {
		free(tm);
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	for (size_t i = 0; i < tm->n; i++) {
		if (!tm->procs[i].core[0]) {
			fprintf(stderr, "hanganalyze: warning: pid %d of the tree in '%s' was not snapshotted\n",
				(int)tm->procs[i].pid, dir);
			continue;
		}
		if (!(paths[n] = tree_manifest_path(dir, tm->procs[i].core))) {
			for (size_t j = 0; j < n; j++)
				free(paths[j]);
			free(paths);
			free(tm);
			fputs("hanganalyze: out of memory\n", stderr);
			return EXIT_INTERNAL;
		}
		n++;
	}
	*root_ret = tm->procs[0].core[0] ? tm->procs[0].pid : 0;
	free(tm);
	if (n == 0) {
		free(paths);
		fprintf(stderr, "hanganalyze: the tree in '%s' holds no core\n", dir);
		return EXIT_BAD_INPUT;
	}
	*paths_ret = paths;
	*n_ret = n;
	return EXIT_DONE;
}

static bool is_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory a bundle is unpacked in: $TMPDIR, else /tmp. */
static const char *temp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

/* Is path a bundle (formats/bundle.h)? Unreadable files are not: the core reader says why. */
static bool path_is_bundle(const char *path, int *fd_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && bundle_sniff(fd)) {
		if (fd_ret)
			*fd_ret = fd;
		else
			close(fd);
		return true;
	}
	close(fd);
	return false;
}

/*
 * Unpacks the bundle open at fd (closing it) into unnamed files in the
 * temporary directory, capped at the room there; an exit code.
 */
static int unpack_bundle(const char *path, int fd, bool stats, struct bundle *b)
{
	const char *tmp = temp_dir();
	struct timespec t0, t1;
	struct statvfs vfs;
	struct hs_error *err;
	uint64_t room = BUNDLE_MAX_SIZE, total = 0;
	int rc;

	if (statvfs(tmp, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < room)
		room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bundle_read(fd, tmp, room, b);
	close(fd);
	if (err && err->kind == HS_ERR_LIMIT) {
		char free_text[32];

		fprintf(stderr, "hanganalyze: cannot unpack bundle '%s': its files need more than the %s free in '%s' "
			"(TMPDIR names where bundles are unpacked)\n", path, hs_format_bytes(room, free_text, sizeof(free_text)),
			tmp);
		rc = EXIT_INTERNAL;
	} else if (err && err->kind == HS_ERR_OS) {
		rc = report_error(err, "cannot unpack bundle '%s'", path);
		rc = EXIT_INTERNAL;
	} else if (err) {
		rc = report_error(err, "cannot read bundle '%s'", path);
	} else {
		rc = EXIT_DONE;
	}
	hs_error_destroy(err);
	if (rc == EXIT_DONE && stats) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		for (size_t i = 0; i < b->manifest.n; i++)
			total += b->manifest.entries[i].size;
		fprintf(stderr, "hanganalyze: bundle: a core and %zu files, %" PRIu64 " bytes, unpacked in %.1f ms\n",
			b->manifest.n - 1, total,
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	return rc;
}

int analysis_run(struct analysis_options *a, const char *core_path, struct model **model_ret, bool print)
{
	return analysis_run_paths(a, &core_path, 1, model_ret, print);
}

int analysis_run_paths(struct analysis_options *a, const char *const *paths, size_t npaths, struct model **model_ret,
		       bool print)
{
	struct report_options ropts = a->report;
	struct file_case_reports reports;
	enum file_case_step step;
	struct model *m;
	struct analyze_stats stages = { .nstages = 0 };
	struct hs_error *err;
	const char *core_path = paths[0], *open_path = paths[0];
	char **dir_paths = NULL, bundle_core[32];
	size_t ndir = 0;
	int32_t root_pid = 0;
	struct bundle bundle = { .fds = NULL };
	struct casedb_stored stored;
	uint64_t render_ns;
	bool known;
	int rc = EXIT_DONE, print_rc = EXIT_DONE, fd;

	*model_ret = NULL;
	ropts.core_path = core_path;
	if (npaths == 1 && is_directory(core_path)) {
		if ((rc = read_tree_dir(core_path, &dir_paths, &ndir, &root_pid)) != EXIT_DONE)
			return rc;
		paths = (const char *const *)dir_paths;
		npaths = ndir;
	} else if (npaths == 1 && path_is_bundle(core_path, &fd)) {
		/* a bundle: its core and files unpacked, unnamed; the core is found by fd, its files by build-id */
		if ((rc = unpack_bundle(core_path, fd, a->stats, &bundle)) != EXIT_DONE)
			return rc;
		snprintf(bundle_core, sizeof(bundle_core), "/proc/self/fd/%d", bundle.fds[0]);
		open_path = bundle_core;
		a->model.bundle_fds = bundle.fds + 1;
		a->model.nbundle = bundle.manifest.n - 1;
	} else {
		for (size_t i = 0; npaths > 1 && i < npaths; i++)
			if (path_is_bundle(paths[i], NULL)) {
				fprintf(stderr, "hanganalyze: '%s' is a bundle: a bundle is analyzed alone\n", paths[i]);
				return EXIT_USAGE;
			}
	}
	if (npaths == 1 && !dir_paths) {
		err = file_case_analyze(open_path, &a->model, a->opened, &stages, &m, &step);
	} else {
		size_t failed;
		err = file_case_analyze_tree(paths, npaths, root_pid, &a->model, a->opened, &m, &step, &failed);
		if (err && failed < npaths)
			core_path = paths[failed];
		else if (err) {
			rc = report_error(err, "cannot analyze the process tree of '%s'", core_path);
			hs_error_destroy(err);
			goto free_paths;
		}
	}
	if (err) {
		rc = report_error(err, bundle.fds ? (step == FILE_CASE_READ ? "cannot read the core in bundle '%s'"
									 : "cannot analyze the core in bundle '%s'")
				  : step == FILE_CASE_READ ? "cannot read core '%s'" : "cannot analyze core '%s'",
				  core_path);
		hs_error_destroy(err);
		goto free_paths;
	}
	/* several cores: the case is named by the root's */
	if (!dir_paths && m->procs.len > 1 && m->procs.items[0].core_path)
		ropts.core_path = core_path = m->procs.items[0].core_path;
	/*
	 * A stored case keeps the stored formats (text, JSON, HTML), so `show`
	 * prints exactly what this run would have in each. The asked-for one
	 * is rendered first and printed; the others once the database says the
	 * case is new (not for a core stored already, nor without a database).
	 */
	file_case_reports_init(&reports);
	render_ns = hs_now_mono_ns();
	err = file_case_render(m, &ropts, false, print ? a->format : NULL, &reports);
	render_ns = hs_now_mono_ns() - render_ns;
	if (err) {
		hs_error_destroy(err);
		fputs("hanganalyze: cannot render the report: out of memory\n", stderr);
		rc = EXIT_INTERNAL;
		goto out;
	}
	if (a->stats) {
		struct core_file_stats st;
		core_file_stats(m->core->file, &st);
		fprintf(stderr, "hanganalyze: core %" PRIu64 " bytes, read %" PRIu64 ", decompressed %" PRIu64
				" in %" PRIu64 " frames\n",
			core_file_size(m->core->file), st.bytes_read, st.bytes_decompressed, st.frames_decompressed);
		for (unsigned i = 0; i < stages.nstages; i++)
			fprintf(stderr, "hanganalyze: stage %-14s %8.1f ms\n", stages.stages[i].name,
				(double)stages.stages[i].ns / 1e6);
		if (print)
			fprintf(stderr, "hanganalyze: rendering %13.1f ms\n", (double)render_ns / 1e6);
		if (a->cache_dir)
			fprintf(stderr, "hanganalyze: symbol cache: %zu module%s from '%s', %zu derived anew\n",
				stages.cache_hits, stages.cache_hits == 1 ? "" : "s", a->cache_dir, stages.cache_new);
		else
			fprintf(stderr, "hanganalyze: symbol cache: off\n");
	}
	/*
	 * The report goes out before the case is filed: a database that cannot
	 * be opened or written (refused, damaged, a full disk) must not cost
	 * the analysis. The filing error follows it, with its exit code.
	 */
	if (print) {
		const struct strbuf *chosen = file_case_report(&reports, a->format);
		print_rc = write_stdout(chosen->buf ? chosen->buf : "", chosen->len);
	}
	if (!a->no_db && (rc = open_db_once(a)) != EXIT_DONE)
		goto out;
	if (a->db) {
		/* a core stored already needs none of the stored formats: they are rendered for a new case only */
		if ((err = casedb_find_case(a->db, m, &known, &stored))) {
			hs_error_destroy(err);	/* the store says what is wrong with the database */
			known = false;
		}
		if (!known) {
			render_ns = hs_now_mono_ns();
			if ((err = file_case_render_stored(m, &ropts, &reports))) {
				hs_error_destroy(err);
				fputs("hanganalyze: cannot render the report: out of memory\n", stderr);
				rc = EXIT_INTERNAL;
				goto out;
			}
			if (a->stats)
				fprintf(stderr, "hanganalyze: rendering the stored reports %.1f ms\n",
					(double)(hs_now_mono_ns() - render_ns) / 1e6);
		}
		if (!known && (err = file_case_store(a->db, m, core_path, &reports, &stored))) {
			rc = report_db_error(err, casedb_name(a->db));
			hs_error_destroy(err);
			goto out;
		}
		if (!a->quiet && stored.spooled)
			fprintf(stderr, "hanganalyze: %s\nhanganalyze: kept the case in the spool '%s' until the server is "
				"back: the next analysis or 'hanganalyze push' sends it\n", stored.why,
				casedb_spool_path(a->db));
		else if (!a->quiet && stored.existed)
			fprintf(stderr, "hanganalyze: this core is case %lld in '%s' already\n", (long long)stored.case_id,
				casedb_name(a->db));
		else if (!a->quiet && m->signature.hash)
			fprintf(stderr, "hanganalyze: stored case %lld in '%s': signature %s, %s, %lld case%s%s\n",
				(long long)stored.case_id, casedb_name(a->db), m->signature.hash, stored.status,
				(long long)stored.count, stored.count == 1 ? "" : "s",
				stored.regressed ? " (it was fixed: REGRESSED)" : "");
		else if (!a->quiet)
			fprintf(stderr, "hanganalyze: stored case %lld in '%s' (no hang found)\n", (long long)stored.case_id,
				casedb_name(a->db));
		if (!a->quiet && stored.pushed)
			fprintf(stderr, "hanganalyze: sent %lld spooled case%s to '%s'%s\n", (long long)stored.pushed,
				stored.pushed == 1 ? "" : "s", casedb_name(a->db), stored.push_left ? " (some are left)" : "");
	}
out:
	file_case_reports_deinit(&reports);
	if (rc == EXIT_DONE)
		rc = print_rc;
	if (rc != EXIT_DONE) {
		model_destroy(m);
		goto free_paths;
	}
	*model_ret = m;
free_paths:
	for (size_t i = 0; i < ndir; i++)
		free(dir_paths[i]);
	free(dir_paths);
	a->model.bundle_fds = NULL;
	a->model.nbundle = 0;
	bundle_free(&bundle);
	return rc;
}

/* The directory part of path ("." for a bare name), malloc'ed; NULL when out of memory. */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

/* What enter_sandbox() does once the cores are open. */
struct sandbox_plan {
	bool stats;
	const char *cache_dir;	/* the symbol cache's directory, or NULL */
	const char *off;	/* why there is no sandbox, or NULL */
	char *write_dir;	/* the case database's directory, or NULL: --no-db */
};

/*
 * The sandbox (common/sandbox.h) the cores are analyzed in, entered once
 * they are open (a non-seekable zstd core is decompressed into an unnamed
 * temporary file first): libdw's debug files are opened later, lazily
 * while unwinding, and read-only. The case database is opened after the
 * analysis, as without the sandbox (an unreadable core leaves no database
 * behind), so a case that is stored keeps SQLite's calls and write opens,
 * and Landlock (where offered) confines them to the database's directory.
 * With DEBUGINFOD_URLS set there is no sandbox: libdw's debuginfod client
 * needs the network and writes its cache.
 */
static void enter_sandbox(void *arg)
{
	struct sandbox_plan *p = arg;
	const char *selftest = getenv("HANGANALYZE_SANDBOX_SELFTEST");
	struct sandbox_status st = { .seccomp = false };
	int rc;

	if (!p->off) {
		/* HANGANALYZE_SANDBOX_LOG: the kernel logs the calls refused (a debugging aid, see the README) */
		if ((rc = sandbox_enter(p->write_dir, p->cache_dir, getenv("HANGANALYZE_SANDBOX_LOG") != NULL, &st)) < 0)
			fprintf(stderr, "hanganalyze: warning: cannot enter the sandbox: %s: analyzing unsandboxed\n",
				strerror(-rc));
	}
	if (p->stats && p->off)
		fprintf(stderr, "hanganalyze: sandbox off: %s\n", p->off);
	else if (p->stats && st.seccomp && st.landlock_abi)
		fprintf(stderr, "hanganalyze: sandbox: no_new_privs, seccomp, landlock ABI %d (writable: %s)\n",
			st.landlock_abi, p->write_dir ? p->write_dir : "nothing");
	else if (p->stats && st.seccomp)
		fprintf(stderr, "hanganalyze: sandbox: no_new_privs, seccomp; landlock not in force: %s\n",
			strerror(st.landlock_errno));
	/* test hook (tests/integration/run-sandbox.sh): what the sandbox must refuse, tried */
	if (selftest && *selftest) {
		int exec_errno, open_errno;
		sandbox_selftest(selftest, &exec_errno, &open_errno);
		fprintf(stderr, "hanganalyze: sandbox selftest: execve %s, open for writing %s\n",
			exec_errno ? strerrorname_np(exec_errno) : "ok", open_errno ? strerrorname_np(open_errno) : "ok");
	}
}

/* Decides whether and how enter_sandbox() will sandbox a's analysis; EXIT_DONE or EXIT_INTERNAL. */
static int plan_sandbox(const struct analysis_options *a, bool no_sandbox, struct sandbox_plan *p)
{
	const char *off = getenv("HANGANALYZE_NO_SANDBOX"), *urls = getenv("DEBUGINFOD_URLS");
	char *db;

	*p = (struct sandbox_plan){ .stats = a->stats, .cache_dir = a->cache_dir };
	if (no_sandbox)
		p->off = "--no-sandbox";
	else if (off && *off && strcmp(off, "0") != 0)
		p->off = "HANGANALYZE_NO_SANDBOX is set";
	else if (urls && *urls)
		p->off = "DEBUGINFOD_URLS is set: debuginfod needs the network";
	if (p->off || a->no_db)
		return EXIT_DONE;
	if (!(db = a->db_path ? strdup(a->db_path) : casedb_default_path())) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	if (casedb_is_server(db)) {
		/* the seccomp filter allows no sockets: libpq connects (and reconnects) after the analysis */
		p->off = "the case database is a PostgreSQL server: its client needs the network";
		free(db);
		return EXIT_DONE;
	}
	if (!(p->write_dir = parent_dir(db))) {
		free(db);
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	free(db);
	return EXIT_DONE;
}

int cmd_analyze(int argc, char **argv)
{
	static const struct option options[] = {
		ANALYSIS_LONG_OPTIONS,
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct analysis_options a;
	struct model *m;
	struct sandbox_plan plan = { .off = NULL };
	struct file_case_opened opened;
	bool no_sandbox = false;
	int fail_on = -1;
	int opt, rc;

	analysis_init(&a);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:ae:qhV", options, NULL)) != -1) {
		if ((rc = analysis_parse_option(&a, opt, optarg)) >= 0) {
			if (rc != EXIT_DONE)
				return rc;
			continue;
		}
		switch (opt) {
		case OPT_FAIL_ON:
			if ((fail_on = severity_from_name(optarg)) < 0) {
				fprintf(stderr, "hanganalyze: unknown severity '%s': use low, medium, high or critical\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_NO_SANDBOX: no_sandbox = true; break;
		case 'h': usage(stdout); return EXIT_DONE;
		case 'V': printf("hanganalyze %s\n", HANGSNAP_VERSION_STRING); return EXIT_DONE;
		default:
			fputs("usage: hanganalyze [analyze] [OPTIONS] CORE ('hanganalyze --help' for more)\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fputs("hanganalyze: no core file given\nusage: hanganalyze [analyze] [OPTIONS] CORE | DIR | CORE...\n", stderr);
		return EXIT_USAGE;
	}
	if ((size_t)(argc - optind) > TREE_MAX_PARTS) {
		fprintf(stderr, "hanganalyze: more than %u cores given: a process tree is at most %u processes\n",
			TREE_MAX_PARTS, TREE_MAX_PARTS);
		return EXIT_USAGE;
	}
	if ((rc = analysis_begin(&a)) != EXIT_DONE || (rc = plan_sandbox(&a, no_sandbox, &plan)) != EXIT_DONE) {
		analysis_end(&a);
		return rc;
	}
	opened = (struct file_case_opened){ enter_sandbox, &plan };
	a.opened = &opened;
	rc = analysis_run_paths(&a, (const char *const *)argv + optind, (size_t)(argc - optind), &m, true);
	if (rc == EXIT_DONE) {
		if (fail_on >= 0)
			for (size_t i = 0; i < m->findings.len; i++)
				if ((int)m->findings.items[i].severity >= fail_on)
					rc = EXIT_FINDING;
		model_destroy(m);
	}
	analysis_end(&a);
	free(plan.write_dir);
	return rc;
}
