/* Small helpers with no domain knowledge: clocks, checked arithmetic, capped file reads. */
#ifndef HS_COMMON_UTIL_H
#define HS_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Nanoseconds on CLOCK_MONOTONIC / CLOCK_REALTIME. */
uint64_t hs_now_mono_ns(void);
uint64_t hs_now_real_ns(void);

/*
 * Reads all of path into a new NUL-terminated buffer of at most cap bytes
 * (longer files are truncated and *truncated_ret is set when non-NULL).
 * Works on /proc files whose stat size is 0. On success *buf_ret is the
 * caller's to free.
 */
struct hs_error *hs_read_file(const char *path, size_t cap, char **buf_ret, size_t *len_ret,
			      bool *truncated_ret);

/* Same, relative to directory fd dirfd (openat semantics). */
struct hs_error *hs_read_file_at(int dirfd, const char *path, size_t cap, char **buf_ret,
				 size_t *len_ret, bool *truncated_ret);

/* A size: decimal digits, then optionally K, M, G or T (powers of 1024; "KiB", "KB" too); false if malformed or too large. */
bool hs_parse_size(const char *s, uint64_t *ret);

/* Is name 1 to max bytes of [A-Za-z0-9._+-], not starting with '.'? (a file name safe anywhere, no path) */
bool hs_plain_name(const char *name, size_t max);

/* Formats n bytes as "12.3 MiB" into buf (at least 16 bytes). */
const char *hs_format_bytes(uint64_t n, char *buf, size_t size);

/* 64-bit FNV-1a of n bytes at p, continued from h (HS_FNV1A_INIT to start); not cryptographic. */
#define HS_FNV1A_INIT 0xcbf29ce484222325ull
#define HS_FNV1A_PRIME 0x100000001b3ull
uint64_t hs_fnv1a(const void *p, size_t n, uint64_t h);

#endif
