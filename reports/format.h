/*
 * The renderer table: every output format hanganalyze writes, looked up by
 * name. It is the one home of the format names — option parsing, the
 * messages that list the choices, and the set of reports a stored case keeps
 * all come from it — so cmd/ never writes a format itself.
 *
 * Three kinds of thing are rendered, each from plain data:
 *   REPORT_CASE   one analyzed core (the model): text, json, html, dot
 *   REPORT_QUEUE  the triage queue (struct report_queue): text, json, html
 *   REPORT_CHECK  check's verdicts (struct report_check): text, junit
 * The queue and check renderers take rows of their own, not casedb's: cmd/
 * converts what it read from the database, so reports/ does not depend on
 * the case database.
 *
 * How to add a format:
 *  1. write its renderer in reports/NAME.c (appending to a strbuf, false
 *     only when memory runs out) and declare it in report.h;
 *  2. add a row to the table in reports/format.c, with its one-line help —
 *     order matters: the
 *     first row of a kind is its default, and the rows give the order of
 *     the names in messages ("text, json, html or dot");
 *  3. mark it `stored` if every case in the database should keep it (show
 *     prints stored reports only; each stored format costs every case its
 *     rendering time and its bytes);
 *  4. document it in the README's hanganalyze(1) section.
 */
#ifndef HS_REPORTS_FORMAT_H
#define HS_REPORTS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"
#include "common/strbuf.h"
#include "reports/report.h"

enum report_kind { REPORT_CASE, REPORT_QUEUE, REPORT_CHECK };

struct report_queue {
	const struct report_queue_row *rows;
	size_t nrows;
	bool all;			/* fixed and ignored groups are listed too (text: what "empty" means) */
	bool links;			/* html: link rows whose has_page is set to report_html_case_file() */
	const char *source;		/* html: the database's name as shown, or NULL */
};

enum report_verdict { REPORT_PASS_NO_HANG, REPORT_PASS_KNOWN, REPORT_FAIL_NEW, REPORT_FAIL_REGRESSED, REPORT_FAIL_ERROR };

/* One core that check analyzed. Strings are borrowed; hash, rule and summary are NULL without a hang. */
struct report_check_result {
	const char *core;		/* as the user named it */
	enum report_verdict verdict;
	const char *hash, *rule, *summary;
	const char *comment;		/* the known-signatures file's comment on the hash, or NULL */
	double seconds;			/* analysis time */
};

struct report_check {
	const struct report_check_result *results;
	size_t nresults;
};

struct report_format {
	const char *name;
	enum report_kind kind;
	bool stored;			/* REPORT_CASE: kept with every stored case, printed by show */
	const char *help;		/* what it is, for --help: lowercase, no period, at most 2 lines of 66 */
	/* exactly the one of the row's kind is set */
	bool (*render_case)(const struct model *m, const struct report_options *opts, struct strbuf *sb);
	bool (*render_queue)(const struct report_queue *q, struct strbuf *sb);
	bool (*render_check)(const struct report_check *c, struct strbuf *sb);
};

/* The format of kind named name, or NULL. */
const struct report_format *report_format_find(const char *name, enum report_kind kind);

/* The default format of kind: its first row ("text" for every kind). */
const struct report_format *report_format_default(enum report_kind kind);

/*
 * The i-th format of kind (0-based, table order), NULL past the last; with
 * stored_only, counting only the formats a stored case keeps.
 */
const struct report_format *report_format_at(enum report_kind kind, bool stored_only, size_t i);

/*
 * The names of kind for a message, "text, json, html or dot" (stored_only:
 * only the stored ones), into buf; truncated to fit size. Returns buf.
 */
const char *report_format_list(enum report_kind kind, bool stored_only, char *buf, size_t size);

/* The same names for a usage line, "text|json|html", into buf; truncated to fit size. Returns buf. */
const char *report_format_synopsis(enum report_kind kind, bool stored_only, char *buf, size_t size);

/* ---- the queue and check renderers (reports/queue.c, reports/junit.c, reports/text.c) ---- */

bool report_queue_text(const struct report_queue *q, struct strbuf *sb);
bool report_queue_json(const struct report_queue *q, struct strbuf *sb);
bool report_queue_html(const struct report_queue *q, struct strbuf *sb);

/* One queue row as one line of the queue's text table (show and triage print it too). */
bool report_queue_line(struct strbuf *sb, const struct report_queue_row *r);

/*
 * A signature group with its latest case, as show prints it: text (the
 * group's state, then the case's stored text report), json (the
 * "hanganalyze-group/1" document wrapping the case's stored JSON as is).
 * latest is the stored report in that format (len bytes), or NULL.
 */
bool report_group_text(const struct report_queue_row *r, const char *latest, size_t len, struct strbuf *sb);
bool report_group_json(const struct report_queue_row *r, const char *latest, size_t len, struct strbuf *sb);

bool report_check_text(const struct report_check *c, struct strbuf *sb);
/* JUnit XML: one testsuite, one testcase per core; new and regressed hangs are failures, unreadable cores errors. */
bool report_check_junit(const struct report_check *c, struct strbuf *sb);

#endif
