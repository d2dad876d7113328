/*
 * formats/tree_manifest: what --tree writes reads back the same; every
 * malformed manifest is refused as a whole, with the message that names its
 * line; the writer never replaces a file, never follows a symlink, and
 * leaves mode 0600.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/tree_manifest.h"
#include "unit.h"

#define HEADER "hangsnap-tree 1\n"

static struct tree_manifest parsed;

/* Parses text; returns the error message ("" when it parsed), a static copy. */
static const char *parse(const char *text, size_t len)
{
	static char msg[512];
	struct hs_error *err = tree_manifest_parse(text, len, &parsed);

	msg[0] = '\0';
	if (err) {
		snprintf(msg, sizeof(msg), "%s", hs_error_message(err));
		hs_error_destroy(err);
	}
	return msg;
}

static void expect_refused(const char *text, const char *want)
{
	const char *got = parse(text, strlen(text));

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "manifest:\n%s\nexpected '%s', got '%s'\n", text, want, got);
		failures++;
	}
}

static void test_round_trip(void)
{
	struct tree_manifest m = { .n = 3 };
	char *text;
	size_t len;

	m.procs[0] = (struct tree_process){ .pid = 4711, .ppid = 1, .start_boot_ns = 7634360000000ull };
	strcpy(m.procs[0].core, "core.4711.1764051200.hang.zst");
	m.procs[1] = (struct tree_process){ .pid = 4712, .ppid = 4711, .start_boot_ns = UINT64_MAX };
	m.procs[2] = (struct tree_process){ .pid = 2147483647, .ppid = 4712, .start_boot_ns = 0 };
	strcpy(m.procs[2].core, "core.2147483647.1764051200.hang");
	CHECK(tree_manifest_format(&m, &text, &len) == NULL);
	CHECK(len == strlen(text));
	CHECK(strstr(text, "process 4712 4711 18446744073709551615 -\n") != NULL);
	CHECK(strcmp(parse(text, len), "") == 0);
	CHECK(parsed.n == 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK(parsed.procs[i].pid == m.procs[i].pid);
		CHECK(parsed.procs[i].ppid == m.procs[i].ppid);
		CHECK(parsed.procs[i].start_boot_ns == m.procs[i].start_boot_ns);
		CHECK(strcmp(parsed.procs[i].core, m.procs[i].core) == 0);
	}
	/* not NUL-terminated: the parser reads len bytes, no more */
	text[len - 1] = 'x';
	CHECK(strcmp(parse(text, len - 1), "tree manifest line 5: no newline at the end") == 0);
	free(text);
	/* comments anywhere after the header; a root whose parent is unknown */
	expect_refused(HEADER "#\n# x\nprocess 5 0 1 -\n#\n", "");
}

static void test_refusals(void)
{
	char big[80 * 70], name[300];

	expect_refused("", "tree manifest is empty");
	expect_refused(HEADER, "tree manifest lists no process");
	expect_refused(HEADER "# only a comment\n", "tree manifest lists no process");
	expect_refused("hangsnap-tree 2\nprocess 1 0 1 -\n",
		       "tree manifest version 2 is not supported (this hanganalyze reads version 1)");
	expect_refused("hangsnap-tree 01\n", "tree manifest line 1: bad version");
	expect_refused("hangsnap-tree 1 \n", "tree manifest line 1: bad version");
	expect_refused("hangsnap-tree\n", "tree manifest line 1: not a hangsnap tree manifest");
	expect_refused("# comment first\n" HEADER, "tree manifest line 1: not a hangsnap tree manifest");
	expect_refused(HEADER "process 1 0 1 -", "tree manifest line 2: no newline at the end");
	expect_refused(HEADER "proc 1 0 1 -\n", "tree manifest line 2: unknown record");
	expect_refused(HEADER "\n", "tree manifest line 2: unknown record");
	expect_refused(HEADER "process 0 0 1 -\n", "tree manifest line 2: expected 'process PID PPID START CORE'");
	expect_refused(HEADER "process 2147483648 0 1 -\n", "tree manifest line 2: expected 'process PID PPID START CORE'");
	expect_refused(HEADER "process -1 0 1 -\n", "tree manifest line 2: expected 'process PID PPID START CORE'");
	expect_refused(HEADER "process 01 0 1 -\n", "tree manifest line 2: expected 'process PID PPID START CORE'");
	expect_refused(HEADER "process 1  0 1 -\n", "tree manifest line 2: expected 'process PID PPID START CORE'");
	expect_refused(HEADER "process 1 0 18446744073709551616 -\n",
		       "tree manifest line 2: expected 'process PID PPID START CORE'");
	expect_refused(HEADER "process 1 0 1\n", "tree manifest line 2: expected 'process PID PPID START CORE'");
	expect_refused(HEADER "process 1 0 1 \n", "tree manifest line 2: bad core name");
	expect_refused(HEADER "process 1 0 1 ../x\n", "tree manifest line 2: bad core name");
	expect_refused(HEADER "process 1 0 1 a/b\n", "tree manifest line 2: bad core name");
	expect_refused(HEADER "process 1 0 1 .hidden\n", "tree manifest line 2: bad core name");
	expect_refused(HEADER "process 1 0 1 a b\n", "tree manifest line 2: bad core name");
	expect_refused(HEADER "process 1 0 1 a\tb\n", "tree manifest line 2: bad core name");
	expect_refused(HEADER "process 1 0 1 a\rb\n", "tree manifest line 2: bad core name");
	expect_refused(HEADER "process 1 0 1 a\n", "");
	memset(name, 'a', 256);
	name[256] = '\0';
	snprintf(big, sizeof(big), HEADER "process 1 0 1 %s\n", name);
	expect_refused(big, "tree manifest line 2: bad core name");
	name[255] = '\0';
	snprintf(big, sizeof(big), HEADER "process 1 0 1 %s\n", name);
	expect_refused(big, "");
	{
		static const char nul[] = HEADER "process 1 0 1 a\0b\n";
		CHECK(strcmp(parse(nul, sizeof(nul) - 1), "tree manifest line 2: bad core name") == 0);
	}
	expect_refused(HEADER "process 1 0 1 a\nprocess 1 1 1 b\n", "tree manifest line 3: a pid listed twice");
	expect_refused(HEADER "process 1 0 1 a\nprocess 2 1 1 a\n", "tree manifest line 3: a core listed twice");
	expect_refused(HEADER "process 1 0 1 -\nprocess 2 1 1 -\nprocess 3 1 1 -\n", "");
	expect_refused(HEADER "process 1 0 1 a\nprocess 3 2 1 b\nprocess 2 1 1 c\n",
		       "tree manifest line 3: the parent is not listed before the process");
	/* 64 processes are fine, 65 are not */
	{
		size_t off = (size_t)snprintf(big, sizeof(big), HEADER);
		for (int i = 1; i <= 65; i++) {
			off += (size_t)snprintf(big + off, sizeof(big) - off, "process %d %d 1 -\n", i, i == 1 ? 0 : 1);
			if (i == 64)
				CHECK(strcmp(parse(big, off), "") == 0 && parsed.n == 64);
		}
		expect_refused(big, "tree manifest line 66: more processes than the cap of 64");
	}
	/* too large, however well-formed */
	{
		size_t len = TREE_MANIFEST_MAX_BYTES + 1;
		char *huge = malloc(len);
		CHECK(huge != NULL);
		if (huge) {
			memset(huge, '\n', len);
			memcpy(huge, HEADER "#", strlen(HEADER "#"));
			CHECK(strcmp(parse(huge, len), "tree manifest is larger than 65536 bytes") == 0);
			free(huge);
		}
	}
}

static void test_write(void)
{
	char dir[] = "/tmp/test-tree-manifest.XXXXXX", path[64], tmp[64];
	struct tree_manifest m = { .n = 1 }, back;
	struct hs_error *err;
	struct stat st;

	m.procs[0] = (struct tree_process){ .pid = 7, .ppid = 1, .start_boot_ns = 42 };
	strcpy(m.procs[0].core, "core.7.1.hang");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, TREE_MANIFEST_NAME);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, TREE_MANIFEST_NAME);

	umask(0);
	CHECK(tree_manifest_write(dir, &m) == NULL);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
	CHECK(access(tmp, F_OK) != 0);
	CHECK(tree_manifest_read(dir, &back) == NULL && back.n == 1 && strcmp(back.procs[0].core, "core.7.1.hang") == 0);

	/* never over an existing file, which stays as it was */
	err = tree_manifest_write(dir, &(struct tree_manifest){ .n = 1, .procs = { { .pid = 9 } } });
	CHECK(err != NULL && err->kind == HS_ERR_EXISTS);
	CHECK(err && strstr(hs_error_message(err), "cannot create") != NULL);
	hs_error_destroy(err);
	CHECK(tree_manifest_read(dir, &back) == NULL && back.procs[0].pid == 7);
	CHECK(access(tmp, F_OK) != 0);

	/* never through a symlink: not created where it points, not read through it */
	CHECK(unlink(path) == 0);
	CHECK(symlink("/tmp/test-tree-manifest-target-never-created", path) == 0);
	err = tree_manifest_write(dir, &m);
	CHECK(err != NULL);
	hs_error_destroy(err);
	CHECK(access("/tmp/test-tree-manifest-target-never-created", F_OK) != 0);
	err = tree_manifest_read(dir, &back);
	CHECK(err != NULL && err->kind == HS_ERR_OS && err->errnum == ELOOP);
	hs_error_destroy(err);
	CHECK(unlink(path) == 0);

	/* a leftover temporary (a symlink, even) is not written through either */
	CHECK(symlink("/tmp/test-tree-manifest-target-never-created", tmp) == 0);
	err = tree_manifest_write(dir, &m);
	CHECK(err != NULL);
	hs_error_destroy(err);
	CHECK(access("/tmp/test-tree-manifest-target-never-created", F_OK) != 0);
	CHECK(unlink(tmp) == 0);

	/* no manifest: ENOENT */
	err = tree_manifest_read(dir, &back);
	CHECK(err != NULL && err->kind == HS_ERR_OS && err->errnum == ENOENT);
	hs_error_destroy(err);
	CHECK(rmdir(dir) == 0);
}

int main(void)
{
	test_round_trip();
	test_refusals();
	test_write();
	return unit_finish();
}
