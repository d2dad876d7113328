/* See buildid_index.h. */
#include "analyzer/buildid_index.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <gelf.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/vec.h"

#define BUILD_ID_MAX 64

struct entry {
	unsigned char id[BUILD_ID_MAX];
	size_t len;
	bool code, debug;
	char *path;
};

struct buildid_index {
	VEC(struct entry) entries;
	struct buildid_index_stats stats;
};

void buildid_elf_classify(Elf *elf, bool *code, bool *debug)
{
	size_t shstrndx, nphdr;
	Elf_Scn *scn = NULL;

	*code = *debug = false;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_size > 0)
				*code = true;
			if (sh.sh_type != SHT_NOBITS && sh.sh_size > 0 && (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
			    (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0))
				*debug = true;
		}
	}
	/* no section headers (stripped with sstrip): an executable segment with bytes in the file */
	if (!*code && elf_getphdrnum(elf, &nphdr) == 0) {
		for (size_t i = 0; i < nphdr; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && ph.p_filesz > 0)
				*code = true;
		}
	}
}

/* Adds the file open at fd (as path) when it is a regular ELF file with a build-id; does not close fd. */
static struct hs_error *add_fd(struct buildid_index *ix, int fd, const char *path)
{
	unsigned char magic[4];
	struct stat st;
	const void *id;
	ssize_t len;
	Elf *elf;
	struct entry *e;
	struct hs_error *err = NULL;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64 ||
	    pread(fd, magic, 4, 0) != 4 || memcmp(magic, ELFMAG, SELFMAG) != 0)
		return NULL;
	if (!(elf = elf_begin(fd, ELF_C_READ_MMAP, NULL)) || elf_kind(elf) != ELF_K_ELF ||
	    (len = dwelf_elf_gnu_build_id(elf, &id)) <= 0 || len > BUILD_ID_MAX) {
		elf_end(elf);
		return NULL;
	}
	if (ix->entries.len >= INDEX_MAX_ELF) {
		ix->stats.truncated = true;
	} else if (!(e = VEC_PUSH(&ix->entries)) || !(e->path = strdup(path))) {
		if (e)
			ix->entries.len--;
		err = &hs_error_nomem;
	} else {
		memcpy(e->id, id, (size_t)len);
		e->len = (size_t)len;
		buildid_elf_classify(elf, &e->code, &e->debug);
		ix->stats.elf++;
	}
	elf_end(elf);
	return err;
}

/* Adds path when it is a regular ELF file with a build-id. */
static struct hs_error *add_file(struct buildid_index *ix, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct hs_error *err;

	if (fd < 0)
		return NULL;
	err = add_fd(ix, fd, path);
	close(fd);
	return err;
}

static struct hs_error *walk(struct buildid_index *ix, const char *dir, bool *unreadable)
{
	char *roots[] = { (char *)dir, NULL };
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	FTSENT *ent;
	struct hs_error *err = NULL;

	if (!fts) {
		*unreadable = true;
		return errno == ENOMEM ? &hs_error_nomem : NULL;
	}
	while (!err && (ent = fts_read(fts))) {
		switch (ent->fts_info) {
		case FTS_D:
			if (ent->fts_level >= INDEX_MAX_DEPTH) {
				fts_set(fts, ent, FTS_SKIP);
				ix->stats.truncated = true;
			}
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			if (ent->fts_level == 0)
				*unreadable = true;
			break;
		case FTS_F:
			if (ix->stats.files >= INDEX_MAX_FILES) {
				ix->stats.truncated = true;
				goto out;
			}
			ix->stats.files++;
			err = add_file(ix, ent->fts_path);
			break;
		default:
			/* symbolic links, sockets, devices: not followed, not opened */
			break;
		}
	}
out:
	fts_close(fts);
	return err;
}

struct hs_error *buildid_index_build(const char *const *dirs, size_t ndirs, const int *fds, size_t nfds,
				     struct buildid_index **ret, char **unreadable_ret)
{
	struct buildid_index *ix = calloc(1, sizeof(*ix));
	struct hs_error *err = NULL;

	if (unreadable_ret)
		*unreadable_ret = NULL;
	if (!ix)
		return &hs_error_nomem;
	elf_version(EV_CURRENT);
	/* a bundle's files, by the names that reopen them */
	for (size_t i = 0; i < nfds && !err; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		ix->stats.fds++;
		err = add_fd(ix, fds[i], path);
	}
	for (size_t i = 0; i < ndirs && !err; i++) {
		bool unreadable = false;

		ix->stats.dirs++;
		err = walk(ix, dirs[i], &unreadable);
		if (unreadable && unreadable_ret && !*unreadable_ret && !(*unreadable_ret = strdup(dirs[i])))
			err = &hs_error_nomem;
	}
	if (err) {
		buildid_index_destroy(ix);
		if (unreadable_ret) {
			free(*unreadable_ret);
			*unreadable_ret = NULL;
		}
		return err;
	}
	*ret = ix;
	return NULL;
}

void buildid_index_destroy(struct buildid_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->entries.len; i++)
		free(ix->entries.items[i].path);
	VEC_DEINIT(&ix->entries);
	free(ix);
}

const char *buildid_index_find(const struct buildid_index *ix, const unsigned char *id, size_t len, bool debug)
{
	const char *fallback = NULL;

	if (!ix || len == 0 || len > BUILD_ID_MAX)
		return NULL;
	/* the first in the order the directories were given; an unstripped file serves both */
	for (size_t i = 0; i < ix->entries.len; i++) {
		const struct entry *e = &ix->entries.items[i];

		if (e->len != len || memcmp(e->id, id, len) != 0)
			continue;
		if (debug ? e->debug : e->code)
			return e->path;
		/* a module's ELF may be a file without code sections (libdwfl takes it); debug needs DWARF */
		if (!debug && !fallback && !e->debug)
			fallback = e->path;
	}
	return fallback;
}

void buildid_index_stats(const struct buildid_index *ix, struct buildid_index_stats *ret)
{
	if (ix)
		*ret = ix->stats;
	else
		*ret = (struct buildid_index_stats){ 0 };
}
