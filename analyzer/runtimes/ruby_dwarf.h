/*
 * The Ruby layout (ruby_layout.h) read from libruby's own debug info, when
 * there is any (an unstripped libruby, /usr/lib/debug/.build-id,
 * debuginfod): struct offsets and sizes from the DWARF types, bit-fields
 * from DW_AT_data_bit_offset / DW_AT_bit_offset, constants from enumerators,
 * const variables with DW_AT_const_value, and, for the few plain #defines
 * (IMEMO_MASK, VM_ENV_DATA_INDEX_*, IMMEDIATE_TABLE_SIZE,
 * TYPED_DATA_EMBEDDED), from .debug_macro (CRuby builds with -ggdb3). What
 * the debug info does not hold is taken from the built-in table of the same
 * major.minor, when there is one; otherwise there is no DWARF layout. Each
 * field means what ruby-layout-gen.c prints for it.
 *
 * Nothing is cached: every call reads the DWARF again. The walk over the
 * debug info is capped (units, DIEs, macro entries), so a huge or hostile
 * debug file ends it early ("no DWARF layout"), never hangs or crashes it.
 */
#ifndef HS_ANALYZER_RUNTIMES_RUBY_DWARF_H
#define HS_ANALYZER_RUNTIMES_RUBY_DWARF_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>

#include "analyzer/model.h"
#include "analyzer/runtimes/ruby_layout.h"
#include "analyzer/unwind.h"

/*
 * The layout of the Ruby whose libruby (or static ruby) contains addr, from
 * that module's DWARF, in *out; version is ruby_version ("3.3.8", "" when
 * unknown). False when there is none: no debug info (silently: the built-in
 * table is the normal path then), HANGANALYZE_RUBY_LAYOUT=builtin, or debug
 * info that lacks something (a warning says what).
 */
bool ruby_dwarf_layout(struct model *m, struct unwinder *u, uint64_t addr, const char *version,
		       struct ruby_layout *out);

/*
 * Fills *out from dw. version ("3.3.8") becomes out->headers and minor
 * ("3.3") out->version; both must outlive *out. The version also says which
 * version-dependent fields apply (3.4's qualified labels): without one
 * there is no layout. fallback (NULL: none)
 * supplies what the DWARF lacks; *used_fallback (may be NULL) says whether
 * it did. False, with the reason in why, when a field cannot be had.
 */
bool ruby_dwarf_read(Dwarf *dw, const char *version, const char *minor, const struct ruby_layout *fallback,
		     struct ruby_layout *out, bool *used_fallback, char *why, size_t whysize);

/* The numeric fields of struct ruby_layout, by name, for tests and diffs. */
struct ruby_layout_field {
	const char *name;
	size_t offset;		/* of an int64_t or uint64_t in struct ruby_layout */
};
extern const struct ruby_layout_field ruby_layout_fields[];
extern const size_t ruby_layout_nfields;

/*
 * HANGANALYZE_RUBY_LAYOUT: "dwarf" (the DWARF only: neither the built-in
 * table nor its values for what the DWARF lacks), "builtin" (the table
 * only), else (unset) the DWARF first, then the table.
 */
enum ruby_layout_mode { RUBY_LAYOUT_ANY, RUBY_LAYOUT_DWARF, RUBY_LAYOUT_BUILTIN };
enum ruby_layout_mode ruby_layout_mode(void);

#endif
