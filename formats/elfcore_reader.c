/*
 * Reading ELF cores. Layout: see elfcore_writer.c. What real producers do
 * that a reader must accept:
 *
 *  - kernel (fs/binfmt_elf.c): PT_NOTE first; one PT_LOAD per VMA, p_filesz
 *    0 for what coredump_filter skipped, or just the first page of an ELF
 *    mapping; PN_XNUM with the real count in section header 0's sh_info when
 *    there are 0xffff or more segments; one NT_SIGINFO for the process.
 *  - gdb's gcore: per thread NT_PRSTATUS/NT_FPREGSET/NT_X86_XSTATE/NT_SIGINFO,
 *    section headers (ignored here), segments for every mapping with data.
 *  - systemd-coredump: a kernel core compressed as one zstd stream (handled
 *    by core_file), sometimes truncated at a size limit: segments whose
 *    p_offset + p_filesz is past the end are clipped and reported.
 *  - hangsnap: HANGSNAP notes after the standard ones; p_filesz 0 segments
 *    for untouched ranges inside a mapping.
 * Notes are read with 4-byte alignment (the kernel's and gdb's), names of
 * any length up to 64 bytes.
 */
#include "formats/elfcore_reader.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define ALIGN4(x) (((x) + 3u) & ~(uint64_t)3u)
#define NOTE_NAME_MAX 64u
#define PRSTATUS_SIZE 336u
#define PRSTATUS_PID_OFF 32u
#define PRSTATUS_CURSIG_OFF 12u
#define PRSTATUS_REGS_OFF 112u
#define PRPSINFO_SIZE 136u

static void warn(struct elfcore *core, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct elfcore *core, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL, **slot;

	if (core->warnings.len >= ELFCORE_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg && (slot = VEC_PUSH(&core->warnings)))
		*slot = msg;
	else
		free(msg);
}

static struct hs_error *read_ehdr(struct elfcore *core, Elf64_Ehdr *eh)
{
	unsigned char ident[EI_NIDENT];
	struct hs_error *err;

	if (core_file_size(core->file) < EI_NIDENT)
		return hs_error_create(HS_ERR_FORMAT, "not an ELF file: shorter than an ELF header");
	if ((err = core_file_pread(core->file, ident, EI_NIDENT, 0)))
		return err;
	if (memcmp(ident, ELFMAG, SELFMAG) != 0)
		return hs_error_create(HS_ERR_FORMAT, "not an ELF file: bad magic");
	if (ident[EI_CLASS] != ELFCLASS64)
		return hs_error_create(HS_ERR_FORMAT, "unsupported ELF class %u: only 64-bit cores are supported", ident[EI_CLASS]);
	if (ident[EI_DATA] != ELFDATA2LSB)
		return hs_error_create(HS_ERR_FORMAT, "unsupported ELF data encoding %u: only little-endian cores are supported",
				       ident[EI_DATA]);
	if (core_file_size(core->file) < sizeof(*eh))
		return hs_error_create(HS_ERR_FORMAT, "cannot read the ELF header: truncated");
	if ((err = core_file_pread(core->file, eh, sizeof(*eh), 0)))
		return err;
	if (eh->e_type != ET_CORE)
		return hs_error_create(HS_ERR_FORMAT, "not a core file: ELF type %u", eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return hs_error_create(HS_ERR_FORMAT, "unsupported machine %u: only x86_64 cores are supported", eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return hs_error_create(HS_ERR_FORMAT, "bad program header size %u", eh->e_phentsize);
	return NULL;
}

static int compare_segments(const void *a, const void *b)
{
	const struct elfcore_segment *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* PT_NOTE program headers, collected before the notes are read. */
struct phdr_vec {
	Elf64_Phdr *items;
	size_t len, cap;
};

static struct hs_error *add_note_region(struct phdr_vec *notes, const Elf64_Phdr *ph)
{
	Elf64_Phdr *slot = VEC_PUSH(notes);
	if (!slot)
		return &hs_error_nomem;
	*slot = *ph;
	return NULL;
}

static struct hs_error *read_phdrs(struct elfcore *core, const Elf64_Ehdr *eh, struct phdr_vec *notes)
{
	uint64_t phnum = eh->e_phnum, size = core_file_size(core->file);
	struct hs_error *err;

	if (phnum == PN_XNUM) {
		Elf64_Shdr sh;
		if (eh->e_shoff == 0 || eh->e_shoff > size || size - eh->e_shoff < sizeof(sh))
			return hs_error_create(HS_ERR_FORMAT, "e_phnum is PN_XNUM but section header 0 is missing");
		if ((err = core_file_pread(core->file, &sh, sizeof(sh), eh->e_shoff)))
			return err;
		phnum = sh.sh_info;
	}
	if (phnum == 0)
		return hs_error_create(HS_ERR_FORMAT, "core has no program headers");
	if (phnum > ELFCORE_MAX_PHDRS)
		return hs_error_create(HS_ERR_LIMIT, "core has %llu program headers, more than %u",
				       (unsigned long long)phnum, ELFCORE_MAX_PHDRS);
	if (eh->e_phoff > size || (size - eh->e_phoff) / sizeof(Elf64_Phdr) < phnum)
		return hs_error_create(HS_ERR_FORMAT, "cannot read %llu program headers at offset 0x%llx: truncated",
				       (unsigned long long)phnum, (unsigned long long)eh->e_phoff);
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		struct elfcore_segment *seg;

		if ((err = core_file_pread(core->file, &ph, sizeof(ph), eh->e_phoff + i * sizeof(ph))))
			return err;
		if (ph.p_type == PT_NOTE) {
			if ((err = add_note_region(notes, &ph)))
				return err;
			continue;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_memsz == 0)
			continue;
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr) {
			warn(core, "segment %llu at 0x%llx wraps around the address space; ignored", (unsigned long long)i,
			     (unsigned long long)ph.p_vaddr);
			continue;
		}
		if (!(seg = VEC_PUSH(&core->segments)))
			return &hs_error_nomem;
		seg->vaddr = ph.p_vaddr;
		seg->memsz = ph.p_memsz;
		seg->offset = ph.p_offset;
		seg->filesz = MIN(ph.p_filesz, ph.p_memsz);
		seg->flags = ph.p_flags;
		if (seg->offset > size || seg->filesz > size - seg->offset) {
			uint64_t keep = seg->offset > size ? 0 : size - seg->offset;
			warn(core, "segment at 0x%llx: %llu bytes of data past the end of the file (truncated core?)",
			     (unsigned long long)seg->vaddr, (unsigned long long)(seg->filesz - keep));
			seg->filesz = keep;
		}
	}
	if (core->segments.len)
		qsort(core->segments.items, core->segments.len, sizeof(*core->segments.items), compare_segments);
	/* overlapping segments would make reads ambiguous: keep the first */
	size_t out = 0;
	for (size_t i = 0; i < core->segments.len; i++) {
		struct elfcore_segment *s = &core->segments.items[i];
		if (out > 0) {
			const struct elfcore_segment *prev = &core->segments.items[out - 1];
			if (s->vaddr < prev->vaddr + prev->memsz) {
				warn(core, "segment at 0x%llx overlaps the one at 0x%llx; ignored", (unsigned long long)s->vaddr,
				     (unsigned long long)prev->vaddr);
				continue;
			}
		}
		core->segments.items[out++] = *s;
	}
	core->segments.len = out;
	return NULL;
}

static void decode_prstatus(struct elfcore *core, const unsigned char *desc, uint32_t len)
{
	struct elfcore_thread *t;

	if (len < PRSTATUS_REGS_OFF + GREG_COUNT * 8) {
		warn(core, "NT_PRSTATUS of %u bytes is too short; thread ignored", len);
		return;
	}
	if (core->threads.len >= ELFCORE_MAX_THREADS) {
		if (core->threads.len == ELFCORE_MAX_THREADS)
			warn(core, "more than %u threads; the rest are ignored", ELFCORE_MAX_THREADS);
		return;
	}
	if (!(t = VEC_PUSH(&core->threads)))
		return;
	memcpy(&t->tid, desc + PRSTATUS_PID_OFF, 4);
	{
		int16_t sig;
		memcpy(&sig, desc + PRSTATUS_CURSIG_OFF, 2);
		t->cursig = sig;
	}
	memcpy(t->regs, desc + PRSTATUS_REGS_OFF, GREG_COUNT * 8);
}

static void decode_file_note(struct elfcore *core, const unsigned char *desc, uint32_t len)
{
	uint64_t count, page, names_off;
	const char *names, *end;

	if (len < 16) {
		warn(core, "NT_FILE of %u bytes is too short; mapped files unknown", len);
		return;
	}
	memcpy(&count, desc, 8);
	memcpy(&page, desc + 8, 8);
	if (count > ELFCORE_MAX_FILES || count > (len - 16) / 24 || page == 0 || page > (1u << 30)) {
		warn(core, "NT_FILE lists %llu files in %u bytes; mapped files unknown", (unsigned long long)count, len);
		return;
	}
	names_off = 16 + count * 24;
	names = (const char *)desc + names_off;
	end = (const char *)desc + len;
	for (uint64_t i = 0; i < count; i++) {
		struct elfcore_file_mapping *f;
		uint64_t v[3];
		const char *nul = memchr(names, '\0', (size_t)(end - names));

		if (!nul) {
			warn(core, "NT_FILE name %llu is not terminated; the rest are ignored", (unsigned long long)i);
			return;
		}
		memcpy(v, desc + 16 + i * 24, 24);
		if (v[1] <= v[0] || v[2] > UINT64_MAX / page) {
			names = nul + 1;
			continue;
		}
		if (!(f = VEC_PUSH(&core->files)) || !(f->path = strndup(names, MIN((size_t)(nul - names), 4096u)))) {
			if (f)
				core->files.len--;
			return;
		}
		f->start = v[0];
		f->end = v[1];
		f->offset = v[2] * page;
		names = nul + 1;
	}
}

static void decode_hangsnap(struct elfcore *core, uint32_t type, const void *desc, uint32_t len)
{
	struct hangsnap_context *ctx = &core->ctx;
	struct hs_error *err = NULL;

#define DECODE_INTO(vec, fn, deinit)                                        \
	do {                                                                \
		typeof(*(vec)->items) rec;                                  \
		if ((vec)->len >= ELFCORE_MAX_NOTES)                        \
			return;                                             \
		if (!(err = fn(desc, len, &rec))) {                         \
			typeof((vec)->items) slot = VEC_PUSH(vec);          \
			if (slot)                                           \
				*slot = rec;                                \
			else                                                \
				deinit(&rec);                               \
		} else {                                                    \
			deinit(&rec);                                       \
		}                                                           \
	} while (0)

	switch (type) {
	case HANGSNAP_NT_PROCESS:
		hs_process_info_deinit(&ctx->process);
		err = hs_process_info_decode(desc, len, &ctx->process);
		if (!err)
			core->has_hangsnap = true;
		break;
	case HANGSNAP_NT_THREAD: DECODE_INTO(&ctx->threads, hs_thread_info_decode, hs_thread_info_deinit); break;
	case HANGSNAP_NT_FD: DECODE_INTO(&ctx->fds, hs_fd_info_decode, hs_fd_info_deinit); break;
	case HANGSNAP_NT_SOCKET: DECODE_INTO(&ctx->sockets, hs_socket_info_decode, hs_socket_info_deinit); break;
	case HANGSNAP_NT_PIPE: DECODE_INTO(&ctx->pipes, hs_pipe_info_decode, hs_pipe_info_deinit); break;
	case HANGSNAP_NT_LOCK: DECODE_INTO(&ctx->locks, hs_lock_info_decode, hs_lock_info_deinit); break;
	case HANGSNAP_NT_CHILD: DECODE_INTO(&ctx->children, hs_child_info_decode, hs_child_info_deinit); break;
	default:
		return;	/* a newer hangsnap's record: skip */
	}
#undef DECODE_INTO
	if (err) {
		warn(core, "%s; record ignored", hs_error_message(err));
		hs_error_destroy(err);
	}
}

static struct hs_error *read_notes(struct elfcore *core, const Elf64_Phdr *ph)
{
	uint64_t size = core_file_size(core->file), off, end, total_notes = 0;
	struct hs_error *err = NULL;
	const unsigned char *buf;

	if (ph->p_filesz == 0)
		return NULL;
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return hs_error_create(HS_ERR_FORMAT, "cannot read notes at offset 0x%llx: truncated",
				       (unsigned long long)ph->p_offset);
	if (ph->p_filesz > ELFCORE_MAX_NOTES_BYTES)
		return hs_error_create(HS_ERR_LIMIT, "note segment of %llu bytes is larger than %u",
				       (unsigned long long)ph->p_filesz, ELFCORE_MAX_NOTES_BYTES);
	/*
	 * Decoded in place: a mapped core needs no copy of its (megabytes of)
	 * notes; a compressed one assembles them once. Nothing below calls
	 * core_file again before the last use of buf.
	 */
	if (!(buf = core_file_peek(core->file, ph->p_offset, ph->p_filesz, &err)))
		return err ? err : hs_error_create(HS_ERR_FORMAT, "cannot read notes at offset 0x%llx",
						   (unsigned long long)ph->p_offset);
	end = ph->p_filesz;
	{
		struct elfcore_note_region *r = VEC_PUSH(&core->note_regions);

		if (!r)
			return &hs_error_nomem;
		*r = (struct elfcore_note_region){ ph->p_offset, ph->p_filesz };
	}
	for (off = 0; off + sizeof(Elf64_Nhdr) <= end; total_notes++) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, next;
		char name[NOTE_NAME_MAX + 1];

		if (total_notes >= ELFCORE_MAX_NOTES) {
			warn(core, "more than %u notes; the rest are ignored", ELFCORE_MAX_NOTES);
			break;
		}
		memcpy(&nh, buf + off, sizeof(nh));
		name_off = off + sizeof(nh);
		desc_off = name_off + ALIGN4(nh.n_namesz);
		next = desc_off + ALIGN4((uint64_t)nh.n_descsz);
		if (nh.n_namesz > NOTE_NAME_MAX || desc_off > end || next > end) {
			const char *which = nh.n_type == NT_PRSTATUS ? "NT_PRSTATUS" : "a note";
			warn(core, "cannot read %s at offset 0x%llx: truncated or corrupt; later notes ignored", which,
			     (unsigned long long)(ph->p_offset + off));
			break;
		}
		memcpy(name, buf + name_off, nh.n_namesz);
		name[nh.n_namesz] = '\0';
		{
			const unsigned char *desc = buf + desc_off;
			if (strcmp(name, "CORE") == 0) {
				switch (nh.n_type) {
				case NT_PRSTATUS: decode_prstatus(core, desc, nh.n_descsz); break;
				case NT_PRPSINFO:
					if (nh.n_descsz >= PRPSINFO_SIZE) {
						core->has_psinfo = true;
						memcpy(&core->psinfo_pid, desc + 24, 4);
						memcpy(core->psinfo_fname, desc + 40, 16);
						core->psinfo_fname[16] = '\0';
						memcpy(core->psinfo_args, desc + 56, 80);
						core->psinfo_args[80] = '\0';
					}
					break;
				case NT_AUXV:
					if (!core->auxv && nh.n_descsz <= (1u << 20) && (core->auxv = malloc(nh.n_descsz + 1))) {
						memcpy(core->auxv, desc, nh.n_descsz);
						core->auxv_len = nh.n_descsz;
					}
					break;
				case NT_FILE:
					if (!core->files.len)
						decode_file_note(core, desc, nh.n_descsz);
					break;
				}
			} else if (strcmp(name, HANGSNAP_NOTE_OWNER) == 0) {
				decode_hangsnap(core, nh.n_type, desc, nh.n_descsz);
			}
		}
		off = next;
	}
	return NULL;
}

struct hs_error *elfcore_open_file(struct core_file *file, struct elfcore **ret)
{
	struct elfcore *core = calloc(1, sizeof(*core));
	struct phdr_vec notes = VEC_INIT;
	struct hs_error *err;
	Elf64_Ehdr eh;

	if (!core) {
		core_file_destroy(file);
		return &hs_error_nomem;
	}
	core->file = file;
	hangsnap_context_init(&core->ctx);
	if ((err = read_ehdr(core, &eh)) || (err = read_phdrs(core, &eh, &notes)))
		goto fail;
	if (notes.len == 0) {
		err = hs_error_create(HS_ERR_FORMAT, "core has no PT_NOTE segment: no threads to show");
		goto fail;
	}
	for (size_t i = 0; i < notes.len; i++)
		if ((err = read_notes(core, &notes.items[i])))
			goto fail;
	if (core->threads.len == 0) {
		/* a damaged NT_PRSTATUS was only warned about: it is the reason, say so */
		for (size_t i = 0; i < core->warnings.len; i++)
			if (strstr(core->warnings.items[i], "NT_PRSTATUS")) {
				err = hs_error_create(HS_ERR_FORMAT, "core has no readable NT_PRSTATUS note: %s",
						      core->warnings.items[i]);
				goto fail;
			}
		err = hs_error_create(HS_ERR_FORMAT, "core has no NT_PRSTATUS note: no threads to show");
		goto fail;
	}
	VEC_DEINIT(&notes);
	*ret = core;
	return NULL;
fail:
	VEC_DEINIT(&notes);
	elfcore_destroy(core);
	return err;
}

struct hs_error *elfcore_open(const char *path, struct elfcore **ret)
{
	struct core_file *file;
	struct hs_error *err = core_file_open(path, &file);

	if (err)
		return err;
	return elfcore_open_file(file, ret);
}

uint64_t elfcore_content_hash(struct elfcore *core)
{
	uint64_t h = HS_FNV1A_INIT, size = core_file_size(core->file);

	if (core->content_hashed)
		return core->content_hash;
	for (uint64_t i = 0; i < 8; i++)
		h = (h ^ ((size >> (8 * i)) & 0xff)) * HS_FNV1A_PRIME;
	for (size_t k = 0; k < core->note_regions.len; k++) {
		const struct elfcore_note_region *r = &core->note_regions.items[k];
		struct hs_error *err = NULL;
		const unsigned char *buf = core_file_peek(core->file, r->offset, r->size, &err);

		/* (read once at open: it reads again; should it not, the hash is of what was read) */
		hs_error_destroy(err);
		if (buf)
			h = hs_fnv1a(buf, (size_t)r->size, h);
	}
	core->content_hash = h;
	core->content_hashed = true;
	return h;
}

void elfcore_destroy(struct elfcore *core)
{
	if (!core)
		return;
	VEC_DEINIT(&core->note_regions);
	core_file_destroy(core->file);
	VEC_DEINIT(&core->segments);
	VEC_DEINIT(&core->threads);
	for (size_t i = 0; i < core->files.len; i++)
		free(core->files.items[i].path);
	VEC_DEINIT(&core->files);
	for (size_t i = 0; i < core->warnings.len; i++)
		free(core->warnings.items[i]);
	VEC_DEINIT(&core->warnings);
	free(core->auxv);
	hangsnap_context_deinit(&core->ctx);
	free(core);
}

const struct elfcore_segment *elfcore_segment_at(const struct elfcore *core, uint64_t addr)
{
	size_t lo = 0, hi = core->segments.len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct elfcore_segment *s = &core->segments.items[mid];
		if (addr < s->vaddr)
			hi = mid;
		else if (addr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

size_t elfcore_read_memory(struct elfcore *core, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		const struct elfcore_segment *s = elfcore_segment_at(core, addr + done);
		uint64_t in, n;
		struct hs_error *err;

		if (!s)
			break;
		in = addr + done - s->vaddr;
		if (in >= s->filesz)
			break;
		n = MIN((uint64_t)(len - done), s->filesz - in);
		if ((err = core_file_pread(core->file, (char *)buf + done, (size_t)n, s->offset + in))) {
			hs_error_destroy(err);
			break;
		}
		done += (size_t)n;
	}
	return done;
}

uint64_t elfcore_auxv(const struct elfcore *core, uint64_t type)
{
	for (size_t off = 0; off + 16 <= core->auxv_len; off += 16) {
		uint64_t kv[2];
		memcpy(kv, core->auxv + off, 16);
		if (kv[0] == type)
			return kv[1];
		if (kv[0] == 0)
			break;
	}
	return 0;
}
