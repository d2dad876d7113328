/* UTF-8, strictly: what every renderer uses to tell text from bytes that are not. */
#ifndef HS_COMMON_UTF8_H
#define HS_COMMON_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the sequence at s (NUL-terminated): returns its length (1 to 4) and
 * sets *cp, or returns 0 when s does not start a valid sequence — a stray
 * continuation byte, a truncated sequence, an overlong form, a surrogate or
 * a code point past U+10FFFF. ASCII (including controls) is length 1.
 */
size_t utf8_decode(const char *s, uint32_t *cp);

#endif
