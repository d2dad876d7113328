/*
 * Errors as values.
 *
 * Library code (capture/, formats/, analyzer/, casedb/) never prints and never
 * exits: a function that can fail returns `struct hs_error *`, NULL on success.
 * The caller owns a returned error and frees it with hs_error_destroy(), which
 * accepts NULL and the static out-of-memory error. Only cmd/ turns an error
 * into a message on stderr and an exit code.
 *
 * Messages follow git's guidelines: lowercase, no trailing period, problem
 * first, subject quoted: "cannot open '/proc/42/maps': No such file or directory".
 */
#ifndef HS_COMMON_ERROR_H
#define HS_COMMON_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

enum hs_error_kind {
	HS_ERR_OS,		/* a system call failed; errnum is set */
	HS_ERR_NOMEM,		/* allocation failed */
	HS_ERR_INVALID,		/* bad argument from the user */
	HS_ERR_FORMAT,		/* corrupt or unsupported input bytes */
	HS_ERR_NO_PROCESS,	/* the target does not exist (or vanished) */
	HS_ERR_ZOMBIE,		/* the target has no user space: a zombie, exiting, or a kernel thread */
	HS_ERR_PERMISSION,	/* the target cannot be traced by us */
	HS_ERR_SELF,		/* the target is our own process */
	HS_ERR_EXISTS,		/* an output file is already there */
	HS_ERR_LIMIT,		/* a cap on input size or count was hit */
	HS_ERR_INTERNAL,	/* a bug or an unexpected library failure */
};

struct hs_error {
	enum hs_error_kind kind;
	int errnum;		/* errno for HS_ERR_OS and friends, else 0 */
	char *message;
};

/* The one error that needs no allocation. */
extern struct hs_error hs_error_nomem;

/* Returns a new error with a printf-formatted message (&hs_error_nomem if even that fails). */
struct hs_error *hs_error_create(enum hs_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Returns an error for a failed system call: "<formatted>: <strerror(errnum)>".
 * The kind is derived from errnum (ENOMEM → HS_ERR_NOMEM, EEXIST → HS_ERR_EXISTS,
 * everything else HS_ERR_OS) so callers can still pick an exit code.
 */
struct hs_error *hs_error_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Same as hs_error_errno() with an explicit kind. */
struct hs_error *hs_error_errno_kind(enum hs_error_kind kind, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Frees an error; accepts NULL and &hs_error_nomem. */
void hs_error_destroy(struct hs_error *err);

/* Returns err's message, "out of memory" for &hs_error_nomem. Never NULL. */
const char *hs_error_message(const struct hs_error *err);

#endif
