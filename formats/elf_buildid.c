#include "formats/elf_buildid.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/libelf_error.h"

#define BUILD_ID_MAX 64	/* real ones are 20 bytes (sha1) or 16 (md5/uuid) */

static char *hex_of(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(n * 2 + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

struct hs_error *elf_build_id_hex_path(const char *path, char **hex_ret)
{
	struct hs_error *err = NULL;
	Elf *elf = NULL;
	size_t nphdr;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hs_error_errno(errno, "cannot open '%s'", path);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = hs_error_create(HS_ERR_FORMAT, "'%s' is not an ELF file", path);
		goto cleanup;
	}
	if (elf_getphdrnum(elf, &nphdr) != 0) {
		err = hs_error_libelf("cannot read program headers of '%s'", path);
		goto cleanup;
	}
	for (size_t i = 0; i < nphdr && i < 4096; i++) {
		GElf_Phdr phdr;
		Elf_Data *data;
		GElf_Nhdr nhdr;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_NOTE)
			continue;
		data = elf_getdata_rawchunk(elf, (int64_t)phdr.p_offset, phdr.p_filesz,
					    phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
			if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) == 0 && nhdr.n_descsz > 0 &&
			    nhdr.n_descsz <= BUILD_ID_MAX) {
				*hex_ret = hex_of((unsigned char *)data->d_buf + desc_off, nhdr.n_descsz);
				err = *hex_ret ? NULL : &hs_error_nomem;
				goto cleanup;
			}
		}
	}
	err = hs_error_create(HS_ERR_FORMAT, "'%s' has no build-id", path);
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}
