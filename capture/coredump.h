/*
 * Lays a snapshot and its hang context out as an ELF core (see
 * formats/elfcore_writer.c for the bytes): one NT_PRSTATUS/NT_FPREGSET/
 * NT_X86_XSTATE/NT_SIGINFO set per thread, NT_PRPSINFO, NT_AUXV, NT_FILE, the
 * HANGSNAP records, and PT_LOAD segments for the mappings.
 */
#ifndef HS_CAPTURE_COREDUMP_H
#define HS_CAPTURE_COREDUMP_H

#include "capture/snapshot.h"
#include "formats/elfcore_writer.h"
#include "formats/hangsnap_notes.h"

/* Gaps between resident runs up to this size are written as zeros rather than split. */
#define COREDUMP_MERGE_GAP (64u * 1024u)

/*
 * Fills cb (initialized, empty) and finishes its layout. Segment data points
 * into snap's buffers, or is read from the source at write time when
 * snap->streamed. The HANGSNAP process record is encoded from ctx->process;
 * *process_note_off_ret receives its offset in the core so that
 * coredump_update_process() can rewrite it once the freeze has ended.
 */
struct hs_error *coredump_build(const struct snapshot *snap, const struct hangsnap_context *ctx,
				struct core_builder *cb, size_t *process_note_off_ret);

/* Re-encodes ctx->process in place (same length: only integer fields may change). */
struct hs_error *coredump_update_process(struct core_builder *cb, const struct hangsnap_context *ctx,
					 size_t process_note_off);

#endif
