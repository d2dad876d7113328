/*
 * The one escaping function of the HTML reports: whatever bytes a core
 * holds, what comes out is valid UTF-8 with no markup character, no control
 * byte, no C1 control, noncharacter or bidirectional override — shown as
 * text, never as markup, never reordering the text around it. Known inputs
 * give known outputs; random bytes keep every property (run under ASan/UBSan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "tests/unit/unit.h"


static void expect(const char *in, const char *want)
{
	struct strbuf sb;

	strbuf_init(&sb);
	CHECK(report_html_escape(&sb, in));
	if (strcmp(sb.buf ? sb.buf : "", want) != 0) {
		fprintf(stderr, "escape(\"%s\") = \"%s\", expected \"%s\"\n", in, sb.buf ? sb.buf : "", want);
		failures++;
	}
	strbuf_deinit(&sb);
}

/* Decodes strict UTF-8; false on anything invalid. Each code point goes to cps (when not NULL). */
static bool valid_utf8(const unsigned char *s, size_t len, uint32_t *cps, size_t *ncps)
{
	size_t i = 0, n = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80)
			k = 1, cp = c;
		else if (c >= 0xc2 && c <= 0xdf)
			k = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4, cp = c & 0x07;
		else
			return false;
		if (i + k > len)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		if (cps)
			cps[n] = cp;
		n++;
		i += k;
	}
	*ncps = n;
	return true;
}

static bool forbidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == '<' || cp == '>' || cp == '"' || cp == '\'' ||
	       (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

static void test_known(void)
{
	expect("", "");
	expect("worker_1", "worker_1");
	expect("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	expect("q'\"`;DROP cases", "q&#39;&quot;`;DROP cases");
	expect("a&b &amp;", "a&amp;b &amp;amp;");
	expect("<svg onload=alert(1)>", "&lt;svg onload=alert(1)&gt;");
	/* control bytes: control pictures */
	expect("\x1b[31mred\x07\x01\x7f", "\u241b[31mred\u2407\u2401\u2421");
	expect("tab\there\nnl", "tab\u2409here\u240anl");
	/* invalid UTF-8: U+FFFD per bad byte; valid sequences kept */
	expect("\xff\xfe\xc3(bad\xe2\x82", "\ufffd\ufffd\ufffd(bad\ufffd\ufffd");
	expect("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\x92", "caf\u00e9 \u2192 \U0001f512");
	expect("\xc0\xaf", "\ufffd\ufffd");		/* overlong '/' */
	expect("\xed\xa0\x80", "\ufffd\ufffd\ufffd");	/* a surrogate */
	expect("\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd");	/* past U+10FFFF */
	/* valid, but not shown: C1 controls, noncharacters, direction overrides */
	expect("a\xc2\x85" "b", "a\ufffd" "b");
	expect("x\xef\xbf\xbey", "x\ufffdy");
	expect("evil\xe2\x80\xaegnp.exe", "evil\ufffdgnp.exe");
	expect("\xe2\x81\xa6isolate\xe2\x81\xa9", "\ufffdisolate\ufffd");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Bytes that matter more often than chance would give them. */
static unsigned char random_byte(void)
{
	static const unsigned char special[] = { '<', '>', '&', '"', '\'', 0x1b, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xe2,
						 0xed, 0xef, 0xf0, 0xf4, 0xff, 0x80, 0x81, 0xae, 0xa6 };
	uint64_t r = rng();

	if (r % 3 == 0)
		return special[(r >> 8) % sizeof(special)];
	return (unsigned char)(1 + (r >> 16) % 255);
}

static void test_random(void)
{
	unsigned char in[64];
	uint32_t cps[64 * 8];

	for (int round = 0; round < 50000; round++) {
		size_t len = rng() % (sizeof(in) - 1), ncps;
		struct strbuf sb;
		const char *amp;

		for (size_t i = 0; i < len; i++)
			in[i] = random_byte();
		in[len] = '\0';
		strbuf_init(&sb);
		CHECK(report_html_escape(&sb, (const char *)in));
		if (!sb.buf) {
			CHECK(len == 0);
			continue;
		}
		if (!valid_utf8((const unsigned char *)sb.buf, sb.len, cps, &ncps)) {
			fprintf(stderr, "round %d: the output is not valid UTF-8\n", round);
			failures++;
		} else {
			for (size_t i = 0; i < ncps; i++)
				if (forbidden(cps[i])) {
					fprintf(stderr, "round %d: U+%04X in the output\n", round, (unsigned)cps[i]);
					failures++;
					break;
				}
		}
		/* '&' only as one of our entities */
		for (amp = strchr(sb.buf, '&'); amp; amp = strchr(amp + 1, '&'))
			if (strncmp(amp, "&amp;", 5) && strncmp(amp, "&lt;", 4) && strncmp(amp, "&gt;", 4) &&
			    strncmp(amp, "&quot;", 6) && strncmp(amp, "&#39;", 5)) {
				fprintf(stderr, "round %d: a bare '&' in the output\n", round);
				failures++;
				break;
			}
		/* the displayed characters are consumed exactly: report_display_char never overruns */
		{
			size_t pos = 0, n;
			uint32_t cp;
			while (pos < len) {
				n = report_display_char((const char *)in + pos, &cp);
				CHECK(n >= 1 && n <= 4 && pos + n <= len);
				pos += n;
			}
		}
		strbuf_deinit(&sb);
	}
}

/* The queue page with a hostile row: one script (ours), everything from the row escaped. */
static void test_queue_page(void)
{
	struct report_queue_row row = {
		.signature = "0123456789abcdef\"><script>", .rule = "lock-cycle", .severity = "critical",
		.status = "new<b>", .summary = "<script>alert(1)</script> & \x1b[2J", .hosts = "h'1",
		.severity_rank = 3, .count = 2, .first_seen_ns = 1764051200000000000ll, .last_seen_ns = 0,
		.case_id = 7, .has_page = true,
	};
	struct strbuf sb;
	size_t ncps, scripts = 0;
	const char *p;

	strbuf_init(&sb);
	CHECK(report_html_queue(&row, 1, true, "cases.db", &sb));
	CHECK(sb.buf && valid_utf8((const unsigned char *)sb.buf, sb.len, NULL, &ncps));
	for (p = sb.buf; p && (p = strstr(p, "<script")); p++)
		scripts++;
	CHECK(scripts == 1);
	CHECK(strstr(sb.buf, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \u241b[2J") != NULL);
	CHECK(strstr(sb.buf, "href=\"case-7.html\"") != NULL);
	CHECK(strstr(sb.buf, "\x1b") == NULL && strstr(sb.buf, "<b>") == NULL);
	strbuf_deinit(&sb);

	/* without links nothing points anywhere */
	strbuf_init(&sb);
	CHECK(report_html_queue(&row, 1, false, NULL, &sb));
	CHECK(sb.buf && strstr(sb.buf, "href=") == NULL);
	strbuf_deinit(&sb);
}

int main(void)
{
	test_known();
	test_random();
	test_queue_page();
	return unit_finish();
}
