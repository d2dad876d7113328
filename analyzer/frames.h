/*
 * Which frames are the program's own: what rules, signatures and reports
 * mean by "the application frame". A leaf: it needs only the model's types.
 */
#ifndef HS_ANALYZER_FRAMES_H
#define HS_ANALYZER_FRAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "analyzer/model.h"

/*
 * True for libc, ld.so, libpthread, libresolv, NSS modules, the vDSO,
 * libstdc++ and libgcc_s: code that is not the program's own. module is a
 * frame's module basename; NULL (unknown) is not a runtime module.
 */
bool frame_is_runtime_module(const char *module);

/*
 * Code of the language's own library compiled into the program: inlined from
 * the system's headers (std::mutex::lock from /usr/include/c++/12/...), from
 * Rust's standard library sources (/rustc/HASH/library/std/...), or named in
 * those libraries' namespaces (std::, __gnu_cxx::, core::, alloc::).
 */
bool frame_is_library_code(const struct frame *f);

/*
 * The innermost frame of t in a known module outside the runtime that is the
 * program's own code (not frame_is_library_code()); failing that, the
 * innermost frame in such a module; or NULL.
 */
const struct frame *frame_app(const struct thread *t);

/* Where an interpreter's source file belongs (a gem or package, the standard library, the program). */
enum frame_source_kind { SOURCE_APP, SOURCE_LIBRARY, SOURCE_STDLIB, SOURCE_INTERNAL };

struct frame_source {
	enum frame_source_kind kind;
	const char *rel;	/* into the path: below a gem's lib/ or the stdlib directory; the app's file name */
	char lib[64];		/* a library's name without its version ("metrics-client"), "" otherwise */
};

/*
 * Classifies a Ruby or Python source path the same wherever the interpreter
 * and the program are installed: ".../gems/NAME-1.2.3/lib/REL" (a gem; also
 * vendor_ruby and site_ruby), ".../site-packages/REL" (a Python package,
 * also dist-packages, in a virtualenv or not), ".../lib/ruby/3.1.0/REL" and
 * ".../lib/python3.11/REL" (the standard libraries), "<internal:...>",
 * "<frozen ...>", else the program's own file (rel is its base name).
 */
void frame_source(const char *path, struct frame_source *out);

/*
 * The index into t->rt.frames of the thread's own interpreted code: the innermost
 * frame in a program file, else in a library, else any Ruby-level frame;
 * SIZE_MAX when it has none. C methods are never chosen.
 */
size_t frame_runtime_app(const struct thread *t);

#endif
