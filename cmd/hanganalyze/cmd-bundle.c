/*
 * hanganalyze bundle CORE [-o FILE]: the core and every ELF file it needs —
 * the executable and libraries mapped in the process, each matched by the
 * build-id recorded in the core, and their separate debug files — in one
 * file (formats/bundle.h) that `hanganalyze FILE` analyzes anywhere.
 *
 * The files are the ones the analysis itself would use on this host: the
 * unwinder is asked for every module (analyze_options.resolve_all), so
 * --sysroot, --search, --debug-dir, /usr/lib/debug and debuginfod apply as
 * they do to an analysis. Each file is opened once, its build-id checked on
 * that open file, and copied from it.
 *
 * With --pid PID (hangsnap --bundle), the process is still there: paths are
 * looked up under /proc/PID/root (a container's files), and a module whose
 * file is gone or was replaced since it was mapped (an upgrade, "(deleted)")
 * is copied from /proc/PID/map_files/, the very file the process maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <gelf.h>

#include "casedb/file_case.h"
#include "cmd/hanganalyze/hanganalyze.h"
#include "common/outfile.h"
#include "common/util.h"
#include "formats/bundle.h"

#define DEFAULT_MAX_SIZE (2ull << 30)

static void usage(FILE *out)
{
	fputs("usage: hanganalyze bundle [OPTIONS] CORE [-o FILE]\n"
	      "\n"
	      "Writes CORE together with the ELF files it needs into one file that 'hanganalyze FILE'\n"
	      "analyzes on any machine, with none of them installed there: the executable and every\n"
	      "library mapped in the process whose build-id matches the one recorded in the core, and\n"
	      "their separate debug files (the vDSO is in the core already). Run it on the host the core\n"
	      "was taken on, while the files are still there. The file is a zstd-compressed tar stream\n"
	      "with a MANIFEST first (GNU tar lists it: tar -tvf FILE).\n"
	      "\n"
	      "options:\n"
	      "  -o, --output=FILE    the bundle (default: CORE's name less .hang/.zst, plus .bundle)\n"
	      "  -f, --force          replace an existing FILE\n"
	      "      --max-size=SIZE  refuse to write more than SIZE bytes of files (K/M/G suffixes;\n"
	      "                       default 2G)\n"
	      "      --level=N        zstd compression level, 1 to 19 (default 3)\n"
	      "  -e, --exe=PATH       the executable, when it is not at the path recorded in the core\n"
	      "      --sysroot=DIR    look up the core's file paths under DIR\n"
	      "      --search=DIR     also look for the files among the ELF files under DIR, by build-id\n"
	      "                       (may be repeated; also HANGANALYZE_PATH)\n"
	      "      --debug-dir=DIR  a debug-file directory with a .build-id tree (may be repeated)\n"
	      "      --no-debug       leave the separate debug files out (smaller; the receiver's own\n"
	      "                       /usr/lib/debug or debuginfod gives file:line, or nothing does)\n"
	      "      --pid=PID        CORE is a snapshot of the live process PID: look up its files under\n"
	      "                       /proc/PID/root, and take a file replaced or deleted since it was\n"
	      "                       mapped from /proc/PID/map_files (needs CAP_SYS_ADMIN)\n"
	      "  -q, --quiet          print nothing but errors and warnings\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "exit status: 0 written, 2 usage error, 3 CORE is unreadable or corrupt, 4 internal error,\n"
	      "5 FILE cannot be written (it exists, the bundle is larger than --max-size, the disk is full)\n",
	      out);
}

enum { EXIT_OUTPUT = 5, OPT_MAX_SIZE = 1000, OPT_LEVEL, OPT_PID, OPT_NO_DEBUG };

/* /proc/PID/map_files/START-END of pid's mapping that starts at start (a new string), or NULL */
static char *mapped_file(pid_t pid, uint64_t start)
{
	char maps[64], line[512], *out = NULL;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(maps, "re")))
		return NULL;
	while (!out && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && lo == start &&
		    asprintf(&out, "/proc/%d/map_files/%llx-%llx", (int)pid, lo, hi) < 0)
			out = NULL;
	}
	fclose(f);
	return out;
}


/* One file that goes into the bundle, open. */
struct item {
	struct bundle_entry e;
	int fd;
};

/* Is the file open at fd an ELF file with build-id hex? */
static bool fd_has_build_id(int fd, const char *hex)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const unsigned char *id;
	ssize_t len;
	bool ok = false;

	if (elf && elf_kind(elf) == ELF_K_ELF && (len = dwelf_elf_gnu_build_id(elf, (const void **)&id)) > 0 &&
	    strlen(hex) == 2 * (size_t)len) {
		ok = true;
		for (ssize_t i = 0; ok && i < len; i++) {
			char two[3];
			snprintf(two, sizeof(two), "%02x", id[i]);
			ok = hex[2 * i] == two[0] && hex[2 * i + 1] == two[1];
		}
	}
	elf_end(elf);
	return ok;
}

/* base (a path's last component) as a member name: [A-Za-z0-9._+-], no leading '.', after prefix; into out. */
static void member_name(char *out, size_t size, const char *prefix, const char *path)
{
	static const char deleted[] = " (deleted)";
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = (size_t)snprintf(out, size, "%s", prefix), len = strlen(base);

	/* a file replaced since it was mapped: named as it was */
	if (len > sizeof(deleted) - 1 && strcmp(base + len - (sizeof(deleted) - 1), deleted) == 0)
		len -= sizeof(deleted) - 1;
	for (const char *stop = base + len; base < stop && n + 1 < size; base++, n++) {
		char c = *base;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			  c == '_' || c == '+' || c == '-';
		out[n] = ok && !(n == 0 && c == '.') ? c : '_';
	}
	if (n == 0)
		out[n++] = '_';
	out[n] = '\0';
}

/* Opens path for the bundle when it is a regular file with build-id hex; -1 (and a warning naming why) else. */
static int open_checked(const char *path, const char *hex, const char *module, const char *what, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0) {
		fprintf(stderr, "hanganalyze: warning: cannot open '%s', the %s of '%s': %s; the bundle goes without it\n",
			path, what, module, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !fd_has_build_id(fd, hex)) {
		fprintf(stderr, "hanganalyze: warning: '%s' is no longer the %s of '%s' (build-id %s); the bundle goes "
			"without it\n", path, what, module, hex);
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Adds entry e (taking fd) to items, unless a file of that kind and build-id is there already. */
static bool add_item(struct item **items, size_t *n, struct bundle_entry *e, int fd)
{
	struct item *grown;

	for (size_t i = 0; i < *n; i++)
		if ((*items)[i].e.kind == e->kind && strcmp((*items)[i].e.build_id, e->build_id) == 0) {
			close(fd);
			free(e->path);
			return true;
		}
	if (*n >= BUNDLE_MAX_ENTRIES || !(grown = realloc(*items, (*n + 1) * sizeof(**items)))) {
		close(fd);
		free(e->path);
		return false;
	}
	*items = grown;
	grown[*n] = (struct item){ .e = *e, .fd = fd };
	(*n)++;
	return true;
}

/*
 * Adds the file open at fd (size bytes, build-id build_id) as an ELF or
 * debug file, recorded as path (made absolute), its member named after
 * name; an exit code.
 */
static int add_file_item(struct item **items, size_t *n, enum bundle_kind kind, const char *name,
			 const char *build_id, const char *path, int fd, uint64_t size)
{
	struct bundle_entry e = { .kind = kind, .size = size };
	char prefix[16];
	size_t len;

	snprintf(prefix, sizeof(prefix), "%03zu-", *n);
	member_name(e.member, sizeof(e.member), prefix, name);
	len = strlen(e.member);
	if (kind == BUNDLE_DEBUG && (len < 6 || strcmp(e.member + len - 6, ".debug") != 0) && len + 6 < sizeof(e.member))
		strcat(e.member, ".debug");
	snprintf(e.build_id, sizeof(e.build_id), "%s", build_id);
	if (!(e.path = path[0] == '/' ? strdup(path) : realpath(path, NULL)) && !(e.path = strdup(path))) {
		close(fd);
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	if (!add_item(items, n, &e, fd)) {
		fputs("hanganalyze: out of memory, or more than 4096 files\n", stderr);
		return EXIT_INTERNAL;
	}
	return EXIT_DONE;
}

static char *default_output(const char *core)
{
	const char *base = strrchr(core, '/') ? strrchr(core, '/') + 1 : core;
	size_t len = strlen(base);
	char *out;

	if (len > 4 && strcmp(base + len - 4, ".zst") == 0)
		len -= 4;
	if (len > 5 && strncmp(base + len - 5, ".hang", 5) == 0)
		len -= 5;
	return asprintf(&out, "%.*s.bundle", (int)len, base) < 0 ? NULL : out;
}

/* The bundle of items into out; an exit code. */
static int write_bundle(const char *out_path, bool force, int level, struct item *items, size_t n, uint64_t *written)
{
	struct bundle_manifest man = { .entries = calloc(n, sizeof(struct bundle_entry)), .n = n };
	struct bundle_writer *w = NULL;
	struct outfile out = { .fd = -1 };
	struct hs_error *err;
	char *text = NULL;
	size_t len;
	int rc = EXIT_DONE;

	if (!man.entries) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	for (size_t i = 0; i < n; i++)
		man.entries[i] = items[i].e;
	err = bundle_manifest_format(&man, &text, &len);
	free(man.entries);	/* the entries' paths are the items' */
	if (!err && (err = outfile_open(out_path, force, &out))) {
		rc = err->kind == HS_ERR_EXISTS ? (fprintf(stderr, "hanganalyze: '%s' exists (use --force to replace it)\n",
							   out_path), EXIT_OUTPUT)
						: report_error(err, "cannot create '%s'", out_path);
		if (err->kind != HS_ERR_EXISTS && err->kind != HS_ERR_NOMEM)
			rc = EXIT_OUTPUT;
		hs_error_destroy(err);
		free(text);
		return rc;
	}
	if (!err)
		err = bundle_writer_open(out.fd, level, 2, &w);
	if (!err)
		err = bundle_writer_add_buffer(w, BUNDLE_MANIFEST_NAME, text, len);
	for (size_t i = 0; i < n && !err; i++)
		err = bundle_writer_add_file(w, items[i].e.member, items[i].fd, items[i].e.size);
	if (!err)
		err = bundle_writer_finish(w, written);
	if (!err && fsync(out.fd) != 0)
		err = hs_error_errno(errno, "cannot write the bundle");
	if (!err)
		err = outfile_commit(&out);
	if (err) {
		rc = report_error(err, "cannot write '%s'", out_path);
		if (err->kind != HS_ERR_NOMEM && err->kind != HS_ERR_INTERNAL)
			rc = EXIT_OUTPUT;
		hs_error_destroy(err);
		outfile_abort(&out);
	}
	bundle_writer_free(w);
	free(text);
	return rc;
}

int cmd_bundle(int argc, char **argv)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "exe", required_argument, NULL, 'e' },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "search", required_argument, NULL, OPT_SEARCH },
		{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "no-debug", no_argument, NULL, OPT_NO_DEBUG },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct analysis_options a;
	const char *core, *output = NULL;
	char *output_owned = NULL, sz[32], szc[32], szf[32], szmax[32], proc_root[32];
	struct item *items = NULL;
	size_t nitems = 0, nmissing = 0;
	struct model *m = NULL;
	struct hs_error *err;
	enum file_case_step step;
	uint64_t max_size = DEFAULT_MAX_SIZE, total = 0, written = 0, size;
	bool force = false, no_debug = false;
	pid_t pid = 0;
	int level = 3, opt, rc, fd;

	analysis_init(&a);
	a.no_db = true;
	a.no_default_rules = true;
	a.model.no_runtime = true;	/* the files are what is wanted, not the interpreter's stacks */
	a.model.resolve_all = true;
	a.no_cache = true;	/* every file is read in full anyway */
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:fe:qh", options, NULL)) != -1) {
		char *end;
		long v;

		switch (opt) {
		case 'o': output = optarg; break;
		case 'f': force = true; break;
		case OPT_MAX_SIZE:
			if (!hs_parse_size(optarg, &max_size) || max_size == 0) {
				fprintf(stderr, "hanganalyze: bad --max-size '%s': a size like 500M or 4G\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LEVEL:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 19) {
				fprintf(stderr, "hanganalyze: bad --level '%s': 1 to 19\n", optarg);
				return EXIT_USAGE;
			}
			level = (int)v;
			break;
		case OPT_NO_DEBUG: no_debug = true; break;
		case OPT_PID:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > INT32_MAX) {
				fprintf(stderr, "hanganalyze: bad --pid '%s': a process id\n", optarg);
				return EXIT_USAGE;
			}
			pid = (pid_t)v;
			break;
		case 'e': case 'q': case OPT_SYSROOT: case OPT_SEARCH: case OPT_DEBUG_DIR:
			if ((rc = analysis_parse_option(&a, opt, optarg)) != EXIT_DONE)
				return rc;
			break;
		case 'h': usage(stdout); return EXIT_DONE;
		default:
			fputs("usage: hanganalyze bundle [OPTIONS] CORE [-o FILE] ('hanganalyze bundle --help' for more)\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(optind == argc ? "hanganalyze: bundle: no core file given\n" : "hanganalyze: bundle takes one core\n",
		      stderr);
		return EXIT_USAGE;
	}
	core = argv[optind];
	if (!output && !(output = output_owned = default_output(core))) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	/* the live process's own root: its container's files (kill -0: only while it is there) */
	snprintf(proc_root, sizeof(proc_root), "/proc/%d/root", (int)pid);
	if (pid && !a.model.sysroot && access(proc_root, X_OK) == 0)
		a.model.sysroot = proc_root;
	if ((rc = analysis_begin(&a)) != EXIT_DONE)
		goto out;
	/* the core first: opened once, copied from that open file */
	if ((fd = open(core, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0) {
		fprintf(stderr, "hanganalyze: cannot open core '%s': %s\n", core, strerror(errno));
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	{
		struct stat st;
		char proc_path[32];
		struct bundle_entry e = { .kind = BUNDLE_CORE };

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "hanganalyze: core '%s' is not a regular file\n", core);
			close(fd);
			rc = EXIT_BAD_INPUT;
			goto out;
		}
		if (bundle_sniff(fd)) {
			fprintf(stderr, "hanganalyze: '%s' is a bundle already\n", core);
			close(fd);
			rc = EXIT_USAGE;
			goto out;
		}
		member_name(e.member, sizeof(e.member), "", core);
		e.size = (uint64_t)st.st_size;
		if (!(e.path = strdup(core)) || !add_item(&items, &nitems, &e, fd)) {
			fputs("hanganalyze: out of memory\n", stderr);
			rc = EXIT_INTERNAL;
			goto out;
		}
		/* analyzed through the same open file that is copied */
		snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
		err = file_case_analyze(proc_path, &a.model, NULL, NULL, &m, &step);
	}
	if (err) {
		rc = report_error(err, step == FILE_CASE_READ ? "cannot read core '%s'" : "cannot analyze core '%s'", core);
		hs_error_destroy(err);
		goto out;
	}
	for (size_t i = 0; i < m->modules.len; i++) {
		const struct module_info *mi = &m->modules.items[i];
		char *mapped = NULL, *by_id = NULL;
		const char *debug = mi->debug_path;
		uint64_t dsize;
		int dfd;

		if (!mi->build_id) {
			if (mi->elf_path)
				fprintf(stderr, "hanganalyze: warning: '%s' has no build-id: it cannot be matched, the bundle "
					"goes without it\n", mi->name);
			continue;
		}
		fd = -1;
		if (mi->elf_path)
			fd = open_checked(mi->elf_path, mi->build_id, mi->name, "file", &size);
		/* --pid: the very file the process maps, when the one at its path is gone or another (an upgrade) */
		if (fd < 0 && pid && mi->name[0] == '/' && (mapped = mapped_file(pid, mi->start)))
			fd = open_checked(mapped, mi->build_id, mi->name, "mapped file", &size);
		free(mapped);
		if (fd < 0) {
			if (mi->name[0] == '/') {
				fprintf(stderr, "hanganalyze: warning: no file with build-id %s for '%s' on this host: the "
					"bundle goes without it\n", mi->build_id, mi->name);
				nmissing++;
			}
			continue;
		}
		if ((rc = add_file_item(&items, &nitems, BUNDLE_ELF, mi->name, mi->build_id, mi->name, fd, size)) != EXIT_DONE)
			goto out;
		/* its debug file: the one the analysis found, else (a file libdwfl never had) by build-id */
		if (!debug && strlen(mi->build_id) > 2 &&
		    asprintf(&by_id, "%s/usr/lib/debug/.build-id/%.2s/%s.debug", a.model.sysroot ? a.model.sysroot : "",
			     mi->build_id, mi->build_id + 2) > 0 && access(by_id, F_OK) == 0)
			debug = by_id;
		if (no_debug)
			debug = NULL;
		if (debug && (dfd = open_checked(debug, mi->build_id, mi->name, "debug file", &dsize)) >= 0 &&
		    (rc = add_file_item(&items, &nitems, BUNDLE_DEBUG, mi->name, mi->build_id, debug, dfd, dsize)) != EXIT_DONE) {
			free(by_id);
			goto out;
		}
		free(by_id);
		/* the dwz file its debug info refers to (.gnu_debugaltlink), shared by several modules: once */
		if (!no_debug && mi->alt_path && mi->alt_build_id &&
		    (dfd = open_checked(mi->alt_path, mi->alt_build_id, mi->name, "dwz file", &dsize)) >= 0 &&
		    (rc = add_file_item(&items, &nitems, BUNDLE_DEBUG, mi->alt_path, mi->alt_build_id, mi->alt_path, dfd,
					dsize)) != EXIT_DONE)
			goto out;
	}
	for (size_t i = 0; i < nitems; i++)
		total += items[i].e.size;
	if (total > max_size) {
		hs_format_bytes(total, sz, sizeof(sz));
		hs_format_bytes(items[0].e.size, szc, sizeof(szc));
		hs_format_bytes(total - items[0].e.size, szf, sizeof(szf));
		hs_format_bytes(max_size, szmax, sizeof(szmax));
		fprintf(stderr, "hanganalyze: the bundle would hold %s (the core %s, %zu files %s more), over --max-size "
			"%s: nothing written\n", sz, szc, nitems - 1, szf, szmax);
		rc = EXIT_OUTPUT;
		goto out;
	}
	if ((rc = write_bundle(output, force, level, items, nitems, &written)) != EXIT_DONE)
		goto out;
	if (!a.quiet) {
		hs_format_bytes(written, sz, sizeof(sz));
		hs_format_bytes(total, szc, sizeof(szc));
		printf("%s: %s (%s of files: the core and %zu ELF and debug files%s)\n", output, sz, szc, nitems - 1,
		       nmissing ? ", some missing: see the warnings" : "");
	}
out:
	for (size_t i = 0; i < nitems; i++) {
		close(items[i].fd);
		free(items[i].e.path);
	}
	free(items);
	model_destroy(m);
	analysis_end(&a);
	free(output_owned);
	return rc;
}
