/*
 * The renderer table is the one home of the format names: what --format
 * accepts, what the messages list, and which reports a stored case keeps
 * (text, JSON, HTML — what show can print) all come from it. Bytes of the
 * queue and check renderers moved out of cmd/ are pinned here.
 */
#include <stdio.h>
#include <string.h>

#include "reports/format.h"
#include "tests/unit/unit.h"

static void test_lookup(void)
{
	char buf[128];

	CHECK(report_format_find("json", REPORT_CASE)->render_case == report_json);
	CHECK(report_format_find("dot", REPORT_CASE) && !report_format_find("dot", REPORT_QUEUE));
	CHECK(report_format_find("junit", REPORT_CHECK) && !report_format_find("junit", REPORT_CASE));
	CHECK(!report_format_find("xml", REPORT_CASE) && !report_format_find("", REPORT_CASE));
	CHECK(!report_format_find("JSON", REPORT_CASE));
	for (int k = REPORT_CASE; k <= REPORT_CHECK; k++)
		CHECK(strcmp(report_format_default((enum report_kind)k)->name, "text") == 0);
	CHECK(strcmp(report_format_list(REPORT_CASE, false, buf, sizeof(buf)), "text, json, html or dot") == 0);
	CHECK(strcmp(report_format_list(REPORT_CASE, true, buf, sizeof(buf)), "text, json or html") == 0);
	CHECK(strcmp(report_format_list(REPORT_QUEUE, false, buf, sizeof(buf)), "text, json or html") == 0);
	CHECK(strcmp(report_format_list(REPORT_CHECK, false, buf, sizeof(buf)), "text or junit") == 0);
	CHECK(strcmp(report_format_synopsis(REPORT_QUEUE, false, buf, sizeof(buf)), "text|json|html") == 0);
	/* a short buffer is cut, still terminated */
	CHECK(strcmp(report_format_list(REPORT_CASE, false, buf, 7), "text, ") == 0);
	CHECK(report_format_at(REPORT_CASE, true, 3) == NULL);
	/* every row renders its own kind, and only that */
	for (int k = REPORT_CASE; k <= REPORT_CHECK; k++)
		for (size_t i = 0; report_format_at((enum report_kind)k, false, i); i++) {
			const struct report_format *f = report_format_at((enum report_kind)k, false, i);
			CHECK(!!f->render_case + !!f->render_queue + !!f->render_check == 1);
			CHECK(k == REPORT_CASE ? f->render_case != NULL : k == REPORT_QUEUE ? f->render_queue != NULL
											    : f->render_check != NULL);
			CHECK(!f->stored || k == REPORT_CASE);
		}
}

static void test_queue_and_check(void)
{
	struct report_queue_row row = {
		.signature = "723ebb6c4ce63420", .rule = "lock-cycle", .severity = "critical", .status = "new",
		.summary = "deadlock\x1b", .text = "lock-cycle: futex", .severity_rank = 3, .count = 2,
		.first_seen_ns = 1764051200000000000ll, .case_id = 7,
	};
	struct report_check_result results[] = {
		{ .core = "a.core", .verdict = REPORT_FAIL_NEW, .hash = "723ebb6c4ce63420", .rule = "lock-cycle",
		  .summary = "x < y & \"z\"", .comment = "OPS-1", .seconds = 0.25 },
		{ .core = "b.core", .verdict = REPORT_FAIL_ERROR },
		{ .core = "c.core", .verdict = REPORT_PASS_NO_HANG, .seconds = 1 },
	};
	struct report_check c = { results, 3 };
	struct report_queue q = { &row, 1, false, false, NULL };
	struct strbuf sb;

	strbuf_init(&sb);
	CHECK(report_queue_line(&sb, &row));
	CHECK(sb.buf && strcmp(sb.buf, "723ebb6c4ce63420  critical  new            2  2025-11-25T06:13:20Z  -        "
				       "             -  deadlock\\x1b\n") == 0);
	strbuf_deinit(&sb);

	strbuf_init(&sb);
	q.nrows = 0;
	CHECK(report_queue_text(&q, &sb) && strcmp(sb.buf, "no open hang signatures\n") == 0);
	strbuf_deinit(&sb);

	strbuf_init(&sb);
	CHECK(report_check_text(&c, &sb));
	CHECK(sb.buf && strcmp(sb.buf, "a.core: FAIL: new hang 723ebb6c4ce63420 (lock-cycle): x < y & \"z\" [known as: OPS-1]\n"
				       "b.core: ERROR\n"
				       "c.core: ok (no hang)\n"
				       "3 core(s): 1 passed, 1 failed, 1 unreadable\n") == 0);
	strbuf_deinit(&sb);

	strbuf_init(&sb);
	CHECK(report_check_junit(&c, &sb));
	CHECK(sb.buf && strstr(sb.buf, "tests=\"3\" failures=\"1\" errors=\"1\">\n") != NULL);
	CHECK(strstr(sb.buf, "<failure type=\"new-hang\" message=\"new hang signature 723ebb6c4ce63420: "
			     "x &lt; y &amp; &quot;z&quot;\">rule lock-cycle, signature 723ebb6c4ce63420; known as: OPS-1"
			     "</failure>") != NULL);
	CHECK(strstr(sb.buf, "name=\"b.core\" time=\"0.000\">\n    <error ") != NULL);
	CHECK(strstr(sb.buf, "name=\"c.core\" time=\"1.000\"/>\n") != NULL);
	strbuf_deinit(&sb);
}

int main(void)
{
	test_lookup();
	test_queue_and_check();
	return unit_finish();
}
