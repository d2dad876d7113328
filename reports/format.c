/*
 * The renderer table (see format.h): the one list of format names.
 */
#include "reports/format.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

static const struct report_format formats[] = {
	/* a case: text first (the default), then the stored JSON and HTML, then what only a run prints */
	{ .name = "text", .kind = REPORT_CASE, .stored = true, .render_case = report_text,
	  .help = "for people: findings, the wait-for graph, threads grouped" },
	{ .name = "json", .kind = REPORT_CASE, .stored = true, .render_case = report_json,
	  .help = "the hanganalyze/1 document (docs/hanganalyze-1.schema.json)" },
	{ .name = "html", .kind = REPORT_CASE, .stored = true, .render_case = report_html,
	  .help = "one self-contained page: the wait-for graph drawn, threads grouped,\n"
		  "findings with evidence; loads nothing from the network" },
	{ .name = "dot", .kind = REPORT_CASE, .render_case = report_dot,
	  .help = "the wait-for graph for Graphviz: | dot -Tsvg" },
	{ .name = "text", .kind = REPORT_QUEUE, .render_queue = report_queue_text,
	  .help = "one line per signature group, most urgent first" },
	{ .name = "json", .kind = REPORT_QUEUE, .render_queue = report_queue_json,
	  .help = "the hanganalyze-queue/1 document" },
	{ .name = "html", .kind = REPORT_QUEUE, .render_queue = report_queue_html,
	  .help = "one self-contained page, the queue as a sortable table" },
	{ .name = "text", .kind = REPORT_CHECK, .render_check = report_check_text,
	  .help = "one line per core, then the totals" },
	{ .name = "junit", .kind = REPORT_CHECK, .render_check = report_check_junit,
	  .help = "JUnit XML for CI: new and regressed hangs fail, unreadable cores are errors" },
};

const struct report_format *report_format_find(const char *name, enum report_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].kind == kind && strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

const struct report_format *report_format_at(enum report_kind kind, bool stored_only, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].kind == kind && (!stored_only || formats[i].stored) && n-- == 0)
			return &formats[i];
	return NULL;
}

const struct report_format *report_format_default(enum report_kind kind)
{
	return report_format_at(kind, false, 0);
}

static const char *join_names(enum report_kind kind, bool stored_only, const char *sep_mid, const char *sep_last,
			      char *buf, size_t size)
{
	size_t count = 0, used = 0;

	while (report_format_at(kind, stored_only, count))
		count++;
	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++) {
		const char *sep = i == 0 ? "" : i == count - 1 ? sep_last : sep_mid;
		int n = snprintf(buf + used, size - used, "%s%s", sep, report_format_at(kind, stored_only, i)->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

const char *report_format_list(enum report_kind kind, bool stored_only, char *buf, size_t size)
{
	return join_names(kind, stored_only, ", ", " or ", buf, size);
}

const char *report_format_synopsis(enum report_kind kind, bool stored_only, char *buf, size_t size)
{
	return join_names(kind, stored_only, "|", "|", buf, size);
}
