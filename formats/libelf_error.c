#include "formats/libelf_error.h"

#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct hs_error *hs_error_libelf(const char *fmt, ...)
{
	va_list ap;
	char *head = NULL;
	struct hs_error *err;

	va_start(ap, fmt);
	if (vasprintf(&head, fmt, ap) < 0)
		head = NULL;
	va_end(ap);
	if (!head)
		return &hs_error_nomem;
	err = hs_error_create(HS_ERR_FORMAT, "%s: %s", head, elf_errmsg(-1));
	free(head);
	return err;
}
