/* libelf's errors, converted once where we call it (drgn_error_libelf style). */
#ifndef HS_FORMATS_LIBELF_ERROR_H
#define HS_FORMATS_LIBELF_ERROR_H

#include "common/error.h"

/* Returns an HS_ERR_FORMAT error "<formatted>: <elf_errmsg(-1)>". */
struct hs_error *hs_error_libelf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
