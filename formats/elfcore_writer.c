/*
 * The ELF core hangsnap writes, offset by offset (all little-endian):
 *
 *   0x0000  Elf64_Ehdr     e_type ET_CORE, e_machine EM_X86_64, e_phoff 64,
 *                          e_phentsize 56, e_phnum 1 + loads (PN_XNUM and
 *                          section header 0's sh_info past 0xfffe, as the kernel)
 *   0x0040  Elf64_Phdr[0]  PT_NOTE, p_offset = end of program headers
 *   0x0078  Elf64_Phdr[1…] PT_LOAD per segment, ascending p_vaddr, p_align 4096
 *           [Elf64_Shdr    only with PN_XNUM: one SHT_NULL section header]
 *   …       notes          Elf64_Nhdr, name padded to 4, descriptor padded to 4
 *   page    segment data   each PT_LOAD's p_filesz bytes, back to back from the
 *                          first page boundary after the notes; pages the
 *                          target never touched are holes (sparse on disk)
 *
 * Note order follows the kernel's (fs/binfmt_elf.c) so gdb, eu-stack and
 * lldb read it unmodified: the main thread's NT_PRSTATUS first, then the
 * process notes (NT_PRPSINFO, NT_AUXV, NT_FILE), then the main thread's other
 * register sets; then each further thread's NT_PRSTATUS and register sets;
 * HANGSNAP notes last (readers skip owners they do not know).
 *
 * A PT_LOAD with p_filesz 0 covers memory that is not in the file: read-only
 * file text (readers take it from the file named in NT_FILE) or address
 * ranges the target never touched. 0 < p_filesz < p_memsz only for the first
 * page of a mapped ELF file (header + build-id note), as the kernel does with
 * coredump_filter bit 4; the rest of that mapping comes from the file.
 */
#include "formats/elfcore_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)
#define ALIGN_PAGE(x) (((x) + CORE_PAGE_SIZE - 1) & ~(uint64_t)(CORE_PAGE_SIZE - 1))

void core_builder_init(struct core_builder *cb)
{
	memset(cb, 0, sizeof(*cb));
	strbuf_init(&cb->notes);
}

void core_builder_deinit(struct core_builder *cb)
{
	strbuf_deinit(&cb->notes);
	VEC_DEINIT(&cb->loads);
	VEC_DEINIT(&cb->extents);
	free(cb->head);
	memset(cb, 0, sizeof(*cb));
}

struct hs_error *core_builder_add_note(struct core_builder *cb, const char *owner, uint32_t type,
				       const void *desc, size_t len)
{
	Elf64_Nhdr nh;
	size_t namesz = strlen(owner) + 1;
	static const char zeros[4];

	if (len > UINT32_MAX)
		return hs_error_create(HS_ERR_INTERNAL, "note of %zu bytes is too large", len);
	nh.n_namesz = (Elf64_Word)namesz;
	nh.n_descsz = (Elf64_Word)len;
	nh.n_type = type;
	if (!strbuf_append(&cb->notes, &nh, sizeof(nh)) || !strbuf_append(&cb->notes, owner, namesz) ||
	    !strbuf_append(&cb->notes, zeros, ALIGN4(namesz) - namesz) || !strbuf_append(&cb->notes, desc, len) ||
	    !strbuf_append(&cb->notes, zeros, ALIGN4(len) - len))
		return &hs_error_nomem;
	return NULL;
}

struct hs_error *core_builder_add_load(struct core_builder *cb, uint64_t vaddr, uint64_t memsz, uint64_t filesz,
				       uint32_t flags, size_t *index_ret)
{
	Elf64_Phdr *ph;

	if (filesz > memsz || filesz % CORE_PAGE_SIZE)
		return hs_error_create(HS_ERR_INTERNAL, "segment at 0x%llx: bad file size", (unsigned long long)vaddr);
	if (cb->loads.len >= CORE_MAX_SEGMENTS)
		return hs_error_create(HS_ERR_LIMIT, "more than %u segments", CORE_MAX_SEGMENTS);
	if (!(ph = VEC_PUSH(&cb->loads)))
		return &hs_error_nomem;
	ph->p_type = PT_LOAD;
	ph->p_flags = flags;
	ph->p_vaddr = vaddr;
	ph->p_memsz = memsz;
	ph->p_filesz = filesz;
	ph->p_align = CORE_PAGE_SIZE;
	*index_ret = cb->loads.len - 1;
	return NULL;
}

struct hs_error *core_builder_add_data(struct core_builder *cb, size_t index, uint64_t vaddr, uint64_t len,
				       const void *data)
{
	const Elf64_Phdr *ph = &cb->loads.items[index];
	struct core_extent *x;

	if (vaddr < ph->p_vaddr || vaddr + len > ph->p_vaddr + ph->p_filesz)
		return hs_error_create(HS_ERR_INTERNAL, "data at 0x%llx outside its segment", (unsigned long long)vaddr);
	if (!(x = VEC_PUSH(&cb->extents)))
		return &hs_error_nomem;
	x->file_off = index;	/* resolved to a file offset in core_builder_finish() */
	x->len = len;
	x->vaddr = vaddr;
	x->data = data;
	return NULL;
}

struct hs_error *core_builder_finish(struct core_builder *cb)
{
	size_t nph = 1 + cb->loads.len, shdr_len = 0;
	bool xnum = nph >= PN_XNUM;
	Elf64_Ehdr eh;
	Elf64_Phdr note;
	uint64_t off;
	unsigned char *p;

	if (xnum)
		shdr_len = sizeof(Elf64_Shdr);
	cb->head_len = sizeof(eh) + nph * sizeof(Elf64_Phdr) + shdr_len + cb->notes.len;
	if (!(cb->head = calloc(1, cb->head_len)))
		return &hs_error_nomem;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = xnum ? PN_XNUM : (Elf64_Half)nph;
	if (xnum) {
		eh.e_shoff = sizeof(eh) + nph * sizeof(Elf64_Phdr);
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 1;
	}

	memset(&note, 0, sizeof(note));
	note.p_type = PT_NOTE;
	note.p_offset = sizeof(eh) + nph * sizeof(Elf64_Phdr) + shdr_len;
	note.p_filesz = cb->notes.len;
	note.p_align = 4;

	off = ALIGN_PAGE(cb->head_len);
	for (size_t i = 0; i < cb->loads.len; i++) {
		cb->loads.items[i].p_offset = off;
		off += cb->loads.items[i].p_filesz;
	}
	cb->size = off;
	for (size_t i = 0; i < cb->extents.len; i++) {
		struct core_extent *x = &cb->extents.items[i];
		const Elf64_Phdr *ph = &cb->loads.items[x->file_off];
		x->file_off = ph->p_offset + (x->vaddr - ph->p_vaddr);
	}

	p = cb->head;
	memcpy(p, &eh, sizeof(eh));
	p += sizeof(eh);
	memcpy(p, &note, sizeof(note));
	p += sizeof(note);
	if (cb->loads.len)
		memcpy(p, cb->loads.items, cb->loads.len * sizeof(Elf64_Phdr));
	p += cb->loads.len * sizeof(Elf64_Phdr);
	if (xnum) {
		Elf64_Shdr sh;
		memset(&sh, 0, sizeof(sh));
		sh.sh_info = (Elf64_Word)nph;	/* the real e_phnum */
		memcpy(p, &sh, sizeof(sh));
		p += sizeof(sh);
	}
	if (cb->notes.len)
		memcpy(p, cb->notes.buf, cb->notes.len);
	cb->finished = true;
	return NULL;
}

/* First extent whose end lies past off. */
static size_t find_extent(const struct core_builder *cb, uint64_t off)
{
	size_t lo = 0, hi = cb->extents.len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct core_extent *x = &cb->extents.items[mid];
		if (x->file_off + x->len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void core_builder_read(const struct core_builder *cb, const struct core_source *src, uint64_t off, void *buf,
		       size_t len)
{
	unsigned char *out = buf;
	uint64_t end = off + len;

	memset(out, 0, len);
	if (off < cb->head_len)
		memcpy(out, cb->head + off, (size_t)MIN((uint64_t)cb->head_len - off, (uint64_t)len));
	for (size_t i = find_extent(cb, off); i < cb->extents.len; i++) {
		const struct core_extent *x = &cb->extents.items[i];
		uint64_t from = MAX(off, x->file_off), to = MIN(end, x->file_off + x->len);

		if (x->file_off >= end)
			break;
		if (from >= to)
			continue;
		if (x->data)
			memcpy(out + (from - off), x->data + (from - x->file_off), (size_t)(to - from));
		else if (src)
			src->read(src->arg, x->vaddr + (from - x->file_off), out + (from - off), (size_t)(to - from));
	}
}

static struct hs_error *pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hs_error_errno(errno, "cannot write the core");
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return NULL;
}

struct hs_error *core_write_plain(const struct core_builder *cb, const struct core_source *src, int fd,
				  core_progress_fn progress, void *progress_arg)
{
	enum { CHUNK = 4u << 20 };
	unsigned char *bounce = NULL;
	struct hs_error *err;
	if ((err = pwrite_all(fd, cb->head, cb->head_len, 0)))
		return err;
	for (size_t i = 0; i < cb->extents.len; i++) {
		const struct core_extent *x = &cb->extents.items[i];

		if (x->data) {
			err = pwrite_all(fd, x->data, x->len, x->file_off);
		} else {
			if (!bounce && !(bounce = malloc(CHUNK)))
				return &hs_error_nomem;
			for (uint64_t o = 0; o < x->len && !err; o += CHUNK) {
				size_t n = (size_t)MIN((uint64_t)CHUNK, x->len - o);
				src->read(src->arg, x->vaddr + o, bounce, n);
				err = pwrite_all(fd, bounce, n, x->file_off + o);
			}
		}
		if (err)
			break;
		if (progress)
			progress(progress_arg, x->file_off + x->len, cb->size);
	}
	free(bounce);
	if (!err && ftruncate(fd, (off_t)cb->size) != 0)
		err = hs_error_errno(errno, "cannot extend the core to %llu bytes", (unsigned long long)cb->size);
	return err;
}
