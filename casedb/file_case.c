/*
 * Analyze a core and file it as a case (see file_case.h).
 */
#include "casedb/file_case.h"

#include <stdio.h>
#include <stdlib.h>

#include "analyzer/user_rules.h"
#include "analyzer/tree.h"
#include "formats/elfcore_reader.h"

struct hs_error *file_case_load_rules(const char *const *dirs, size_t ndirs, bool defaults, struct user_rules **ret)
{
	struct user_rules *r;
	struct hs_error *err;

	*ret = NULL;
	if ((err = user_rules_create(&r)))
		return err;
	if (defaults) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		char path[4096];

		if (xdg && *xdg)
			snprintf(path, sizeof(path), "%s/hanganalyze/rules.d", xdg);
		else
			snprintf(path, sizeof(path), "%s/.config/hanganalyze/rules.d", home ? home : "");
		if ((err = user_rules_load_dir(r, path, true)) ||
		    (err = user_rules_load_dir(r, "/etc/hanganalyze/rules.d", true)))
			goto fail;
	}
	for (size_t i = 0; i < ndirs; i++)
		if ((err = user_rules_load_dir(r, dirs[i], false)))
			goto fail;
	*ret = r;
	return NULL;
fail:
	user_rules_destroy(r);
	return err;
}

struct hs_error *file_case_analyze(const char *core_path, const struct analyze_options *opts,
				   const struct file_case_opened *opened, struct analyze_stats *stats_ret,
				   struct model **ret, enum file_case_step *step_ret)
{
	struct elfcore *core;
	struct hs_error *err;

	*ret = NULL;
	if ((err = elfcore_open(core_path, &core))) {
		if (step_ret)
			*step_ret = FILE_CASE_READ;
		return err;
	}
	if (opened)
		opened->fn(opened->arg);
	/* analyze_core takes the core over, on failure too */
	if ((err = analyze_core(core, opts, stats_ret, ret))) {
		if (step_ret)
			*step_ret = FILE_CASE_ANALYZE;
		return err;
	}
	return NULL;
}

struct hs_error *file_case_analyze_tree(const char *const *paths, size_t n, int32_t root_pid,
					const struct analyze_options *opts, const struct file_case_opened *opened,
					struct model **ret, enum file_case_step *step_ret, size_t *failed_ret)
{
	struct elfcore **cores;
	struct model **parts;
	struct hs_error *err = NULL;
	size_t i;

	*ret = NULL;
	*failed_ret = n;
	if (n == 0 || n > TREE_MAX_PARTS)
		return hs_error_create(HS_ERR_INVALID, "a process tree is 1 to %u cores", TREE_MAX_PARTS);
	cores = calloc(n, sizeof(*cores));
	parts = calloc(n, sizeof(*parts));
	if (!cores || !parts) {
		free(cores);
		free(parts);
		return &hs_error_nomem;
	}
	/* every core is opened before any is analyzed: opened may take away what opening needs */
	for (i = 0; i < n; i++)
		if ((err = elfcore_open(paths[i], &cores[i]))) {
			if (step_ret)
				*step_ret = FILE_CASE_READ;
			goto fail;
		}
	if (opened)
		opened->fn(opened->arg);
	for (i = 0; i < n; i++) {
		/* analyze_core takes the core over, on failure too */
		err = analyze_core(cores[i], opts, NULL, &parts[i]);
		cores[i] = NULL;
		if (err) {
			if (step_ret)
				*step_ret = FILE_CASE_ANALYZE;
			goto fail;
		}
	}
	if (step_ret)
		*step_ret = FILE_CASE_ANALYZE;
	err = tree_merge(parts, paths, n, root_pid, ret);
	free(cores);
	free(parts);
	return err;
fail:
	*failed_ret = i;
	for (size_t j = 0; j < n; j++) {
		elfcore_destroy(cores[j]);
		model_destroy(parts[j]);
	}
	free(cores);
	free(parts);
	return err;
}

void file_case_reports_init(struct file_case_reports *r)
{
	r->len = 0;
}

void file_case_reports_deinit(struct file_case_reports *r)
{
	for (size_t i = 0; i < r->len; i++)
		strbuf_deinit(&r->items[i].out);
	r->len = 0;
}

static bool render_one(const struct model *m, const struct report_options *opts, const struct report_format *f,
		       struct file_case_reports *r)
{
	if (r->len == FILE_CASE_MAX_REPORTS)
		return false;
	r->items[r->len].format = f;
	strbuf_init(&r->items[r->len].out);
	r->len++;
	return f->render_case(m, opts, &r->items[r->len - 1].out);
}

struct hs_error *file_case_render(const struct model *m, const struct report_options *opts, bool stored,
				  const struct report_format *also, struct file_case_reports *r)
{
	const struct report_format *f;

	file_case_reports_deinit(r);
	for (size_t i = 0; stored && (f = report_format_at(REPORT_CASE, true, i)); i++)
		if (!render_one(m, opts, f, r))
			goto nomem;
	if (also && !file_case_report(r, also) && !render_one(m, opts, also, r))
		goto nomem;
	return NULL;
nomem:
	file_case_reports_deinit(r);
	return &hs_error_nomem;
}

struct hs_error *file_case_render_stored(const struct model *m, const struct report_options *opts,
					 struct file_case_reports *r)
{
	const struct report_format *f;

	for (size_t i = 0; (f = report_format_at(REPORT_CASE, true, i)); i++)
		if (!file_case_report(r, f) && !render_one(m, opts, f, r))
			return &hs_error_nomem;
	return NULL;
}

const struct strbuf *file_case_report(const struct file_case_reports *r, const struct report_format *f)
{
	for (size_t i = 0; i < r->len; i++)
		if (r->items[i].format == f)
			return &r->items[i].out;
	return NULL;
}

size_t file_case_stored_bytes(const struct file_case_reports *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->len; i++)
		if (r->items[i].format->stored)
			n += r->items[i].out.len;
	return n;
}

struct hs_error *file_case_store(struct casedb *db, const struct model *m, const char *core_path,
				 const struct file_case_reports *r, struct casedb_stored *ret)
{
	struct casedb_report reports[FILE_CASE_MAX_REPORTS];
	size_t n = 0;

	for (size_t i = 0; i < r->len; i++)
		if (r->items[i].format->stored)
			reports[n++] = (struct casedb_report){ r->items[i].format->name, r->items[i].out.buf,
							       r->items[i].out.len };
	return casedb_store(db, m, core_path, reports, n, ret);
}
