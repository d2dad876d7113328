/*
 * Output files that never exist half-written.
 *
 * outfile_open() creates an unnamed file (O_TMPFILE) in the destination's
 * directory, mode 0600; outfile_commit() links it to its name in one step.
 * If the process dies first, the kernel frees the unnamed file: no partial
 * output is ever visible. Where O_TMPFILE is unsupported, a hidden temporary
 * name is created with O_CREAT|O_EXCL|O_NOFOLLOW and renamed at the end;
 * outfile_abort() (also safe from a signal handler via
 * outfile_abort_signal_safe()) removes it.
 *
 * An existing destination is never replaced unless force is set; a symlink at
 * the destination is never followed.
 */
#ifndef HS_COMMON_OUTFILE_H
#define HS_COMMON_OUTFILE_H

#include <stdbool.h>

#include "common/error.h"

struct outfile {
	int fd;
	char *path;		/* destination */
	char *temp_path;	/* named fallback, NULL with O_TMPFILE */
	bool force;
};

/* Fails with HS_ERR_EXISTS when path exists and !force. */
struct hs_error *outfile_open(const char *path, bool force, struct outfile *ret);
/* Gives the file its name and closes it. */
struct hs_error *outfile_commit(struct outfile *out);
/* Closes and removes the file; accepts an outfile that was never opened (fd -1). */
void outfile_abort(struct outfile *out);
/* Only unlinks the named temporary, for signal handlers. */
void outfile_abort_signal_safe(const struct outfile *out);

#endif
