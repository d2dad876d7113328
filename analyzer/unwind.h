/*
 * Unwinding and symbolizing every thread of a model (analyzer-internal).
 *
 * libdwfl does the work, fed through our own callbacks: registers from the
 * core's NT_PRSTATUS, memory from the core reader (binary search over
 * segments), modules reported from NT_FILE with the build-ids read from the
 * core's memory, the vDSO from the core itself. ELF files are looked up at
 * their recorded path (under --sysroot) and accepted only when their
 * build-id matches; otherwise, and for debug info, the standard libdwfl
 * lookups run (/usr/lib/debug/.build-id, .gnu_debuglink, DEBUGINFOD_URLS);
 * with --sysroot, DIR/usr/lib/debug instead of the host's /usr/lib/debug.
 * With search directories (--search), a module whose file is not at its
 * path is looked up among the ELF files under them by build-id, and so is
 * its separate debug file (buildid_index.h); debug directories
 * (--debug-dir) are searched for .build-id/xx/yyyy.debug first.
 */
#ifndef HS_ANALYZER_UNWIND_H
#define HS_ANALYZER_UNWIND_H

#include <elfutils/libdw.h>
#include <stdbool.h>

#include "analyzer/model.h"

struct unwind_options {
	const char *sysroot;		/* prefix for the paths in the core; NULL: none */
	const char *exe;		/* the executable, when not at its recorded path */
	const char *const *search_dirs;	/* ELF files by build-id under these (--search) */
	size_t nsearch;
	const char *const *debug_dirs;	/* .build-id debug trees (--debug-dir) */
	size_t ndebug;
	const int *bundle_fds;		/* a bundle's files, open: looked up by build-id before any path */
	size_t nbundle;
	bool resolve_all;		/* find every module's files, not only those frames are in (modules[].elf_path) */
	const char *cache_dir;		/* the symbol cache's directory (symcache.h), NULL: none */
	const char *analyzer_id;	/* hanganalyze's own build-id, which the cache's files must carry */
	bool no_inline;			/* do not expand inlined calls */
	bool no_demangle;		/* frames show raw symbol names (and no linkage_name) */
};

/* A libdwfl session over one model's core. */
struct unwinder;

/*
 * Fills m->threads[*].frames and unwind_error, and m->modules. Damage is
 * local: a thread whose stack cannot be read keeps what was unwound and says
 * why in unwind_error. Fails only when memory runs out or libdwfl cannot be
 * set up at all. On success *ret is the session, for unwind_member_offset();
 * the caller ends it with unwind_destroy() before destroying m. opts may be
 * NULL (defaults); it is copied, its strings must outlive the session.
 */
struct hs_error *unwind_threads(struct model *m, const struct unwind_options *opts, struct unwinder **ret);

/* The symbol cache's use so far: modules whose cache file was used, and made anew (0, 0 for NULL). */
void unwind_cache_stats(const struct unwinder *u, size_t *hits, size_t *made);

/* Ends the libdwfl session (writing the symbol caches that learned something); accepts NULL. */
void unwind_destroy(struct unwinder *u);

/*
 * Byte offset of member in struct type_name, from the debug info of the
 * module that contains pc, as declared in the compile unit of pc: give the pc
 * of a function that uses the type (pthread_mutex_lock for a mutex). -1 when
 * there is no debug info or no such member there.
 */
int64_t unwind_member_offset(struct unwinder *u, uint64_t pc, const char *type_name, const char *member);

/*
 * The DWARF of the module that contains addr (its own, or the separate debug
 * file the standard lookups found: /usr/lib/debug/.build-id, .gnu_debuglink,
 * debuginfod), and in *bias (may be NULL) its load bias. NULL when there is
 * no such module or it has no debug info. The Dwarf belongs to the session:
 * valid until unwind_destroy(), never to be ended by the caller.
 */
Dwarf *unwind_module_dwarf(struct unwinder *u, uint64_t addr, Dwarf_Addr *bias);

/* A symbol found by unwind_find_symbol(). */
struct unwind_symbol {
	uint64_t addr, size;
	const char *module;			/* interned path */
	uint64_t module_start, module_end;	/* its file mappings */
};

/*
 * The defined symbol `name` of a module whose file name contains
 * module_part ("ruby": libruby-3.1.so, a static ruby), from its symbol table
 * (.dynsym when stripped). False when there is none.
 */
bool unwind_find_symbol(struct unwinder *u, const char *module_part, const char *name, struct unwind_symbol *out);

/* Likewise the allocated section `name` (".PyRuntime") of such a module: its address and size. */
bool unwind_find_section(struct unwinder *u, const char *module_part, const char *name, struct unwind_symbol *out);

/*
 * The name of the data object (STT_OBJECT: a global or static variable) of
 * the module containing addr, from its symbol table, and in *offset (may be
 * NULL) addr's offset in it. NULL when there is none. The name belongs to the
 * session: valid until unwind_destroy().
 */
const char *unwind_data_symbol(struct unwinder *u, uint64_t addr, uint64_t *offset);

/*
 * Reads len bytes at addr from the core; what the core left out (a module's
 * read-only data) from that module's ELF file, found with a matching
 * build-id. Returns the bytes read from the start of the range.
 */
size_t unwind_read(struct unwinder *u, uint64_t addr, void *buf, size_t len);

#endif
