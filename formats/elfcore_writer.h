/*
 * Building an ELF64 x86_64 ET_CORE file. The layout is described at the top
 * of elfcore_writer.c.
 *
 * A core_builder collects notes and PT_LOAD segments, then core_builder_finish()
 * fixes every offset; from then on the core is a virtual file of
 * core_builder_size() bytes that core_builder_read() produces piecewise:
 * header bytes, note bytes, segment data from caller-owned buffers, or — for
 * data added without a buffer — from a source callback, and zeros for holes.
 * Nothing is copied: buffers passed to core_builder_add_data() must outlive
 * the builder's use.
 */
#ifndef HS_FORMATS_ELFCORE_WRITER_H
#define HS_FORMATS_ELFCORE_WRITER_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strbuf.h"
#include "common/vec.h"

#define CORE_PAGE_SIZE 4096u
#define CORE_MAX_SEGMENTS 1000000u	/* e_phnum spills into section 0 past 0xffff */

/* Reads len bytes of target memory at vaddr into buf (zero-filling what it cannot read). */
struct core_source {
	void (*read)(void *arg, uint64_t vaddr, void *buf, size_t len);
	void *arg;
};

struct core_extent {
	uint64_t file_off;
	uint64_t len;
	uint64_t vaddr;
	const unsigned char *data;	/* NULL: ask the source */
};

struct core_builder {
	struct strbuf notes;
	VEC(Elf64_Phdr) loads;
	VEC(struct core_extent) extents;	/* ascending file_off once finished */
	unsigned char *head;			/* ELF header + program headers + notes */
	size_t head_len;
	uint64_t size;
	bool finished;
};

void core_builder_init(struct core_builder *cb);
void core_builder_deinit(struct core_builder *cb);

/* Appends a note (4-byte aligned name and descriptor, as readelf expects). */
struct hs_error *core_builder_add_note(struct core_builder *cb, const char *owner, uint32_t type,
				       const void *desc, size_t len);

/*
 * Adds a PT_LOAD for [vaddr, vaddr+memsz) with filesz bytes in the file
 * (filesz <= memsz, a multiple of the page size). Segments must be added in
 * ascending address order. *index_ret names it for core_builder_add_data().
 */
struct hs_error *core_builder_add_load(struct core_builder *cb, uint64_t vaddr, uint64_t memsz, uint64_t filesz,
				       uint32_t flags, size_t *index_ret);

/*
 * Declares len bytes of segment index at vaddr (inside its filesz), from data
 * or, when data is NULL, from the source at write time. Ascending order.
 */
struct hs_error *core_builder_add_data(struct core_builder *cb, size_t index, uint64_t vaddr, uint64_t len,
				       const void *data);

/* Lays the file out. No adds after this. */
struct hs_error *core_builder_finish(struct core_builder *cb);

static inline uint64_t core_builder_size(const struct core_builder *cb) { return cb->size; }

/* Produces bytes [off, off+len) of the finished core. */
void core_builder_read(const struct core_builder *cb, const struct core_source *src, uint64_t off, void *buf,
		       size_t len);

/* Progress report: done of total bytes written so far. */
typedef void (*core_progress_fn)(void *arg, uint64_t done, uint64_t total);

/*
 * Writes the finished core to fd (at offset 0) as a plain, sparse file:
 * holes are skipped and the file is extended to its full size at the end.
 */
struct hs_error *core_write_plain(const struct core_builder *cb, const struct core_source *src, int fd,
				  core_progress_fn progress, void *progress_arg);

#endif
