/*
 * hanganalyze queue [--all] [--format=text|json|html] [--out DIR [--force]]
 * [--db PATH|URI]: the triage queue, most urgent first.
 *
 * --format=html --out DIR writes a small static site: DIR/index.html (the
 * queue, sortable) and DIR/case-ID.html for each listed signature's latest
 * case (its stored HTML report, byte for byte), linked relatively so DIR can
 * be copied anywhere or served as is. DIR is created (0700) when missing;
 * files are written whole or not at all (common/outfile.h: 0600, a
 * temporary then a rename, never through a symlink). A page that exists
 * already is replaced only with --force, so a cron job regenerating the
 * site passes --force and a typo in DIR cannot overwrite someone's files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casedb/casedb.h"
#include "cmd/hanganalyze/hanganalyze.h"
#include "common/outfile.h"

enum { OPT_OUT = 300, OPT_FORCE };

static void usage(FILE *out)
{
	char names[64];

	fprintf(out, "usage: hanganalyze queue [--all] [--format=%s] [--out DIR [--force]] [--db PATH|URI]\n",
		report_format_synopsis(REPORT_QUEUE, false, names, sizeof(names)));
	fputs("\n"
	      "Lists the hang signatures of the case database, most urgent first: regressed (a fixed\n"
	      "hang seen again), then new, then triaged; within each, by severity, count and last seen.\n"
	      "Fixed and ignored signatures are left out unless --all is given.\n"
	      "\n"
	      "--format=html prints one self-contained page, the queue as a sortable table. With\n"
	      "--out DIR it writes DIR/index.html instead, and beside it DIR/case-ID.html, the HTML\n"
	      "report of each signature's latest case, linked from the table (without --out nothing\n"
	      "is linked). DIR is created when missing; existing pages are replaced only with --force.\n"
	      "\n"
	      "options:\n"
	      "      --all            also list fixed and ignored signatures\n"
	      "  -f, --format=FORMAT  text (default), json or html\n"
	      "      --out=DIR        html: write DIR/index.html and the case pages\n"
	      "      --force          replace existing pages under --out\n"
	      "      --db=PATH|URI    the case database: an SQLite file, or a PostgreSQL server's\n"
	      "                       postgresql:// URI (default $HANGANALYZE_DB, else\n"
	      "                       ${XDG_DATA_HOME:-~/.local/share}/hanganalyze/cases.db)\n"
	      "  -h, --help           show this help\n",
	      out);
}

static int write_file(const char *path, const char *data, size_t len, bool force)
{
	struct outfile of;
	struct hs_error *err;
	int rc;

	if ((err = outfile_open(path, force, &of)))
		goto fail;
	while (len > 0) {
		ssize_t n = write(of.fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = hs_error_errno(n < 0 ? errno : EIO, "cannot write '%s'", path);
			outfile_abort(&of);
			goto fail;
		}
		data += n;
		len -= (size_t)n;
	}
	if (!(err = outfile_commit(&of)))
		return EXIT_DONE;
	outfile_abort(&of);
fail:
	fprintf(stderr, "hanganalyze: %s\n", hs_error_message(err));
	rc = err->kind == HS_ERR_EXISTS ? EXIT_USAGE : EXIT_INTERNAL;
	hs_error_destroy(err);
	return rc;
}

static char *join_path(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/*
 * The case pages beside the queue page in out_dir (marking the rows whose
 * page was written), then the queue page itself; returns an exit code.
 */
static int queue_site(struct casedb *db, const struct casedb_group_list *groups, struct report_queue_row *rows,
		      struct report_queue *q, const char *out_dir, bool force, bool quiet)
{
	struct strbuf page;
	struct stat st;
	size_t pages = 0;
	char *path = NULL;
	int rc = EXIT_DONE;

	strbuf_init(&page);
	if (mkdir(out_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "hanganalyze: cannot create '%s': %s\n", out_dir, strerror(errno));
		rc = EXIT_INTERNAL;
		goto out;
	}
	if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hanganalyze: '%s' is not a directory\n", out_dir);
		rc = EXIT_USAGE;
		goto out;
	}
	/* refuse before writing anything, rather than halfway */
	if (!force) {
		for (size_t i = 0; i <= groups->len && rc == EXIT_DONE; i++) {
			char file[32];
			const char *name = i == groups->len ? "index.html"
				: report_html_case_file(groups->items[i].latest_case, file, sizeof(file));
			if (i < groups->len && !groups->items[i].latest_case)
				continue;
			if (!(path = join_path(out_dir, name))) {
				rc = EXIT_INTERNAL;
				break;
			}
			if (lstat(path, &st) == 0) {
				fprintf(stderr, "hanganalyze: '%s' already exists (use --force to replace it)\n", path);
				rc = EXIT_USAGE;
			}
			free(path);
			path = NULL;
		}
		if (rc != EXIT_DONE)
			goto out;
	}
	for (size_t i = 0; i < groups->len; i++) {
		const struct casedb_group *g = &groups->items[i];
		struct report_queue_row *r = &rows[i];

		if (g->latest_case) {
			struct hs_error *err;
			char *report = NULL, file[32];
			size_t len = 0;

			if ((err = casedb_case_report(db, g->latest_case, "html", &report, &len))) {
				if (err->kind != HS_ERR_INVALID) {
					rc = report_db_error(err, NULL);
					hs_error_destroy(err);
					goto out;
				}
				/* stored before cases kept their HTML report: listed, not linked */
				fprintf(stderr, "hanganalyze: case %lld has no HTML report (analyze its core again to get one); "
						"not linked\n", (long long)g->latest_case);
				hs_error_destroy(err);
				continue;
			}
			if (!(path = join_path(out_dir, report_html_case_file(g->latest_case, file, sizeof(file))))) {
				free(report);
				rc = EXIT_INTERNAL;
				goto out;
			}
			rc = write_file(path, report, len, force);
			free(report);
			free(path);
			path = NULL;
			if (rc != EXIT_DONE)
				goto out;
			r->has_page = true;
			pages++;
		}
	}
	q->links = true;
	if (!report_queue_html(q, &page)) {
		fputs("hanganalyze: cannot render the queue: out of memory\n", stderr);
		rc = EXIT_INTERNAL;
		goto out;
	}
	if (!(path = join_path(out_dir, "index.html"))) {
		rc = EXIT_INTERNAL;
		goto out;
	}
	if ((rc = write_file(path, page.buf, page.len, force)) == EXIT_DONE && !quiet)
		fprintf(stderr, "hanganalyze: wrote '%s' and %zu case page%s\n", path, pages, pages == 1 ? "" : "s");
out:
	free(path);
	strbuf_deinit(&page);
	return rc;
}

int cmd_queue(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct casedb_group_list groups = VEC_INIT;
	const struct report_format *format = report_format_default(REPORT_QUEUE);
	const char *db_path = cli_globals.db_path, *out_dir = NULL;
	bool all = false, force = false, html;
	struct report_queue_row *rows = NULL;
	struct report_queue q;
	struct casedb *db;
	struct hs_error *err;
	struct strbuf out;
	char *path;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_ALL: all = true; break;
		case OPT_DB: db_path = optarg; break;
		case 'f':
			if (parse_format(optarg, REPORT_QUEUE, false, &format) != EXIT_DONE)
				return EXIT_USAGE;
			break;
		case OPT_OUT:
			if (!*optarg) {
				fputs("hanganalyze: --out needs a directory\n", stderr);
				return EXIT_USAGE;
			}
			out_dir = optarg;
			break;
		case OPT_FORCE: force = true; break;
		case 'h': usage(stdout); return EXIT_DONE;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hanganalyze: queue takes no arguments\n");
		return EXIT_USAGE;
	}
	html = format == report_format_find("html", REPORT_QUEUE);
	if ((out_dir || force) && !html) {
		fprintf(stderr, "hanganalyze: %s goes with --format=html\n", out_dir ? "--out" : "--force");
		return EXIT_USAGE;
	}
	if ((rc = needs_database("queue", db_path)) != EXIT_DONE)
		return rc;
	/* an empty queue is not an error: the database is created on first use */
	if (!(path = db_path ? strdup(db_path) : casedb_default_path())) {
		fputs("hanganalyze: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	if ((err = casedb_open(path, true, &db))) {
		rc = report_db_error(err, path);
		hs_error_destroy(err);
		free(path);
		return rc;
	}
	if ((err = casedb_queue(db, all, &groups))) {
		rc = report_db_error(err, NULL);
		hs_error_destroy(err);
		goto out;
	}
	if (!(rows = calloc(groups.len + 1, sizeof(*rows)))) {
		fputs("hanganalyze: out of memory\n", stderr);
		rc = EXIT_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < groups.len; i++)
		queue_row_from_group(&rows[i], &groups.items[i]);
	{
		/* the database's file name (a server's: its database name) only: the page may be published,
		 * its directory — or a connection string's host and user, or a password — is nobody's business */
		const char *name = casedb_name(db), *slash = strrchr(name, '/');

		q = (struct report_queue){
			.rows = rows, .nrows = groups.len, .all = all, .source = slash ? slash + 1 : name,
		};
	}
	if (out_dir) {
		rc = queue_site(db, &groups, rows, &q, out_dir, force, cli_globals.quiet);
		goto out;
	}
	strbuf_init(&out);
	if (format->render_queue(&q, &out)) {
		rc = write_stdout(out.buf, out.len);	/* says itself why it failed */
	} else {
		fputs("hanganalyze: cannot render the queue: out of memory\n", stderr);
		rc = EXIT_INTERNAL;
	}
	strbuf_deinit(&out);
out:
	free(rows);
	free(path);
	casedb_group_list_deinit(&groups);
	casedb_close(db);
	return rc;
}
