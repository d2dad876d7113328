/*
 * The triage queue and a signature group, in text and JSON (the queue's
 * HTML page is in html.c), from struct report_queue_row: the rows cmd/ made
 * of what the case database returned.
 *
 * JSON documents: "hanganalyze-queue/1" ({schema, groups[]}) and
 * "hanganalyze-group/1" ({schema, group, latest}: latest is the case's
 * stored hanganalyze/1 document, byte for byte, or null). A group object's
 * members, in order: signature, rule, severity, status, count, hosts,
 * first_seen, last_seen (UTC, "-" when unknown), summary, text, note, ticket,
 * fixed_in, latest_case.
 */
#include "reports/format.h"

#include <stdio.h>

#include "reports/json_writer.h"

static const char *when(int64_t ns, char *buf, size_t size)
{
	return ns ? report_time_utc((uint64_t)ns, buf, size) : "-";
}

static void group_json(struct json_writer *w, const struct report_queue_row *r)
{
	char t[32];

	json_object_begin(w);
	json_key(w, "signature");
	json_string(w, r->signature);
	json_key(w, "rule");
	json_string(w, r->rule);
	json_key(w, "severity");
	json_string(w, r->severity);
	json_key(w, "status");
	json_string(w, r->status);
	json_key(w, "count");
	json_int(w, r->count);
	json_key(w, "hosts");
	json_string(w, r->hosts);
	json_key(w, "first_seen");
	json_string(w, when(r->first_seen_ns, t, sizeof(t)));
	json_key(w, "last_seen");
	json_string(w, when(r->last_seen_ns, t, sizeof(t)));
	json_key(w, "summary");
	json_string(w, r->summary);
	json_key(w, "text");
	json_string(w, r->text);
	json_key(w, "note");
	json_string(w, r->note);
	json_key(w, "ticket");
	json_string(w, r->ticket);
	json_key(w, "fixed_in");
	json_string(w, r->fixed_in);
	json_key(w, "latest_case");
	json_int(w, r->case_id);
	json_object_end(w);
}

bool report_queue_line(struct strbuf *sb, const struct report_queue_row *r)
{
	char first[32], last[32];

	return strbuf_appendf(sb, "%-16s  %-8s  %-9s  %5lld  %-20s  %-20s  ", r->signature, r->severity, r->status,
			      (long long)r->count, when(r->first_seen_ns, first, sizeof(first)),
			      when(r->last_seen_ns, last, sizeof(last))) &&
	       report_append_safe(sb, r->hosts ? r->hosts : "-") && strbuf_addstr(sb, "  ") &&
	       report_append_safe(sb, r->summary) && strbuf_addstr(sb, "\n");
}

bool report_queue_text(const struct report_queue *q, struct strbuf *sb)
{
	bool ok;

	if (q->nrows == 0)
		return strbuf_addstr(sb, q->all ? "no cases\n" : "no open hang signatures\n");
	ok = strbuf_appendf(sb, "%-16s  %-8s  %-9s  %5s  %-20s  %-20s  %s  %s\n", "SIGNATURE", "SEVERITY", "STATUS",
			    "COUNT", "FIRST SEEN", "LAST SEEN", "HOSTS", "SUMMARY");
	for (size_t i = 0; ok && i < q->nrows; i++)
		ok = report_queue_line(sb, &q->rows[i]);
	return ok;
}

bool report_queue_json(const struct report_queue *q, struct strbuf *sb)
{
	struct json_writer w;

	json_writer_init(&w, sb);
	json_object_begin(&w);
	json_key(&w, "schema");
	json_string(&w, "hanganalyze-queue/1");
	json_key(&w, "groups");
	json_array_begin(&w);
	for (size_t i = 0; i < q->nrows; i++)
		group_json(&w, &q->rows[i]);
	json_array_end(&w);
	json_object_end(&w);
	return json_writer_ok(&w) && strbuf_addstr(sb, "\n");
}

bool report_queue_html(const struct report_queue *q, struct strbuf *sb)
{
	return report_html_queue(q->rows, q->nrows, q->links, q->source, sb);
}

bool report_group_json(const struct report_queue_row *r, const char *latest, size_t len, struct strbuf *sb)
{
	struct json_writer w;

	json_writer_init(&w, sb);
	json_object_begin(&w);
	json_key(&w, "schema");
	json_string(&w, "hanganalyze-group/1");
	json_key(&w, "group");
	group_json(&w, r);
	/* the latest case's own document, as its analysis printed it */
	json_key(&w, "latest");
	if (latest)
		json_raw(&w, latest, len);
	else
		json_null(&w);
	json_object_end(&w);
	return json_writer_ok(&w) && strbuf_addstr(sb, "\n");
}

bool report_group_text(const struct report_queue_row *r, const char *latest, size_t len, struct strbuf *sb)
{
	bool ok = strbuf_addstr(sb, "signature ") && strbuf_addstr(sb, r->signature) &&
		  strbuf_appendf(sb, " (%s)\n", r->status) && strbuf_addstr(sb, "  ") && report_append_safe(sb, r->text) &&
		  strbuf_addstr(sb, "\n  ") && report_queue_line(sb, r);

	if (ok && r->note)
		ok = strbuf_addstr(sb, "  note: ") && report_append_safe(sb, r->note) && strbuf_addstr(sb, "\n");
	if (ok && r->ticket)
		ok = strbuf_addstr(sb, "  ticket: ") && report_append_safe(sb, r->ticket) && strbuf_addstr(sb, "\n");
	if (ok && r->fixed_in)
		ok = strbuf_addstr(sb, "  fixed in: ") && report_append_safe(sb, r->fixed_in) && strbuf_addstr(sb, "\n");
	if (ok && latest)
		ok = strbuf_appendf(sb, "\nlatest case %lld:\n", (long long)r->case_id) && strbuf_append(sb, latest, len);
	return ok;
}
