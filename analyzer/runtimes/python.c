/*
 * The Python walker (python.h). Every address comes from the core and is
 * distrusted: each read is bounded and checked, every list and chain is
 * capped, and what cannot be read ends that thread's frames early
 * (rt.partial) with one warning for the whole process.
 *
 * Where things are (CPython's Include/internal headers, per version):
 *   _PyRuntime.interpreters.head -> PyInterpreterState (next)
 *     -> threads.head (tstate_head before 3.11) -> PyThreadState (next)
 *        native_thread_id (the tid), thread_id (the pthread_t = fs_base)
 *   frames: <= 3.10 tstate->frame, a PyFrameObject chain (f_back), one
 *     _PyEval_EvalFrameDefault() C call per frame; 3.11/3.12
 *     tstate->cframe->current_frame, 3.13+ tstate->current_frame: a
 *     _PyInterpreterFrame chain (previous), one C call per run of frames
 *     that ends at an entry frame (3.11 is_entry) or a C-stack shim frame
 *     (3.12+ owner FRAME_OWNED_BY_CSTACK).
 *   the line: the code object's line table at the frame's instruction
 *     (f_lasti, prev_instr, or instr_ptr minus the code's first unit).
 */
#include "analyzer/runtimes/python.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define PY_INTERPS_MAX 64u		/* interpreters followed */
#define PY_TSTATES_SLACK 64u		/* thread states followed beyond twice the native threads */
#define PY_FRAMES_MAX 4096u		/* frames read per thread */
#define PY_STRING_MAX 1024u		/* bytes kept of a path or name */
#define PY_LINETABLE_MAX (1u << 20)	/* bytes of a line table read */
#define PY_SLOTS_MAX 512u		/* locals and stack slots scanned for a wait's object */
#define PY_DEBUG_OFFSETS_MAX 4096u	/* bytes of _Py_DebugOffsets read */
#define CODE_CACHE_SLOTS 2048u
#define TYPE_CACHE_SLOTS 64u

struct code_entry {
	uint64_t code;			/* key; 0 empty */
	bool ok;
	const char *path, *name, *qualname;	/* interned */
	int first_lineno;
	unsigned char *lines;		/* the line table (malloc'd), NULL when unreadable */
	uint32_t nlines;
	int64_t firsttraceable;		/* code units; 0 unknown */
	uint32_t nslots;		/* locals + stack, capped */
	bool self_first;		/* the first local is named "self" */
};

struct type_entry {
	uint64_t type;			/* key; 0 empty */
	char name[64];
};

struct pthread_info {
	uint64_t tstate, ident, sentinel;	/* sentinel: the thread's tstate lock object (<= 3.12) */
	uint64_t frame;				/* innermost complete frame, 0 none */
	uint64_t caller;			/* the frame below it, 0 none */
	const struct code_entry *code0;	/* (copies of the keys; entries may be evicted) */
	uint64_t code0_addr, code1_addr;
	struct thread *t;
};

struct py {
	struct model *m;
	const struct python_target *target;
	struct py_layout L;		/* the table, with _Py_DebugOffsets' values over it (3.13+) */
	uint64_t stackref_mask;		/* 3.14+: frames hold tagged _PyStackRefs */
	struct code_entry codes[CODE_CACHE_SLOTS];
	struct type_entry types[TYPE_CACHE_SLOTS];
	struct pthread_info *threads;
	size_t nthreads;
	unsigned damaged;
	struct hs_error *err;
};

/* ---- bounded reads ------------------------------------------------------ */

static bool rd(struct py *p, uint64_t addr, void *buf, size_t len)
{
	return addr && addr + len >= addr && p->target->read(p->target->ctx, addr, buf, len) == len;
}

static bool rd64(struct py *p, uint64_t addr, uint64_t *v)
{
	return rd(p, addr, v, 8);
}

/* The 8-byte field at base + off; false when the version has no such field. */
static bool at64(struct py *p, uint64_t base, int64_t off, uint64_t *v)
{
	return off >= 0 && base && rd64(p, base + (uint64_t)off, v);
}

static bool at32(struct py *p, uint64_t base, int64_t off, uint32_t *v)
{
	return off >= 0 && base && rd(p, base + (uint64_t)off, v, 4);
}

/* A C string at addr, up to size - 1 bytes; false when unreadable or empty. */
static bool read_cstring(struct py *p, uint64_t addr, char *out, size_t size)
{
	size_t n = addr ? p->target->read(p->target->ctx, addr, out, size - 1) : 0;

	out[n] = '\0';
	out[strnlen(out, n)] = '\0';
	return out[0] != '\0';
}

/* The name of v's type ("_thread.RLock", "Queue"); "" when unreadable. */
static const char *type_name(struct py *p, uint64_t v)
{
	uint64_t type, name;
	struct type_entry *e;

	if (!at64(p, v, p->L.ob_type, &type) || !type)
		return "";
	e = &p->types[(type >> 4) % TYPE_CACHE_SLOTS];
	if (e->type == type)
		return e->name;
	e->type = type;
	if (!at64(p, type, p->L.type_tp_name, &name) || !read_cstring(p, name, e->name, sizeof(e->name)))
		e->name[0] = '\0';
	return e->name;
}

/* Appends code point c as UTF-8. */
static size_t put_utf8(char *out, size_t at, size_t size, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		c = 0xfffd;
	if (c < 0x80) {
		b[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (at + n >= size)
		return at;
	memcpy(out + at, b, n);
	return at + n;
}

/* A compact str object as UTF-8 (its first PY_STRING_MAX bytes); false when not one. */
static bool read_str(struct py *p, uint64_t v, char *out, size_t size)
{
	const struct py_layout *L = &p->L;
	uint64_t len;
	unsigned char state, raw[PY_STRING_MAX];
	unsigned kind, compact, ascii;
	size_t at = 0, n;

	out[0] = '\0';
	if (!at64(p, v, L->unicode_length, &len) || L->unicode_state < 0 ||
	    !rd(p, v + (uint64_t)L->unicode_state, &state, 1))
		return false;
	kind = (state >> L->unicode_kind_shift) & ((1u << L->unicode_kind_bits) - 1);
	compact = (state >> L->unicode_compact_shift) & 1;
	ascii = (state >> L->unicode_ascii_shift) & 1;
	if (!compact || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1) || len > (1u << 30))
		return false;
	n = (size_t)MIN(len * kind, (uint64_t)sizeof(raw));
	n -= n % kind;
	if (!rd(p, v + (uint64_t)(ascii ? L->unicode_ascii_size : L->unicode_compact_size), raw, n))
		return false;
	for (size_t i = 0; i < n; i += kind) {
		uint32_t c = raw[i];
		if (kind == 2)
			c = (uint32_t)raw[i] | (uint32_t)raw[i + 1] << 8;
		else if (kind == 4)
			c = (uint32_t)raw[i] | (uint32_t)raw[i + 1] << 8 | (uint32_t)raw[i + 2] << 16 |
			    (uint32_t)raw[i + 3] << 24;
		/* control characters stay out of reports */
		at = put_utf8(out, at, size, c < 0x20 || c == 0x7f ? '?' : c);
	}
	out[at] = '\0';
	return true;
}

static const char *intern_str(struct py *p, uint64_t v)
{
	char buf[PY_STRING_MAX + 8];
	const char *s;

	if (!read_str(p, v, buf, sizeof(buf)))
		return NULL;
	if (!(s = model_intern(p->m, buf)))
		p->err = &hs_error_nomem;
	return s;
}

/* A bytes object's contents (up to max bytes), malloc'd; NULL when unreadable. */
static unsigned char *read_bytes(struct py *p, uint64_t v, uint32_t max, uint32_t *len)
{
	uint64_t n;
	unsigned char *buf;

	*len = 0;
	if (!at64(p, v, p->L.var_ob_size, &n) || n > max || p->L.bytes_ob_sval < 0)
		return NULL;
	if (!(buf = malloc(n ? (size_t)n : 1))) {
		p->err = &hs_error_nomem;
		return NULL;
	}
	if (!rd(p, v + (uint64_t)p->L.bytes_ob_sval, buf, (size_t)n) && n) {
		free(buf);
		return NULL;
	}
	*len = (uint32_t)n;
	return buf;
}

/* ---- code objects and line tables ---------------------------------------- */

/* 3.11+ location table varints: 6 bits a byte, bit 6 says more follow. */
static bool read_varint(const unsigned char *t, uint32_t n, uint32_t *i, uint32_t *out)
{
	uint32_t v = 0, shift = 0;
	unsigned char b;

	do {
		if (*i >= n || shift > 28)
			return false;
		b = t[(*i)++];
		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	*out = v;
	return true;
}

static bool read_svarint(const unsigned char *t, uint32_t n, uint32_t *i, int *out)
{
	uint32_t v;

	if (!read_varint(t, n, i, &v))
		return false;
	*out = (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
	return true;
}

/*
 * The line of the instruction at byte offset addr, as the version's own
 * PyCode_Addr2Line() computes it; 0 when unknown (no line, or past the table).
 */
static int code_line(const struct py *p, const struct code_entry *c, int64_t addr)
{
	const unsigned char *t = c->lines;
	uint32_t n = c->nlines, i = 0;
	int line = c->first_lineno;

	if (!t)
		return 0;
	switch (p->L.line_format) {
	case PY_LINES_LNOTAB: {
		/* pairs (address increment, signed line increment) */
		int64_t a = 0;
		for (; i + 1 < n; i += 2) {
			a += t[i];
			if (a > addr)
				break;
			line += (signed char)t[i + 1];
		}
		return line;
	}
	case PY_LINES_310: {
		/* pairs (range length in bytes, signed line delta; -128: no line) */
		int64_t end = 0;
		int range_line = -1;
		if (addr < 0)
			return c->first_lineno;
		for (; i + 1 < n && end <= addr; i += 2) {
			end += t[i];
			if ((signed char)t[i + 1] == -128) {
				range_line = -1;
			} else {
				line += (signed char)t[i + 1];
				range_line = line;
			}
		}
		return end > addr && range_line > 0 ? range_line : 0;
	}
	case PY_LINES_LOCATIONS: {
		/* entries: 1CCCCLLL (code, length - 1 in code units), then the code's data */
		int64_t end = 0;
		int range_line = -1;
		if (addr < 0)
			return c->first_lineno;
		while (i < n && end <= addr) {
			unsigned char b = t[i++];
			unsigned code = (b >> 3) & 15;
			uint32_t skip, u;
			int delta = 0;

			if (!(b & 0x80))
				return 0;	/* not an entry's first byte: damaged */
			end += 2 * ((b & 7) + 1);
			if (code == 15) {
				skip = 0;
			} else if (code == 14) {
				if (!read_svarint(t, n, &i, &delta) || !read_varint(t, n, &i, &u) ||
				    !read_varint(t, n, &i, &u) || !read_varint(t, n, &i, &u))
					return 0;
				skip = 0;
			} else if (code == 13) {
				if (!read_svarint(t, n, &i, &delta))
					return 0;
				skip = 0;
			} else if (code >= 10) {
				delta = (int)code - 10;
				skip = 2;
			} else {
				skip = 1;
			}
			i += skip;
			line += delta;
			range_line = code == 15 ? -1 : line;
		}
		return end > addr && range_line > 0 ? range_line : 0;
	}
	}
	return 0;
}

/* Tuple item i, 0 when unreadable. */
static uint64_t tuple_item(struct py *p, uint64_t tuple, uint64_t i)
{
	uint64_t n, v;

	if (!at64(p, tuple, p->L.var_ob_size, &n) || i >= n || p->L.tuple_ob_item < 0 ||
	    !rd64(p, tuple + (uint64_t)p->L.tuple_ob_item + 8 * i, &v))
		return 0;
	return v;
}

static const struct code_entry *code_get(struct py *p, uint64_t code)
{
	const struct py_layout *L = &p->L;
	struct code_entry *c = &p->codes[(code >> 4) % CODE_CACHE_SLOTS];
	uint64_t filename, name, qualname = 0, lines, names;
	uint32_t first = 0, nlocals = 0, stacksize = 0, firsttraceable = 0;
	char self[8];

	if (c->code == code)
		return c->ok ? c : NULL;
	free(c->lines);
	memset(c, 0, sizeof(*c));
	c->code = code;
	if (p->target->code_type) {
		uint64_t type;
		if (!at64(p, code, L->ob_type, &type) || type != p->target->code_type)
			return NULL;
	}
	if (!at64(p, code, L->code_filename, &filename) || !at64(p, code, L->code_name, &name) ||
	    !at32(p, code, L->code_firstlineno, &first))
		return NULL;
	at64(p, code, L->code_qualname, &qualname);
	if (!(c->path = intern_str(p, filename)) || !(c->name = intern_str(p, name)))
		return NULL;
	c->qualname = qualname ? intern_str(p, qualname) : NULL;
	if (!c->qualname)
		c->qualname = c->name;
	c->first_lineno = (int)first;
	if (at64(p, code, L->code_linetable, &lines))
		c->lines = read_bytes(p, lines, PY_LINETABLE_MAX, &c->nlines);
	if (at32(p, code, L->code_firsttraceable, &firsttraceable))
		c->firsttraceable = (int32_t)firsttraceable;
	at32(p, code, L->code_nlocalsplus, &nlocals);
	at32(p, code, L->code_stacksize, &stacksize);
	c->nslots = (uint32_t)MIN((uint64_t)nlocals + stacksize, (uint64_t)PY_SLOTS_MAX);
	if (nlocals && at64(p, code, L->code_localsplusnames, &names))
		c->self_first = read_str(p, tuple_item(p, names, 0), self, sizeof(self)) && strcmp(self, "self") == 0;
	c->ok = !p->err;
	return c->ok ? c : NULL;
}

/* ---- frames -------------------------------------------------------------- */

/* Where frame f's locals (then its value stack) start. */
static uint64_t frame_localsplus(const struct py *p, uint64_t f)
{
	return f + (uint64_t)(p->L.frame_kind == PY_FRAME_OBJECT ? p->L.pyframe_localsplus : p->L.iframe_localsplus);
}

/* One frame as read: its code and instruction's byte offset in it. */
struct frame_read {
	uint64_t code, localsplus;
	int64_t addr;		/* byte offset of the instruction; -1 before the first */
	bool entry;		/* the last frame of its C call (3.11 is_entry) */
	bool shim;		/* a C-stack shim frame (3.12+): not shown, ends a C call */
	bool incomplete;	/* being set up: not shown (as _PyFrame_IsIncomplete) */
	uint64_t next;		/* the caller's frame */
};

static bool read_frame(struct py *p, uint64_t f, struct frame_read *out)
{
	const struct py_layout *L = &p->L;

	memset(out, 0, sizeof(*out));
	if (L->frame_kind == PY_FRAME_OBJECT) {
		uint32_t lasti;
		if (!at64(p, f, L->pyframe_code, &out->code) || !at64(p, f, L->pyframe_back, &out->next) ||
		    !at32(p, f, L->pyframe_lasti, &lasti))
			return false;
		out->addr = (int64_t)(int32_t)lasti * L->lasti_unit;
		out->localsplus = frame_localsplus(p, f);
		out->entry = true;	/* one C call per frame */
		return true;
	}
	uint64_t instr;
	unsigned char owner = 0, is_entry = 0;
	const struct code_entry *c;

	if (!at64(p, f, L->iframe_code, &out->code) || !at64(p, f, L->iframe_previous, &out->next) ||
	    !at64(p, f, L->iframe_instr, &instr) || L->iframe_owner < 0 ||
	    !rd(p, f + (uint64_t)L->iframe_owner, &owner, 1))
		return false;
	out->code &= p->stackref_mask;
	out->localsplus = frame_localsplus(p, f);
	if (L->iframe_is_entry >= 0 && !rd(p, f + (uint64_t)L->iframe_is_entry, &is_entry, 1))
		return false;
	out->entry = is_entry != 0;
	if ((L->owned_by_cstack >= 0 && owner == L->owned_by_cstack) ||
	    (L->owned_by_interpreter >= 0 && owner == L->owned_by_interpreter)) {
		out->shim = true;
		return true;
	}
	if (!(c = code_get(p, out->code)))
		return true;	/* the caller sees no code */
	{
		int64_t off = (int64_t)(instr - (out->code + (uint64_t)L->code_code_adaptive));
		out->addr = off;
		out->incomplete = L->owned_by_generator >= 0 && owner != L->owned_by_generator &&
				  c->firsttraceable > 0 && off < 2 * c->firsttraceable;
	}
	return true;
}

/* The native frames that run the interpreter, innermost first: one per C call. */
static size_t eval_frames(const struct thread *t, uint32_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->frames.len && n < max; i++) {
		const char *fn = t->frames.items[i].function;
		if (fn && strcmp(fn, "_PyEval_EvalFrameDefault") == 0) {
			/* above the calls inlined into it (at the same pc), not between them */
			size_t j = i;
			while (j > 0 && t->frames.items[j - 1].inlined && t->frames.items[j - 1].pc == t->frames.items[i].pc)
				j--;
			out[n++] = (uint32_t)j;
		}
	}
	return n;
}

static void thread_frames(struct py *p, struct pthread_info *pt, uint64_t f)
{
	struct thread *t = pt->t;
	uint32_t exec[MODEL_MAX_FRAMES];
	size_t nexec = eval_frames(t, exec, MODEL_MAX_FRAMES), segment = 0;
	unsigned n = 0;

	for (; f && !p->err; n++) {
		struct frame_read fr;
		const struct code_entry *c;
		struct runtime_frame *rf;

		if (n >= PY_FRAMES_MAX) {
			t->rt.partial = true;
			break;
		}
		if (!read_frame(p, f, &fr)) {
			t->rt.partial = true;
			p->damaged++;
			break;
		}
		if (fr.shim) {
			segment++;
			f = fr.next;
			continue;
		}
		if (!(c = code_get(p, fr.code))) {
			if (!p->err) {
				t->rt.partial = true;
				p->damaged++;
			}
			break;
		}
		if (!fr.incomplete) {
			if (!pt->frame) {
				pt->frame = f;
				pt->code0_addr = fr.code;
			} else if (!pt->caller) {
				pt->caller = f;
				pt->code1_addr = fr.code;
			}
			if (!(rf = VEC_PUSH(&t->rt.frames))) {
				p->err = &hs_error_nomem;
				break;
			}
			rf->path = c->path;
			rf->label = c->qualname;
			rf->line = code_line(p, c, fr.addr);
			rf->cfunc = false;
			rf->native = segment < nexec ? exec[segment] : nexec ? exec[nexec - 1] : (uint32_t)t->frames.len;
		}
		if (fr.entry)
			segment++;
		f = fr.next;
	}
}

/* ---- threads -------------------------------------------------------------- */

static struct thread *native_thread(struct py *p, int32_t tid, uint64_t pthread)
{
	struct thread *t = tid > 0 ? model_thread(p->m, tid) : NULL;

	/* a pthread_t is its thread's fs_base */
	for (size_t i = 0; !t && pthread && i < p->m->threads.len; i++)
		if (p->m->threads.items[i].has_registers && p->m->threads.items[i].regs[GREG_FS_BASE] == pthread)
			t = &p->m->threads.items[i];
	return t && !t->rt.present ? t : NULL;
}

/* The first frame of a thread state, 0 when it has none. */
static uint64_t first_frame(struct py *p, uint64_t tstate)
{
	const struct py_layout *L = &p->L;
	uint64_t f = 0, cframe;

	if (L->tstate_cframe >= 0) {
		if (!at64(p, tstate, L->tstate_cframe, &cframe) || !at64(p, cframe, L->cframe_current_frame, &f))
			return 0;
		return f;
	}
	at64(p, tstate, L->tstate_frame, &f);
	return f;
}

static void read_thread(struct py *p, uint64_t tstate, uint64_t gil_holder)
{
	const struct py_layout *L = &p->L;
	uint64_t ident = 0, native = 0, wr;
	struct pthread_info *pt;
	struct thread *t;

	at64(p, tstate, L->tstate_thread_id, &ident);
	at64(p, tstate, L->tstate_native_thread_id, &native);
	if (!(t = native_thread(p, native <= INT32_MAX ? (int32_t)native : 0, ident)))
		return;
	pt = &p->threads[p->nthreads++];
	*pt = (struct pthread_info){ .tstate = tstate, .ident = ident, .t = t };
	t->rt.present = true;
	t->rt.gvl = gil_holder == tstate;
	t->rt.queue_len = -1;
	t->rt.queue_waiters = -1;
	/* <= 3.12: the lock Thread.join() waits on, through the tstate's weak reference to it */
	if (at64(p, tstate, L->tstate_on_delete_data, &wr) && wr)
		at64(p, wr, L->weakref_wr_object, &pt->sentinel);
	thread_frames(p, pt, first_frame(p, tstate));
}

/* ---- waits ----------------------------------------------------------------- */

/* The slots (locals, then stack) of frame f with code c: objects, untagged. */
static size_t frame_slots(struct py *p, uint64_t f, const struct code_entry *c, uint64_t *out, size_t max)
{
	uint64_t base = frame_localsplus(p, f);
	size_t n = MIN((size_t)(c->nslots ? c->nslots : 32), max);

	while (n && !rd(p, base, out, n * 8))
		n /= 2;
	for (size_t i = 0; i < n; i++)
		out[i] &= p->stackref_mask;
	return n;
}

/*
 * The object a slot's value v stands for: v, or the self of the method it is
 * bound to (a `with` block keeps only the manager's __exit__ on the stack, <=
 * 3.11); 0 when that cannot be read. *name: its type's name.
 */
static uint64_t bound_self(struct py *p, uint64_t v, const char **name)
{
	uint64_t self = 0;

	*name = type_name(p, v);
	if (strcmp(*name, "builtin_function_or_method") != 0 && strcmp(*name, "method") != 0)
		return v;
	if (!at64(p, v, **name == 'b' ? p->L.cfunc_m_self : p->L.method_im_self, &self) || !self || (self & 7))
		return 0;
	*name = type_name(p, self);
	return self;
}

/* The `self` of method frame f (code c), untagged; 0 when its first local is no self. */
static uint64_t frame_self(struct py *p, uint64_t f, const struct code_entry *c)
{
	uint64_t self = 0;

	return c->self_first && rd64(p, frame_localsplus(p, f), &self) ? self & p->stackref_mask : 0;
}

/*
 * The first object of frame f's slots whose type is named `type` (and that
 * pick() accepts), 0 none; a bound method counts as its self (bound_self).
 */
static uint64_t slot_of_type(struct py *p, uint64_t f, uint64_t code, const char *type,
			     bool (*pick)(struct py *, struct pthread_info *, uint64_t), struct pthread_info *pt)
{
	const struct code_entry *c = f ? code_get(p, code) : NULL;
	uint64_t slots[PY_SLOTS_MAX];
	size_t n = c ? frame_slots(p, f, c, slots, PY_SLOTS_MAX) : 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = slots[i];
		const char *name;

		if (!v || (v & 7))
			continue;
		for (size_t j = 0; j < i; j++)
			if (slots[j] == v)
				goto next;
		if (!(v = bound_self(p, v, &name)))
			continue;
		if (strcmp(name, type) == 0 && (!pick || pick(p, pt, v)))
			return v;
next:;
	}
	return 0;
}

static struct pthread_info *by_ident(struct py *p, uint64_t ident)
{
	for (size_t i = 0; ident && i < p->nthreads; i++)
		if (p->threads[i].ident == ident)
			return &p->threads[i];
	return NULL;
}

/* The native futex word the thread waits on, 0 when not in a futex wait. */
static uint64_t futex_word(const struct thread *t)
{
	return t->syscall.name && strcmp(t->syscall.name, "futex") == 0 ? t->syscall.args[0] : 0;
}

/*
 * A lock the thread waits on. A sem_t pointer (a pointer-sized value) must
 * be the futex word the thread waits on; a PyMutex (a byte: bit 0 locked,
 * bit 1 threads parked on it; 3.13+ parks on a semaphore of its own, so
 * there is no word to compare) must be locked with waiters. Lock changed
 * from one to the other within 3.13: the value says which it is.
 */
static bool lock_waited(struct py *p, struct pthread_info *pt, uint64_t obj, int64_t off, int64_t kind)
{
	uint64_t v;

	if (off < 0 || !at64(p, obj, off, &v))
		return false;
	if (kind == PY_LOCK_SEM && v > 0xffff)
		return v == futex_word(pt->t);
	return v <= 0xffff && (v & 3) == 3;
}

static bool pick_lock(struct py *p, struct pthread_info *pt, uint64_t obj)
{
	return lock_waited(p, pt, obj, p->L.lock_lock, PY_LOCK_SEM);
}

static bool pick_rlock(struct py *p, struct pthread_info *pt, uint64_t obj)
{
	uint64_t owner;

	/* and held by another thread */
	return lock_waited(p, pt, obj, p->L.rlock_lock, p->L.rlock_kind) && at64(p, obj, p->L.rlock_owner, &owner) &&
	       owner != pt->ident;
}

static bool pick_any(struct py *p, struct pthread_info *pt, uint64_t obj)
{
	(void)p;
	(void)pt;
	(void)obj;
	return true;
}

static bool path_is(const char *path, const char *base)
{
	size_t n = strlen(path), b = strlen(base);

	return n >= b && strcmp(path + n - b, base) == 0 && (n == b || path[n - b - 1] == '/');
}

/* "Queue.get": the method's class (type(self)) and name; its qualified name when self is unknown. */
static const char *method_label(struct py *p, uint64_t f, const struct code_entry *c)
{
	uint64_t self = frame_self(p, f, c);
	const char *type = self ? type_name(p, self) : "";
	char buf[160];
	const char *s;

	if (!*type)
		return c->qualname;
	snprintf(buf, sizeof(buf), "%s.%s", strrchr(type, '.') ? strrchr(type, '.') + 1 : type, c->name);
	if (!(s = model_intern(p->m, buf)))
		p->err = &hs_error_nomem;
	return s;
}

static void set_wait(struct pthread_info *pt, enum runtime_wait kind, const char *call, uint64_t obj,
		     const struct pthread_info *other)
{
	struct runtime_thread *rt = &pt->t->rt;
	const struct thread *t = pt->t;

	rt->wait = kind;
	rt->wait_call = call;
	rt->wait_obj = obj;
	rt->wait_tid = other ? other->t->tid : 0;
	/* a futex wait with no timeout: for ever */
	rt->forever = futex_word(t) && t->syscall.args[3] == 0;
	rt->status = "waiting";
}

static void thread_wait(struct py *p, struct pthread_info *pt)
{
	const struct py_layout *L = &p->L;
	const struct code_entry *c0 = pt->frame ? code_get(p, pt->code0_addr) : NULL;
	const struct code_entry *c1 = pt->caller ? code_get(p, pt->code1_addr) : NULL;
	uint64_t obj;

	if (!c0 || !futex_word(pt->t))
		return;
	/* Thread.join(): <= 3.12 in _wait_for_tstate_lock() on the target's tstate lock; 3.13+ in join() on its handle */
	if (path_is(c0->path, "threading.py") &&
	    (strcmp(c0->name, "_wait_for_tstate_lock") == 0 || strcmp(c0->name, "join") == 0)) {
		struct pthread_info *target = NULL;
		uint64_t handle, tid;

		if (L->handle_handle >= 0 &&
		    (obj = slot_of_type(p, pt->frame, pt->code0_addr, "_thread._ThreadHandle", pick_any, pt))) {
			if (at64(p, obj, L->handle_handle, &handle) && at64(p, handle, L->threadhandle_ident, &tid))
				target = by_ident(p, tid);
		} else if ((obj = slot_of_type(p, pt->frame, pt->code0_addr, "_thread.lock", pick_any, pt))) {
			for (size_t i = 0; i < p->nthreads && !target; i++)
				if (p->threads[i].sentinel == obj && &p->threads[i] != pt)
					target = &p->threads[i];
		}
		if (target || obj) {
			set_wait(pt, RUNTIME_WAIT_JOIN, "Thread.join", 0, target);
			return;
		}
	}
	/* Condition.wait(): on a fresh waiter lock; what waits is its caller (Queue.get, Event.wait...) */
	if (path_is(c0->path, "threading.py") && strcmp(c0->name, "wait") == 0) {
		const char *call = method_label(p, pt->frame, c0);

		if (c1 && (path_is(c1->path, "threading.py") || path_is(c1->path, "queue.py")))
			call = method_label(p, pt->caller, c1);
		if (call)
			set_wait(pt, RUNTIME_WAIT_QUEUE, call, c1 ? frame_self(p, pt->caller, c1) : 0, NULL);
		return;
	}
	/* RLock.acquire() (its owner is recorded), Lock.acquire() (no owner is) */
	if ((obj = slot_of_type(p, pt->frame, pt->code0_addr, "_thread.RLock", pick_rlock, pt))) {
		uint64_t owner = 0;
		at64(p, obj, L->rlock_owner, &owner);
		set_wait(pt, RUNTIME_WAIT_MUTEX, "RLock.acquire", obj, by_ident(p, owner));
	} else if ((obj = slot_of_type(p, pt->frame, pt->code0_addr, "_thread.lock", pick_lock, pt))) {
		set_wait(pt, RUNTIME_WAIT_MUTEX, "Lock.acquire", obj, NULL);
	}
}

/* Does a slot of frame f (code `code`) hold obj, or a method bound to it? */
static bool frame_refers(struct py *p, uint64_t f, uint64_t code, uint64_t obj)
{
	const struct code_entry *c = code_get(p, code);
	uint64_t slots[PY_SLOTS_MAX];
	size_t n = c ? frame_slots(p, f, c, slots, PY_SLOTS_MAX) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *name;

		if (slots[i] == obj || (slots[i] && !(slots[i] & 7) && bound_self(p, slots[i], &name) == obj))
			return true;
	}
	return false;
}

/*
 * A Lock records no owner; its holder is, most likely, the one other thread
 * whose frames (the innermost PY_HOLDER_FRAMES) still refer to it — a `with
 * lock:` block keeps it, or its bound __exit__, on the frame's stack. Two
 * such threads, or none: no owner. The wait says how it was found.
 */
#define PY_HOLDER_FRAMES 64u

static void lock_holders(struct py *p)
{
	for (size_t i = 0; i < p->nthreads && !p->err; i++) {
		struct pthread_info *pt = &p->threads[i], *holder = NULL;
		unsigned found = 0;

		if (pt->t->rt.wait != RUNTIME_WAIT_MUTEX || strcmp(pt->t->rt.wait_call, "Lock.acquire") != 0 ||
		    !pt->t->rt.wait_obj)
			continue;
		for (size_t j = 0; j < p->nthreads && found < 2; j++) {
			struct pthread_info *o = &p->threads[j];
			uint64_t f = first_frame(p, o->tstate);
			bool refers = false;

			if (o == pt || (o->t->rt.wait == RUNTIME_WAIT_MUTEX && o->t->rt.wait_obj == pt->t->rt.wait_obj))
				continue;
			for (unsigned k = 0; f && k < PY_HOLDER_FRAMES && !refers; k++) {
				struct frame_read fr;
				if (!read_frame(p, f, &fr))
					break;
				refers = !fr.shim && frame_refers(p, f, fr.code, pt->t->rt.wait_obj);
				f = fr.next;
			}
			if (refers) {
				holder = o;
				found++;
			}
		}
		if (found == 1) {
			pt->t->rt.wait_tid = holder->t->tid;
			pt->t->rt.wait_owner_inferred = true;
		}
	}
}

/* ---- the runtime ------------------------------------------------------------ */

/* 3.13+: the offsets _PyRuntime describes itself with, over the table's. */
static bool debug_offsets(struct py *p, uint64_t runtime, char *why, size_t whysize)
{
	struct py_layout *L = &p->L;
	unsigned char buf[PY_DEBUG_OFFSETS_MAX];
	uint64_t version;
	size_t size = (size_t)L->dbg_size;

	if (L->dbg_size <= 16 || size > sizeof(buf) || !rd(p, runtime, buf, size)) {
		snprintf(why, whysize, "its _Py_DebugOffsets could not be read");
		return false;
	}
	if (memcmp(buf, "xdebugpy", 8) != 0) {
		snprintf(why, whysize, "_PyRuntime does not start with _Py_DebugOffsets");
		return false;
	}
	memcpy(&version, buf + L->dbg_version, 8);
	if ((version >> 16) != ((uint64_t)L->hexversion >> 16)) {
		snprintf(why, whysize, "_Py_DebugOffsets is of version %llx.%llx, not %s",
			 (unsigned long long)(version >> 24), (unsigned long long)((version >> 16) & 0xff), L->version);
		return false;
	}
	if (L->dbg_free_threaded >= 0) {
		uint64_t ft;
		memcpy(&ft, buf + L->dbg_free_threaded, 8);
		if (ft) {
			snprintf(why, whysize, "a free-threaded build, which is not supported");
			return false;
		}
	}
#define DBG(field, pos)                                                        \
	do {                                                                   \
		uint64_t v_;                                                   \
		if (L->pos >= 0 && (size_t)L->pos + 8 <= size) {               \
			memcpy(&v_, buf + L->pos, 8);                          \
			if (v_ >= (1u << 24)) {                                \
				snprintf(why, whysize, "_Py_DebugOffsets." #field " is %llu", \
					 (unsigned long long)v_);              \
				return false;                                  \
			}                                                      \
			L->field = (int64_t)v_;                                \
		}                                                              \
	} while (0)
	DBG(runtime_interpreters_head, dbg_runtime_interpreters_head);
	DBG(interp_next, dbg_interp_next);
	DBG(interp_threads_head, dbg_interp_threads_head);
	DBG(tstate_next, dbg_tstate_next);
	DBG(tstate_interp, dbg_tstate_interp);
	DBG(tstate_frame, dbg_tstate_current_frame);
	DBG(tstate_thread_id, dbg_tstate_thread_id);
	DBG(tstate_native_thread_id, dbg_tstate_native_thread_id);
	DBG(iframe_size, dbg_iframe_size);
	DBG(iframe_previous, dbg_iframe_previous);
	DBG(iframe_code, dbg_iframe_executable);
	DBG(iframe_instr, dbg_iframe_instr_ptr);
	DBG(iframe_localsplus, dbg_iframe_localsplus);
	DBG(iframe_owner, dbg_iframe_owner);
	DBG(code_filename, dbg_code_filename);
	DBG(code_name, dbg_code_name);
	DBG(code_qualname, dbg_code_qualname);
	DBG(code_linetable, dbg_code_linetable);
	DBG(code_firstlineno, dbg_code_firstlineno);
	DBG(code_code_adaptive, dbg_code_code_adaptive);
	DBG(code_localsplusnames, dbg_code_localsplusnames);
	DBG(ob_type, dbg_ob_type);
	DBG(type_tp_name, dbg_tp_name);
	DBG(tuple_ob_item, dbg_tuple_ob_item);
	DBG(var_ob_size, dbg_bytes_ob_size);
	DBG(bytes_ob_sval, dbg_bytes_ob_sval);
	DBG(unicode_state, dbg_unicode_state);
	DBG(unicode_length, dbg_unicode_length);
	DBG(unicode_ascii_size, dbg_unicode_ascii_size);
#undef DBG
	/* the GIL's holder and lock word, inside the interpreter state */
	{
		uint64_t holder, locked;
		if (L->dbg_interp_gil_holder >= 0 && L->dbg_interp_gil_locked >= 0) {
			memcpy(&holder, buf + L->dbg_interp_gil_holder, 8);
			memcpy(&locked, buf + L->dbg_interp_gil_locked, 8);
			L->gil_last_holder = holder < (1u << 24) ? (int64_t)holder : -1;
			L->gil_locked = locked < (1u << 24) ? (int64_t)locked : -1;
		}
	}
	return true;
}

/* The thread state holding the GIL of interpreter interp, 0 none or unknown. */
static uint64_t gil_holder(struct py *p, uint64_t runtime, uint64_t interp)
{
	const struct py_layout *L = &p->L;
	uint64_t gil = 0, holder = 0;
	uint32_t locked = 0;

	if (L->dbg_size > 0)
		gil = interp;	/* 3.13+: _Py_DebugOffsets' are from the interpreter state */
	else if (L->runtime_gil >= 0)
		gil = runtime + (uint64_t)L->runtime_gil;
	else if (L->interp_ceval_gil >= 0)
		at64(p, interp, L->interp_ceval_gil, &gil);
	if (!gil || !at32(p, gil, L->gil_locked, &locked) || !locked || !at64(p, gil, L->gil_last_holder, &holder))
		return 0;
	return holder;
}

struct hs_error *python_walk_target(struct model *m, const struct python_target *tg)
{
	const struct py_layout *table;
	char version[32], why[160];
	struct py *p;
	uint64_t interp, runtime = tg->runtime;
	struct hs_error *err;
	unsigned ninterp = 0;
	/* no more thread states than native threads, give or take a few that are being torn down */
	size_t budget = 2 * m->threads.len + PY_TSTATES_SLACK;

	if (tg->hexversion)
		snprintf(version, sizeof(version), "%u.%u.%u", (unsigned)(tg->hexversion >> 24) & 0xff,
			 (unsigned)(tg->hexversion >> 16) & 0xff, (unsigned)(tg->hexversion >> 8) & 0xff);
	else
		snprintf(version, sizeof(version), "%s", tg->version && *tg->version ? tg->version : "unknown");
	m->runtime.name = "python";
	if (!(m->runtime.version = model_intern(m, version)))
		return &hs_error_nomem;
	if (!(table = tg->layout ? tg->layout : py_layout_find(version))) {
		model_warn(m, "Python %s: no built-in layout for this version (have %s); Python frames are not shown",
			   version, py_layout_versions());
		return NULL;
	}
	if (!(p = calloc(1, sizeof(*p))))
		return &hs_error_nomem;
	p->m = m;
	p->target = tg;
	p->L = *table;
	/* 3.14+: _PyStackRef, tagged in its low bit (Py_TAG_BITS; free-threaded builds are refused) */
	p->stackref_mask = p->L.hexversion >= 0x030e0000 ? ~(uint64_t)1 : ~(uint64_t)0;
	if (p->L.dbg_size > 0 && !debug_offsets(p, runtime, why, sizeof(why))) {
		model_warn(m, "Python %s: %s; Python frames are not shown", version, why);
		free(p);
		return NULL;
	}
	{
		char layout[48];
		snprintf(layout, sizeof(layout), "%s %s", p->L.dbg_size > 0 ? "_Py_DebugOffsets" : "built-in",
			 p->L.version);
		if (!(m->runtime.layout = model_intern(m, layout))) {
			free(p);
			return &hs_error_nomem;
		}
	}
	if (!at64(p, runtime, p->L.runtime_interpreters_head, &interp) || !interp) {
		model_warn(m, "Python %s: no interpreter could be read (not started, or damaged); Python frames are not shown",
			   version);
		free(p);
		return NULL;
	}
	if (!(p->threads = calloc(m->threads.len + 1, sizeof(*p->threads)))) {
		free(p);
		return &hs_error_nomem;
	}
	for (; interp && ninterp < PY_INTERPS_MAX && !p->err; ninterp++) {
		uint64_t holder = gil_holder(p, runtime, interp), tstate = 0, next;

		at64(p, interp, p->L.interp_threads_head, &tstate);
		while (tstate && budget && p->nthreads < m->threads.len && !p->err) {
			budget--;
			read_thread(p, tstate, holder);
			if (!at64(p, tstate, p->L.tstate_next, &next)) {
				p->damaged++;
				break;
			}
			tstate = next;
		}
		if (!at64(p, interp, p->L.interp_next, &next))
			break;
		interp = next;
	}
	for (size_t i = 0; i < p->nthreads && !p->err; i++)
		thread_wait(p, &p->threads[i]);
	if (!p->err)
		lock_holders(p);
	if (!p->nthreads && !p->err)
		model_warn(m, "Python %s: no thread state matches a thread of the core; Python frames are not shown",
			   version);
	if (p->damaged && !p->err)
		model_warn(m, "Python %s: %u part(s) of the interpreter could not be read; the Python frames shown may be partial",
			   version, p->damaged);
	err = p->err;
	for (size_t i = 0; i < CODE_CACHE_SLOTS; i++)
		free(p->codes[i].lines);
	free(p->threads);
	free(p);
	return err;
}

/* ---- over a core ---------------------------------------------------------- */

static size_t core_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return unwind_read(ctx, addr, buf, len);
}

/* "3.11" from ".../libpython3.11.so.1.0" or ".../python3.11"; "" when the name says none. */
static void module_version(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path, *v = strstr(base, "python");
	size_t n;

	out[0] = '\0';
	if (!v)
		return;
	v += strlen("python");
	n = strspn(v, "0123456789.");
	while (n && v[n - 1] == '.')
		n--;
	if (n && n < size && strchr(v, '.') && (size_t)(strchr(v, '.') - v) < n)
		snprintf(out, size, "%.*s", (int)n, v);
}

void python_core_target_init(struct model *m, struct unwinder *u, struct python_core_target *ct)
{
	struct unwind_symbol rt, sym;
	struct python_target *tg = &ct->target;

	(void)m;
	memset(ct, 0, sizeof(*ct));
	/* the exported symbol, else the section CPython puts it in (3.9+, for tools such as this) */
	if (!u || (!unwind_find_symbol(u, "python", "_PyRuntime", &rt) && !unwind_find_section(u, "python", ".PyRuntime", &rt)))
		return;
	tg->read = core_read;
	tg->ctx = u;
	tg->runtime = rt.addr;
	if (unwind_find_symbol(u, "python", "PyCode_Type", &sym))
		tg->code_type = sym.addr;
	if (unwind_find_symbol(u, "python", "Py_Version", &sym)) {
		uint64_t v = 0;
		if (unwind_read(u, sym.addr, &v, 8) == 8 && (v >> 24) == 3)
			tg->hexversion = v & 0xffffffffu;
	}
	module_version(rt.module, ct->version, sizeof(ct->version));
	tg->version = ct->version;
	ct->found = true;
}

struct hs_error *python_walk(struct model *m, struct unwinder *u)
{
	struct python_core_target ct;

	python_core_target_init(m, u, &ct);
	return ct.found ? python_walk_target(m, &ct.target) : NULL;
}
