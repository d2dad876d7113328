/*
 * The Python walker: CPython's own view of every thread, read from the core
 * with no debug info. It finds the runtime through the exported _PyRuntime
 * (a static python3.X or libpython3.X.so), takes the version from Py_Version
 * (3.11+) or the module's name, and the struct layout from _Py_DebugOffsets
 * at the start of _PyRuntime (3.13+) or the built-in table
 * (python_layout.h). It walks every interpreter's thread states and fills,
 * for each Python thread's native thread, t->rt: who holds the GIL, every
 * frame as sys._current_frames() shows it (file, exact line, qualified
 * name), merged above the native _PyEval_EvalFrameDefault() frame that runs
 * it, and the waits the frames show: Thread.join (the joined thread's
 * tstate lock or handle), RLock.acquire (the owner's thread ident),
 * Lock.acquire (no owner recorded), Condition.wait and what calls it
 * (Queue.get, Event.wait, Semaphore.acquire). m->runtime says which Python.
 */
#ifndef HS_ANALYZER_RUNTIMES_PYTHON_H
#define HS_ANALYZER_RUNTIMES_PYTHON_H

#include "analyzer/model.h"
#include "analyzer/runtimes/python_layout.h"
#include "analyzer/unwind.h"

/*
 * Does nothing for a process without Python. A version with no layout, or a
 * runtime that cannot be read, is a warning (the native report is
 * unchanged). Fails only when memory runs out.
 */
struct hs_error *python_walk(struct model *m, struct unwinder *u);

/*
 * Where the walker reads from: python_walk() sets it up over a core; the
 * fuzzer over an image of its own. read() returns the bytes read from the
 * start of the range (short or 0 past what exists).
 */
struct python_target {
	size_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
	uint64_t runtime;	/* address of _PyRuntime */
	uint64_t code_type;	/* address of PyCode_Type; 0 unknown */
	uint64_t hexversion;	/* Py_Version (3.11+); 0 unknown */
	const char *version;	/* "3.11" from the module's name; NULL or "" unknown */
	const struct py_layout *layout;	/* NULL: the built-in table for the version */
};

/* python_walk() over any target: the same checks, caps and warnings. */
struct hs_error *python_walk_target(struct model *m, const struct python_target *target);

/* python_walk()'s target over a core, with the storage it points into. */
struct python_core_target {
	bool found;	/* the process exports a Python runtime */
	struct python_target target;
	char version[16];
};

/* Sets ct up over m's core through u (ct->found false: no Python in it). */
void python_core_target_init(struct model *m, struct unwinder *u, struct python_core_target *ct);

#endif
