/* The manifest of a process-tree snapshot (see formats/tree_manifest.h for the format). */
#include "formats/tree_manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"

#define MAGIC "hangsnap-tree"

bool tree_manifest_valid_name(const char *name)
{
	return hs_plain_name(name, TREE_MANIFEST_MAX_NAME);
}

/* A decimal field without sign or leading zeros (but "0"), at most max; advances *p past it. */
static bool parse_decimal(const char **p, const char *end, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s == end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return true;
}

static bool expect_space(const char **p, const char *end)
{
	if (*p == end || **p != ' ')
		return false;
	(*p)++;
	return true;
}

static struct hs_error *bad_line(size_t line, const char *why)
{
	return hs_error_create(HS_ERR_FORMAT, "tree manifest line %zu: %s", line, why);
}

/* "process PID PPID START CORE" into *t; why on failure. */
static const char *parse_process(const char *s, const char *end, struct tree_process *t)
{
	uint64_t pid, ppid, start;
	size_t n;

	if ((size_t)(end - s) < 8 || memcmp(s, "process ", 8) != 0)
		return "unknown record";
	s += 8;
	if (!parse_decimal(&s, end, INT32_MAX, &pid) || pid == 0 || !expect_space(&s, end) ||
	    !parse_decimal(&s, end, INT32_MAX, &ppid) || !expect_space(&s, end) ||
	    !parse_decimal(&s, end, UINT64_MAX, &start) || !expect_space(&s, end))
		return "expected 'process PID PPID START CORE'";
	n = (size_t)(end - s);
	if (n == 0 || n > TREE_MANIFEST_MAX_NAME || memchr(s, '\0', n))
		return "bad core name";
	memcpy(t->core, s, n);
	t->core[n] = '\0';
	if (strcmp(t->core, "-") == 0)
		t->core[0] = '\0';
	else if (!tree_manifest_valid_name(t->core))
		return "bad core name";
	t->pid = (int32_t)pid;
	t->ppid = (int32_t)ppid;
	t->start_boot_ns = start;
	return NULL;
}

struct hs_error *tree_manifest_parse(const char *buf, size_t len, struct tree_manifest *ret)
{
	const char *p = buf, *end = buf + len;
	size_t line = 0;
	bool header = false;

	ret->n = 0;
	if (len > TREE_MANIFEST_MAX_BYTES)
		return hs_error_create(HS_ERR_FORMAT, "tree manifest is larger than %u bytes", TREE_MANIFEST_MAX_BYTES);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *why;

		line++;
		if (!nl)
			return bad_line(line, "no newline at the end");
		if (!header) {
			uint64_t version;
			const char *s = p + strlen(MAGIC " ");
			if ((size_t)(nl - p) < strlen(MAGIC " ") || memcmp(p, MAGIC " ", strlen(MAGIC " ")) != 0)
				return bad_line(line, "not a hangsnap tree manifest");
			if (!parse_decimal(&s, nl, UINT32_MAX, &version) || s != nl)
				return bad_line(line, "bad version");
			if (version != TREE_MANIFEST_VERSION)
				return hs_error_create(HS_ERR_FORMAT, "tree manifest version %" PRIu64 " is not supported (this hanganalyze reads version %d)",
						       version, TREE_MANIFEST_VERSION);
			header = true;
		} else if (p < nl && *p == '#') {
			/* comment */
		} else {
			struct tree_process *t;
			bool parent_seen = false;

			if (ret->n == TREE_MANIFEST_MAX_PROCESSES)
				return bad_line(line, "more processes than " "the cap of 64");
			t = &ret->procs[ret->n];
			if ((why = parse_process(p, nl, t)))
				return bad_line(line, why);
			for (size_t i = 0; i < ret->n; i++) {
				if (ret->procs[i].pid == t->pid)
					return bad_line(line, "a pid listed twice");
				if (ret->procs[i].pid == t->ppid)
					parent_seen = true;
				if (t->core[0] && strcmp(ret->procs[i].core, t->core) == 0)
					return bad_line(line, "a core listed twice");
			}
			if (ret->n > 0 && !parent_seen)
				return bad_line(line, "the parent is not listed before the process");
			ret->n++;
		}
		p = nl + 1;
	}
	if (!header)
		return hs_error_create(HS_ERR_FORMAT, "tree manifest is empty");
	if (ret->n == 0)
		return hs_error_create(HS_ERR_FORMAT, "tree manifest lists no process");
	return NULL;
}

struct hs_error *tree_manifest_format(const struct tree_manifest *m, char **ret, size_t *len_ret)
{
	struct strbuf sb;
	bool ok;

	strbuf_init(&sb);
	ok = strbuf_appendf(&sb, MAGIC " %d\n# process PID PPID START(ns since boot) CORE\n", TREE_MANIFEST_VERSION);
	for (size_t i = 0; ok && i < m->n; i++) {
		const struct tree_process *t = &m->procs[i];
		ok = strbuf_appendf(&sb, "process %d %d %" PRIu64 " %s\n", (int)t->pid, (int)t->ppid, t->start_boot_ns,
				    t->core[0] ? t->core : "-");
	}
	if (!ok) {
		strbuf_deinit(&sb);
		return &hs_error_nomem;
	}
	*ret = strbuf_detach(&sb, len_ret);
	return NULL;
}

char *tree_manifest_path(const char *dir, const char *name)
{
	char *path;
	size_t n = strlen(dir);

	if (asprintf(&path, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0)
		return NULL;
	return path;
}

struct hs_error *tree_manifest_read(const char *dir, struct tree_manifest *ret)
{
	char *path = tree_manifest_path(dir, TREE_MANIFEST_NAME), *buf = NULL;
	struct hs_error *err = NULL;
	size_t len = 0;
	ssize_t r;
	int fd;

	if (!path)
		return &hs_error_nomem;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err = hs_error_errno_kind(HS_ERR_OS, errno, "cannot open '%s'", path);
		free(path);
		return err;
	}
	if (!(buf = malloc(TREE_MANIFEST_MAX_BYTES + 1))) {
		close(fd);
		free(path);
		return &hs_error_nomem;
	}
	while (len <= TREE_MANIFEST_MAX_BYTES &&
	       (r = read(fd, buf + len, TREE_MANIFEST_MAX_BYTES + 1 - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = hs_error_errno_kind(HS_ERR_OS, errno, "cannot read '%s'", path);
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	if (!err && (err = tree_manifest_parse(buf, len, ret))) {
		struct hs_error *named = hs_error_create(HS_ERR_FORMAT, "'%s': %s", path, hs_error_message(err));
		hs_error_destroy(err);
		err = named;
	}
	free(buf);
	free(path);
	return err;
}

struct hs_error *tree_manifest_write(const char *dir, const struct tree_manifest *m)
{
	char *text = NULL, *tmp = NULL, *path = NULL;
	struct hs_error *err;
	size_t len, done = 0;
	int fd = -1;

	if ((err = tree_manifest_format(m, &text, &len)))
		return err;
	if (!(path = tree_manifest_path(dir, TREE_MANIFEST_NAME)) || !(tmp = tree_manifest_path(dir, "." TREE_MANIFEST_NAME ".tmp"))) {
		err = &hs_error_nomem;
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		err = hs_error_errno(errno, "cannot create '%s'", tmp);
		goto out;
	}
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = hs_error_errno(w < 0 ? errno : ENOSPC, "cannot write '%s'", tmp);
			break;
		}
		done += (size_t)w;
	}
	if (!err && fsync(fd) != 0)
		err = hs_error_errno(errno, "cannot write '%s'", tmp);
	if (close(fd) != 0 && !err)
		err = hs_error_errno(errno, "cannot write '%s'", tmp);
	fd = -1;
	if (!err && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0)
		err = hs_error_errno(errno, "cannot create '%s'", path);
	if (err)
		unlink(tmp);
out:
	free(text);
	free(tmp);
	free(path);
	return err;
}
