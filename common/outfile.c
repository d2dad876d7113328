#include "common/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
	char *copy = strdup(path), *d;

	if (!copy)
		return NULL;
	d = strdup(dirname(copy));
	free(copy);
	return d;
}

/* On failure *out is left closed with nothing allocated (outfile_abort() is a no-op on it). */
struct hs_error *outfile_open(const char *path, bool force, struct outfile *out)
{
	struct stat st;
	char *dir;

	out->fd = -1;
	out->temp_path = NULL;
	out->force = force;
	if (!(out->path = strdup(path)))
		return &hs_error_nomem;
	if (!force && lstat(path, &st) == 0) {
		outfile_abort(out);
		return hs_error_create(HS_ERR_EXISTS, "'%s' already exists (use --force to replace it)", path);
	}
	if (!(dir = dir_of(path))) {
		outfile_abort(out);
		return &hs_error_nomem;
	}
	out->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE on this filesystem: a hidden name next to the destination */
		for (int attempt = 0; attempt < 100 && out->fd < 0; attempt++) {
			free(out->temp_path);
			if (asprintf(&out->temp_path, "%s/.hangsnap-%d-%lx.tmp", dir, (int)getpid(),
				     (unsigned long)random()) < 0) {
				free(dir);
				outfile_abort(out);
				return &hs_error_nomem;
			}
			out->fd = open(out->temp_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (out->fd < 0 && errno != EEXIST)
				break;
		}
	}
	if (out->fd < 0) {
		int e = errno;
		struct hs_error *err = hs_error_errno_kind(HS_ERR_OS, e, "cannot create '%s'", path);
		free(out->temp_path);
		out->temp_path = NULL;	/* never created: nothing to unlink */
		free(dir);
		outfile_abort(out);
		return err;
	}
	free(dir);
	/* umask may have cleared bits but never adds any; make it exactly 0600 */
	fchmod(out->fd, 0600);
	return NULL;
}

struct hs_error *outfile_commit(struct outfile *out)
{
	struct hs_error *err = NULL;

	if (fsync(out->fd) != 0 && errno != EINVAL && errno != EROFS)
		return hs_error_errno(errno, "cannot flush '%s'", out->path);
	if (!out->temp_path) {
		char proc[64];

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out->fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, out->path, AT_SYMLINK_FOLLOW) != 0) {
			if (errno == EEXIST && out->force) {
				/* link under a fresh hidden name, then rename over the destination */
				char *tmp = NULL;
				char *dir = dir_of(out->path);
				if (!dir || asprintf(&tmp, "%s/.hangsnap-%d-%lx.tmp", dir, (int)getpid(),
						     (unsigned long)time(NULL)) < 0) {
					free(dir);
					return &hs_error_nomem;
				}
				free(dir);
				if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0 || rename(tmp, out->path) != 0) {
					err = hs_error_errno(errno, "cannot replace '%s'", out->path);
					unlink(tmp);
				}
				free(tmp);
			} else if (errno == EEXIST) {
				err = hs_error_create(HS_ERR_EXISTS, "'%s' appeared while writing; not replacing it", out->path);
			} else {
				err = hs_error_errno(errno, "cannot create '%s'", out->path);
			}
		}
	} else {
		int r = out->force ? rename(out->temp_path, out->path)
				   : renameat2(AT_FDCWD, out->temp_path, AT_FDCWD, out->path, RENAME_NOREPLACE);
		if (r != 0) {
			err = errno == EEXIST ? hs_error_create(HS_ERR_EXISTS, "'%s' appeared while writing; not replacing it", out->path)
					      : hs_error_errno(errno, "cannot create '%s'", out->path);
			unlink(out->temp_path);
		}
	}
	close(out->fd);
	out->fd = -1;
	free(out->temp_path);
	out->temp_path = NULL;
	free(out->path);
	out->path = NULL;
	return err;
}

void outfile_abort_signal_safe(const struct outfile *out)
{
	if (out->temp_path)
		unlink(out->temp_path);
}

void outfile_abort(struct outfile *out)
{
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	if (out->temp_path)
		unlink(out->temp_path);
	free(out->temp_path);
	out->temp_path = NULL;
	free(out->path);
	out->path = NULL;
}
