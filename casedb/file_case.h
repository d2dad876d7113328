/*
 * Analyze a core and file it as a case: the one path that `hanganalyze
 * [analyze]`, `hanganalyze check` and bench/casedb-ingest share, in three
 * steps, called in this order:
 *
 *   file_case_analyze()  open the core and build the model (the only call
 *                        into the analyzer's entry point outside analyzer/)
 *   file_case_render()   render the reports a stored case keeps — the
 *                        table's stored formats (reports/format.h: text,
 *                        JSON, HTML) — plus one more the caller prints
 *                        (or, for the CLI, the printed one first, then
 *                        file_case_render_stored() once the case is new)
 *   file_case_store()    store the model with those reports in one
 *                        transaction
 *
 * They are separate steps, not one call, because the callers put things
 * between them: the CLI opens the database only once a core has been
 * analyzed (an unreadable core leaves no database behind), and the
 * benchmark analyzes each core once and then varies, renders and stores it
 * many times, timing each step apart.
 *
 * Errors are values; nothing here prints.
 */
#ifndef HS_CASEDB_FILE_CASE_H
#define HS_CASEDB_FILE_CASE_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer/analyze.h"
#include "casedb/casedb.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "reports/format.h"

struct user_rules;

/*
 * The user rules analyze uses: with defaults, those in
 * ${XDG_CONFIG_HOME:-~/.config}/hanganalyze/rules.d and
 * /etc/hanganalyze/rules.d (each skipped when missing), then those in each
 * of dirs (which must exist). On success *ret is the caller's
 * (user_rules_destroy()); the error names the bad file and line.
 */
struct hs_error *file_case_load_rules(const char *const *dirs, size_t ndirs, bool defaults, struct user_rules **ret);

enum file_case_step { FILE_CASE_READ, FILE_CASE_ANALYZE };

/*
 * Called once every core is open (a non-seekable zstd core decompressed into
 * its unnamed temporary file), before any is analyzed: where hanganalyze
 * enters its sandbox (common/sandbox.h).
 */
struct file_case_opened {
	void (*fn)(void *arg);
	void *arg;
};

/*
 * Opens core_path and analyzes it with opts, each stage timed into
 * *stats_ret when not NULL; opened (NULL: none) is called in between. On
 * success *ret is the caller's (model_destroy()); on failure *step_ret (when
 * not NULL) says whether the core could not be read or not be analyzed, for
 * the message.
 */
struct hs_error *file_case_analyze(const char *core_path, const struct analyze_options *opts,
				   const struct file_case_opened *opened, struct analyze_stats *stats_ret,
				   struct model **ret, enum file_case_step *step_ret);

/*
 * A process tree as one case (analyzer/tree.h): opens every one of
 * paths[0..n), calls opened (NULL: none), analyzes each as
 * file_case_analyze() does, then merges them, root_pid's
 * process (0: the one without a parent among them) first. On failure
 * *failed_ret is the index of the core that could not be read or analyzed,
 * or n when merging failed.
 */
struct hs_error *file_case_analyze_tree(const char *const *paths, size_t n, int32_t root_pid,
					const struct analyze_options *opts, const struct file_case_opened *opened,
					struct model **ret, enum file_case_step *step_ret, size_t *failed_ret);

#define FILE_CASE_MAX_REPORTS 8

/* Rendered reports of one case, by format. */
struct file_case_reports {
	size_t len;
	struct {
		const struct report_format *format;
		struct strbuf out;
	} items[FILE_CASE_MAX_REPORTS];
};

void file_case_reports_init(struct file_case_reports *r);
void file_case_reports_deinit(struct file_case_reports *r);

/*
 * Renders m into r (emptied first): every stored format when stored, and
 * also (a REPORT_CASE format, or NULL) if it is not one of them. Only
 * &hs_error_nomem fails.
 */
struct hs_error *file_case_render(const struct model *m, const struct report_options *opts, bool stored,
				  const struct report_format *also, struct file_case_reports *r);

/*
 * Adds to r the stored formats it does not hold yet: after a
 * file_case_render() of only the printed format, once it is known that the
 * case is new (a case stored already needs none). Only &hs_error_nomem fails.
 */
struct hs_error *file_case_render_stored(const struct model *m, const struct report_options *opts,
					 struct file_case_reports *r);

/* The report rendered in format f, or NULL when r has none. */
const struct strbuf *file_case_report(const struct file_case_reports *r, const struct report_format *f);

/* Total bytes of the stored formats' reports in r. */
size_t file_case_stored_bytes(const struct file_case_reports *r);

/* Stores m (analyzed from core_path) with the stored formats' reports of r (rendered with stored=true). */
struct hs_error *file_case_store(struct casedb *db, const struct model *m, const char *core_path,
				 const struct file_case_reports *r, struct casedb_stored *ret);

#endif
