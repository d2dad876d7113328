/*
 * See unwind.h. Why our own callbacks instead of dwfl_core_file_report() and
 * dwfl_core_file_attach(): those need a libelf handle on the whole core
 * (which for a compressed core means decompressing all of it) and read
 * memory by scanning every segment for each word, which is what makes
 * eu-stack slow on cores with thousands of threads. Here every word read is a
 * binary search over the core's segments, and a compressed core is only
 * decompressed where the stacks are.
 *
 * Symbolization is cached per program counter: threads of one pool share
 * their return addresses, so 1000 threads cost about as much as one. Names
 * are demangled once per symbol (a second cache, keyed by the interned raw
 * name), since the many return addresses inside one function each miss the
 * pc cache once.
 */
#include "analyzer/unwind.h"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/buildid_index.h"
#include "analyzer/demangle.h"
#include "analyzer/symcache.h"
#include "common/strbuf.h"
#include "common/util.h"

#define BUILD_ID_MAX 64u
#define VDSO_MAX (1u << 20)
#define MODULES_MAX 65536u
#define SYMBOL_CACHE_MAX (1u << 22)	/* distinct pcs; beyond that, symbolize uncached */
#define NAME_CACHE_MAX (1u << 20)	/* distinct symbol names; beyond that, demangle uncached */

/* x86_64 DWARF register numbers 0..16: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
static const enum x86_64_greg dwarf_regs[17] = {
	GREG_RAX, GREG_RDX, GREG_RCX, GREG_RBX, GREG_RSI, GREG_RDI, GREG_RBP, GREG_RSP, GREG_R8, GREG_R9,
	GREG_R10, GREG_R11, GREG_R12, GREG_R13, GREG_R14, GREG_R15, GREG_RIP,
};
#define DWARF_REG_SP 7

/* One symbolized pc: frames[first .. first+count) of the cache's frame pool, innermost first. */
struct cache_slot {
	uint64_t key;		/* adjusted pc + 1 (0: empty) */
	uint32_t first, count;
	bool has_cfi;		/* CFI covers this pc: its caller was found through CFI */
};

/* One symbol name: raw is interned, so the pointer is the key. */
struct name_slot {
	const char *raw;	/* NULL: empty */
	const char *demangled;	/* interned, NULL when raw is not mangled */
};

/* Per-module data libdwfl hands back to find_elf. */
struct module_data {
	struct unwinder *u;
	Dwfl_Module *mod;
	bool is_exe, is_vdso;
	bool touched;		/* a frame is in it */
	size_t info;		/* index into m->modules */
	char *alt_path;		/* the dwz file its debug info refers to (.gnu_debugaltlink), once found */
	char *alt_build_id;	/* its build-id, hex */
	/* the symbol cache (symcache.h): loaded, or made empty, the first time a pc is symbolized in it */
	struct symcache *sc;
	bool sc_tried;
};

struct unwinder {
	struct model *m;
	struct unwind_options opts;	/* a copy; its strings are the caller's */
	Dwfl *dwfl;
	Elf64_Ehdr arch_ehdr;	/* a bare x86_64 ELF header, for dwfl_attach_state */
	Elf *arch_elf;
	struct hs_error *err;	/* out of memory while unwinding */
	unsigned char *vdso;	/* the vDSO image copied from the core */
	size_t vdso_len;
	VEC(struct module_data *) mdata;
	/* unwinding */
	size_t current;		/* thread being unwound */
	/* symbol cache */
	struct cache_slot *slots;
	size_t nslots, used;
	VEC(struct frame) pool;
	/* with --sysroot, debug files are looked up under it only, so that a
	 * core from another machine never picks up this host's */
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;	/* NULL: libdwfl's default */
	/* --search: the ELF files under those directories by build-id, made on first need */
	struct buildid_index *index;
	bool index_tried;
	/* the symbol cache: modules whose file was used, or missing/stale and written anew */
	size_t sc_hits, sc_new;
	/* demangled names */
	struct name_slot *names;
	size_t nnames_slots, nnames;
	/* tail-call answers by (return address, function above): most threads share both */
	struct tail_slot {
		uint64_t pc;		/* 0: empty */
		const char *above;
		bool found;
		struct frame frame;
	} *tails;
};

/* ---- modules ---------------------------------------------------------- */

static bool path_is_deleted(const char *path, size_t *len_ret)
{
	static const char suffix[] = " (deleted)";
	size_t len = strlen(path);

	*len_ret = len;
	if (len > sizeof(suffix) - 1 && strcmp(path + len - (sizeof(suffix) - 1), suffix) == 0) {
		*len_ret = len - (sizeof(suffix) - 1);
		return true;
	}
	return false;
}

/* Opens path as an ELF file; returns the fd and sets *elf_ret, or -1. */
static int open_elf(const char *path, Elf **elf_ret)
{
	/* a core names any path: a FIFO there must not block us, a device must not be read */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	Elf *elf;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		close(fd);
		return -1;
	}
	*elf_ret = elf;
	return fd;
}

static bool build_id_matches(Dwfl_Module *mod, Elf *elf)
{
	const unsigned char *want;
	const void *have;
	GElf_Addr vaddr;
	int want_len = dwfl_module_build_id(mod, &want, &vaddr);
	ssize_t have_len;

	if (want_len <= 0)
		return true;	/* nothing to check against */
	have_len = dwelf_elf_gnu_build_id(elf, &have);
	return have_len == want_len && memcmp(want, have, (size_t)want_len) == 0;
}

/* The --search index, made the first time a module is not at its path (NULL: no --search, or no memory). */
static struct buildid_index *search_index(struct unwinder *u)
{
	struct buildid_index_stats st;
	struct hs_error *err;
	char *unreadable = NULL;

	if (u->index_tried || (u->opts.nsearch == 0 && u->opts.nbundle == 0))
		return u->index;
	u->index_tried = true;
	if ((err = buildid_index_build(u->opts.search_dirs, u->opts.nsearch, u->opts.bundle_fds, u->opts.nbundle,
				       &u->index, &unreadable))) {
		if (!u->err)
			u->err = err;
		else
			hs_error_destroy(err);
		return NULL;
	}
	if (unreadable)
		model_warn(u->m, "cannot read the search directory '%s'", unreadable);
	free(unreadable);
	buildid_index_stats(u->index, &st);
	if (st.truncated)
		model_warn(u->m, "the search directories hold more than hanganalyze indexes (%d levels, %d files, %d ELF "
			   "files): some were not looked at", INDEX_MAX_DEPTH, INDEX_MAX_FILES, INDEX_MAX_ELF);
	return u->index;
}

static char *hex(const unsigned char *p, size_t n);

/* Does elf carry build-id id (len bytes)? */
static bool has_build_id(Elf *elf, const unsigned char *id, size_t len)
{
	const void *have;
	ssize_t have_len = dwelf_elf_gnu_build_id(elf, &have);

	return have_len == (ssize_t)len && memcmp(id, have, len) == 0;
}

/* The file under --search (or in the bundle) with build-id id, opened: its fd (and *elf_ret, *path_ret), or -1. */
static int find_in_index(struct unwinder *u, const unsigned char *id, size_t len, bool debug, Elf **elf_ret,
			 char **path_ret)
{
	struct buildid_index *ix;
	const char *path;
	Elf *elf;
	int fd;

	if (len == 0 || !(ix = search_index(u)) || !(path = buildid_index_find(ix, id, len, debug)))
		return -1;
	if ((fd = open_elf(path, &elf)) < 0)
		return -1;
	/* indexed by build-id, checked again: the file may have changed since */
	if (!has_build_id(elf, id, len) || !(*path_ret = strdup(path))) {
		elf_end(elf);
		close(fd);
		return -1;
	}
	*elf_ret = elf;
	return fd;
}

/* The file under --search with mod's build-id: find_in_index() for mod. */
static int find_by_build_id(struct unwinder *u, Dwfl_Module *mod, bool debug, Elf **elf_ret, char **path_ret)
{
	const unsigned char *want;
	GElf_Addr vaddr;
	int want_len = dwfl_module_build_id(mod, &want, &vaddr);

	return want_len > 0 ? find_in_index(u, want, (size_t)want_len, debug, elf_ret, path_ret) : -1;
}

/*
 * Is libdwfl asking for the dwz file named debuglink in the
 * .gnu_debugaltlink of file_name (a debug file, or a main file with its
 * DWARF)? It asks for it through find_debuginfo too, with the debug file
 * as file_name. The dwz file's build-id (from the section) into id; its
 * length, 0 when this is not such a request.
 */
static size_t altlink_request(const char *file_name, const char *debuglink, unsigned char *id, size_t cap)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, len = 0;
	Elf *elf;
	int fd;

	if (!file_name || !debuglink || (fd = open_elf(file_name, &elf)) < 0)
		return 0;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while (len == 0 && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;
			Elf_Data *data;
			const char *nul;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
			    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(name, ".gnu_debugaltlink") != 0 ||
			    !(data = elf_getdata(scn, NULL)) || !data->d_buf ||
			    !(nul = memchr(data->d_buf, '\0', data->d_size)))
				continue;
			if (strcmp(data->d_buf, debuglink) == 0) {
				size_t n = data->d_size - (size_t)(nul - (const char *)data->d_buf) - 1;
				if (n > 0 && n <= cap) {
					memcpy(id, nul + 1, n);
					len = n;
				}
			}
		}
	}
	elf_end(elf);
	close(fd);
	return len;
}

static bool debuginfod_wanted(void);
static int open_local(struct unwinder *u, const unsigned char *id, size_t len, const char *suffix, const char *mainfile,
		      const char *link, char **name_ret, Elf **elf_ret);

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			  char **debuginfo_file_name)
{
	struct module_data *md = *userdata;
	unsigned char alt_id[BUILD_ID_MAX];
	/* (libdwfl asks for a dwz file with no CRC: only then is file_name opened to see whether it is one) */
	size_t alt_len = md && md->u && debuglink_crc == 0 ? altlink_request(file_name, debuglink_file, alt_id, sizeof(alt_id))
							   : 0;
	Elf *elf;
	int fd;

	/* the dwz file: by its own build-id, never the module's (that is the debug file asking) */
	if (alt_len) {
		fd = find_in_index(md->u, alt_id, alt_len, true, &elf, debuginfo_file_name);
		if (fd >= 0)
			elf_end(elf);
		else if (!debuginfod_wanted())
			fd = open_local(md->u, alt_id, alt_len, ".debug", file_name, debuglink_file, debuginfo_file_name,
					NULL);
		else
			fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
							  debuglink_crc, debuginfo_file_name);
		if (fd >= 0 && md->u->opts.resolve_all && *debuginfo_file_name && !md->alt_path) {
			md->alt_path = strdup(*debuginfo_file_name);
			md->alt_build_id = hex(alt_id, alt_len);
		}
		return fd;
	}
	fd = md && md->u ? find_by_build_id(md->u, mod, true, &elf, debuginfo_file_name) : -1;
	if (fd >= 0) {
		/* libdwfl opens the ELF again from the fd */
		elf_end(elf);
		return fd;
	}
	/*
	 * Without debuginfod, libdwfl's local lookups done here: the same
	 * files, without loading libdebuginfod and libcurl (some 5 ms of
	 * relocations on every analysis). A module without a build-id keeps
	 * libdwfl's lookup, which checks a .gnu_debuglink's CRC instead.
	 */
	{
		const unsigned char *id;
		GElf_Addr vaddr;
		int len = dwfl_module_build_id(mod, &id, &vaddr);

		if (md && md->u && len > 0 && !debuginfod_wanted())
			return open_local(md->u, id, (size_t)len, ".debug", file_name, debuglink_file, debuginfo_file_name,
					  NULL);
	}
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
					    debuginfo_file_name);
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base, char **file_name,
		    Elf **elfp)
{
	struct module_data *md = *userdata;
	struct unwinder *u = md->u;
	const char *sysroot = u->opts.sysroot ? u->opts.sysroot : "";
	char *path = NULL;
	size_t len;
	int fd;
	Elf *elf;

	if (md->is_vdso) {
		*elfp = elf_memory((char *)u->vdso, u->vdso_len);
		return -1;
	}
	/* a bundle's files first: they are the ones the core was taken with */
	if (u->opts.nbundle && (fd = find_by_build_id(u, mod, false, elfp, file_name)) >= 0)
		return fd;
	path_is_deleted(modname, &len);
	if (md->is_exe && u->opts.exe)
		path = strdup(u->opts.exe);
	else if (modname[0] == '/' && asprintf(&path, "%s%.*s", sysroot, (int)len, modname) < 0)
		path = NULL;
	if (path && (fd = open_elf(path, &elf)) >= 0) {
		if (build_id_matches(mod, elf)) {
			*file_name = path;
			*elfp = elf;
			return fd;
		}
		model_warn(u->m, "'%s' does not match the build-id recorded in the core; looking it up by build-id",
			   path);
		elf_end(elf);
		close(fd);
	}
	free(path);
	/* by build-id: among the files under --search, then /usr/lib/debug/.build-id/xx/yyyy, debuginfod */
	if ((fd = find_by_build_id(u, mod, false, elfp, file_name)) >= 0)
		return fd;
	if (!debuginfod_wanted()) {
		const unsigned char *id;
		GElf_Addr vaddr;
		int idlen = dwfl_module_build_id(mod, &id, &vaddr);

		if (idlen > 0)
			return open_local(u, id, (size_t)idlen, "", NULL, NULL, file_name, elfp);
	}
	return dwfl_build_id_find_elf(mod, userdata, modname, base, file_name, elfp);
}


/*
 * Reads the GNU build-id of the ELF image mapped at start from the core's
 * memory: the first page holds the ELF header, the program headers and, in
 * practice, the PT_NOTE with NT_GNU_BUILD_ID (that is why hangsnap and the
 * kernel keep it). Returns its length, 0 when absent.
 */
static size_t read_build_id(struct elfcore *core, uint64_t start, unsigned char *out, uint64_t *note_addr)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	uint64_t first_load = UINT64_MAX, bias;
	unsigned n;

	if (elfcore_read_memory(core, start, &eh, sizeof(eh)) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > 65536)
		return 0;
	n = MIN(eh.e_phnum, (unsigned)ARRAY_SIZE(ph));
	if (elfcore_read_memory(core, start + eh.e_phoff, ph, n * sizeof(ph[0])) != n * sizeof(ph[0]))
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first_load)
			first_load = ph[i].p_vaddr;
	if (first_load == UINT64_MAX)
		return 0;
	bias = start - (first_load & ~(uint64_t)4095);
	for (unsigned i = 0; i < n; i++) {
		unsigned char notes[1024];
		size_t len, off = 0;

		if (ph[i].p_type != PT_NOTE)
			continue;
		len = elfcore_read_memory(core, bias + ph[i].p_vaddr, notes, MIN(ph[i].p_filesz, sizeof(notes)));
		while (off + 12 <= len) {
			uint32_t namesz, descsz, type;
			size_t desc;

			memcpy(&namesz, notes + off, 4);
			memcpy(&descsz, notes + off + 4, 4);
			memcpy(&type, notes + off + 8, 4);
			if (namesz > 64 || descsz > 1024)
				break;
			desc = off + 12 + ((namesz + 3u) & ~3u);
			if (desc + descsz > len)
				break;
			if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(notes + off + 12, "GNU", 4) == 0 &&
			    descsz > 0 && descsz <= BUILD_ID_MAX) {
				memcpy(out, notes + desc, descsz);
				*note_addr = bias + ph[i].p_vaddr + desc;
				return descsz;
			}
			off = desc + ((descsz + 3u) & ~3u);
		}
	}
	return 0;
}

static char *hex(const unsigned char *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

static struct hs_error *report_module(struct unwinder *u, const char *name, uint64_t start, uint64_t end,
				      bool is_exe, bool is_vdso)
{
	struct model *m = u->m;
	unsigned char bid[BUILD_ID_MAX];
	uint64_t note_addr = 0;
	size_t bid_len;
	struct module_data *md, **slot;
	struct module_info *info;
	Dwfl_Module *mod;
	void **userdata;

	if (m->modules.len >= MODULES_MAX)
		return NULL;
	mod = dwfl_report_module(u->dwfl, name, start, end);
	if (!mod) {
		model_warn(m, "cannot use module '%s' at 0x%llx: %s", name, (unsigned long long)start,
			   dwfl_errmsg(-1));
		return NULL;
	}
	if (!(md = calloc(1, sizeof(*md))) || !(slot = VEC_PUSH(&u->mdata))) {
		free(md);
		return &hs_error_nomem;
	}
	*slot = md;
	if (!(info = VEC_PUSH(&m->modules)))
		return &hs_error_nomem;
	md->u = u;
	md->mod = mod;
	md->is_exe = is_exe;
	md->is_vdso = is_vdso;
	md->info = m->modules.len - 1;
	info->name = model_intern(m, name);
	info->start = start;
	info->end = end;
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = md;
	if ((bid_len = read_build_id(m->core, start, bid, &note_addr))) {
		dwfl_module_report_build_id(mod, bid, bid_len, note_addr);
		if (!(info->build_id = hex(bid, bid_len)))
			return &hs_error_nomem;
	}
	return NULL;
}

/* Modules from NT_FILE (consecutive mappings of one path are one module) and the vDSO. */
static struct hs_error *report_modules(struct unwinder *u)
{
	struct model *m = u->m;
	struct elfcore *core = m->core;
	uint64_t exe_addr = elfcore_auxv(core, AT_PHDR), vdso = elfcore_auxv(core, AT_SYSINFO_EHDR);
	struct hs_error *err = NULL;
	size_t i = 0;

	dwfl_report_begin(u->dwfl);
	while (i < core->files.len && !err) {
		const struct elfcore_file_mapping *f = &core->files.items[i];
		uint64_t start = f->start, end = f->end;
		size_t j = i + 1;

		while (j < core->files.len && strcmp(core->files.items[j].path, f->path) == 0 &&
		       core->files.items[j].start >= end && core->files.items[j].end > core->files.items[j].start)
			end = core->files.items[j++].end;
		/* only mappings of a file from its start hold an ELF image */
		if (f->offset == 0 && end > start)
			err = report_module(u, f->path, start, end, exe_addr >= start && exe_addr < end, false);
		i = j;
	}
	if (core->files.len == 0)
		model_missing(m, "no NT_FILE note: shared libraries are unknown, frames are unsymbolized");
	if (!err && vdso) {
		const struct elfcore_segment *s = elfcore_segment_at(core, vdso);
		if (s && s->vaddr == vdso && s->filesz > 0 && s->filesz <= VDSO_MAX && (u->vdso = malloc(s->filesz))) {
			u->vdso_len = elfcore_read_memory(core, vdso, u->vdso, s->filesz);
			if (u->vdso_len == s->filesz)
				err = report_module(u, "[vdso]", vdso, vdso + s->memsz, false, true);
		}
	}
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0 && !err)
		err = hs_error_create(HS_ERR_INTERNAL, "cannot report modules: %s", dwfl_errmsg(-1));
	return err;
}

/* ---- thread state callbacks ------------------------------------------- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwinder *u = arg;
	struct thread *items = u->m->threads.items;
	size_t i = *thread_argp ? (size_t)((struct thread *)*thread_argp - items) + 1 : 0;

	(void)dwfl;
	/* threads with a tid libdwfl cannot take (0, negative) are left unwound */
	while (i < u->m->threads.len && u->m->threads.items[i].tid <= 0)
		i++;
	if (i >= u->m->threads.len)
		return 0;
	*thread_argp = &items[i];
	u->current = i;
	return items[i].tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *u = arg;

	(void)dwfl;
	return elfcore_read_memory(u->m->core, addr, result, sizeof(*result)) == sizeof(*result);
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct thread *t = thread_arg;
	Dwarf_Word regs[17];

	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		regs[i] = t->regs[dwarf_regs[i]];
	return dwfl_thread_state_registers(thread, 0, ARRAY_SIZE(regs), regs);
}

/* ---- symbolization ---------------------------------------------------- */

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name = NULL;

	if (dwarf_attr_integrate(die, DW_AT_name, &attr))
		name = dwarf_formstring(&attr);
	return name;
}

static bool pc_has_cfi(Dwfl_Module *mod, Dwarf_Addr pc)
{
	Dwarf_CFI *cfi;
	Dwarf_Addr bias;
	Dwarf_Frame *frame;

	if ((cfi = dwfl_module_dwarf_cfi(mod, &bias)) && dwarf_cfi_addrframe(cfi, pc - bias, &frame) == 0) {
		free(frame);
		return true;
	}
	if ((cfi = dwfl_module_eh_cfi(mod, &bias)) && dwarf_cfi_addrframe(cfi, pc - bias, &frame) == 0) {
		free(frame);
		return true;
	}
	return false;
}

/*
 * The compile unit containing pc, found by walking every unit's ranges. For
 * binaries without .debug_aranges (clang's default), where libdwfl's lookup
 * finds nothing — eu-addr2line fails on them the same way.
 */
static Dwarf_Die *cu_by_ranges(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Die *die, Dwarf_Addr *bias)
{
	Dwarf *dw = dwfl_module_getdwarf(mod, bias);
	Dwarf_Off off = 0, next;
	size_t hsize, n = 0;

	if (!dw)
		return NULL;
	while (n++ < 1000000 && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, die) && dwarf_haspc(die, pc - *bias) == 1)
			return die;
		off = next;
	}
	return NULL;
}

static size_t name_hash(const char *raw, size_t mask)
{
	return (size_t)(((uintptr_t)raw >> 3) * 0x9e3779b97f4a7c15ull) & mask;
}

/* The slot of interned raw in the name cache (empty when new), or NULL when the cache is full or memory ran out. */
static struct name_slot *name_lookup(struct unwinder *u, const char *raw)
{
	size_t mask, i;

	if (u->nnames * 2 >= u->nnames_slots) {
		size_t n = u->nnames_slots ? u->nnames_slots * 2 : 256;
		struct name_slot *slots;

		if (u->nnames >= NAME_CACHE_MAX || !(slots = calloc(n, sizeof(*slots))))
			return NULL;
		for (size_t j = 0; j < u->nnames_slots; j++) {
			if (!u->names[j].raw)
				continue;
			for (i = name_hash(u->names[j].raw, n - 1); slots[i].raw; i = (i + 1) & (n - 1))
				;
			slots[i] = u->names[j];
		}
		free(u->names);
		u->names = slots;
		u->nnames_slots = n;
	}
	mask = u->nnames_slots - 1;
	for (i = name_hash(raw, mask); u->names[i].raw; i = (i + 1) & mask)
		if (u->names[i].raw == raw)
			return &u->names[i];
	return &u->names[i];
}

/*
 * The names of a frame whose symbol is raw: *function the demangled name
 * when raw is a mangled C++ or Rust name (and demangling is on), else raw;
 * *linkage_name raw when it differs from *function, else NULL. Both
 * interned. A name the demangler cannot take (or memory for it) stays raw.
 */
static struct hs_error *frame_names(struct unwinder *u, const char *raw, const char **function,
				    const char **linkage_name)
{
	struct name_slot *slot, uncached = { 0 };
	const char *r = model_intern(u->m, raw);

	*function = r;
	*linkage_name = NULL;
	if (!r)
		return &hs_error_nomem;
	if (u->opts.no_demangle)
		return NULL;
	if (!(slot = name_lookup(u, r)))
		slot = &uncached;
	if (!slot->raw) {
		char *d = demangle_name(r);

		slot->raw = r;
		if (d && strcmp(d, r) != 0 && !(slot->demangled = model_intern(u->m, d))) {
			free(d);
			return &hs_error_nomem;
		}
		free(d);
		if (slot != &uncached)
			u->nnames++;
	}
	if (slot->demangled) {
		*function = slot->demangled;
		*linkage_name = r;
	}
	return NULL;
}

/* DW_AT_linkage_name (or its pre-DWARF 4 spelling) of a function's DIE, through its abstract origin and declaration. */
static const char *die_linkage_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		name = dwarf_formstring(&attr);
	return name;
}

/* ---- the symbol cache ---------------------------------------------------- */

/* Has elf its own DWARF (.debug_info with bytes)? */
static bool elf_has_dwarf(Elf *elf)
{
	bool code, debug;

	buildid_elf_classify(elf, &code, &debug);
	return debug;
}

/* Is the file at path an ELF file with build-id id? */
static bool file_has_build_id(const char *path, const unsigned char *id, size_t len)
{
	Elf *elf;
	int fd = open_elf(path, &elf);
	bool yes;

	if (fd < 0)
		return false;
	yes = has_build_id(elf, id, len);
	elf_end(elf);
	close(fd);
	return yes;
}

/* Is debuginfod to be asked (DEBUGINFOD_URLS set)? Else libdwfl's lookups are done here, without loading its client. */
static bool debuginfod_wanted(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	return urls && *urls;
}

/* "xx/yyyy" of build-id id into a new string */
static char *build_id_path(const unsigned char *id, size_t len)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < len; i++)
		if (!strbuf_appendf(&sb, i == 1 ? "/%02x" : "%02x", id[i])) {
			strbuf_deinit(&sb);
			return NULL;
		}
	return strbuf_detach(&sb, NULL);
}

/*
 * The file with build-id id found the way libdwfl's local lookups find one
 * (a new string, or NULL): in each absolute directory of the debuginfo
 * path, .build-id/xx/yyyy followed by suffix (".debug" for a debug file,
 * "" for an ELF file); then, for a debug file named link (.gnu_debuglink,
 * or a dwz file's .gnu_debugaltlink), the link itself when absolute, under
 * each directory plus mainfile's directory, beside mainfile and in its
 * .debug/. Every candidate is checked for the build-id.
 */
static char *local_file(struct unwinder *u, const unsigned char *id, size_t len, const char *suffix,
			const char *mainfile, const char *link)
{
	const char *dpath = u->debuginfo_path ? u->debuginfo_path : ":.debug:/usr/lib/debug";
	const char *slash = mainfile ? strrchr(mainfile, '/') : NULL;
	char *bid = build_id_path(id, len), *path = NULL, *save = NULL;

	if (!bid)
		return NULL;
	if (link && link[0] == '/' && file_has_build_id(link, id, len))
		path = strdup(link);
	for (int pass = 0; pass < 2 && !path; pass++) {
		char *copy = strdup(dpath);

		for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !path; d = strtok_r(NULL, ":", &save)) {
			char *cand = NULL;
			int n = -1;

			if (d[0] != '/')
				continue;
			if (pass == 0)
				n = asprintf(&cand, "%s/.build-id/%s%s", d, bid, suffix);
			else if (link && link[0] != '/' && slash)
				n = asprintf(&cand, "%s%.*s/%s", d, (int)(slash - mainfile), mainfile, link);
			if (n >= 0 && file_has_build_id(cand, id, len))
				path = cand;
			else
				free(cand);
		}
		free(copy);
	}
	/* beside the file and in its .debug/ */
	for (int k = 0; k < 2 && !path && link && link[0] != '/' && slash; k++) {
		char *cand = NULL;

		if (asprintf(&cand, "%.*s/%s%s", (int)(slash - mainfile), mainfile, k ? ".debug/" : "", link) >= 0 &&
		    strcmp(cand, mainfile) != 0 && file_has_build_id(cand, id, len))
			path = cand;
		else
			free(cand);
	}
	free(bid);
	return path;
}

/* local_file() opened, for a libdwfl callback: its fd (and *name_ret), or -1 with errno 0 (not found) */
static int open_local(struct unwinder *u, const unsigned char *id, size_t len, const char *suffix, const char *mainfile,
		      const char *link, char **name_ret, Elf **elf_ret)
{
	char *path = local_file(u, id, len, suffix, mainfile, link);
	Elf *elf;
	int fd = path ? open_elf(path, &elf) : -1;

	if (fd < 0) {
		free(path);
		errno = 0;
		return -1;
	}
	*name_ret = path;
	if (elf_ret)
		*elf_ret = elf;
	else
		elf_end(elf);
	return fd;
}

/*
 * The separate debug file libdwfl will read for md (a new string), found
 * the way it looks, without asking it (libdwfl's own lookup, called from
 * outside, sets the module's debug file without its bias): among the
 * --search files, then local_file(). NULL when there is none here
 * (debuginfod's are not looked for: such a module is not cached).
 */
static char *probe_debug_file(struct unwinder *u, struct module_data *md, const char *mainfile, Elf *elf)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	GElf_Word crc;
	int len = dwfl_module_build_id(md->mod, &id, &vaddr);
	char *path = NULL;
	Elf *found;
	int fd;

	if (len <= 0)
		return NULL;
	if ((fd = find_in_index(u, id, (size_t)len, true, &found, &path)) >= 0) {
		elf_end(found);
		close(fd);
		return path;
	}
	return local_file(u, id, (size_t)len, ".debug", mainfile, dwelf_elf_gnu_debuglink(elf, &crc));
}

/*
 * md's symbol cache: loaded when the cache directory has a valid one for
 * the files this run uses, else a new empty one; NULL when there is no
 * cache (none asked for, no build-id, a bundle's unnamed files) or nothing
 * worth caching (no debug info). The key is found without reading any
 * DWARF: the module's ELF, and the debug file as libdwfl will look it up.
 */
static struct symcache *module_cache(struct unwinder *u, struct module_data *md)
{
	struct model *m = u->m;
	const struct module_info *info = &m->modules.items[md->info];
	struct symcache_key key = { .analyzer = u->opts.analyzer_id, .build_id = info->build_id };
	const char *mainfile = NULL;
	char *debug_path = NULL;
	struct stat st;
	Dwarf_Addr bias;
	Elf *elf;

	if (md->sc_tried)
		return md->sc;
	md->sc_tried = true;
	if (!u->opts.cache_dir || !u->opts.analyzer_id || !info->build_id || md->is_vdso || u->opts.nbundle ||
	    u->opts.resolve_all || !(elf = dwfl_module_getelf(md->mod, &bias)))
		return NULL;
	dwfl_module_info(md->mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
	if (!mainfile || stat(mainfile, &st) != 0)
		return NULL;
	key.elf_size = (uint64_t)st.st_size;
	key.elf_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	key.elf_ino = (uint64_t)st.st_ino;
	if (elf_has_dwarf(elf)) {
		key.debug_path = mainfile;
	} else {
		if (!(debug_path = probe_debug_file(u, md, mainfile, elf)) || stat(debug_path, &st) != 0) {
			free(debug_path);
			return NULL;
		}
		key.debug_path = debug_path;
	}
	key.debug_size = (uint64_t)st.st_size;
	key.debug_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	key.debug_ino = (uint64_t)st.st_ino;
	key.flags = u->opts.no_inline ? SYMCACHE_NO_INLINE : 0;
	if (symcache_load(u->opts.cache_dir, &key, &md->sc) == NULL && md->sc)
		u->sc_hits++;
	else if (!md->sc && symcache_new(&key, &md->sc) == NULL)
		u->sc_new++;
	free(debug_path);
	return md->sc;
}

/* What a cached frame says, as symbolize() would have made it. */
static struct hs_error *frame_from_cache(struct unwinder *u, const struct symcache_frame *cf, const char *module,
					 struct frame *f)
{
	memset(f, 0, sizeof(*f));
	if (cf->raw && frame_names(u, cf->raw, &f->function, &f->linkage_name))
		return &hs_error_nomem;
	f->module = module;
	if (cf->file && !(f->file = model_intern(u->m, cf->file)))
		return &hs_error_nomem;
	f->line = cf->line;
	f->inlined = cf->inlined;
	f->how = (enum frame_how)cf->how;
	f->offset = cf->offset;
	return NULL;
}

/* A frame as the cache keeps it (its strings the frame's). */
static struct symcache_frame frame_to_cache(const struct frame *f)
{
	return (struct symcache_frame){
		.raw = f->linkage_name ? f->linkage_name : f->function,
		.file = f->file,
		.line = f->line,
		.inlined = f->inlined,
		.how = (uint8_t)f->how,
		.offset = f->offset,
	};
}

/* Writes every symbol cache that learned something; failures cost only the next run's time. */
static void save_caches(struct unwinder *u)
{
	for (size_t i = 0; i < u->mdata.len; i++) {
		struct module_data *md = u->mdata.items[i];

		if (md->sc && symcache_dirty(md->sc))
			hs_error_destroy(symcache_save(u->opts.cache_dir, md->sc));
	}
}

static struct frame *pool_push(struct unwinder *u)
{
	return VEC_PUSH(&u->pool);
}

/*
 * Symbolizes adjusted pc into the frame pool: the inlined calls at pc
 * (innermost first), then the function that contains them. Sets *has_cfi.
 */
static struct hs_error *symbolize(struct unwinder *u, Dwarf_Addr pc, uint32_t *first, uint32_t *count, bool *has_cfi)
{
	struct model *m = u->m;
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, pc);
	const char *module = NULL, *file = NULL, *name = NULL;
	GElf_Off offset = 0;
	GElf_Sym sym;
	int line = 0;
	Dwarf_Die *scopes = NULL, cu_storage;
	int nscopes = 0;
	Dwarf_Die *cudie = NULL;
	Dwarf_Addr bias = 0;
	struct frame *f;
	struct symcache *sc = NULL;
	uint64_t mstart = 0;
	struct hs_error *err;

	*first = (uint32_t)u->pool.len;
	*count = 0;
	*has_cfi = false;
	if (mod) {
		void **userdata;
		const char *mname = dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
		const char *base = mname ? strrchr(mname, '/') : NULL;
		Dwarf_Addr lbias;
		Dwfl_Line *l;

		if (*userdata)
			((struct module_data *)*userdata)->touched = true;
		module = model_intern(m, base ? base + 1 : mname ? mname : "?");
		if (*userdata && (sc = module_cache(u, *userdata))) {
			const struct symcache_frame *cf;
			uint32_t n;

			mstart = m->modules.items[((struct module_data *)*userdata)->info].start;
			if (symcache_find_pc(sc, pc - mstart, &cf, &n, has_cfi)) {
				for (uint32_t i = 0; i < n; i++)
					if (!(f = pool_push(u)) || frame_from_cache(u, &cf[i], module, f))
						return &hs_error_nomem;
				*count = n;
				return NULL;
			}
		}
		name = dwfl_module_addrinfo(mod, pc, &offset, &sym, NULL, NULL, NULL);
		if (!name) {
			Dwarf_Addr start;
			dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
			offset = pc - start;
		}
		if ((l = dwfl_module_getsrc(mod, pc)))
			file = dwfl_lineinfo(l, &lbias, &line, NULL, NULL, NULL);
		if (!(cudie = dwfl_module_addrdie(mod, pc, &bias)) && (cudie = cu_by_ranges(mod, pc, &cu_storage, &bias)) &&
		    !file) {
			Dwarf_Line *dl = dwarf_getsrc_die(cudie, pc - bias);
			if (dl && (file = dwarf_linesrc(dl, NULL, NULL)))
				dwarf_lineno(dl, &line);
		}
		if (!u->opts.no_inline && cudie && (nscopes = dwarf_getscopes(cudie, pc - bias, &scopes)) > 0) {
			/*
			 * dwarf_getscopes() follows an inlined call into its abstract
			 * origin (the function's own definition), not out to its caller:
			 * take the innermost inlined call, then the concrete scopes that
			 * contain it — every inlined call out to the real function
			 * (eu-addr2line -i does the same).
			 */
			for (int i = 0; i < nscopes; i++) {
				int tag = dwarf_tag(&scopes[i]);
				if (tag == DW_TAG_inlined_subroutine) {
					Dwarf_Die inner = scopes[i];
					free(scopes);
					scopes = NULL;
					nscopes = dwarf_getscopes_die(&inner, &scopes);
					break;
				}
				if (tag == DW_TAG_subprogram)
					break;
			}
			if (nscopes < 0)
				nscopes = 0;
		}
		*has_cfi = pc_has_cfi(mod, pc);
		/* inlined calls, innermost first; each one's location is the call site of the one inside it */
		for (int i = 0; i < nscopes; i++) {
			Dwarf_Attribute attr;
			Dwarf_Word call_file = 0, call_line = 0;
			Dwarf_Files *files;
			size_t nfiles;
			const char *raw;

			if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
				break;
			if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
				continue;
			/*
			 * the qualified name, where the DIE has a mangled linkage name to
			 * demangle; a C function's linkage name is an assembler alias
			 * (glibc's __GI___libc_read for __libc_read), not a better name
			 */
			if (!(raw = die_linkage_name(&scopes[i])) || !(raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R')))
				raw = die_name(&scopes[i]) ? die_name(&scopes[i]) : "??";
			if (!(f = pool_push(u)) || frame_names(u, raw, &f->function, &f->linkage_name))
				goto nomem;
			f->module = module;
			f->file = file ? model_intern(m, file) : NULL;
			f->line = line;
			f->inlined = true;
			f->how = FRAME_INLINE;
			(*count)++;
			file = NULL;
			line = 0;
			if (dwarf_attr(&scopes[i], DW_AT_call_file, &attr) && dwarf_formudata(&attr, &call_file) == 0 &&
			    dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && call_file < nfiles)
				file = dwarf_filesrc(files, call_file, NULL, NULL);
			if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) && dwarf_formudata(&attr, &call_line) == 0)
				line = (int)MIN(call_line, (Dwarf_Word)INT32_MAX);
		}
		free(scopes);
	}
	if (!(f = pool_push(u)) || (name && frame_names(u, name, &f->function, &f->linkage_name)))
		return &hs_error_nomem;
	f->offset = offset;
	f->module = module;
	f->file = file ? model_intern(m, file) : NULL;
	f->line = line;
	(*count)++;
	if (sc && *count <= SYMCACHE_MAX_FRAMES) {
		struct symcache_frame cf[SYMCACHE_MAX_FRAMES];

		for (uint32_t i = 0; i < *count; i++)
			cf[i] = frame_to_cache(&u->pool.items[*first + i]);
		if ((err = symcache_add_pc(sc, pc - mstart, cf, *count, *has_cfi)))
			return err;
	}
	return NULL;
nomem:
	free(scopes);
	return &hs_error_nomem;
}

static struct cache_slot *cache_lookup(struct unwinder *u, uint64_t key, bool *found)
{
	size_t mask, i;

	if (u->used * 2 >= u->nslots) {
		size_t n = u->nslots ? u->nslots * 2 : 1024;
		struct cache_slot *slots;

		if (u->used >= SYMBOL_CACHE_MAX || !(slots = calloc(n, sizeof(*slots))))
			return NULL;
		for (size_t j = 0; j < u->nslots; j++) {
			struct cache_slot *s = &u->slots[j];
			if (!s->key)
				continue;
			for (i = (s->key * 0x9e3779b97f4a7c15ull) & (n - 1); slots[i].key; i = (i + 1) & (n - 1))
				;
			slots[i] = *s;
		}
		free(u->slots);
		u->slots = slots;
		u->nslots = n;
	}
	mask = u->nslots - 1;
	for (i = (key * 0x9e3779b97f4a7c15ull) & mask; u->slots[i].key; i = (i + 1) & mask)
		if (u->slots[i].key == key) {
			*found = true;
			return &u->slots[i];
		}
	*found = false;
	return &u->slots[i];
}

/* ---- unwinding -------------------------------------------------------- */

/* ---- tail calls ---------------------------------------------------------- */

#ifndef DW_TAG_call_site
#define DW_TAG_call_site 0x48
#endif
#define TAG_GNU_CALL_SITE 0x4109
#define AT_CALL_RETURN_PC 0x7d
#define AT_CALL_PC 0x81
#define AT_CALL_TAIL_CALL 0x82
#define AT_CALL_ORIGIN 0x7f
#define AT_GNU_TAIL_CALL 0x2115
#define TAILCALL_DIES_MAX 4096	/* DIEs looked at per function for its call sites */

static bool is_call_site(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	return tag == DW_TAG_call_site || tag == TAG_GNU_CALL_SITE;
}

/* The function a call site calls, by its DIE: DW_AT_call_origin (DWARF 5) or DW_AT_abstract_origin (GNU). */
static bool call_site_origin(Dwarf_Die *site, Dwarf_Die *origin)
{
	Dwarf_Attribute attr;

	return (dwarf_attr(site, AT_CALL_ORIGIN, &attr) || dwarf_attr(site, DW_AT_abstract_origin, &attr)) &&
	       dwarf_formref_die(&attr, origin) != NULL;
}

static bool call_site_addr(Dwarf_Die *site, unsigned name, Dwarf_Addr *addr)
{
	Dwarf_Attribute attr;
	return dwarf_attr(site, name, &attr) && dwarf_formaddr(&attr, addr) == 0;
}

/* "__GI___futex_abstimed_wait64@GLIBC_2.2.5" and "__futex_abstimed_wait64": one function under its aliases */
static bool same_function_name(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	if (strncmp(a, "__GI_", 5) == 0)
		a += 5;
	if (strncmp(b, "__GI_", 5) == 0)
		b += 5;
	while (*a == '_')
		a++;
	while (*b == '_')
		b++;
	la = strcspn(a, "@");
	lb = strcspn(b, "@");
	return la == lb && strncmp(a, b, la) == 0;
}

/* Visits the call sites below die (depth first, bounded): the first one matching wants wins. */
static bool find_call_site(Dwarf_Die *die, bool (*wants)(Dwarf_Die *, void *), void *arg, Dwarf_Die *out,
			   unsigned *budget)
{
	Dwarf_Die child;

	if (dwarf_child(die, &child) != 0)
		return false;
	do {
		if ((*budget)-- == 0)
			return false;
		if (is_call_site(&child) && wants(&child, arg)) {
			*out = child;
			return true;
		}
		/* call sites sit in the function, its lexical blocks and inlined calls */
		int tag = dwarf_tag(&child);
		if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) &&
		    find_call_site(&child, wants, arg, out, budget))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

struct return_pc_match { Dwarf_Addr pc; };

static bool returns_to(Dwarf_Die *site, void *arg)
{
	const struct return_pc_match *want = arg;
	Dwarf_Addr pc;

	return (call_site_addr(site, AT_CALL_RETURN_PC, &pc) ||
		(dwarf_tag(site) == TAG_GNU_CALL_SITE && call_site_addr(site, DW_AT_low_pc, &pc))) &&
	       pc == want->pc;
}

static bool tail_calls(Dwarf_Die *site, void *arg)
{
	Dwarf_Die origin;

	return (dwarf_hasattr(site, AT_CALL_TAIL_CALL) || dwarf_hasattr(site, AT_GNU_TAIL_CALL)) &&
	       call_site_origin(site, &origin) &&
	       (same_function_name(die_name(&origin), arg) || same_function_name(die_linkage_name(&origin), arg));
}

/* The address of the function named `name` in mod's symbol table, 0 when none. */
/* The first defined symbol of mod's symbol table that match() accepts; false when none does. */
static bool module_symbol(Dwfl_Module *mod, bool (*match)(const char *sname, const GElf_Sym *sym, const void *arg),
			  const void *arg, GElf_Sym *sym_out, GElf_Addr *addr_out)
{
	int n = dwfl_module_getsymtab(mod);

	for (int i = 1; i < n; i++) {
		const char *sname = dwfl_module_getsym_info(mod, i, sym_out, addr_out, NULL, NULL, NULL);
		if (sname && sym_out->st_shndx != SHN_UNDEF && match(sname, sym_out, arg))
			return true;
	}
	return false;
}

static bool is_function_named(const char *sname, const GElf_Sym *sym, const void *arg)
{
	const char *name = arg;

	return GELF_ST_TYPE(sym->st_info) == STT_FUNC && same_function_name(sname, name) &&
	       strlen(sname + strspn(sname, "_")) >= strlen(name + strspn(name, "_"));
}

/* The address of the function named `name` (under any of its aliases) in mod's symbol table, 0 when none. */
static Dwarf_Addr symbol_address(Dwfl_Module *mod, const char *name)
{
	GElf_Sym sym;
	GElf_Addr addr;

	return name && module_symbol(mod, is_function_named, name, &sym, &addr) ? addr : 0;
}

/*
 * A function that left the stack by a tail call: the caller at `ret` (a
 * return address) called function C, but the frame above runs `above`, so
 * C jumped there. Found from the DWARF call sites gcc emits (-O2 -g): the
 * call site returning to ret names C, and C has a tail call site to above;
 * the frame is C, at the line of that tail call, as gdb shows it. False
 * when nothing says so.
 */
static bool tailcall_frame_derive(struct unwinder *u, Dwarf_Addr ret, const char *above, struct frame *out)
{
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, ret - 1);
	Dwarf_Die *cudie, *scopes = NULL, site, callee, *cscopes = NULL, tail;
	Dwarf_Addr bias, cbias, entry, at;
	struct return_pc_match want;
	const char *name;
	unsigned budget = TAILCALL_DIES_MAX;
	int n;
	bool found = false;

	if (!mod || !above || !(cudie = dwfl_module_addrdie(mod, ret - 1, &bias)) ||
	    (n = dwarf_getscopes(cudie, ret - 1 - bias, &scopes)) <= 0)
		return false;
	want.pc = ret - bias;
	for (int i = 0; i < n && !found; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block)
			found = find_call_site(&scopes[i], returns_to, &want, &site, &budget);
	}
	free(scopes);
	if (!found || !call_site_origin(&site, &callee))
		return false;
	name = die_linkage_name(&callee);
	if (!name || !(name[0] == '_' && (name[1] == 'Z' || name[1] == 'R')))
		name = die_name(&callee);
	if (!name || same_function_name(name, above))
		return false;	/* an ordinary call: the callee is the frame above */
	/* the callee's own code: its symbol, then its DIE there */
	if (!(entry = symbol_address(mod, die_linkage_name(&callee) ? die_linkage_name(&callee) : die_name(&callee))) ||
	    !(cudie = dwfl_module_addrdie(mod, entry, &cbias)) || (n = dwarf_getscopes(cudie, entry - cbias, &cscopes)) <= 0)
		return false;
	found = false;
	budget = TAILCALL_DIES_MAX;
	for (int i = 0; i < n && !found; i++)
		if (dwarf_tag(&cscopes[i]) == DW_TAG_subprogram)
			found = find_call_site(&cscopes[i], tail_calls, (void *)above, &tail, &budget);
	free(cscopes);
	if (!found)
		return false;
	memset(out, 0, sizeof(*out));
	if (frame_names(u, name, &out->function, &out->linkage_name))
		return false;
	/* where the jump is: DW_AT_call_pc (DWARF 5), else the GNU site's return address, minus one */
	if (call_site_addr(&tail, AT_CALL_PC, &at))
		at += cbias;
	else if (call_site_addr(&tail, DW_AT_low_pc, &at))
		at = at + cbias - 1;
	else
		at = entry;
	{
		Dwfl_Line *l = dwfl_module_getsrc(mod, at);
		Dwarf_Addr lb;
		const char *file = l ? dwfl_lineinfo(l, &lb, &out->line, NULL, NULL, NULL) : NULL;
		out->file = file ? model_intern(u->m, file) : NULL;
	}
	{
		const char *mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		const char *base = mname ? strrchr(mname, '/') : NULL;
		out->module = model_intern(u->m, base ? base + 1 : mname ? mname : "?");
	}
	out->pc = at;
	out->offset = at - entry;
	out->how = FRAME_TAILCALL;
	return out->function != NULL;
}

/* tailcall_frame_derive(), through the module's symbol cache. */
static bool tailcall_frame(struct unwinder *u, Dwarf_Addr ret, const char *above, struct frame *out)
{
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, ret - 1);
	void **userdata = NULL;
	const struct symcache_frame *cf;
	struct symcache *sc = NULL;
	uint64_t start = 0;
	bool found;

	if (mod && above) {
		const char *mname = dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);

		if (*userdata && (sc = module_cache(u, *userdata))) {
			start = u->m->modules.items[((struct module_data *)*userdata)->info].start;
			if (symcache_find_tail(sc, ret - start, above, &found, &cf)) {
				const char *base = mname ? strrchr(mname, '/') : NULL;
				const char *module = model_intern(u->m, base ? base + 1 : mname ? mname : "?");

				if (!found || !module || frame_from_cache(u, cf, module, out))
					return false;
				out->pc = start + cf->pc;
				return out->function != NULL;
			}
		}
	}
	found = tailcall_frame_derive(u, ret, above, out);
	if (sc) {
		struct symcache_frame c = found ? frame_to_cache(out) : (struct symcache_frame){ .raw = NULL };

		c.pc = found ? out->pc - start : 0;
		/* (out of memory here costs only the next run's time) */
		hs_error_destroy(symcache_add_tail(sc, ret - start, above, found, found ? &c : NULL));
	}
	return found;
}

struct thread_unwind {
	struct unwinder *u;
	struct thread *t;
	struct hs_error *err;		/* out of memory only */
	bool prev_has_cfi;
	uint64_t prev_sp;
	uint64_t prev_pc;
	size_t nphysical;
};

static void set_unwind_error(struct thread *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_unwind_error(struct thread *t, const char *fmt, ...)
{
	va_list ap;

	if (t->unwind_error)
		return;
	va_start(ap, fmt);
	if (vasprintf(&t->unwind_error, fmt, ap) < 0)
		t->unwind_error = NULL;
	va_end(ap);
}

static int frame_callback(Dwfl_Frame *state, void *arg)
{
	struct thread_unwind *tu = arg;
	struct unwinder *u = tu->u;
	struct thread *t = tu->t;
	Dwarf_Addr pc, adj;
	Dwarf_Word sp = 0;
	bool activation, found;
	struct cache_slot *slot;
	uint32_t first, count;
	bool has_cfi;

	if (!dwfl_frame_pc(state, &pc, &activation)) {
		set_unwind_error(t, "cannot get the pc of frame %zu: %s", tu->nphysical, dwfl_errmsg(-1));
		return DWARF_CB_ABORT;
	}
	if (dwfl_frame_reg(state, DWARF_REG_SP, &sp) != 0)
		sp = 0;
	if (tu->nphysical > 0) {
		/* no code lives in the first page: a frame-pointer guess through a frame without one */
		if (pc < 4096) {
			set_unwind_error(t, "no caller found past frame %zu%s", tu->nphysical - 1,
					 tu->prev_has_cfi ? "" : " (no CFI there, and the frame-pointer guess gave pc 0)");
			return DWARF_CB_ABORT;
		}
		/* a caller's frame lies above its callee's: anything else is a loop or garbage */
		if (sp && tu->prev_sp && sp < tu->prev_sp) {
			set_unwind_error(t, "stack pointer 0x%llx of frame %zu is below its callee's: corrupt or cyclic stack",
					 (unsigned long long)sp, tu->nphysical);
			return DWARF_CB_ABORT;
		}
		if (sp == tu->prev_sp && pc == tu->prev_pc) {
			set_unwind_error(t, "frame %zu repeats its callee (pc 0x%llx): cyclic stack", tu->nphysical,
					 (unsigned long long)pc);
			return DWARF_CB_ABORT;
		}
	}
	if (t->frames.len >= MODEL_MAX_FRAMES) {
		set_unwind_error(t, "more than %u frames: the rest are not shown", MODEL_MAX_FRAMES);
		return DWARF_CB_ABORT;
	}
	adj = activation ? pc : pc - 1;
	slot = cache_lookup(u, adj + 1, &found);
	if (slot && found) {
		first = slot->first;
		count = slot->count;
		has_cfi = slot->has_cfi;
	} else {
		if ((tu->err = symbolize(u, adj, &first, &count, &has_cfi)))
			return DWARF_CB_ABORT;
		if (slot) {
			slot->key = adj + 1;
			slot->first = first;
			slot->count = count;
			slot->has_cfi = has_cfi;
			u->used++;
		}
	}
	/* a function that tail-called the frame above has no frame of its own: put it back, as gdb does */
	if (!activation && tu->nphysical > 0 && t->frames.len && !u->opts.no_inline && t->frames.len < MODEL_MAX_FRAMES) {
		const char *above = t->frames.items[t->frames.len - 1].function;
		struct tail_slot *ts = u->tails ? &u->tails[(pc ^ (uintptr_t)above) * 0x9e3779b97f4a7c15ull >> 52] : NULL;
		struct frame tail;
		bool is_tail;

		if (ts && ts->pc == pc && ts->above == above) {
			is_tail = ts->found;
			tail = ts->frame;
		} else {
			is_tail = tailcall_frame(u, pc, above, &tail);
			if (ts)
				*ts = (struct tail_slot){ .pc = pc, .above = above, .found = is_tail, .frame = tail };
		}
		if (is_tail) {
			struct frame *f = VEC_PUSH(&t->frames);
			if (!f) {
				tu->err = &hs_error_nomem;
				return DWARF_CB_ABORT;
			}
			*f = tail;
			f->sp = sp;
		}
	}
	for (uint32_t i = 0; i < count && t->frames.len < MODEL_MAX_FRAMES; i++) {
		struct frame *f = VEC_PUSH(&t->frames);
		if (!f) {
			tu->err = &hs_error_nomem;
			return DWARF_CB_ABORT;
		}
		*f = u->pool.items[first + i];
		f->pc = pc;
		f->sp = sp;
		if (!f->inlined) {
			/* offsets are shown from the return address, as gdb and eu-stack do */
			f->offset += activation ? 0 : 1;
			f->how = tu->nphysical == 0 ? FRAME_INITIAL : tu->prev_has_cfi ? FRAME_CFI : FRAME_FP;
		}
	}
	if (!slot)	/* the cache is full: these frames were for this use only */
		u->pool.len = first;
	tu->prev_has_cfi = has_cfi;
	tu->prev_sp = sp;
	tu->prev_pc = pc;
	tu->nphysical++;
	return DWARF_CB_OK;
}

static int thread_callback(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *u = arg;
	struct thread *t = &u->m->threads.items[u->current];
	struct thread_unwind tu = { .u = u, .t = t };
	int rc;

	(void)thread;
	rc = dwfl_thread_getframes(thread, frame_callback, &tu);
	if (tu.err) {
		/* out of memory: stop everything, the caller reports it */
		u->err = tu.err;
		return DWARF_CB_ABORT;
	}
	if (rc == -1 && dwfl_errno() != 0) {
		const char *msg = dwfl_errmsg(-1);
		/* libdwfl ends a complete stack both ways; only a stop with frames missing is worth saying */
		if (t->frames.len == 0 || (msg && !strstr(msg, "no error")))
			set_unwind_error(t, "%s", msg ? msg : "unwinding failed");
	}
	return DWARF_CB_OK;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* A bare ELF header saying "x86_64": all dwfl_attach_state needs to pick the backend. */
static const Elf64_Ehdr arch_ehdr = {
	.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE },
	.e_type = ET_CORE,
	.e_machine = EM_X86_64,
	.e_version = EV_CURRENT,
	.e_ehsize = sizeof(Elf64_Ehdr),
	.e_phentsize = sizeof(Elf64_Phdr),
};

/* What was found for the modules that frames are in, and what was not. */
static void module_status(struct unwinder *u)
{
	struct model *m = u->m;
	struct strbuf nodebug;

	strbuf_init(&nodebug);
	for (size_t i = 0; i < u->mdata.len; i++) {
		struct module_data *md = u->mdata.items[i];
		struct module_info *info = &m->modules.items[md->info];
		Dwarf_Addr bias;

		info->used = md->touched;
		if (u->opts.resolve_all && !md->is_vdso) {
			const char *mainfile = NULL, *debugfile = NULL;

			if (dwfl_module_getelf(md->mod, &bias))
				dwfl_module_getdwarf(md->mod, &bias);
			dwfl_module_info(md->mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
			if ((mainfile && !(info->elf_path = strdup(mainfile))) ||
			    (debugfile && (!mainfile || strcmp(debugfile, mainfile) != 0) &&
			     !(info->debug_path = strdup(debugfile))))
				u->err = u->err ? u->err : &hs_error_nomem;
			/* the dwz file, found while its debug info was loaded */
			info->alt_path = md->alt_path;
			info->alt_build_id = md->alt_build_id;
			md->alt_path = md->alt_build_id = NULL;
		}
		if (!md->touched)
			continue;
		info->elf_found = dwfl_module_getelf(md->mod, &bias) != NULL;
		{
			int64_t v;

			/* from the symbol cache: loading the DWARF to know it is there is what the cache saves */
			if (info->elf_found && md->sc && symcache_find_fact(md->sc, "has_debuginfo", &v)) {
				info->has_debuginfo = v != 0;
			} else {
				info->has_debuginfo = info->elf_found && dwfl_module_getdwarf(md->mod, &bias) != NULL;
				if (info->elf_found && md->sc)
					hs_error_destroy(symcache_add_fact(md->sc, "has_debuginfo", info->has_debuginfo));
			}
		}
		if (!info->elf_found && u->opts.nbundle) {
			model_missing(m, "no ELF file for '%s'%s%s, at its path or in the bundle: its frames are unsymbolized "
				      "and unwound by frame pointer", info->name, info->build_id ? " with build-id " : "",
				      info->build_id ? info->build_id : "");
		} else if (!info->elf_found && u->opts.nsearch) {
			struct buildid_index_stats st;

			buildid_index_stats(u->index, &st);
			model_missing(m, "no ELF file for '%s'%s%s, at its path or among the %zu ELF files under the %zu "
				      "search director%s: its frames are unsymbolized and unwound by frame pointer",
				      info->name, info->build_id ? " with build-id " : "", info->build_id ? info->build_id : "",
				      st.elf, st.dirs, st.dirs == 1 ? "y" : "ies");
		} else if (!info->elf_found) {
			model_missing(m, "no ELF file for '%s'%s%s: its frames are unsymbolized and unwound by frame pointer",
				      info->name, info->build_id ? " with build-id " : "",
				      info->build_id ? info->build_id : "");
		}
		else if (!info->has_debuginfo && !md->is_vdso)
			strbuf_appendf(&nodebug, "%s%s", nodebug.len ? ", " : "", info->name);
	}
	if (nodebug.len)
		model_missing(m, "no debug info (no file:line, no inlined frames) for %s", nodebug.buf);
	strbuf_deinit(&nodebug);
}

void unwind_cache_stats(const struct unwinder *u, size_t *hits, size_t *made)
{
	*hits = u ? u->sc_hits : 0;
	*made = u ? u->sc_new : 0;
}

void unwind_destroy(struct unwinder *u)
{
	if (!u)
		return;
	save_caches(u);
	if (u->dwfl)
		dwfl_end(u->dwfl);
	elf_end(u->arch_elf);
	for (size_t i = 0; i < u->mdata.len; i++) {
		free(u->mdata.items[i]->alt_path);
		free(u->mdata.items[i]->alt_build_id);
		symcache_free(u->mdata.items[i]->sc);
		free(u->mdata.items[i]);
	}
	VEC_DEINIT(&u->mdata);
	free(u->vdso);
	free(u->debuginfo_path);
	buildid_index_destroy(u->index);
	free(u->slots);
	VEC_DEINIT(&u->pool);
	free(u->names);
	free(u->tails);
	free(u);
}

struct hs_error *unwind_threads(struct model *m, const struct unwind_options *opts, struct unwinder **ret)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	struct hs_error *err = NULL;

	if (!u)
		return &hs_error_nomem;
	u->m = m;
	if (opts)
		u->opts = *opts;
	/* 4096 slots; without them (no memory) tail calls are looked up every time */
	u->tails = calloc(4096, sizeof(*u->tails));
	elf_version(EV_CURRENT);
	if (u->opts.sysroot || u->opts.ndebug) {
		/* libdwfl takes a relative entry as relative to each module's directory: absolute paths only */
		struct strbuf path;
		bool ok;

		strbuf_init(&path);
		ok = strbuf_addstr(&path, ":.debug");
		for (size_t i = 0; i < u->opts.ndebug && ok; i++) {
			char *abs = realpath(u->opts.debug_dirs[i], NULL);

			if (!abs)
				model_warn(m, "cannot use the debug directory '%s': %s", u->opts.debug_dirs[i], strerror(errno));
			else
				ok = strbuf_appendf(&path, ":%s", abs);
			free(abs);
		}
		if (ok && u->opts.sysroot) {
			char *abs = realpath(u->opts.sysroot, NULL);

			ok = strbuf_appendf(&path, ":%s/usr/lib/debug", abs ? abs : u->opts.sysroot);
			free(abs);
		} else if (ok) {
			ok = strbuf_addstr(&path, ":/usr/lib/debug");
		}
		if (!ok) {
			strbuf_deinit(&path);
			err = &hs_error_nomem;
			goto fail;
		}
		u->debuginfo_path = strbuf_detach(&path, NULL);
	}
	u->callbacks = (Dwfl_Callbacks){
		.find_elf = find_elf,
		.find_debuginfo = find_debuginfo,
		.debuginfo_path = &u->debuginfo_path,
	};
	if (!(u->dwfl = dwfl_begin(&u->callbacks))) {
		err = hs_error_create(HS_ERR_INTERNAL, "cannot start libdwfl: %s", dwfl_errmsg(-1));
		goto fail;
	}
	if ((err = report_modules(u)))
		goto fail;
	u->arch_ehdr = arch_ehdr;
	if (!(u->arch_elf = elf_memory((char *)&u->arch_ehdr, sizeof(u->arch_ehdr)))) {
		err = hs_error_create(HS_ERR_INTERNAL, "cannot create an ELF header in memory: %s", elf_errmsg(-1));
		goto fail;
	}
	if (!dwfl_attach_state(u->dwfl, u->arch_elf, m->pid > 0 ? m->pid : 1, &thread_callbacks, u)) {
		err = hs_error_create(HS_ERR_INTERNAL, "cannot attach libdwfl to the core: %s", dwfl_errmsg(-1));
		goto fail;
	}
	dwfl_getthreads(u->dwfl, thread_callback, u);
	if (u->err) {
		err = u->err;
		goto fail;
	}
	module_status(u);
	if (u->err) {
		err = u->err;
		goto fail;
	}
	*ret = u;
	return NULL;
fail:
	unwind_destroy(u);
	return err;
}

/* Looks for struct type_name among the children of die (and of unions/structs one level down). */
static int64_t find_member(Dwarf_Die *parent, const char *type_name, const char *member, int depth)
{
	Dwarf_Die child, m;

	if (dwarf_child(parent, &child) != 0)
		return -1;
	do {
		int tag = dwarf_tag(&child);
		const char *name = dwarf_diename(&child);

		if (tag == DW_TAG_structure_type && name && strcmp(name, type_name) == 0 && dwarf_child(&child, &m) == 0) {
			do {
				Dwarf_Attribute attr;
				Dwarf_Word off;
				const char *mname = dwarf_diename(&m);

				if (dwarf_tag(&m) == DW_TAG_member && mname && strcmp(mname, member) == 0 &&
				    dwarf_attr(&m, DW_AT_data_member_location, &attr) && dwarf_formudata(&attr, &off) == 0)
					return off <= INT32_MAX ? (int64_t)off : -1;
			} while (dwarf_siblingof(&m, &m) == 0);
		}
		if (depth > 0 && (tag == DW_TAG_union_type || tag == DW_TAG_typedef || tag == DW_TAG_structure_type)) {
			int64_t r = find_member(&child, type_name, member, depth - 1);
			if (r >= 0)
				return r;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return -1;
}

int64_t unwind_member_offset(struct unwinder *u, uint64_t pc, const char *type_name, const char *member)
{
	Dwfl_Module *mod;
	Dwarf_Die storage, *cudie;
	Dwarf_Addr bias;
	void **userdata = NULL;
	struct symcache *sc = NULL;
	uint64_t start = 0;
	int64_t v;

	if (!u || !(mod = dwfl_addrmodule(u->dwfl, pc)))
		return -1;
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	if (*userdata && (sc = module_cache(u, *userdata))) {
		start = u->m->modules.items[((struct module_data *)*userdata)->info].start;
		if (symcache_find_member(sc, pc - start, type_name, member, &v))
			return v;
	}
	if (!(cudie = dwfl_module_addrdie(mod, pc, &bias)) && !(cudie = cu_by_ranges(mod, pc, &storage, &bias)))
		v = -1;
	else
		v = find_member(cudie, type_name, member, 1);
	if (sc)
		hs_error_destroy(symcache_add_member(sc, pc - start, type_name, member, v));
	return v;
}

/* ---- lookups for the runtime walkers ------------------------------------ */

Dwarf *unwind_module_dwarf(struct unwinder *u, uint64_t addr, Dwarf_Addr *bias)
{
	Dwfl_Module *mod;
	Dwarf_Addr b = 0;
	Dwarf *dw;

	if (!u || !u->dwfl || !(mod = dwfl_addrmodule(u->dwfl, addr)) || !(dw = dwfl_module_getdwarf(mod, &b)))
		return NULL;
	if (bias)
		*bias = b;
	return dw;
}

static bool is_named(const char *sname, const GElf_Sym *sym, const void *arg)
{
	(void)sym;
	return strcmp(sname, arg) == 0;
}

bool unwind_find_symbol(struct unwinder *u, const char *module_part, const char *name, struct unwind_symbol *out)
{
	for (size_t i = 0; u && i < u->mdata.len; i++) {
		const struct module_data *md = u->mdata.items[i];
		const struct module_info *info = &u->m->modules.items[md->info];
		const char *base = info->name ? strrchr(info->name, '/') : NULL;
		GElf_Sym sym;
		GElf_Addr addr;

		base = base ? base + 1 : info->name;
		if (md->is_vdso || !base || !strstr(base, module_part) || !module_symbol(md->mod, is_named, name, &sym, &addr))
			continue;
		out->addr = addr;
		out->size = sym.st_size;
		out->module = info->name;
		out->module_start = info->start;
		out->module_end = info->end;
		return true;
	}
	return false;
}

bool unwind_find_section(struct unwinder *u, const char *module_part, const char *name, struct unwind_symbol *out)
{
	for (size_t i = 0; u && i < u->mdata.len; i++) {
		const struct module_data *md = u->mdata.items[i];
		const struct module_info *info = &u->m->modules.items[md->info];
		const char *base = info->name ? strrchr(info->name, '/') : NULL;
		Dwarf_Addr bias;
		Elf_Scn *scn = NULL;
		size_t shstrndx;
		Elf *elf;

		base = base ? base + 1 : info->name;
		if (md->is_vdso || !base || !strstr(base, module_part) || !(elf = dwfl_module_getelf(md->mod, &bias)) ||
		    elf_getshdrstrndx(elf, &shstrndx) != 0)
			continue;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *sname;

			if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
			    !(sname = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(sname, name) != 0)
				continue;
			out->addr = sh.sh_addr + bias;
			out->size = sh.sh_size;
			out->module = info->name;
			out->module_start = info->start;
			out->module_end = info->end;
			return true;
		}
	}
	return false;
}

size_t unwind_read(struct unwinder *u, uint64_t addr, void *buf, size_t len)
{
	size_t got = elfcore_read_memory(u->m->core, addr, buf, len);
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	Elf *elf;
	size_t nph;

	if (got == len || !u->dwfl || !(mod = dwfl_addrmodule(u->dwfl, addr)) || !(elf = dwfl_module_getelf(mod, &bias)) ||
	    elf_getphdrnum(elf, &nph) != 0)
		return got;
	/* pages the core left out (read-only file data): the module's own file, whose build-id matched */
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		uint64_t rel = addr - bias;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || rel < ph.p_vaddr ||
		    rel - ph.p_vaddr >= ph.p_filesz)
			continue;
		if (len > ph.p_filesz - (rel - ph.p_vaddr))
			len = ph.p_filesz - (rel - ph.p_vaddr);
		if (!(d = elf_getdata_rawchunk(elf, (int64_t)(ph.p_offset + rel - ph.p_vaddr), len, ELF_T_BYTE)) ||
		    d->d_size != len)
			return got;
		memcpy(buf, d->d_buf, len);
		return len;
	}
	return got;
}

const char *unwind_data_symbol(struct unwinder *u, uint64_t addr, uint64_t *offset)
{
	Dwfl_Module *mod;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name;

	if (!u || !u->dwfl || !(mod = dwfl_addrmodule(u->dwfl, addr)))
		return NULL;
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	/* a data object only: a function's name for a stack or heap address would mislead */
	if (!name || GELF_ST_TYPE(sym.st_info) != STT_OBJECT || (sym.st_size && off >= sym.st_size))
		return NULL;
	if (offset)
		*offset = off;
	return name;
}
