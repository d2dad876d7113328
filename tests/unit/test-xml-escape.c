/*
 * The XML escaper of the JUnit report: every code point is either kept as
 * itself or replaced by U+FFFD exactly as XML 1.0 allows (the Char
 * production, less the discouraged controls and noncharacters), checked
 * one code point at a time over all of Unicode against the ranges written
 * out from the specification; invalid UTF-8 becomes U+FFFD; random bytes
 * always give text the production accepts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "tests/unit/unit.h"

/* XML 1.0 section 2.2, as written there: Char, and the characters it discourages */
static bool xml_allowed(uint32_t cp)
{
	static const uint32_t chars[][2] = {
		{ 0x9, 0x9 }, { 0xa, 0xa }, { 0xd, 0xd }, { 0x20, 0xd7ff }, { 0xe000, 0xfffd }, { 0x10000, 0x10ffff },
	};
	static const uint32_t discouraged[][2] = {
		{ 0x7f, 0x84 }, { 0x86, 0x9f }, { 0xfdd0, 0xfdef },
	};
	bool in = false;

	for (size_t i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
		in |= cp >= chars[i][0] && cp <= chars[i][1];
	for (size_t i = 0; i < sizeof(discouraged) / sizeof(discouraged[0]); i++)
		in &= !(cp >= discouraged[i][0] && cp <= discouraged[i][1]);
	if ((cp & 0xffff) >= 0xfffe)	/* U+xFFFE and U+xFFFF of every plane */
		in = false;
	/* ours on top: a parser would turn CR into LF, and NEL is a line end to XML 1.1 */
	if (cp == 0xd || cp == 0x85)
		in = false;
	return in;
}

static size_t encode(uint32_t cp, char *out)
{
	if (cp < 0x80)
		return out[0] = (char)cp, out[1] = 0, 1;
	if (cp < 0x800)
		return out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), out[2] = 0, 2;
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f)), out[3] = 0;
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18), out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f)), out[4] = 0;
	return 4;
}

/* Strict UTF-8 decoding of the escaper's output; false when it is not, or holds what XML does not allow. */
static bool well_formed_text(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;

		if (s[i] < 0x80)
			cp = s[i], n = 1;
		else if (s[i] >= 0xc2 && s[i] <= 0xdf)
			cp = s[i] & 0x1f, n = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			cp = s[i] & 0x0f, n = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			cp = s[i] & 0x07, n = 4;
		else
			return false;
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		if (!xml_allowed(cp) || cp == '<' || cp == '>' || cp == '"' || cp == '\'' ||
		    (cp == '&' && !(strncmp((const char *)s + i, "&lt;", 4) == 0 || strncmp((const char *)s + i, "&gt;", 4) == 0 ||
				    strncmp((const char *)s + i, "&amp;", 5) == 0 || strncmp((const char *)s + i, "&quot;", 6) == 0 ||
				    strncmp((const char *)s + i, "&apos;", 6) == 0)))
			return false;
		i += n;
	}
	return true;
}

static void expect(const char *in, const char *want)
{
	struct strbuf sb;

	strbuf_init(&sb);
	CHECK(report_xml_escape(&sb, in));
	if (strcmp(sb.buf ? sb.buf : "", want) != 0) {
		fprintf(stderr, "escape(\"%s\") = \"%s\", expected \"%s\"\n", in, sb.buf ? sb.buf : "", want);
		failures++;
	}
	strbuf_deinit(&sb);
}

static void test_known(void)
{
	expect("", "");
	expect("plain text", "plain text");
	expect("<a href=\"x\">&'</a>", "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
	expect("tab\tnewline\n", "tab\tnewline\n");
	expect("cr\r", "cr\xef\xbf\xbd");
	expect("\x01\x1b[31m\x7f", "\xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd");
	expect("U+FFFE \xef\xbf\xbe U+FFFF \xef\xbf\xbf", "U+FFFE \xef\xbf\xbd U+FFFF \xef\xbf\xbd");
	expect("U+FFFD \xef\xbf\xbd kept", "U+FFFD \xef\xbf\xbd kept");
	expect("\xc2\x85 NEL \xc2\xa0 nbsp", "\xef\xbf\xbd NEL \xc2\xa0 nbsp");
	expect("\xef\xb7\x90 U+FDD0, \xf0\x9f\xbf\xbe U+1FFFE, \xf4\x8f\xbf\xbf U+10FFFF",
	       "\xef\xbf\xbd U+FDD0, \xef\xbf\xbd U+1FFFE, \xef\xbf\xbd U+10FFFF");
	expect("\xf0\x9f\x98\x80 emoji", "\xf0\x9f\x98\x80 emoji");
	/* invalid UTF-8: a lone byte, a surrogate, an overlong form, a truncated sequence */
	expect("\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd");
	expect("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	expect("\xc0\xbc", "\xef\xbf\xbd\xef\xbf\xbd");
	expect("end\xe2\x82", "end\xef\xbf\xbd\xef\xbf\xbd");
}

/* Every code point, encoded: kept exactly when XML allows it, else U+FFFD (entities aside). */
static void test_every_code_point(void)
{
	size_t wrong = 0;

	for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
		char in[5], want[5];
		struct strbuf sb;

		encode(cp, in);
		if (xml_allowed(cp))
			memcpy(want, in, sizeof(in));
		else
			strcpy(want, "\xef\xbf\xbd");
		if (cp == '<' || cp == '>' || cp == '&' || cp == '"' || cp == '\'')
			continue;
		if (cp >= 0xd800 && cp <= 0xdfff) {
			/* not UTF-8 at all: each of the three bytes is replaced */
			strbuf_init(&sb);
			CHECK(report_xml_escape(&sb, in));
			wrong += !sb.buf || strcmp(sb.buf, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") != 0;
			strbuf_deinit(&sb);
			continue;
		}
		strbuf_init(&sb);
		CHECK(report_xml_escape(&sb, in));
		if (!sb.buf || strcmp(sb.buf, want) != 0) {
			if (wrong < 10)
				fprintf(stderr, "U+%04X: escaped wrongly\n", (unsigned)cp);
			wrong++;
		}
		strbuf_deinit(&sb);
	}
	CHECK(wrong == 0);
}

static void test_random(void)
{
	unsigned seed = 16;

	for (int round = 0; round < 20000; round++) {
		unsigned char in[64];
		size_t n = (size_t)(rand_r(&seed) % (sizeof(in) - 1));
		struct strbuf sb;

		for (size_t i = 0; i < n; i++) {
			in[i] = (unsigned char)(rand_r(&seed) % 255 + 1);
			/* lean towards the interesting lead bytes */
			if (rand_r(&seed) % 4 == 0)
				in[i] = (unsigned char[]){ 0xef, 0xbf, 0xbe, 0xf4, 0x8f, 0xed, 0xc2, 0x85 }[rand_r(&seed) % 8];
		}
		in[n] = 0;
		strbuf_init(&sb);
		CHECK(report_xml_escape(&sb, (const char *)in));
		if (!well_formed_text((const unsigned char *)(sb.buf ? sb.buf : ""), sb.len)) {
			fprintf(stderr, "random input %d: output is not XML text\n", round);
			failures++;
		}
		strbuf_deinit(&sb);
	}
}

int main(void)
{
	test_known();
	test_every_code_point();
	test_random();
	return unit_finish();
}
