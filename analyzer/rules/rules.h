/*
 * The rule catalogue: each rule reads the model (threads, evidence, wait-for
 * graph) and adds findings; nothing else. Rule ids are DESIGN.md's.
 *
 * A rule needs only this header: it brings names.h (severity, wait kind and
 * TCP state names, socket_is_tcp_in()) and frames.h (the app frame).
 *
 * Rule ids live in one place, the table in rules.c: a rule files its
 * findings under the id of the row that runs it (rc->rule), and user rule
 * files may not reuse those ids (rules_is_builtin()).
 *
 * How to add a rule:
 *  1. write analyzer/rules/ID.c (dashes become underscores in C names)
 *     defining `void rule_ID(struct rule_context *rc)`;
 *  2. declare it below and add a row {"ID", rule_ID} to the table in
 *     rules.c — the table's order is the report order among findings of
 *     equal severity;
 *  3. add the file to hs_analyzer in CMakeLists.txt, a sample that produces
 *     the finding to samples/, and a line to tests/integration/run-rules.sh.
 */
#ifndef HS_ANALYZER_RULES_H
#define HS_ANALYZER_RULES_H

#include <stdbool.h>

#include "analyzer/frames.h"
#include "analyzer/model.h"
#include "analyzer/names.h"
#include "common/strbuf.h"

struct rule_context {
	struct model *m;
	struct hs_error *err;	/* set once memory runs out; rule_add() then returns NULL */
	struct strbuf sb;	/* scratch for rules' sentences */
	const char *rule;	/* the id findings are filed under: the running table row's, or a user rule's */
	/*
	 * finding_add_thread()'s hash set of the tids of the finding it last
	 * added to (index + 1 in tid_set_finding, 0 none): adding the k threads
	 * of one finding costs k, not k^2. Open addressing, INT64_MIN empty.
	 */
	int64_t *tid_set;
	size_t tid_set_cap, tid_set_len, tid_set_finding;
};

/* Frees what the rules kept in rc (its scratch buffer, the tid set). */
void rule_context_deinit(struct rule_context *rc);

/*
 * Sorted indexes over the threads, so that "every thread that waits for X"
 * is a binary search and not a loop over all threads inside a loop over all
 * threads (a core may have ELFCORE_MAX_THREADS of them). A rule fills a, b
 * and index (m->threads position) for the threads it cares about, sorts,
 * and finds: keys with the same (a, b) stay in thread order.
 */
struct thread_key {
	uint64_t a, b;
	size_t index;
};
void thread_keys_sort(struct thread_key *keys, size_t n);
/* The first position whose (a, b) is not below the one given; n when none. */
size_t thread_keys_find(const struct thread_key *keys, size_t n, uint64_t a, uint64_t b);

/* Starts a finding of rc->rule with severity; NULL when out of memory or past the findings cap. */
struct finding *rule_add(struct rule_context *rc, enum severity severity);

/* Fill a finding; each returns false (and sets rc->err) when memory runs out. */
bool finding_add_thread(struct rule_context *rc, struct finding *f, int32_t tid);
bool finding_set_summary(struct rule_context *rc, struct finding *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool finding_set_hint(struct rule_context *rc, struct finding *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool finding_add_evidence(struct rule_context *rc, struct finding *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The standard evidence line for t: "out_metrics (4723): connect() to ... ; in output_thread (prog) prog.c:55". */
bool finding_thread_evidence(struct rule_context *rc, struct finding *f, const struct thread *t);

/* Scratch helpers: "main (4711)" and what t waits on, as text owned by the caller's buffer. */
const char *rule_label(struct rule_context *rc, const struct thread *t, char *buf, size_t size);
/* Returns a new string: waitgraph_describe_wait + duration; NULL when out of memory. */
char *rule_describe(struct rule_context *rc, const struct thread *t);

/*
 * For a thread with interpreter frames, appends ", at agent.rb:102 in
 * 'shutdown'" (its own code: frame_runtime_app()), and with via the
 * innermost frame of each library it called on the way to the top:
 * " (via metrics/client.rb:23 in 'post', net/http.rb:998 in 'connect')".
 * Appends nothing for a native thread. False only when memory runs out.
 */
bool rule_append_where(struct strbuf *sb, const struct thread *t, bool via);

/*
 * The rest of a sentence about what from waits on, down to the root blocker:
 * ", which waits for mutex 0x55d0 held by writer (4712), which is stuck in
 * read() on fd 5 pipe with no timeout". A new string; NULL when out of memory.
 */
char *rule_chain(struct rule_context *rc, const struct thread *from);

/*
 * Runs every rule of the table on m (which has evidence and the wait-for
 * graph), in the table's order; rules_rank() orders them once the user
 * rules' are added too. Fails only when memory runs out.
 */
struct hs_error *rules_run(struct model *m);

/*
 * Sorts m->findings most severe first; a stable sort, so findings of equal
 * severity keep the order they were added in (the table's, then the user
 * rules'). Fails only when memory runs out.
 */
struct hs_error *rules_rank(struct model *m);

/* True when id is a built-in rule's (a row of the table). */
bool rules_is_builtin(const char *id);

void rule_lock_cycle(struct rule_context *rc);
void rule_signal_unsafe_reentry(struct rule_context *rc);
void rule_abandoned_lock(struct rule_context *rc);
void rule_join_on_blocked(struct rule_context *rc);
void rule_lock_held_during_io(struct rule_context *rc);
void rule_connect_stall(struct rule_context *rc);
void rule_dns_stall(struct rule_context *rc);
void rule_socket_read_stall(struct rule_context *rc);
void rule_pipe_write_full(struct rule_context *rc);
void rule_file_lock_wait(struct rule_context *rc);
void rule_child_wait(struct rule_context *rc);
void rule_busy_spin(struct rule_context *rc);

#endif
