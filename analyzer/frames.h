/*
 * Which frames are the program's own: what rules, signatures and reports
 * mean by "the application frame". A leaf: it needs only the model's types.
 */
#ifndef HS_ANALYZER_FRAMES_H
#define HS_ANALYZER_FRAMES_H

#include <stdbool.h>

#include "analyzer/model.h"

/*
 * True for libc, ld.so, libpthread, libresolv, NSS modules, the vDSO,
 * libstdc++ and libgcc_s: code that is not the program's own. module is a
 * frame's module basename; NULL (unknown) is not a runtime module.
 */
bool frame_is_runtime_module(const char *module);

/* The innermost frame of t in a known module outside the runtime (the program's own code), or NULL. */
const struct frame *frame_app(const struct thread *t);

#endif
