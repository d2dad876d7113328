/*
 * Renderers: the model as text (for people), as the hanganalyze/1 JSON
 * document (for programs; schema in docs/hanganalyze-1.schema.json), as one
 * self-contained HTML page (for people with a browser: the wait-for graph
 * drawn, threads grouped and expandable), or as the wait-for graph in
 * Graphviz DOT. They read the model only and append to a strbuf, so the same
 * bytes can go to a terminal, a file or the case database. They return false
 * only when memory runs out.
 */
#ifndef HS_REPORTS_REPORT_H
#define HS_REPORTS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"
#include "common/strbuf.h"

#define REPORT_JSON_SCHEMA "hanganalyze/1"

struct report_options {
	const char *core_path;		/* as the user named it */
	bool all_threads;		/* text: one block per thread, not per group */
};

bool report_text(const struct model *m, const struct report_options *opts, struct strbuf *sb);
bool report_json(const struct model *m, const struct report_options *opts, struct strbuf *sb);
/* The case page; its DOM (ids, classes, data- attributes) is a contract, documented at the top of html.c. */
bool report_html(const struct model *m, const struct report_options *opts, struct strbuf *sb);
/* The wait-for graph as a Graphviz digraph, the nodes and edges the HTML page draws. */
bool report_dot(const struct model *m, const struct report_options *opts, struct strbuf *sb);

/*
 * The triage queue as one HTML page, a table sortable by each column. With
 * links, a row whose has_page is set links to report_html_case_file(case_id),
 * a file beside the page; without, nothing is linked and the page says how
 * to get the case pages. source (the database path, or NULL) is shown as is.
 * Strings are borrowed; hosts may be NULL. The queue's other renderers
 * (text, JSON) take the same rows: reports/format.h.
 */
struct report_queue_row {
	const char *signature, *rule, *severity, *status, *summary, *hosts;
	/* the signature's text and triage state (text and JSON; NULL: shown as "-" or null) */
	const char *text, *note, *ticket, *fixed_in;
	int severity_rank;		/* 0 low .. 3 critical */
	int64_t count, first_seen_ns, last_seen_ns;
	int64_t case_id;		/* the latest case, 0 for none */
	bool has_page;			/* its case page was written: link it */
};
bool report_html_queue(const struct report_queue_row *rows, size_t nrows, bool links, const char *source,
		       struct strbuf *sb);
/* The name of a case page next to the queue page: "case-12.html" (buf >= 32 bytes). */
const char *report_html_case_file(int64_t case_id, char *buf, size_t size);

/* Appends s as HTML text, safe inside elements and quoted attributes (see html.c); false when memory runs out. */
bool report_html_escape(struct strbuf *sb, const char *s);

/*
 * Appends s as XML 1.0 text, safe inside elements and quoted attributes (see
 * junit.c): the five markup characters as entities; every byte that is not
 * valid UTF-8, and every character XML forbids or discourages (C0 controls but
 * tab and newline, CR, DEL and C1 controls, surrogates, noncharacters such as
 * U+FFFE) as U+FFFD. Whatever the bytes, the output is well-formed. False
 * when memory runs out.
 */
bool report_xml_escape(struct strbuf *sb, const char *s);

/*
 * The next character of s as it may be shown: its length in s (1..4) and,
 * in *cp_ret, the code point to show — U+FFFD for a byte that does not start
 * valid UTF-8 (the same rules as json_writer.c), for C1 controls,
 * noncharacters and bidirectional overrides (which could reorder the text
 * around them); a control picture (U+2400..) for C0 controls and DEL. The
 * HTML and DOT escapers are built on it.
 */
size_t report_display_char(const char *s, uint32_t *cp_ret);
/* Appends code point cp in UTF-8. */
bool report_append_char(struct strbuf *sb, uint32_t cp);

/* Shared by the renderers. */
const char *report_core_format(const struct model *m);	/* "plain", "zstd-seekable", "zstd" */
const char *report_thread_state(char state);		/* "sleeping" for 'S', "" when unknown */
/* Appends s for a terminal: control bytes and invalid UTF-8 as \xNN, backslash doubled. */
bool report_append_safe(struct strbuf *sb, const char *s);

/* Is t's own wait worth drawing when nothing else waits on it? Idle waits (condvar, sleep, accept...) are not. */
bool report_wait_is_interesting(const struct thread *t);

/* Formats ns since the epoch as "2026-11-25T11:20:03Z" into buf (>= 32 bytes). */
const char *report_time_utc(uint64_t real_ns, char *buf, size_t size);

#endif
