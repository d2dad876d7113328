/* Shared between capture/freeze.c, capture/memory.c and capture/snapshot.c. */
#ifndef HS_CAPTURE_SNAPSHOT_INTERNAL_H
#define HS_CAPTURE_SNAPSHOT_INTERNAL_H

#include "capture/snapshot.h"

/* Seizes and interrupts every thread until the set is stable, waits for the stops. */
struct hs_error *freeze_all(pid_t pid, const struct snapshot_options *opts, struct snapshot *snap);

/* Reads registers of every stopped thread; undoes spurious -EINTR returns. */
void freeze_read_registers(const struct snapshot_options *opts, struct snapshot *snap);

/* Detaches every stopped thread, re-injecting signals that arrived meanwhile. */
void freeze_detach_all(struct snapshot *snap);

/*
 * Reads /proc/PID/maps and pagemap into snap->maps and snap->runs (no data).
 * With live_header_check, reads the first bytes of file mappings to keep the
 * first page only of ELF files (needs the target stopped to be meaningful).
 */
struct hs_error *memory_plan(pid_t pid, bool live_header_check, struct snapshot *snap);

/*
 * Parses one line of /proc/PID/maps (modified: its '\n' is cut) into m,
 * with m->path a new string; false for a bad line or out of memory (then
 * m->path is NULL). Exported for the fuzz target.
 */
bool memory_parse_maps_line(char *line, struct snapshot_mapping *m);

/* Copies every run into snap's arena (or overflow buffers). */
struct hs_error *memory_copy(pid_t pid, struct snapshot *snap);

/* Reserves and pre-faults an arena of size bytes (before the freeze). */
struct hs_error *memory_arena_create(struct snapshot *snap, size_t size);

#endif
