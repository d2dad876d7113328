/*
 * The symbol cache (analyzer-internal): what the unwinder derived from a
 * module's debug info — the frames at each pc (inlined calls, file:line),
 * whether CFI covers it, tail calls put back, struct member offsets — kept
 * per module in ${XDG_CACHE_HOME:-~/.cache}/hanganalyze/symbols/BUILD-ID,
 * so that the next analysis of a core with the same modules needs no DWARF
 * at all: libc6-dbg's debug file alone takes some 60 ms to inflate.
 *
 * A cache file is used only when its key matches the run's in every field
 * (struct symcache_key): the analyzer's own build-id (a rebuilt hanganalyze
 * derives afresh), the module's build-id, the identity (path, size, mtime,
 * inode) of the ELF file and of the debug file this run would read, and the
 * options that change frames. A file that does not parse, fails its
 * checksum, or has another key is ignored and written anew; so is one over
 * SYMCACHE_MAX_BYTES. What is found in it is used as the unwinder would have
 * derived it, so that a report is byte-identical with or without a cache.
 *
 * The format (little-endian; every length checked, the parser is fuzzed by
 * tests/fuzz/fuzz-symcache.c):
 *
 *   "HSSYMC\0" u8 version
 *   key: str analyzer, str build_id, u64 elf size, mtime_ns, ino, str debug
 *        path, u64 debug size, mtime_ns, ino, u32 flags
 *   u32 n, then n records: u8 kind, u64 offset (pc - module start), str a,
 *        str b, then by kind:
 *          PC      u8 has_cfi, u32 nframes, frames
 *          TAIL    u8 found, a frame when found
 *          MEMBER  i64 value
 *          FACT    i64 value
 *   frame: str raw name, str file, i32 line, u8 inlined, u8 how, u64 offset,
 *          u64 pc
 *   u64 FNV-1a of every byte before it
 *
 * str is u32 length then bytes, 0xffffffff for none, at most 4096 bytes.
 */
#ifndef HS_ANALYZER_SYMCACHE_H
#define HS_ANALYZER_SYMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define SYMCACHE_VERSION 1
#define SYMCACHE_MAX_BYTES (16u << 20)
#define SYMCACHE_MAX_RECORDS 65536u
#define SYMCACHE_MAX_FRAMES 64u
#define SYMCACHE_MAX_STRING 4096u

struct symcache_key {
	const char *analyzer;		/* hanganalyze's own build-id (hex) */
	const char *build_id;		/* the module's (hex) */
	uint64_t elf_size, elf_mtime_ns, elf_ino;
	const char *debug_path;		/* the file its DWARF comes from */
	uint64_t debug_size, debug_mtime_ns, debug_ino;
	uint32_t flags;			/* SYMCACHE_NO_INLINE */
};
#define SYMCACHE_NO_INLINE 1u

/* A frame as the unwinder derived it; strings are the cache's (or the caller's, when added). */
struct symcache_frame {
	const char *raw;	/* the raw symbol name, NULL unknown */
	const char *file;	/* NULL unknown */
	int32_t line;
	bool inlined;
	uint8_t how;		/* enum frame_how */
	uint64_t offset;
	uint64_t pc;		/* a tail call's: where the jump is, from the module's start */
};

struct symcache;

/* An empty cache for key (its strings are copied). */
struct hs_error *symcache_new(const struct symcache_key *key, struct symcache **ret);
/*
 * Parses buf (len bytes) into a cache, which must carry key: HS_ERR_FORMAT
 * when it is damaged, truncated, over the limits or of another key.
 */
struct hs_error *symcache_parse(const void *buf, size_t len, const struct symcache_key *key, struct symcache **ret);
/* Serializes c (*ret the caller's). */
struct hs_error *symcache_format(const struct symcache *c, void **ret, size_t *len_ret);
void symcache_free(struct symcache *c);

/* Did anything get added since it was loaded or made? */
bool symcache_dirty(const struct symcache *c);
size_t symcache_records(const struct symcache *c);

/* The frames at module offset off (*frames valid while c lives), or false. */
bool symcache_find_pc(const struct symcache *c, uint64_t off, const struct symcache_frame **frames, uint32_t *n,
		      bool *has_cfi);
struct hs_error *symcache_add_pc(struct symcache *c, uint64_t off, const struct symcache_frame *frames, uint32_t n,
				 bool has_cfi);
/* The tail-called function put back between the return address at off and the frame named above. */
bool symcache_find_tail(const struct symcache *c, uint64_t off, const char *above, bool *found,
			const struct symcache_frame **frame);
struct hs_error *symcache_add_tail(struct symcache *c, uint64_t off, const char *above, bool found,
				   const struct symcache_frame *frame);
/* The offset of member in struct type, as the compile unit of off declares it (-1: none). */
bool symcache_find_member(const struct symcache *c, uint64_t off, const char *type, const char *member, int64_t *value);
struct hs_error *symcache_add_member(struct symcache *c, uint64_t off, const char *type, const char *member,
				     int64_t value);

/* A named fact about the module (has_debuginfo). */
bool symcache_find_fact(const struct symcache *c, const char *name, int64_t *value);
struct hs_error *symcache_add_fact(struct symcache *c, const char *name, int64_t value);

/*
 * dir/BUILD-ID read and parsed (NULL in *ret, no error, when there is none,
 * or it is damaged or stale: then it is rewritten on save). Never follows a
 * symlink at the file.
 */
struct hs_error *symcache_load(const char *dir, const struct symcache_key *key, struct symcache **ret);
/* Writes c as dir/BUILD-ID, mode 0600: under a unique temporary name, then renamed over (never half written). */
struct hs_error *symcache_save(const char *dir, const struct symcache *c);

#endif
