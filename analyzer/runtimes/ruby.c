/*
 * See ruby.h. Everything here is read from the core (or, for read-only data
 * the core left out, from the module's own file) through one bounded reader;
 * every count, length and list is capped, and a read that fails ends that
 * thread's frames, marked partial, with one warning for the process.
 *
 * What it reads, by layout field names (ruby_layout.h):
 *   ruby_current_vm_ptr -> vm -> main ractor -> threads.set, a circular list
 *   whose nodes sit at th_node of each rb_thread_t. Per thread: its native
 *   tid, status, name, execution context (ec) and the control frames from
 *   ec->cfp up to the two dummy frames at the end of the VM stack, as
 *   Thread#backtrace walks them (vm_backtrace.c): a frame with an iseq and a
 *   pc is a Ruby frame, located by the iseq's line table; a CFUNC frame is a
 *   C method named by its method entry's original id, and takes its caller's
 *   path and line. A frame flagged FINISH is where a native rb_vm_exec() began
 *   running Ruby code: the frames up to it are merged above that native
 *   frame.
 */
#include "analyzer/runtimes/ruby.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/runtimes/ruby_dwarf.h"
#include "analyzer/runtimes/ruby_layout.h"
#include "common/util.h"

#define RUBY_THREADS_MAX 100000u	/* threads followed in the ractor's list */
#define RUBY_FRAMES_MAX 4096u		/* control frames read per thread */
#define RUBY_STRING_MAX 1024u		/* bytes kept of a path, label or name */
#define RUBY_ENV_HOPS 64u		/* environments followed to a method entry */
#define RUBY_JOIN_LIST_MAX 100000u	/* join-list nodes followed per thread */
#define RUBY_VM_STACK_MAX (1ull << 28)	/* words */
#define ISEQ_CACHE_SLOTS 4096u
#define ID_CACHE_SLOTS 1024u
#define SYMBOLS_SCAN_MAX (16u << 20)	/* bytes of a module's data scanned for the symbol table */

struct iseq_entry {
	uint64_t iseq;			/* key; 0 empty */
	bool ok;
	const char *path, *label;	/* interned */
	uint64_t encoded;
	uint32_t size;			/* iseq_size, in VALUE words */
	uint32_t ninfo;
	uint64_t info, table;
	int first_lineno;
	/* qualified_labels (3.4+) only */
	uint32_t type, attrs;
	uint64_t parent, local;
};

struct id_entry {
	uint64_t id;			/* key; 0 empty */
	const char *name;		/* interned, NULL unknown */
};

struct rthread {
	uint64_t th, ec, fiber, self;
	struct thread *t;		/* the native thread, or NULL */
};

struct rb {
	struct model *m;
	const struct ruby_target *target;
	const struct ruby_layout *L;
	bool symbols_looked;
	uint64_t ids;			/* global symbols' ids array, 0 unknown */
	uint32_t last_id;
	struct iseq_entry iseqs[ISEQ_CACHE_SLOTS];
	struct id_entry idc[ID_CACHE_SLOTS];
	struct rthread *threads;
	size_t nthreads;
	unsigned damaged;		/* reads that failed inside a thread's frames */
	struct hs_error *err;
};

/* ---- bounded reads ------------------------------------------------------ */

static bool rd(struct rb *r, uint64_t addr, void *buf, size_t len)
{
	return addr && addr + len >= addr && r->target->read(r->target->ctx, addr, buf, len) == len;
}

static bool rd64(struct rb *r, uint64_t addr, uint64_t *v)
{
	return rd(r, addr, v, sizeof(*v));
}

static bool rd32(struct rb *r, uint64_t addr, uint32_t *v)
{
	return rd(r, addr, v, sizeof(*v));
}

static bool at64(struct rb *r, uint64_t base, int64_t off, uint64_t *v)
{
	return off >= 0 && rd64(r, base + (uint64_t)off, v);
}

/* A heap object (not a special constant), plausibly aligned. */
static bool is_object(const struct rb *r, uint64_t v)
{
	const struct ruby_layout *L = r->L;

	return v && (v & L->immediate_mask) == 0 && (v & 7) == 0 && v != L->qnil && v != L->qfalse &&
	       v != L->qtrue && v != L->qundef && v > 0xffff && v < (1ull << 56);
}

static bool obj_flags(struct rb *r, uint64_t v, uint64_t *flags)
{
	return is_object(r, v) && at64(r, v, r->L->basic_flags, flags);
}

static bool obj_is(struct rb *r, uint64_t v, uint64_t type, uint64_t *flags)
{
	return obj_flags(r, v, flags) && (*flags & r->L->t_mask) == type;
}

/* A String's bytes into out (NUL-terminated, at most size-1 kept). */
static bool read_string(struct rb *r, uint64_t v, char *out, size_t size)
{
	const struct ruby_layout *L = r->L;
	uint64_t flags, len, ptr;

	if (!obj_is(r, v, L->t_string, &flags))
		return false;
	if (flags & L->rstring_noembed) {
		if (!at64(r, v, L->rstring_len, &len) || !at64(r, v, L->rstring_ptr, &ptr))
			return false;
	} else {
		if (L->rstring_embed_len_mask)
			len = (flags & L->rstring_embed_len_mask) >> L->rstring_embed_len_shift;
		else if (!at64(r, v, L->rstring_len, &len))
			return false;
		ptr = v + (uint64_t)L->rstring_ary;
	}
	if (len > (1u << 30))
		return false;
	if (len >= size)
		len = size - 1;
	if (len && !rd(r, ptr, out, len))
		return false;
	out[len] = '\0';	/* an embedded NUL ends it early */
	return true;
}

static const char *intern_string(struct rb *r, uint64_t v)
{
	char buf[RUBY_STRING_MAX];
	const char *s;

	if (!read_string(r, v, buf, sizeof(buf)))
		return NULL;
	if (!(s = model_intern(r->m, buf)))
		r->err = &hs_error_nomem;
	return s;
}

static bool array_ref(struct rb *r, uint64_t v, uint64_t index, uint64_t *out)
{
	const struct ruby_layout *L = r->L;
	uint64_t flags, len, ptr;

	if (!obj_is(r, v, L->t_array, &flags))
		return false;
	if (flags & L->rarray_embed_flag) {
		len = (flags & L->rarray_embed_len_mask) >> L->rarray_embed_len_shift;
		ptr = v + (uint64_t)L->rarray_ary;
	} else if (!at64(r, v, L->rarray_len, &len) || !at64(r, v, L->rarray_ptr, &ptr)) {
		return false;
	}
	return index < len && rd64(r, ptr + 8 * index, out);
}

static long array_len(struct rb *r, uint64_t v)
{
	const struct ruby_layout *L = r->L;
	uint64_t flags, len;

	if (!obj_is(r, v, L->t_array, &flags))
		return -1;
	if (flags & L->rarray_embed_flag)
		return (long)((flags & L->rarray_embed_len_mask) >> L->rarray_embed_len_shift);
	return at64(r, v, L->rarray_len, &len) && len < (1u << 30) ? (long)len : -1;
}

/* The struct behind a typed-data object, and its type's name ("mutex", "queue"). */
static bool typed_data(struct rb *r, uint64_t v, uint64_t *data, char *type, size_t size)
{
	const struct ruby_layout *L = r->L;
	uint64_t flags, tflag, dtype, name;
	size_t got;

	if (!obj_is(r, v, L->t_data, &flags) || !at64(r, v, L->rtypeddata_typed_flag, &tflag) || !(tflag & 1) ||
	    !at64(r, v, L->rtypeddata_type, &dtype) || !at64(r, dtype, L->data_type_name, &name) || !name)
		return false;
	/* the name is read-only data, maybe near the end of its mapping: a short read is fine */
	got = r->target->read(r->target->ctx, name, type, size - 1);
	type[got] = '\0';
	if (!got || strlen(type) == got)
		return false;	/* no NUL within size - 1 bytes: not a name we know */
	if (L->typeddata_embedded && (tflag & L->typeddata_embedded))
		*data = v + (uint64_t)L->rtypeddata_size;
	else if (!at64(r, v, L->rtypeddata_data, data))
		return false;
	return true;
}

/* ---- symbols: ID -> name ------------------------------------------------ */

/*
 * The global symbol table (symbol.c's ruby_global_symbols) is not exported:
 * find it in the module's writable data as the one struct whose ids array
 * holds exactly last_id / ID_ENTRY_UNIT + 1 pages.
 */
static void find_symbols(struct rb *r)
{
	const struct ruby_layout *L = r->L;
	const struct ruby_target *tg = r->target;
	size_t scanned = 0;
	unsigned char *buf = NULL;

	r->symbols_looked = true;
	for (size_t i = 0; i < tg->ndata && !r->ids && scanned < SYMBOLS_SCAN_MAX; i++) {
		size_t n = (size_t)MIN(tg->data[i].len, (uint64_t)(SYMBOLS_SCAN_MAX - scanned));
		unsigned char *nbuf;

		if (n < (size_t)L->symbols_size || !(nbuf = realloc(buf, n)))
			continue;
		buf = nbuf;
		if (tg->read(tg->ctx, tg->data[i].start, buf, n) != n)
			continue;
		scanned += n;
		for (size_t off = 0; off + (size_t)L->symbols_size <= n && !r->ids; off += 8) {
			uint32_t last_id;
			uint64_t ids, str_sym;
			long pages;

			memcpy(&last_id, buf + off + L->symbols_last_id, 4);
			memcpy(&ids, buf + off + L->symbols_ids, 8);
			memcpy(&str_sym, buf + off + 8, 8);
			if (last_id <= (uint64_t)L->last_op_id || last_id > (1u << 26) || !is_object(r, ids) || !str_sym ||
			    (str_sym & 7))
				continue;
			pages = array_len(r, ids);
			if (pages == (long)(last_id / (uint64_t)L->id_entry_unit) + 1) {
				unsigned char check[64];
				/* read it again on its own: what a recording reader keeps (tests/fuzz/ruby-seed.c) */
				if (rd(r, tg->data[i].start + off, check, MIN(sizeof(check), (size_t)L->symbols_size))) {
					r->ids = ids;
					r->last_id = last_id;
				}
			}
		}
	}
	free(buf);
}

static const char *id_name(struct rb *r, uint64_t id)
{
	const struct ruby_layout *L = r->L;
	struct id_entry *e = &r->idc[(id * 0x9e3779b97f4a7c15ull) >> 54 & (ID_CACHE_SLOTS - 1)];
	uint64_t serial, page, str;

	if (!id)
		return NULL;
	if (e->id == id)
		return e->name;
	if (!r->symbols_looked)
		find_symbols(r);
	serial = id > (uint64_t)L->last_op_id ? id >> L->id_scope_shift : id;
	e->id = id;
	e->name = NULL;
	if (r->ids && serial && serial <= r->last_id &&
	    array_ref(r, r->ids, serial / (uint64_t)L->id_entry_unit, &page) &&
	    array_ref(r, page, (serial % (uint64_t)L->id_entry_unit) * (uint64_t)L->id_entry_size + (uint64_t)L->id_entry_str,
		      &str))
		e->name = intern_string(r, str);
	return e->name;
}

/* ---- instruction sequences and lines ------------------------------------ */

static const struct iseq_entry *iseq_get(struct rb *r, uint64_t iseq)
{
	const struct ruby_layout *L = r->L;
	struct iseq_entry *e = &r->iseqs[(iseq * 0x9e3779b97f4a7c15ull) >> 52 & (ISEQ_CACHE_SLOTS - 1)];
	uint64_t flags, body, pathobj, path, label, lineno = 0;
	uint32_t v32;

	if (e->iseq == iseq)
		return e->ok ? e : NULL;
	memset(e, 0, sizeof(*e));
	e->iseq = iseq;
	if (!obj_is(r, iseq, L->t_imemo, &flags) || ((flags >> L->fl_ushift) & L->imemo_mask) != (uint64_t)L->imemo_iseq ||
	    !at64(r, iseq, L->iseq_body, &body) || !at64(r, body, L->body_pathobj, &pathobj) ||
	    !at64(r, body, L->body_label, &label) || !at64(r, body, L->body_iseq_encoded, &e->encoded) ||
	    !rd32(r, body + (uint64_t)L->body_iseq_size, &e->size) ||
	    !rd32(r, body + (uint64_t)L->body_insns_info_size, &e->ninfo) ||
	    !at64(r, body, L->body_insns_info, &e->info) || !at64(r, body, L->body_succ_index_table, &e->table))
		return NULL;
	if (L->body_first_lineno_size == 8 ? at64(r, body, L->body_first_lineno, &lineno)
					   : rd32(r, body + (uint64_t)L->body_first_lineno, &v32))
		e->first_lineno = L->body_first_lineno_size == 8 ? (int)((int64_t)lineno >> 1) : (int)v32;
	if (L->qualified_labels &&
	    (!rd32(r, body + (uint64_t)L->body_type, &e->type) || !rd32(r, body + (uint64_t)L->body_builtin_attrs, &e->attrs) ||
	     !at64(r, body, L->body_parent_iseq, &e->parent) || !at64(r, body, L->body_local_iseq, &e->local)))
		return NULL;
	/* pathobj: a String, or an Array [path, realpath] */
	path = pathobj;
	if (!obj_is(r, pathobj, L->t_string, &flags) && !array_ref(r, pathobj, 0, &path))
		return NULL;
	e->path = intern_string(r, path);
	e->label = intern_string(r, label);
	e->ok = e->path && e->label;
	return e->ok ? e : NULL;
}

/* The rank query of iseq.c's succinct index table: how many positions <= pos start an entry. */
static int succ_lookup(struct rb *r, const struct iseq_entry *e, uint64_t pos)
{
	const struct ruby_layout *L = r->L;
	uint64_t imm;

	if (pos < (uint64_t)L->succ_immediate_size) {
		if (!rd64(r, e->table + 8 * (pos / 9), &imm))
			return -1;
		return (int)((imm >> (pos % 9 * 7)) & 0x7f);
	} else {
		uint64_t x = pos - (uint64_t)L->succ_immediate_size, blk = e->table + (uint64_t)L->succ_part +
			     x / 512 * (uint64_t)L->succ_block_size, small, bits;
		uint32_t rank;
		unsigned bit = x % 512, sb = bit / 64, sbr;

		if (!rd32(r, blk + (uint64_t)L->succ_block_rank, &rank) ||
		    !rd64(r, blk + (uint64_t)L->succ_block_small_ranks, &small) ||
		    !rd64(r, blk + (uint64_t)L->succ_block_bits + 8 * sb, &bits))
			return -1;
		sbr = sb == 0 ? 0 : (unsigned)((small >> ((sb - 1) * 9)) & 0x1ff);
		return (int)(rank + sbr + (unsigned)__builtin_popcountll(bits << (63 - bit % 64)));
	}
}

/* calc_lineno(): the line of the instruction before pc, 0 unknown. */
static int iseq_line(struct rb *r, const struct iseq_entry *e, uint64_t pc)
{
	const struct ruby_layout *L = r->L;
	uint64_t pos;
	uint32_t line;
	int index;

	if (pc < e->encoded || (pc - e->encoded) % 8 || (pc - e->encoded) / 8 > e->size)
		return 0;
	pos = (pc - e->encoded) / 8;
	if (pos)
		pos--;
	if (e->ninfo == 0)
		return 0;
	if (e->ninfo == 1)
		index = 1;
	else if ((index = succ_lookup(r, e, pos)) < 1 || (uint32_t)index > e->ninfo)
		return 0;
	if (!rd32(r, e->info + (uint64_t)(index - 1) * (uint64_t)L->insn_info_size + (uint64_t)L->insn_info_line_no, &line))
		return 0;
	return (int)line;
}

/* ---- qualified labels (3.4+: vm_backtrace.c's location_label) ----------- */

/* rb_mod_name0(): a class's or module's name, if it is permanent. */
static bool class_path(struct rb *r, uint64_t klass, char *out, size_t size)
{
	const struct ruby_layout *L = r->L;
	uint64_t flags, path;
	unsigned char perm;

	if (!obj_flags(r, klass, &flags) || ((flags & L->t_mask) != L->t_class && (flags & L->t_mask) != L->t_module) ||
	    !at64(r, klass, L->class_classpath, &path) || !path ||
	    !rd(r, klass + (uint64_t)L->class_permanent_byte, &perm, 1) ||
	    !((perm >> L->class_permanent_shift) & ((1u << L->class_permanent_bits) - 1)))
		return false;
	return read_string(r, path, out, size);
}

/* rb_gen_method_name(): "Owner#name", "Owner.name" for a singleton's, or name. */
static const char *method_label(struct rb *r, uint64_t owner, const char *name)
{
	const struct ruby_layout *L = r->L;
	char cls[RUBY_STRING_MAX], buf[RUBY_STRING_MAX * 2 + 2];
	uint64_t flags, attached;
	const char *s;

	if (!name || !obj_flags(r, owner, &flags))
		return name;
	if ((flags & L->t_mask) == L->t_class && (flags & L->fl_singleton)) {
		if (!at64(r, owner, L->class_attached_object, &attached) || !class_path(r, attached, cls, sizeof(cls)))
			return name;
		snprintf(buf, sizeof(buf), "%s.%s", cls, name);
	} else if (class_path(r, owner, cls, sizeof(cls))) {
		snprintf(buf, sizeof(buf), "%s#%s", cls, name);
	} else {
		return name;
	}
	if (!(s = model_intern(r->m, buf)))
		r->err = &hs_error_nomem;
	return s;
}

/* calculate_iseq_label(): an iseq's label under its method's owner. */
static const char *iseq_label(struct rb *r, uint64_t iseq, uint64_t owner, unsigned depth)
{
	const struct ruby_layout *L = r->L;

	for (unsigned hop = 0; hop < RUBY_ENV_HOPS && depth < 4; hop++) {
		const struct iseq_entry *e = iseq_get(r, iseq);
		int64_t type;

		if (!e)
			return NULL;
		type = (int64_t)e->type;
		if (type == L->iseq_type_top || type == L->iseq_type_class || type == L->iseq_type_main)
			return e->label;
		if (type == L->iseq_type_method)
			return method_label(r, owner, e->label);
		if (type == L->iseq_type_rescue || type == L->iseq_type_ensure || type == L->iseq_type_eval) {
			iseq = e->parent;
			continue;
		}
		if (type == L->iseq_type_block || type == L->iseq_type_plain) {
			/* up the parents to the local iseq, counting blocks */
			uint64_t local = e->local, cur = iseq;
			unsigned level = 0, n = 0;
			char buf[RUBY_STRING_MAX + 32];
			const char *base, *s;

			if (e->parent)
				while (cur != local) {
					const struct iseq_entry *c = iseq_get(r, cur);
					if (!c || n++ >= RUBY_ENV_HOPS)
						return NULL;
					if ((int64_t)c->type == L->iseq_type_block)
						level++;
					cur = c->parent;
				}
			if (!(base = iseq_label(r, cur, owner, depth + 1)))
				return NULL;
			if (level <= 1)
				snprintf(buf, sizeof(buf), "block in %s", base);
			else
				snprintf(buf, sizeof(buf), "block (%u levels) in %s", level, base);
			if (!(s = model_intern(r->m, buf)))
				r->err = &hs_error_nomem;
			return s;
		}
		return NULL;
	}
	return NULL;
}

/* ---- frames ------------------------------------------------------------- */

/* rb_vm_frame_method_entry(): the method entry of a frame, through its environments. */
static uint64_t frame_method_entry(struct rb *r, uint64_t ep)
{
	const struct ruby_layout *L = r->L;

	for (unsigned hop = 0; hop < RUBY_ENV_HOPS; hop++) {
		uint64_t env[3], me, flags;

		/* ep[-2] me/cref, ep[-1] specval (previous ep), ep[0] flags */
		if (!rd(r, ep - 16, env, sizeof(env)))
			return 0;
		me = env[2 + L->env_me_cref];
		/* 3.4+ layouts: the local env's slot may hold an svar, which holds the entry */
		if (L->qualified_labels && (env[2 + L->env_flags] & L->env_flag_local) && obj_is(r, me, L->t_imemo, &flags) &&
		    ((flags >> L->fl_ushift) & L->imemo_mask) == (uint64_t)L->imemo_svar && !at64(r, me, L->svar_cref_or_me, &me))
			return 0;
		if (obj_is(r, me, L->t_imemo, &flags) &&
		    ((flags >> L->fl_ushift) & L->imemo_mask) == (uint64_t)L->imemo_ment)
			return me;
		if (env[2 + L->env_flags] & L->env_flag_local)
			return 0;
		ep = env[2 + L->env_specval] & ~(uint64_t)3;
	}
	return 0;
}

/* A C method's label: its original name, under its owner's on 3.4+ layouts. */
static const char *cfunc_label(struct rb *r, uint64_t ep)
{
	const struct ruby_layout *L = r->L;
	uint64_t me = frame_method_entry(r, ep), def, id = 0, owner = 0;
	const char *name = me && at64(r, me, L->me_def, &def) && at64(r, def, L->def_original_id, &id) ? id_name(r, id) : NULL;

	if (name && L->qualified_labels && at64(r, me, L->me_owner, &owner))
		name = method_label(r, owner, name);
	return name ? name : model_intern(r->m, "(unknown C method)");
}

/* A C method's frame, named by its method entry; its path and line come from its caller (*pending). */
static struct runtime_frame *push_cfunc_frame(struct rb *r, struct thread *t, uint64_t ep, size_t *pending)
{
	struct runtime_frame *rf = VEC_PUSH(&t->rt.frames);

	if (rf) {
		rf->label = cfunc_label(r, ep);
		rf->path = model_intern(r->m, "");
		rf->cfunc = true;
		(*pending)++;
	}
	if (!rf || !rf->label || !rf->path)
		r->err = &hs_error_nomem;
	return rf;
}

static void thread_frames(struct rb *r, struct rthread *rt)
{
	const struct ruby_layout *L = r->L;
	struct thread *t = rt->t;
	uint64_t stack, size, cfp, end, n;
	unsigned char *cfps;
	size_t pending = 0;	/* C method frames waiting for their caller's location */
	uint32_t segment = 0, exec[MODEL_MAX_FRAMES], nexec = 0;
	bool skip_next = false;	/* 3.4+: the frame below a rescue/ensure frame is not shown */

	if (!at64(r, rt->ec, L->ec_vm_stack, &stack) || !at64(r, rt->ec, L->ec_vm_stack_size, &size) ||
	    !at64(r, rt->ec, L->ec_cfp, &cfp)) {
		t->rt.partial = true;
		r->damaged++;
		return;
	}
	if (!stack || !size)
		return;	/* not started, or finished: no frames (as Thread#backtrace) */
	/* the two dummy frames at the end of the VM stack are not shown */
	end = stack + 8 * size - (uint64_t)L->cfp_size;
	if (size > RUBY_VM_STACK_MAX || cfp < stack || cfp > end || (end - cfp) % (uint64_t)L->cfp_size) {
		t->rt.partial = true;
		r->damaged++;
		return;
	}
	n = (end - cfp) / (uint64_t)L->cfp_size;
	if (n > RUBY_FRAMES_MAX) {
		n = RUBY_FRAMES_MAX;
		t->rt.partial = true;
	}
	if (!n)
		return;
	/* native frames where the interpreter was entered: one per FINISH segment */
	for (size_t i = 0; i < t->frames.len && nexec < MODEL_MAX_FRAMES; i++)
		if (t->frames.items[i].function && strcmp(t->frames.items[i].function, "rb_vm_exec") == 0) {
			/* above the calls inlined into it (vm_exec_loop at the same pc), not between them */
			size_t j = i;
			while (j > 0 && t->frames.items[j - 1].inlined && t->frames.items[j - 1].pc == t->frames.items[i].pc)
				j--;
			exec[nexec++] = (uint32_t)j;
		}
	if (!(cfps = malloc((size_t)(n * (uint64_t)L->cfp_size)))) {
		r->err = &hs_error_nomem;
		return;
	}
	if (!rd(r, cfp, cfps, (size_t)(n * (uint64_t)L->cfp_size))) {
		/* read what can be read, frame by frame */
		uint64_t k = 0;
		while (k < n && rd(r, cfp + k * (uint64_t)L->cfp_size, cfps + k * (uint64_t)L->cfp_size, (size_t)L->cfp_size))
			k++;
		if (k < n) {
			t->rt.partial = true;
			r->damaged++;
			n = k;
		}
	}
	for (uint64_t k = 0; k < n && !r->err; k++) {
		const unsigned char *f = cfps + k * (uint64_t)L->cfp_size;
		uint64_t pc, iseq, ep, flags;
		struct runtime_frame *rf = NULL;
		bool wanted = false;	/* a frame Thread#backtrace shows */

		memcpy(&pc, f + L->cfp_pc, 8);
		memcpy(&iseq, f + L->cfp_iseq, 8);
		memcpy(&ep, f + L->cfp_ep, 8);
		if (!rd64(r, ep + 8 * (uint64_t)L->env_flags, &flags)) {
			t->rt.partial = true;
			r->damaged++;
			break;
		}
		if (iseq && pc) {
			const struct iseq_entry *e = iseq_get(r, iseq);
			bool skip = false, ctrace = false;

			if (e && L->qualified_labels) {
				skip = skip_next;
				skip_next = (int64_t)e->type == L->iseq_type_rescue || (int64_t)e->type == L->iseq_type_ensure;
				ctrace = (e->attrs & L->builtin_attr_c_trace) == L->builtin_attr_c_trace;
			}
			if (!e) {
				t->rt.partial = true;
				r->damaged++;
			} else if (skip) {
				/* hidden, as Ruby hides it */
			} else if (ctrace) {
				/* a builtin marked c_trace: shown as a C method */
				wanted = true;
				rf = push_cfunc_frame(r, t, ep, &pending);
			} else if ((wanted = true) && (rf = VEC_PUSH(&t->rt.frames))) {
				rf->path = e->path;
				rf->label = e->label;
				rf->line = iseq_line(r, e, pc);
				if (L->qualified_labels) {
					uint64_t me = frame_method_entry(r, ep), owner = 0;
					const char *label;

					if (me)
						at64(r, me, L->me_owner, &owner);
					/* e may be evicted from the cache from here on */
					if ((label = iseq_label(r, iseq, owner, 0)))
						rf->label = label;
				}
				/* C methods above take this caller's location */
				for (size_t j = t->rt.frames.len - 1 - pending; j < t->rt.frames.len - 1; j++) {
					t->rt.frames.items[j].path = rf->path;
					t->rt.frames.items[j].line = rf->line;
				}
				pending = 0;
			}
		} else if (!iseq && (flags & L->frame_magic_mask) == L->frame_magic_cfunc) {
			wanted = true;
			rf = push_cfunc_frame(r, t, ep, &pending);
		}
		if (rf)
			rf->native = segment < nexec ? exec[segment] : nexec ? exec[nexec - 1] : (uint32_t)t->frames.len;
		else if (wanted)
			r->err = &hs_error_nomem;
		if (flags & L->frame_flag_finish)
			segment++;
	}
	free(cfps);
}

/* ---- threads and waits -------------------------------------------------- */

static const char *status_name(const struct ruby_layout *L, unsigned status)
{
	if ((int64_t)status == L->thread_runnable)
		return "run";
	if ((int64_t)status == L->thread_stopped || (int64_t)status == L->thread_stopped_forever)
		return "sleep";
	return "dead";
}

static struct rthread *by_th(struct rb *r, uint64_t th)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].th == th)
			return &r->threads[i];
	return NULL;
}

static struct rthread *by_fiber(struct rb *r, uint64_t fiber)
{
	for (size_t i = 0; fiber && i < r->nthreads; i++)
		if (r->threads[i].fiber == fiber)
			return &r->threads[i];
	return NULL;
}

static struct thread *native_thread(struct rb *r, int32_t tid, uint64_t pthread)
{
	struct thread *t = tid > 0 ? model_thread(r->m, tid) : NULL;

	/* a pthread_t is its thread's fs_base */
	for (size_t i = 0; !t && pthread && i < r->m->threads.len; i++)
		if (r->m->threads.items[i].has_registers && r->m->threads.items[i].regs[GREG_FS_BASE] == pthread)
			t = &r->m->threads.items[i];
	return t && !t->rt.present ? t : NULL;
}

static void read_thread(struct rb *r, uint64_t th, uint64_t gvl_owner)
{
	const struct ruby_layout *L = r->L;
	uint64_t nt = th, pthread = 0, name = 0, ec = 0, fiber = 0, self = 0;
	uint32_t tid = 0;
	unsigned char status = 0;
	struct rthread *rt;
	struct thread *t;

	if (L->th_nt >= 0 && !at64(r, th, L->th_nt, &nt))
		return;
	if (!rd32(r, nt + (uint64_t)L->nt_tid, &tid) || !rd64(r, nt + (uint64_t)L->nt_thread_id, &pthread) ||
	    !at64(r, th, L->th_ec, &ec) || !rd(r, th + (uint64_t)L->th_status_byte, &status, 1))
		return;
	at64(r, th, L->th_name, &name);
	at64(r, th, L->th_self, &self);
	at64(r, ec, L->ec_fiber, &fiber);
	if (!(t = native_thread(r, (int32_t)tid, pthread)))
		return;
	rt = &r->threads[r->nthreads++];
	*rt = (struct rthread){ .th = th, .ec = ec, .fiber = fiber, .self = self, .t = t };
	t->rt.present = true;
	status = (unsigned char)((status >> L->th_status_shift) & ((1u << L->th_status_bits) - 1));
	t->rt.status = status_name(L, status);
	t->rt.forever = (int64_t)status == L->thread_stopped_forever;
	t->rt.gvl = gvl_owner == th;
	t->rt.name = name && name != L->qnil ? intern_string(r, name) : NULL;
	t->rt.queue_len = -1;
	t->rt.queue_waiters = -1;
	thread_frames(r, rt);
}

/* The innermost frame's receiver that is a Queue, SizedQueue or ConditionVariable. */
static void queue_wait(struct rb *r, struct rthread *rt)
{
	const struct ruby_layout *L = r->L;
	uint64_t cfp, stack, size;
	struct thread *t = rt->t;

	if (!at64(r, rt->ec, L->ec_cfp, &cfp) || !at64(r, rt->ec, L->ec_vm_stack, &stack) ||
	    !at64(r, rt->ec, L->ec_vm_stack_size, &size) || size > RUBY_VM_STACK_MAX)
		return;
	/* the blocking call is one of the innermost few frames (a C method, or 3.2+'s Ruby wrapper) */
	for (unsigned k = 0; k < 4 && cfp + (k + 1) * (uint64_t)L->cfp_size <= stack + 8 * size; k++) {
		uint64_t self, data;
		char type[24];
		int32_t waiting;

		if (!at64(r, cfp + k * (uint64_t)L->cfp_size, L->cfp_self, &self) || !typed_data(r, self, &data, type, sizeof(type)))
			continue;
		if (strcmp(type, "queue") == 0 || strcmp(type, "sized_queue") == 0) {
			uint64_t que;
			uint32_t w;

			t->rt.wait = RUNTIME_WAIT_QUEUE;
			t->rt.wait_obj = self;
			t->rt.wait_call = type[0] == 's' ? "SizedQueue#pop" : "Queue#pop";
			if (at64(r, data, L->queue_que, &que))
				t->rt.queue_len = array_len(r, que);
			if (rd32(r, data + (uint64_t)L->queue_num_waiting, &w) && (waiting = (int32_t)w) >= 0)
				t->rt.queue_waiters = waiting;
			if (type[0] == 's' && t->rt.queue_len > 0) {
				uint64_t max;
				if (at64(r, data, L->szqueue_max, &max) && t->rt.queue_len >= (long)max) {
					t->rt.wait_call = "SizedQueue#push";
					if (rd32(r, data + (uint64_t)L->szqueue_num_waiting_push, &w) && (waiting = (int32_t)w) >= 0)
						t->rt.queue_waiters = waiting;
				}
			}
			return;
		}
		if (strcmp(type, "condvar") == 0) {
			t->rt.wait = RUNTIME_WAIT_QUEUE;
			t->rt.wait_obj = self;
			t->rt.wait_call = "ConditionVariable#wait";
			return;
		}
	}
}

static void thread_waits(struct rb *r)
{
	const struct ruby_layout *L = r->L;

	/* Thread#join: every waiter is on its target's join list */
	for (size_t i = 0; i < r->nthreads; i++) {
		uint64_t node;
		unsigned n = 0;

		if (!at64(r, r->threads[i].th, L->th_join_list, &node))
			continue;
		while (node && n++ < RUBY_JOIN_LIST_MAX) {
			uint64_t wth, next;
			struct rthread *w;

			if (!at64(r, node, L->waiting_thread, &wth) || !at64(r, node, L->waiting_next, &next))
				break;
			if ((w = by_th(r, wth)) && w != &r->threads[i] && w->t->rt.wait == RUNTIME_WAIT_NONE) {
				w->t->rt.wait = RUNTIME_WAIT_JOIN;
				w->t->rt.wait_call = "Thread#join";
				w->t->rt.wait_tid = r->threads[i].t->tid;
			}
			node = next;
		}
	}
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rthread *rt = &r->threads[i];
		struct thread *t = rt->t;
		uint64_t mutex, data, fiber;
		char type[24];

		if (t->rt.wait != RUNTIME_WAIT_NONE || strcmp(t->rt.status, "sleep") != 0)
			continue;
		/* Mutex#lock: the mutex being locked names its owner's fiber */
		if (at64(r, rt->th, L->th_locking_mutex, &mutex) && is_object(r, mutex) &&
		    typed_data(r, mutex, &data, type, sizeof(type)) && strcmp(type, "mutex") == 0) {
			struct rthread *owner;

			t->rt.wait = RUNTIME_WAIT_MUTEX;
			t->rt.wait_call = "Mutex#lock";
			t->rt.wait_obj = mutex;
			if (at64(r, data, L->mutex_fiber, &fiber) && (owner = by_fiber(r, fiber)))
				t->rt.wait_tid = owner->t->tid;
			continue;
		}
		queue_wait(r, rt);
		if (t->rt.wait == RUNTIME_WAIT_NONE && t->rt.forever && t->rt.frames.len && t->rt.frames.items[0].cfunc &&
		    strcmp(t->rt.frames.items[0].label, "sleep") == 0) {
			t->rt.wait = RUNTIME_WAIT_SLEEP;
			t->rt.wait_call = "Kernel#sleep";
		}
	}
}

/* ---- entry ------------------------------------------------------------- */

struct hs_error *ruby_walk_target(struct model *m, const struct ruby_target *tg)
{
	struct rb *r;
	const char *version = tg->version && *tg->version ? tg->version : NULL;
	uint64_t vm, ractor, single = 0, head, node, gvl_owner = 0;
	uint32_t count = 0;
	struct hs_error *err;
	size_t n = 0;

	m->runtime.name = "ruby";
	if (!(m->runtime.version = model_intern(m, version ? version : "unknown")))
		return &hs_error_nomem;
	if (!(r = calloc(1, sizeof(*r))))
		return &hs_error_nomem;
	r->m = m;
	r->target = tg;
	if (!(r->L = tg->layout ? tg->layout : tg->no_builtin ? NULL : ruby_layout_find(version))) {
		model_warn(m, "Ruby %s: no %s layout for this version (%s%s); Ruby frames are not shown",
			   version ? version : "of unknown version", tg->no_builtin ? "DWARF" : "built-in",
			   tg->no_builtin ? "HANGANALYZE_RUBY_LAYOUT=dwarf" : "have ",
			   tg->no_builtin ? "" : ruby_layout_versions());
		free(r);
		return NULL;
	}
	{
		char layout[32];
		snprintf(layout, sizeof(layout), "%s%s", tg->layout ? "DWARF" : "built-in ", tg->layout ? "" : r->L->version);
		if (!(m->runtime.layout = model_intern(m, layout))) {
			free(r);
			return &hs_error_nomem;
		}
	}
	/* the VM, its main ractor, and a cross-check with the exported single ractor */
	if (!rd64(r, tg->vm_ptr, &vm) || !vm || !at64(r, vm, r->L->vm_main_ractor, &ractor) || !ractor ||
	    (tg->single_ractor_ptr && rd64(r, tg->single_ractor_ptr, &single) && single && single != ractor)) {
		model_warn(m, "Ruby %s: the VM could not be read (%s); Ruby frames are not shown", version,
			   single && single != ractor ? "its layout does not match" : "no VM yet, or damaged");
		free(r);
		return NULL;
	}
	head = ractor + (uint64_t)r->L->ractor_threads;
	if (!rd32(r, ractor + (uint64_t)r->L->ractor_thread_count, &count) || !rd64(r, head, &node)) {
		model_warn(m, "Ruby %s: the thread list could not be read; Ruby frames are not shown", version);
		free(r);
		return NULL;
	}
	at64(r, ractor, r->L->ractor_gvl_owner, &gvl_owner);
	if (!(r->threads = calloc(m->threads.len + 1, sizeof(*r->threads)))) {
		free(r);
		return &hs_error_nomem;
	}
	while (node && node != head && n++ < RUBY_THREADS_MAX && r->nthreads < m->threads.len && !r->err) {
		read_thread(r, node - (uint64_t)r->L->th_node, gvl_owner);
		if (!rd64(r, node, &node)) {
			r->damaged++;
			break;
		}
	}
	if (node != head && !r->err && r->nthreads < m->threads.len)
		model_warn(m, "Ruby %s: the thread list ends early (%zu of %u threads read)", version, r->nthreads, count);
	if (!r->err)
		thread_waits(r);
	if (r->damaged && !r->err)
		model_warn(m, "Ruby %s: %u part(s) of the VM could not be read; the Ruby frames shown may be partial",
			   version, r->damaged);
	err = r->err;
	free(r->threads);
	free(r);
	return err;
}

/* The core through the unwinder: its memory, else the module file's read-only data. */
static size_t core_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return unwind_read(ctx, addr, buf, len);
}

static void read_version(struct unwinder *u, char *version, size_t size)
{
	struct unwind_symbol s;

	version[0] = '\0';
	if (unwind_find_symbol(u, "ruby", "ruby_version", &s)) {
		size_t n = unwind_read(u, s.addr, version, size - 1);
		version[n] = '\0';
	}
	/* "3.1.2": digits and dots only */
	version[strspn(version, "0123456789.")] = '\0';
}

struct hs_error *ruby_core_target_init(struct model *m, struct unwinder *u, struct ruby_core_target *ct)
{
	struct unwind_symbol vm_sym, ractor_sym;
	struct ruby_target *tg = &ct->target;

	memset(ct, 0, sizeof(*ct));
	if (!u || !unwind_find_symbol(u, "ruby", "ruby_current_vm_ptr", &vm_sym))
		return NULL;
	tg->read = core_read;
	tg->ctx = u;
	tg->vm_ptr = vm_sym.addr;
	if (unwind_find_symbol(u, "ruby", "ruby_single_main_ractor", &ractor_sym))
		tg->single_ractor_ptr = ractor_sym.addr;
	read_version(u, ct->version, sizeof(ct->version));
	tg->version = ct->version;
	/* the module's writable data and the .bss right after its file mappings: where the symbol table is */
	for (size_t i = 0; i < m->core->segments.len; i++) {
		const struct elfcore_segment *s = &m->core->segments.items[i];
		uint64_t lo = MAX(s->vaddr, vm_sym.module_start), hi = MIN(s->vaddr + s->filesz, vm_sym.module_end + (1u << 20));
		struct ruby_range *nr;

		if (!(s->flags & PF_W) || hi <= lo)
			continue;
		if (!(nr = realloc(ct->ranges, (tg->ndata + 1) * sizeof(*nr))))
			return &hs_error_nomem;
		ct->ranges = nr;
		ct->ranges[tg->ndata++] = (struct ruby_range){ lo, hi - lo };
	}
	tg->data = ct->ranges;
	/* the layout from libruby's own debug info when it has any: no table needed, none to mismatch */
	if (ruby_dwarf_layout(m, u, vm_sym.module_start, ct->version, &ct->dwarf_layout))
		tg->layout = &ct->dwarf_layout;
	tg->no_builtin = ruby_layout_mode() == RUBY_LAYOUT_DWARF;
	ct->found = true;
	return NULL;
}

void ruby_core_target_deinit(struct ruby_core_target *ct)
{
	free(ct->ranges);
	ct->ranges = NULL;
}

struct hs_error *ruby_walk(struct model *m, struct unwinder *u)
{
	struct ruby_core_target ct;
	struct hs_error *err = ruby_core_target_init(m, u, &ct);

	if (!err && ct.found)
		err = ruby_walk_target(m, &ct.target);
	ruby_core_target_deinit(&ct);
	return err;
}
