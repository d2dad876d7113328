/*
 * Hang signatures: what makes two cases "the same hang", so that cases group
 * in the triage queue and CI can tell a known hang from a new one.
 *
 * Key = the top finding's rule (the hang class) + the normalized top frames
 * of the root blocker (the end of the wait chain; for a lock cycle, every
 * member, rotated to a canonical order) + its system call and socket state.
 * Frames are normalized so rebuilds, ASLR, optimization levels and frame
 * pointers do not matter: frames in libc/ld.so/libpthread (wait primitives,
 * wrappers) are dropped, and "@GLIBC_...", "__GI_", ".constprop.N",
 * ".isra.N", ".part.N", ".cold", ".lto_priv.N" and CPU-dispatch suffixes
 * (_avx2, _evex, _sse2, _erms, _unaligned...) are stripped; recursion
 * collapses to one frame; 5 frames are kept. A frame without a symbol becomes
 * "module+0xOFFSET?" — unsymbolized, and only stable for one build.
 *
 * The algorithm is versioned (SIGNATURE_VERSION); the full normalized frame
 * list is kept so stored cases can be re-bucketed by a later version.
 */
#ifndef HS_ANALYZER_SIGNATURE_H
#define HS_ANALYZER_SIGNATURE_H

#include "analyzer/model.h"

#define SIGNATURE_VERSION 1
#define SIGNATURE_FRAMES 5u

/*
 * Computes m->signature from m's findings. A core without findings has no
 * hang and no signature (hash NULL). Fails only when memory runs out.
 */
struct hs_error *signature_compute(struct model *m);

/* Normalizes one function name into buf (see above); returns buf. */
const char *signature_normalize_function(const char *name, char *buf, size_t size);

#endif
