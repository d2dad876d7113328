#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hs_error hs_error_nomem = {
	.kind = HS_ERR_NOMEM,
	.errnum = ENOMEM,
	.message = (char *)"out of memory",
};

static struct hs_error *error_vcreate(enum hs_error_kind kind, int errnum, const char *suffix,
				      const char *fmt, va_list ap)
{
	struct hs_error *err = malloc(sizeof(*err));
	char *head = NULL;

	if (!err)
		return &hs_error_nomem;
	if (vasprintf(&head, fmt, ap) < 0) {
		free(err);
		return &hs_error_nomem;
	}
	if (suffix) {
		char *joined;
		if (asprintf(&joined, "%s: %s", head, suffix) < 0) {
			free(head);
			free(err);
			return &hs_error_nomem;
		}
		free(head);
		head = joined;
	}
	err->kind = kind;
	err->errnum = errnum;
	err->message = head;
	return err;
}

struct hs_error *hs_error_create(enum hs_error_kind kind, const char *fmt, ...)
{
	va_list ap;
	struct hs_error *err;

	if (kind == HS_ERR_NOMEM)
		return &hs_error_nomem;
	va_start(ap, fmt);
	err = error_vcreate(kind, 0, NULL, fmt, ap);
	va_end(ap);
	return err;
}

struct hs_error *hs_error_errno_kind(enum hs_error_kind kind, int errnum, const char *fmt, ...)
{
	va_list ap;
	struct hs_error *err;

	if (errnum == ENOMEM)
		return &hs_error_nomem;
	va_start(ap, fmt);
	err = error_vcreate(kind, errnum, strerror(errnum), fmt, ap);
	va_end(ap);
	return err;
}

struct hs_error *hs_error_errno(int errnum, const char *fmt, ...)
{
	va_list ap;
	struct hs_error *err;
	enum hs_error_kind kind = HS_ERR_OS;

	if (errnum == ENOMEM)
		return &hs_error_nomem;
	if (errnum == EEXIST)
		kind = HS_ERR_EXISTS;
	va_start(ap, fmt);
	err = error_vcreate(kind, errnum, strerror(errnum), fmt, ap);
	va_end(ap);
	return err;
}

void hs_error_destroy(struct hs_error *err)
{
	if (!err || err == &hs_error_nomem)
		return;
	free(err->message);
	free(err);
}

const char *hs_error_message(const struct hs_error *err)
{
	return err && err->message ? err->message : "unknown error";
}
