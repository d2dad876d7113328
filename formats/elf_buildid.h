/* GNU build-id of an ELF file on disk, via libelf. */
#ifndef HS_FORMATS_ELF_BUILDID_H
#define HS_FORMATS_ELF_BUILDID_H

#include "common/error.h"

/*
 * Reads the NT_GNU_BUILD_ID note of the ELF file at path and returns it as a
 * new lowercase hex string in *hex_ret (caller frees). Fails with
 * HS_ERR_FORMAT when the file is not ELF or has no build-id.
 */
struct hs_error *elf_build_id_hex_path(const char *path, char **hex_ret);

#endif
