/*
 * The Ruby walker: CRuby's own view of every thread, read from the core
 * with no debug info. It finds the VM through libruby's (or a static ruby's)
 * exported ruby_current_vm_ptr, takes the version from ruby_version and the
 * struct layout from the built-in table (ruby_layout.h), walks the main
 * ractor's thread list and fills, for each Ruby thread's native thread,
 * t->rt: Thread#name and status, who holds the GVL, every control frame the
 * way Thread#backtrace shows it (path, exact line, label; C methods by name),
 * merged above the native rb_vm_exec() frame that runs it, and the waits the
 * VM records: Thread#join (join lists), Mutex#lock (the mutex's owner
 * fiber), Queue/SizedQueue/ConditionVariable (the blocking frame's
 * receiver), sleep with no timeout. m->runtime says which Ruby it was.
 */
#ifndef HS_ANALYZER_RUNTIMES_RUBY_H
#define HS_ANALYZER_RUNTIMES_RUBY_H

#include "analyzer/model.h"
#include "analyzer/unwind.h"

/*
 * Does nothing for a process without Ruby. A version with no layout, or a
 * VM that cannot be read, is a warning (the native report is unchanged).
 * Fails only when memory runs out.
 */
struct hs_error *ruby_walk(struct model *m, struct unwinder *u);

#endif
