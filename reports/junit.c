/*
 * check's verdicts: JUnit XML for CI (one <testsuite>, one <testcase> per
 * core, named by the core's path; a new or regressed hang is a <failure>, a
 * core that could not be analyzed an <error>), and the text summary for
 * people (one line per core, then the totals).
 */
#include "reports/format.h"

#include <stdint.h>

#include "common/utf8.h"
#include "reports/report.h"

/*
 * Whether cp may appear in XML 1.0 text as itself: the Char production
 * (#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]),
 * less what section 2.2 discourages — the controls #x7F-#x9F and the
 * noncharacters (#xFDD0-#xFDEF and the last two code points of every plane).
 * CR is left out too: a parser would turn it into LF anyway.
 */
static bool xml_char_ok(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n';
	if (cp >= 0x7f && cp <= 0x9f)
		return false;
	if ((cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return false;
	return cp <= 0x10ffff;
}

bool report_xml_escape(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	bool ok = true;

	while (ok && *s) {
		uint32_t cp;
		size_t n = utf8_decode((const char *)s, &cp);

		switch (n ? cp : 0xfffd) {
		case '<': ok = strbuf_addstr(sb, "&lt;"); break;
		case '>': ok = strbuf_addstr(sb, "&gt;"); break;
		case '&': ok = strbuf_addstr(sb, "&amp;"); break;
		case '"': ok = strbuf_addstr(sb, "&quot;"); break;
		case '\'': ok = strbuf_addstr(sb, "&apos;"); break;
		default:
			/* invalid UTF-8 (n == 0) is one byte of U+FFFD, as in the other renderers */
			ok = n && xml_char_ok(cp) ? strbuf_append(sb, s, n) : strbuf_addstr(sb, "\xef\xbf\xbd");
		}
		s += n ? n : 1;
	}
	return ok;
}

static void count(const struct report_check *c, size_t *failures, size_t *errors)
{
	*failures = *errors = 0;
	for (size_t i = 0; i < c->nresults; i++) {
		enum report_verdict v = c->results[i].verdict;
		*failures += v == REPORT_FAIL_NEW || v == REPORT_FAIL_REGRESSED;
		*errors += v == REPORT_FAIL_ERROR;
	}
}

bool report_check_junit(const struct report_check *c, struct strbuf *sb)
{
	size_t failures, errors;
	bool ok;

	count(c, &failures, &errors);
	ok = strbuf_appendf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				"<testsuites>\n<testsuite name=\"hanganalyze check\" tests=\"%zu\" failures=\"%zu\" "
				"errors=\"%zu\">\n", c->nresults, failures, errors);
	for (size_t i = 0; ok && i < c->nresults; i++) {
		const struct report_check_result *r = &c->results[i];
		ok = strbuf_addstr(sb, "  <testcase classname=\"hanganalyze.check\" name=\"") && report_xml_escape(sb, r->core) &&
		     strbuf_appendf(sb, "\" time=\"%.3f\"", r->seconds);
		if (!ok)
			break;
		switch (r->verdict) {
		case REPORT_PASS_NO_HANG: case REPORT_PASS_KNOWN:
			ok = strbuf_addstr(sb, "/>\n");
			break;
		case REPORT_FAIL_ERROR:
			ok = strbuf_addstr(sb, ">\n    <error message=\"the core could not be analyzed\"/>\n  </testcase>\n");
			break;
		case REPORT_FAIL_NEW: case REPORT_FAIL_REGRESSED:
			ok = strbuf_appendf(sb, ">\n    <failure type=\"%s\" message=\"%s hang signature %s: ",
					    r->verdict == REPORT_FAIL_NEW ? "new-hang" : "regressed-hang",
					    r->verdict == REPORT_FAIL_NEW ? "new" : "regressed", r->hash) &&
			     report_xml_escape(sb, r->summary ? r->summary : "") && strbuf_addstr(sb, "\">") &&
			     strbuf_appendf(sb, "rule %s, signature %s", r->rule ? r->rule : "?", r->hash);
			if (ok && r->comment)
				ok = strbuf_addstr(sb, "; known as: ") && report_xml_escape(sb, r->comment);
			ok = ok && strbuf_addstr(sb, "</failure>\n  </testcase>\n");
			break;
		}
	}
	return ok && strbuf_addstr(sb, "</testsuite>\n</testsuites>\n");
}

bool report_check_text(const struct report_check *c, struct strbuf *sb)
{
	static const char *const words[] = {
		[REPORT_PASS_NO_HANG] = "ok (no hang)", [REPORT_PASS_KNOWN] = "ok (known hang)",
		[REPORT_FAIL_NEW] = "FAIL: new hang", [REPORT_FAIL_REGRESSED] = "FAIL: regressed hang",
		[REPORT_FAIL_ERROR] = "ERROR",
	};
	size_t failures, errors;
	bool ok = true;

	count(c, &failures, &errors);
	for (size_t i = 0; ok && i < c->nresults; i++) {
		const struct report_check_result *r = &c->results[i];
		ok = report_append_safe(sb, r->core) && strbuf_appendf(sb, ": %s", words[r->verdict]);
		if (ok && r->hash)
			ok = strbuf_appendf(sb, " %s (%s): ", r->hash, r->rule) && report_append_safe(sb, r->summary);
		if (ok && r->comment)
			ok = strbuf_addstr(sb, " [known as: ") && report_append_safe(sb, r->comment) && strbuf_addstr(sb, "]");
		ok = ok && strbuf_addstr(sb, "\n");
	}
	return ok && strbuf_appendf(sb, "%zu core(s): %zu passed, %zu failed, %zu unreadable\n", c->nresults,
				    c->nresults - failures - errors, failures, errors);
}
