/*
 * User rules: stack-pattern rules written by the people who know their
 * programs, loaded from text files. The format (also in the README):
 *
 *   # a comment; blank lines are ignored
 *   rule grpc-ssl-read-stall          # starts a rule: id of [a-z0-9-], not a built-in id
 *     severity high                   # low | medium | high | critical (default medium)
 *     frame SSL_read*                 # a glob every matching thread has among its functions;
 *     frame grpc_*                    #   several frame lines must all match (any order)
 *     module libssl.so*               # a glob on the module of some frame
 *     syscall read recvfrom           # the thread is in one of these system calls
 *     socket ESTABLISHED SYN_SENT     # it waits on a TCP socket in one of these states
 *     thread worker-*                 # a glob on the thread's name
 *     summary "{thread} is blocked in {syscall} under {frame}"
 *     hint "set a read timeout on the TLS connection"
 *
 * A rule needs at least one condition and a summary. Each thread that meets
 * every condition of a rule gets a finding. Templates expand {thread} ("name
 * (tid)"), {tid}, {name}, {syscall} (the decoded call), {wait} (what it waits
 * on), {frame} (the function that matched the first frame glob). A frame
 * glob matches a C++ or Rust function by its demangled name
 * (app::Cache::refresh) or its raw one (_ZN3app5Cache7refreshEv), with or
 * without --no-demangle.
 *
 * Strings are double-quoted, with \" and \\ as escapes. Errors name the file
 * and line: "rules.d/ssl.rules:4: unknown key 'frmae'".
 */
#ifndef HS_ANALYZER_USER_RULES_H
#define HS_ANALYZER_USER_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define USER_RULES_MAX 1000u
#define USER_RULE_FILE_MAX (1u << 20)
#define USER_RULE_TEXT_MAX 1024u	/* bytes of a summary or hint, before expansion */

struct user_rules;

struct hs_error *user_rules_create(struct user_rules **ret);
void user_rules_destroy(struct user_rules *r);

/* Parses one file into r. HS_ERR_INVALID "FILE:LINE: problem" on a bad rule file. */
struct hs_error *user_rules_load_file(struct user_rules *r, const char *path);

/*
 * Parses len bytes of text (need not be NUL-terminated; not modified) into r,
 * as user_rules_load_file() parses a file: all or nothing, errors
 * HS_ERR_INVALID "NAME:LINE: problem" (the fuzz target's entry point).
 */
struct hs_error *user_rules_parse(struct user_rules *r, const char *name, const char *text, size_t len);

/*
 * Loads every "*.rules" file of dir, in name order. A missing dir is not an
 * error when missing_ok (the default directories need not exist).
 */
struct hs_error *user_rules_load_dir(struct user_rules *r, const char *dir, bool missing_ok);

/* How many rules were loaded. */
unsigned user_rules_count(const struct user_rules *r);

struct model;
/*
 * Adds the findings of every rule of r (NULL: none) to m, after the
 * built-in rules' (rules_run()); the caller ranks them all (rules_rank()).
 * Fails only when memory runs out.
 */
struct hs_error *user_rules_run(struct model *m, const struct user_rules *r);

#endif
