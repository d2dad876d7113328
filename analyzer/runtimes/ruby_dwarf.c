/*
 * See ruby_dwarf.h. One capped pass over the top-level DIEs of every unit
 * collects the wanted types (full definitions only) and constants; a second,
 * only when some constant is still missing, reads the units' .debug_macro
 * (each imported macro group once). Then every field is resolved the way
 * ruby-layout-gen.c computes it, version differences decided by what the
 * types hold (RString.len, rb_thread_struct.nt, threads.sched).
 */
#include "analyzer/runtimes/ruby_dwarf.h"

#include <dwarf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define DW_UNITS_MAX 20000u		/* compile units visited */
#define DW_DIES_MAX 4000000u		/* DIEs visited (top level and enumerators) */
#define DW_MACROS_MAX 8000000u		/* macro entries visited */
#define DW_IMPORTS_MAX 65536u		/* distinct macro groups */
#define DW_MEMBERS_MAX 65536u		/* members of one struct looked at */
#define DW_PATH_DEPTH 8			/* members in a path, anonymous members nested */
#define DW_TYPE_HOPS 16			/* typedef/qualifier hops to an aggregate */

enum { W_STRUCT, W_TYPEDEF };

static const struct {
	int kind;
	const char *name;
} wanted_types[] = {
	{ W_STRUCT, "RBasic" }, { W_STRUCT, "RString" }, { W_STRUCT, "RArray" }, { W_STRUCT, "RTypedData" },
	{ W_STRUCT, "rb_data_type_struct" }, { W_STRUCT, "rb_vm_struct" }, { W_STRUCT, "rb_ractor_struct" },
	{ W_STRUCT, "rb_thread_struct" }, { W_STRUCT, "rb_native_thread" }, { W_STRUCT, "rb_waiting_list" },
	{ W_STRUCT, "rb_execution_context_struct" }, { W_STRUCT, "rb_control_frame_struct" },
	{ W_STRUCT, "rb_iseq_struct" }, { W_STRUCT, "rb_iseq_constant_body" }, { W_STRUCT, "iseq_insn_info_entry" },
	{ W_STRUCT, "succ_index_table" }, { W_STRUCT, "succ_dict_block" },
	{ W_STRUCT, "rb_callable_method_entry_struct" }, { W_STRUCT, "rb_method_definition_struct" },
	{ W_TYPEDEF, "rb_symbols_t" }, { W_STRUCT, "rb_mutex_struct" }, { W_STRUCT, "rb_queue" },
	{ W_STRUCT, "rb_szqueue" }, { W_STRUCT, "RClass_and_rb_classext_t" }, { W_STRUCT, "vm_svar" },
};
enum { NTYPES = ARRAY_SIZE(wanted_types) };

/* constants: enumerators, const variables with a value, else #defines */
static const char *const wanted_consts[] = {
	"RUBY_Qfalse", "RUBY_Qtrue", "RUBY_Qnil", "RUBY_Qundef", "RUBY_FIXNUM_FLAG", "RUBY_IMMEDIATE_MASK",
	"RUBY_SPECIAL_SHIFT", "RUBY_T_MASK", "RUBY_T_STRING", "RUBY_T_ARRAY", "RUBY_T_DATA", "RUBY_T_IMEMO",
	"RUBY_FL_USHIFT", "IMEMO_MASK", "imemo_ment", "imemo_iseq", "RSTRING_NOEMBED", "RSTRING_EMBED_LEN_MASK",
	"RSTRING_EMBED_LEN_SHIFT", "RARRAY_EMBED_FLAG", "RARRAY_EMBED_LEN_MASK", "RARRAY_EMBED_LEN_SHIFT",
	"TYPED_DATA_EMBEDDED", "THREAD_RUNNABLE", "THREAD_STOPPED", "THREAD_STOPPED_FOREVER", "THREAD_KILLED",
	"VM_ENV_DATA_INDEX_ME_CREF", "VM_ENV_DATA_INDEX_SPECVAL", "VM_ENV_DATA_INDEX_FLAGS", "VM_FRAME_MAGIC_MASK",
	"VM_FRAME_MAGIC_CFUNC", "VM_FRAME_FLAG_FINISH", "VM_ENV_FLAG_LOCAL", "IMMEDIATE_TABLE_SIZE", "ID_ENTRY_UNIT",
	"ID_ENTRY_SIZE", "ID_ENTRY_STR", "RUBY_ID_SCOPE_SHIFT", "tLAST_OP_ID",
	/* 3.4+ */
	"BUILTIN_ATTR_C_TRACE", "ISEQ_TYPE_TOP", "ISEQ_TYPE_METHOD", "ISEQ_TYPE_BLOCK", "ISEQ_TYPE_CLASS",
	"ISEQ_TYPE_RESCUE", "ISEQ_TYPE_ENSURE", "ISEQ_TYPE_EVAL", "ISEQ_TYPE_MAIN", "ISEQ_TYPE_PLAIN", "RUBY_T_CLASS",
	"RUBY_T_MODULE", "RUBY_FL_SINGLETON", "imemo_svar",
};
enum { NCONSTS = ARRAY_SIZE(wanted_consts) };

struct dctx {
	Dwarf *dw;
	bool have_type[NTYPES];
	Dwarf_Die type[NTYPES];
	bool have_const[NCONSTS], conflict[NCONSTS];
	int64_t cval[NCONSTS];
	/* #defines, used only for what no DIE gives (RUBY_Qfalse is both: an enumerator and a cast macro) */
	bool have_macro[NCONSTS], macro_bad[NCONSTS];
	int64_t mval[NCONSTS];
	bool macros_read;		/* some unit had macro info */
	unsigned long dies, macros;
	bool capped;
	Dwarf_Off *imports;		/* macro groups queued or read */
	size_t nimports, imports_done;
	const struct ruby_layout *fallback;
	int major, minor;		/* of ruby_version */
	bool used_fallback;
	bool failed;
	char *why;
	size_t whysize;
};

static void fail(struct dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct dctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->why, c->whysize, fmt, ap);
	va_end(ap);
}

static int const_index(const char *name)
{
	for (int i = 0; name && i < NCONSTS; i++)
		if (name[0] == wanted_consts[i][0] && strcmp(name, wanted_consts[i]) == 0)
			return i;
	return -1;
}

static void set_const(struct dctx *c, int i, int64_t v)
{
	if (c->have_const[i] && c->cval[i] != v)
		c->conflict[i] = true;
	c->have_const[i] = true;
	c->cval[i] = v;
}

static bool const_value(Dwarf_Die *die, int64_t *v)
{
	Dwarf_Attribute attr;
	Dwarf_Word u;
	Dwarf_Sword s;

	if (!dwarf_attr(die, DW_AT_const_value, &attr))
		return false;
	if (dwarf_whatform(&attr) == DW_FORM_sdata || dwarf_whatform(&attr) == DW_FORM_implicit_const) {
		if (dwarf_formsdata(&attr, &s) != 0)
			return false;
		*v = s;
		return true;
	}
	if (dwarf_formudata(&attr, &u) != 0)
		return false;
	*v = (int64_t)u;
	return true;
}

static bool all_found(const struct dctx *c)
{
	for (int i = 0; i < NTYPES; i++)
		if (!c->have_type[i])
			return false;
	for (int i = 0; i < NCONSTS; i++)
		if (!c->have_const[i] && !c->have_macro[i])
			return false;
	return true;
}

/* after the macro pass: what only a #define gave becomes a constant (a bad one: a conflict) */
static void take_macros(struct dctx *c)
{
	for (int i = 0; i < NCONSTS; i++)
		if (!c->have_const[i] && c->have_macro[i]) {
			c->have_const[i] = true;
			c->cval[i] = c->mval[i];
			c->conflict[i] = c->macro_bad[i];
		}
}

/* one top-level DIE of a unit */
static void visit(struct dctx *c, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	const char *name = dwarf_diename(die);
	Dwarf_Die child;
	int64_t v;
	int i;

	if (tag == DW_TAG_enumeration_type) {
		if (dwarf_child(die, &child) != 0)
			return;
		do {
			if (++c->dies > DW_DIES_MAX) {
				c->capped = true;
				return;
			}
			if (dwarf_tag(&child) == DW_TAG_enumerator && (i = const_index(dwarf_diename(&child))) >= 0 &&
			    const_value(&child, &v))
				set_const(c, i, v);
		} while (dwarf_siblingof(&child, &child) == 0);
		return;
	}
	if (!name)
		return;
	if (tag == DW_TAG_variable) {
		if ((i = const_index(name)) >= 0 && const_value(die, &v))
			set_const(c, i, v);
		return;
	}
	if (tag != DW_TAG_structure_type && tag != DW_TAG_typedef)
		return;
	if (tag == DW_TAG_structure_type && (dwarf_hasattr(die, DW_AT_declaration) || !dwarf_haschildren(die)))
		return;
	for (i = 0; i < NTYPES; i++)
		if (!c->have_type[i] && (wanted_types[i].kind == W_STRUCT) == (tag == DW_TAG_structure_type) &&
		    strcmp(name, wanted_types[i].name) == 0) {
			c->type[i] = *die;
			c->have_type[i] = true;
		}
}

static void walk_units(struct dctx *c)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	unsigned units = 0;

	while (!c->capped && !all_found(c) && dwarf_nextcu(c->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die;

		if (++units > DW_UNITS_MAX) {
			c->capped = true;
			break;
		}
		if (dwarf_offdie(c->dw, off + hsize, &cu) && dwarf_child(&cu, &die) == 0) {
			do {
				if (++c->dies > DW_DIES_MAX) {
					c->capped = true;
					break;
				}
				visit(c, &die);
			} while (!c->capped && dwarf_siblingof(&die, &die) == 0);
		}
		off = next;
	}
}

/* ---- #defines from .debug_macro ---------------------------------------- */

/* "54", "(-2)", "( 0)", "0x0f": one integer literal, parenthesized or negated; else false */
static bool parse_int(const char *s, int64_t *v)
{
	int open = 0, neg = 0;
	char *end;
	unsigned long long u;

	for (;; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (*s == '(' && open < 4) {
			open++;
			continue;
		}
		break;
	}
	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	u = strtoull(s, &end, 0);
	if (errno || u > INT64_MAX)
		return false;
	while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
		end++;
	for (; *end; end++) {
		if (*end == ' ' || *end == '\t')
			continue;
		if (*end == ')' && open > 0) {
			open--;
			continue;
		}
		return false;
	}
	if (open)
		return false;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

static void queue_import(struct dctx *c, Dwarf_Off off)
{
	Dwarf_Off *n;

	for (size_t i = 0; i < c->nimports; i++)
		if (c->imports[i] == off)
			return;
	if (c->nimports >= DW_IMPORTS_MAX) {
		c->capped = true;
		return;
	}
	if (!(n = realloc(c->imports, (c->nimports + 1) * sizeof(*n)))) {
		c->capped = true;
		return;
	}
	c->imports = n;
	c->imports[c->nimports++] = off;
}

static int macro_cb(Dwarf_Macro *mac, void *arg)
{
	struct dctx *c = arg;
	unsigned int op;
	const char *str;
	Dwarf_Word line;
	char name[64];
	size_t len;
	int64_t v = 0;
	int i;

	if (++c->macros > DW_MACROS_MAX) {
		c->capped = true;
		return DWARF_CB_ABORT;
	}
	if (dwarf_macro_opcode(mac, &op) != 0)
		return DWARF_CB_OK;
	if (op == DW_MACRO_import) {
		Dwarf_Attribute attr;
		Dwarf_Word off;

		if (dwarf_macro_param(mac, 0, &attr) == 0 && dwarf_formudata(&attr, &off) == 0)
			queue_import(c, off);
		return c->capped ? DWARF_CB_ABORT : DWARF_CB_OK;
	}
	if (op != DW_MACRO_define && op != DW_MACRO_define_strp && op != DW_MACRO_define_strx &&
	    op != DW_MACRO_define_sup)
		return DWARF_CB_OK;
	if (dwarf_macro_param2(mac, &line, &str) != 0 || !str)
		return DWARF_CB_OK;
	/* "NAME VALUE"; function-like macros ("NAME(") are not constants */
	len = strcspn(str, " (");
	if (len == 0 || len >= sizeof(name) || str[len] != ' ')
		return DWARF_CB_OK;
	memcpy(name, str, len);
	name[len] = '\0';
	if ((i = const_index(name)) < 0)
		return DWARF_CB_OK;
	if (c->have_const[i])
		return DWARF_CB_OK;
	if (!parse_int(str + len + 1, &v) || (c->have_macro[i] && c->mval[i] != v))
		c->macro_bad[i] = true;	/* an expression, or two values: not guessed at */
	c->have_macro[i] = true;
	c->mval[i] = v;
	return DWARF_CB_OK;
}

static void walk_macros(struct dctx *c)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	unsigned units = 0;

	while (!c->capped && !all_found(c) && dwarf_nextcu(c->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;

		if (++units > DW_UNITS_MAX) {
			c->capped = true;
			break;
		}
		if (dwarf_offdie(c->dw, off + hsize, &cu) &&
		    (dwarf_hasattr(&cu, DW_AT_macros) || dwarf_hasattr(&cu, DW_AT_GNU_macros) ||
		     dwarf_hasattr(&cu, DW_AT_macro_info))) {
			c->macros_read |= dwarf_getmacros(&cu, macro_cb, c, DWARF_GETMACROS_START) >= 0;
			/* the groups this unit imported, and theirs, each once */
			while (!c->capped && c->imports_done < c->nimports)
				dwarf_getmacros_off(c->dw, c->imports[c->imports_done++], macro_cb, c, DWARF_GETMACROS_START);
		}
		off = next;
	}
}

/* ---- resolving --------------------------------------------------------- */

/* through typedefs and qualifiers to the type itself */
static bool peel(Dwarf_Die *type, Dwarf_Die *out)
{
	Dwarf_Die t = *type;

	for (int hops = 0; hops < DW_TYPE_HOPS; hops++) {
		int tag = dwarf_tag(&t);
		Dwarf_Attribute attr;

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
			*out = t;
			return true;
		}
		if (!dwarf_attr(&t, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &t))
			return false;
	}
	return false;
}

static bool member_type(Dwarf_Die *member, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	Dwarf_Die t;

	return dwarf_attr(member, DW_AT_type, &attr) && dwarf_formref_die(&attr, &t) && peel(&t, out);
}

static bool member_location(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr(m, DW_AT_data_member_location, &attr)) {
		*off = 0;	/* union members, and bit-fields with DW_AT_data_bit_offset */
		return true;
	}
	return dwarf_formudata(&attr, off) == 0;
}

/* member `name` of the aggregate agg (anonymous members searched too): its DIE and byte offset */
static bool find_member(Dwarf_Die *agg, const char *name, size_t len, Dwarf_Die *out, Dwarf_Word *off, int depth)
{
	unsigned n = 0;
	Dwarf_Die m;

	if (depth > DW_PATH_DEPTH || dwarf_child(agg, &m) != 0)
		return false;
	do {
		if (++n > DW_MEMBERS_MAX)	/* a hostile sibling chain */
			return false;
		const char *mname;
		Dwarf_Word moff;
		Dwarf_Die t;

		if (dwarf_tag(&m) != DW_TAG_member || !member_location(&m, &moff))
			continue;
		mname = dwarf_diename(&m);
		if (mname && strlen(mname) == len && memcmp(mname, name, len) == 0) {
			*out = m;
			*off = moff;
			return true;
		}
		if (!mname && member_type(&m, &t) &&
		    (dwarf_tag(&t) == DW_TAG_structure_type || dwarf_tag(&t) == DW_TAG_union_type) &&
		    find_member(&t, name, len, out, off, depth + 1)) {
			*off += moff;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

static int type_index(const char *name)
{
	for (int i = 0; i < NTYPES; i++)
		if (strcmp(wanted_types[i].name, name) == 0)
			return i;
	return -1;
}

static bool type_die(struct dctx *c, const char *name, Dwarf_Die *out)
{
	int i = type_index(name);

	return i >= 0 && c->have_type[i] && peel(&c->type[i], out);
}

/* the member at "a.b.c" of type name: its DIE and byte offset; quiet */
static bool path_find(struct dctx *c, const char *type, const char *path, Dwarf_Die *member, Dwarf_Word *off)
{
	Dwarf_Die agg;
	const char *p = path;
	int depth = 0;

	*off = 0;
	if (!type_die(c, type, &agg))
		return false;
	for (;;) {
		size_t len = strcspn(p, ".");
		Dwarf_Word moff;

		if (++depth > DW_PATH_DEPTH || !find_member(&agg, p, len, member, &moff, 0))
			return false;
		*off += moff;
		if (!p[len])
			return true;
		p += len + 1;
		if (!member_type(member, &agg))
			return false;
	}
}

static bool has_member(struct dctx *c, const char *type, const char *path)
{
	Dwarf_Die m;
	Dwarf_Word off;

	return path_find(c, type, path, &m, &off);
}

static void off(struct dctx *c, int64_t *dst, const char *type, const char *path)
{
	Dwarf_Die m;
	Dwarf_Word o;

	if (!path_find(c, type, path, &m, &o) || o > INT32_MAX) {
		int i = type_index(type);

		fail(c, "%s %s%s%s", i >= 0 && c->have_type[i] ? "type" : "no type", type,
		     i >= 0 && c->have_type[i] ? " has no member " : "", i >= 0 && c->have_type[i] ? path : "");
		return;
	}
	*dst = (int64_t)o;
}

/* sizeof(type), or of the member at path when path is not NULL */
static void size(struct dctx *c, int64_t *dst, const char *type, const char *path)
{
	Dwarf_Die d, t;
	Dwarf_Word o;
	Dwarf_Word sz;

	if (path ? !path_find(c, type, path, &d, &o) || !member_type(&d, &t) : !type_die(c, type, &t)) {
		fail(c, "no size of %s%s%s", type, path ? "." : "", path ? path : "");
		return;
	}
	if (dwarf_aggregate_size(&t, &sz) != 0 || sz > INT32_MAX) {
		fail(c, "no size of %s%s%s", type, path ? "." : "", path ? path : "");
		return;
	}
	*dst = (int64_t)sz;
}

/* a bit-field: the byte holding its lowest bit, the bit's position in it, its width (little-endian) */
static void bitfield(struct dctx *c, int64_t *byte, int64_t *shift, int64_t *bits, const char *type, const char *path)
{
	Dwarf_Die m;
	Dwarf_Word o, bitsize, bitoff, bytesize;
	Dwarf_Attribute attr;
	uint64_t bit;

	if (!path_find(c, type, path, &m, &o) || !dwarf_attr(&m, DW_AT_bit_size, &attr) ||
	    dwarf_formudata(&attr, &bitsize) != 0 || bitsize == 0 || bitsize > 64) {
		fail(c, "%s.%s is not a bit-field there", type, path);
		return;
	}
	if (dwarf_attr(&m, DW_AT_data_bit_offset, &attr)) {
		if (dwarf_formudata(&attr, &bitoff) != 0)
			goto bad;
		bit = o * 8 + bitoff;
	} else if (dwarf_attr(&m, DW_AT_bit_offset, &attr)) {
		/* DWARF 2/3: counted from the most significant bit of a DW_AT_byte_size unit */
		if (dwarf_formudata(&attr, &bitoff) != 0 || !dwarf_attr(&m, DW_AT_byte_size, &attr) ||
		    dwarf_formudata(&attr, &bytesize) != 0 || bytesize > 16 || bitoff + bitsize > bytesize * 8)
			goto bad;
		bit = o * 8 + bytesize * 8 - bitoff - bitsize;
	} else {
		goto bad;
	}
	if (bit / 8 > INT32_MAX)
		goto bad;
	*byte = (int64_t)(bit / 8);
	*shift = (int64_t)(bit % 8);
	*bits = (int64_t)bitsize;
	return;
bad:
	fail(c, "%s.%s: its bit position cannot be read", type, path);
}

/* a constant; what the DWARF lacks from the fallback's field at foff (when given), else a failure */
static void cst(struct dctx *c, void *dst, const char *name, size_t foff)
{
	int i = const_index(name);

	if (i >= 0 && c->have_const[i] && !c->conflict[i]) {
		memcpy(dst, &c->cval[i], sizeof(int64_t));
		return;
	}
	if (c->fallback && foff != SIZE_MAX) {
		memcpy(dst, (const char *)c->fallback + foff, sizeof(int64_t));
		c->used_fallback = true;
		return;
	}
	fail(c, "%s is %s in the debug info", name, i >= 0 && c->conflict[i] ? "not one plain value" : "not");
}

#define CST(field, name) cst(c, &L->field, name, offsetof(struct ruby_layout, field))
#define OFF(field, type, path) off(c, &L->field, type, path)

static void resolve(struct dctx *c, struct ruby_layout *L)
{
	/* special constants and object headers */
	CST(qfalse, "RUBY_Qfalse");
	CST(qtrue, "RUBY_Qtrue");
	CST(qnil, "RUBY_Qnil");
	CST(qundef, "RUBY_Qundef");
	CST(fixnum_flag, "RUBY_FIXNUM_FLAG");
	CST(immediate_mask, "RUBY_IMMEDIATE_MASK");
	CST(special_shift, "RUBY_SPECIAL_SHIFT");
	OFF(basic_flags, "RBasic", "flags");
	OFF(basic_klass, "RBasic", "klass");
	CST(t_mask, "RUBY_T_MASK");
	CST(t_string, "RUBY_T_STRING");
	CST(t_array, "RUBY_T_ARRAY");
	CST(t_data, "RUBY_T_DATA");
	CST(t_imemo, "RUBY_T_IMEMO");
	CST(fl_ushift, "RUBY_FL_USHIFT");
	CST(imemo_mask, "IMEMO_MASK");
	CST(imemo_ment, "imemo_ment");
	CST(imemo_iseq, "imemo_iseq");

	/* String: the length in the flags (before 3.2), or in `len` */
	CST(rstring_noembed, "RSTRING_NOEMBED");
	if (has_member(c, "RString", "len")) {
		L->rstring_embed_len_mask = 0;
		L->rstring_embed_len_shift = 0;
		OFF(rstring_len, "RString", "len");
	} else {
		CST(rstring_embed_len_mask, "RSTRING_EMBED_LEN_MASK");
		CST(rstring_embed_len_shift, "RSTRING_EMBED_LEN_SHIFT");
		OFF(rstring_len, "RString", "as.heap.len");
	}
	OFF(rstring_ary, "RString", "as.embed.ary");
	OFF(rstring_ptr, "RString", "as.heap.ptr");

	/* Array */
	CST(rarray_embed_flag, "RARRAY_EMBED_FLAG");
	CST(rarray_embed_len_mask, "RARRAY_EMBED_LEN_MASK");
	CST(rarray_embed_len_shift, "RARRAY_EMBED_LEN_SHIFT");
	OFF(rarray_len, "RArray", "as.heap.len");
	OFF(rarray_ptr, "RArray", "as.heap.ptr");
	OFF(rarray_ary, "RArray", "as.ary");

	/* typed data */
	OFF(rtypeddata_type, "RTypedData", "type");
	OFF(rtypeddata_typed_flag, "RTypedData", "typed_flag");
	OFF(rtypeddata_data, "RTypedData", "data");
	size(c, &L->rtypeddata_size, "RTypedData", NULL);
	{
		int i = const_index("TYPED_DATA_EMBEDDED");

		/* #ifdef TYPED_DATA_EMBEDDED: absent only when macro info was read through and never defined it */
		if (!c->have_const[i] && c->macros_read && !c->capped)
			L->typeddata_embedded = 0;
		else
			CST(typeddata_embedded, "TYPED_DATA_EMBEDDED");
	}
	OFF(data_type_name, "rb_data_type_struct", "wrap_struct_name");

	/* VM and ractor */
	OFF(vm_main_ractor, "rb_vm_struct", "ractor.main_ractor");
	OFF(vm_main_thread, "rb_vm_struct", "ractor.main_thread");
	OFF(ractor_threads, "rb_ractor_struct", "threads.set");
	OFF(ractor_thread_count, "rb_ractor_struct", "threads.cnt");
	if (has_member(c, "rb_ractor_struct", "threads.sched"))
		OFF(ractor_gvl_owner, "rb_ractor_struct", "threads.sched.running");
	else
		OFF(ractor_gvl_owner, "rb_ractor_struct", "threads.gvl.owner");
	OFF(ractor_running_ec, "rb_ractor_struct", "threads.running_ec");

	/* thread */
	OFF(th_node, "rb_thread_struct", "lt_node");
	OFF(th_self, "rb_thread_struct", "self");
	OFF(th_ec, "rb_thread_struct", "ec");
	if (has_member(c, "rb_thread_struct", "nt")) {
		OFF(th_nt, "rb_thread_struct", "nt");
		OFF(nt_thread_id, "rb_native_thread", "thread_id");
		OFF(nt_tid, "rb_native_thread", "tid");
	} else {
		L->th_nt = -1;
		OFF(nt_thread_id, "rb_thread_struct", "thread_id");
		OFF(nt_tid, "rb_thread_struct", "tid");
	}
	bitfield(c, &L->th_status_byte, &L->th_status_shift, &L->th_status_bits, "rb_thread_struct", "status");
	CST(thread_runnable, "THREAD_RUNNABLE");
	CST(thread_stopped, "THREAD_STOPPED");
	CST(thread_stopped_forever, "THREAD_STOPPED_FOREVER");
	CST(thread_killed, "THREAD_KILLED");
	OFF(th_locking_mutex, "rb_thread_struct", "locking_mutex");
	OFF(th_keeping_mutexes, "rb_thread_struct", "keeping_mutexes");
	OFF(th_join_list, "rb_thread_struct", "join_list");
	OFF(th_name, "rb_thread_struct", "name");
	OFF(waiting_next, "rb_waiting_list", "next");
	OFF(waiting_thread, "rb_waiting_list", "thread");

	/* execution context, control frames */
	OFF(ec_vm_stack, "rb_execution_context_struct", "vm_stack");
	OFF(ec_vm_stack_size, "rb_execution_context_struct", "vm_stack_size");
	OFF(ec_cfp, "rb_execution_context_struct", "cfp");
	OFF(ec_fiber, "rb_execution_context_struct", "fiber_ptr");
	OFF(ec_thread, "rb_execution_context_struct", "thread_ptr");
	size(c, &L->cfp_size, "rb_control_frame_struct", NULL);
	OFF(cfp_pc, "rb_control_frame_struct", "pc");
	OFF(cfp_iseq, "rb_control_frame_struct", "iseq");
	OFF(cfp_self, "rb_control_frame_struct", "self");
	OFF(cfp_ep, "rb_control_frame_struct", "ep");
	CST(env_me_cref, "VM_ENV_DATA_INDEX_ME_CREF");
	CST(env_specval, "VM_ENV_DATA_INDEX_SPECVAL");
	CST(env_flags, "VM_ENV_DATA_INDEX_FLAGS");
	CST(frame_magic_mask, "VM_FRAME_MAGIC_MASK");
	CST(frame_magic_cfunc, "VM_FRAME_MAGIC_CFUNC");
	CST(frame_flag_finish, "VM_FRAME_FLAG_FINISH");
	CST(env_flag_local, "VM_ENV_FLAG_LOCAL");

	/* instruction sequences and line tables */
	OFF(iseq_body, "rb_iseq_struct", "body");
	OFF(body_pathobj, "rb_iseq_constant_body", "location.pathobj");
	OFF(body_label, "rb_iseq_constant_body", "location.label");
	OFF(body_first_lineno, "rb_iseq_constant_body", "location.first_lineno");
	size(c, &L->body_first_lineno_size, "rb_iseq_constant_body", "location.first_lineno");
	OFF(body_iseq_encoded, "rb_iseq_constant_body", "iseq_encoded");
	OFF(body_iseq_size, "rb_iseq_constant_body", "iseq_size");
	OFF(body_insns_info, "rb_iseq_constant_body", "insns_info.body");
	OFF(body_insns_info_size, "rb_iseq_constant_body", "insns_info.size");
	size(c, &L->body_insns_info_size_size, "rb_iseq_constant_body", "insns_info.size");
	OFF(body_succ_index_table, "rb_iseq_constant_body", "insns_info.succ_index_table");
	size(c, &L->insn_info_size, "iseq_insn_info_entry", NULL);
	OFF(insn_info_line_no, "iseq_insn_info_entry", "line_no");
	CST(succ_immediate_size, "IMMEDIATE_TABLE_SIZE");
	OFF(succ_part, "succ_index_table", "succ_part");
	size(c, &L->succ_block_size, "succ_dict_block", NULL);
	OFF(succ_block_rank, "succ_dict_block", "rank");
	OFF(succ_block_small_ranks, "succ_dict_block", "small_block_ranks");
	OFF(succ_block_bits, "succ_dict_block", "bits");

	/* method entries, symbols */
	OFF(me_def, "rb_callable_method_entry_struct", "def");
	OFF(def_original_id, "rb_method_definition_struct", "original_id");
	OFF(symbols_last_id, "rb_symbols_t", "last_id");
	OFF(symbols_ids, "rb_symbols_t", "ids");
	size(c, &L->symbols_size, "rb_symbols_t", NULL);
	CST(id_entry_unit, "ID_ENTRY_UNIT");
	CST(id_entry_size, "ID_ENTRY_SIZE");
	CST(id_entry_str, "ID_ENTRY_STR");
	CST(id_scope_shift, "RUBY_ID_SCOPE_SHIFT");
	CST(last_op_id, "tLAST_OP_ID");

	/* Mutex, Queue */
	OFF(mutex_fiber, "rb_mutex_struct", "fiber");
	OFF(mutex_next, "rb_mutex_struct", "next_mutex");
	OFF(queue_que, "rb_queue", "que");
	OFF(queue_num_waiting, "rb_queue", "num_waiting");
	OFF(szqueue_num_waiting_push, "rb_szqueue", "num_waiting_push");
	OFF(szqueue_max, "rb_szqueue", "max");

	/* 3.4+: qualified labels (a behaviour of the version, as ruby-layout-gen.c's #if; all 0 before) */
	if (c->major < 3 || (c->major == 3 && c->minor < 4))
		return;
	L->qualified_labels = 1;
	OFF(me_owner, "rb_callable_method_entry_struct", "owner");
	OFF(body_type, "rb_iseq_constant_body", "type");
	OFF(body_parent_iseq, "rb_iseq_constant_body", "parent_iseq");
	OFF(body_local_iseq, "rb_iseq_constant_body", "local_iseq");
	OFF(body_builtin_attrs, "rb_iseq_constant_body", "builtin_attrs");
	CST(builtin_attr_c_trace, "BUILTIN_ATTR_C_TRACE");
	CST(iseq_type_top, "ISEQ_TYPE_TOP");
	CST(iseq_type_method, "ISEQ_TYPE_METHOD");
	CST(iseq_type_block, "ISEQ_TYPE_BLOCK");
	CST(iseq_type_class, "ISEQ_TYPE_CLASS");
	CST(iseq_type_rescue, "ISEQ_TYPE_RESCUE");
	CST(iseq_type_ensure, "ISEQ_TYPE_ENSURE");
	CST(iseq_type_eval, "ISEQ_TYPE_EVAL");
	CST(iseq_type_main, "ISEQ_TYPE_MAIN");
	CST(iseq_type_plain, "ISEQ_TYPE_PLAIN");
	CST(t_class, "RUBY_T_CLASS");
	CST(t_module, "RUBY_T_MODULE");
	CST(fl_singleton, "RUBY_FL_SINGLETON");
	OFF(class_classpath, "RClass_and_rb_classext_t", "classext.classpath");
	OFF(class_attached_object, "RClass_and_rb_classext_t", "classext.as.singleton_class.attached_object");
	bitfield(c, &L->class_permanent_byte, &L->class_permanent_shift, &L->class_permanent_bits,
		 "RClass_and_rb_classext_t", "classext.permanent_classpath");
	CST(imemo_svar, "imemo_svar");
	OFF(svar_cref_or_me, "vm_svar", "cref_or_me");
}

bool ruby_dwarf_read(Dwarf *dw, const char *version, const char *minor, const struct ruby_layout *fallback,
		     struct ruby_layout *out, bool *used_fallback, char *why, size_t whysize)
{
	struct dctx *c;
	bool ok;

	if (used_fallback)
		*used_fallback = false;
	if (whysize)
		why[0] = '\0';
	if (!dw) {
		snprintf(why, whysize, "no debug info");
		return false;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		snprintf(why, whysize, "out of memory");
		return false;
	}
	c->dw = dw;
	c->fallback = fallback;
	if (sscanf(version ? version : "", "%d.%d", &c->major, &c->minor) != 2) {
		/* which version-dependent fields apply (3.4's qualified labels) is not known */
		snprintf(why, whysize, "the Ruby version is unknown");
		free(c);
		return false;
	}
	c->why = why;
	c->whysize = whysize;
	walk_units(c);
	if (!c->capped && !all_found(c)) {
		walk_macros(c);
		take_macros(c);
	}
	memset(out, 0, sizeof(*out));
	out->version = minor;
	out->headers = version;
	if (c->capped)
		fail(c, "the debug info is too large to search (capped at %u units, %u DIEs, %u macro entries)",
		     DW_UNITS_MAX, DW_DIES_MAX, DW_MACROS_MAX);
	else if (!c->have_type[type_index("rb_thread_struct")])
		fail(c, "no struct rb_thread_struct in the debug info");
	else
		resolve(c, out);
	ok = !c->failed;
	if (used_fallback)
		*used_fallback = c->used_fallback;
	free(c->imports);
	free(c);
	return ok;
}

#define FIELD(x) { #x, offsetof(struct ruby_layout, x) }
const struct ruby_layout_field ruby_layout_fields[] = {
	FIELD(qfalse), FIELD(qtrue), FIELD(qnil), FIELD(qundef), FIELD(fixnum_flag), FIELD(immediate_mask),
	FIELD(special_shift), FIELD(basic_flags), FIELD(basic_klass), FIELD(t_mask), FIELD(t_string), FIELD(t_array),
	FIELD(t_data), FIELD(t_imemo), FIELD(fl_ushift), FIELD(imemo_mask), FIELD(imemo_ment), FIELD(imemo_iseq),
	FIELD(rstring_noembed), FIELD(rstring_embed_len_mask), FIELD(rstring_embed_len_shift), FIELD(rstring_len),
	FIELD(rstring_ary), FIELD(rstring_ptr), FIELD(rarray_embed_flag), FIELD(rarray_embed_len_mask),
	FIELD(rarray_embed_len_shift), FIELD(rarray_len), FIELD(rarray_ptr), FIELD(rarray_ary),
	FIELD(rtypeddata_type), FIELD(rtypeddata_typed_flag), FIELD(rtypeddata_data), FIELD(rtypeddata_size),
	FIELD(typeddata_embedded), FIELD(data_type_name), FIELD(vm_main_ractor), FIELD(vm_main_thread),
	FIELD(ractor_threads), FIELD(ractor_thread_count), FIELD(ractor_gvl_owner), FIELD(ractor_running_ec),
	FIELD(th_node), FIELD(th_self), FIELD(th_ec), FIELD(th_nt), FIELD(nt_thread_id), FIELD(nt_tid),
	FIELD(th_status_byte), FIELD(th_status_shift), FIELD(th_status_bits), FIELD(thread_runnable),
	FIELD(thread_stopped), FIELD(thread_stopped_forever), FIELD(thread_killed), FIELD(th_locking_mutex),
	FIELD(th_keeping_mutexes), FIELD(th_join_list), FIELD(th_name), FIELD(waiting_next), FIELD(waiting_thread),
	FIELD(ec_vm_stack), FIELD(ec_vm_stack_size), FIELD(ec_cfp), FIELD(ec_fiber), FIELD(ec_thread),
	FIELD(cfp_size), FIELD(cfp_pc), FIELD(cfp_iseq), FIELD(cfp_self), FIELD(cfp_ep), FIELD(env_me_cref),
	FIELD(env_specval), FIELD(env_flags), FIELD(frame_magic_mask), FIELD(frame_magic_cfunc),
	FIELD(frame_flag_finish), FIELD(env_flag_local), FIELD(iseq_body), FIELD(body_pathobj), FIELD(body_label),
	FIELD(body_first_lineno), FIELD(body_first_lineno_size), FIELD(body_iseq_encoded), FIELD(body_iseq_size),
	FIELD(body_insns_info), FIELD(body_insns_info_size), FIELD(body_insns_info_size_size),
	FIELD(body_succ_index_table), FIELD(insn_info_size), FIELD(insn_info_line_no), FIELD(succ_immediate_size),
	FIELD(succ_part), FIELD(succ_block_size), FIELD(succ_block_rank), FIELD(succ_block_small_ranks),
	FIELD(succ_block_bits), FIELD(me_def), FIELD(def_original_id), FIELD(symbols_last_id), FIELD(symbols_ids),
	FIELD(symbols_size), FIELD(id_entry_unit), FIELD(id_entry_size), FIELD(id_entry_str), FIELD(id_scope_shift),
	FIELD(last_op_id), FIELD(mutex_fiber), FIELD(mutex_next), FIELD(queue_que), FIELD(queue_num_waiting),
	FIELD(szqueue_num_waiting_push), FIELD(szqueue_max), FIELD(qualified_labels), FIELD(me_owner),
	FIELD(body_type), FIELD(body_parent_iseq), FIELD(body_local_iseq), FIELD(body_builtin_attrs),
	FIELD(builtin_attr_c_trace), FIELD(iseq_type_top), FIELD(iseq_type_method), FIELD(iseq_type_block),
	FIELD(iseq_type_class), FIELD(iseq_type_rescue), FIELD(iseq_type_ensure), FIELD(iseq_type_eval),
	FIELD(iseq_type_main), FIELD(iseq_type_plain), FIELD(t_class), FIELD(t_module), FIELD(fl_singleton),
	FIELD(class_classpath), FIELD(class_attached_object), FIELD(class_permanent_byte), FIELD(class_permanent_shift),
	FIELD(class_permanent_bits), FIELD(imemo_svar), FIELD(svar_cref_or_me),
};
const size_t ruby_layout_nfields = ARRAY_SIZE(ruby_layout_fields);
_Static_assert(ARRAY_SIZE(ruby_layout_fields) * sizeof(int64_t) + 2 * sizeof(const char *) == sizeof(struct ruby_layout),
	       "ruby_layout_fields lists every numeric field of struct ruby_layout");

enum ruby_layout_mode ruby_layout_mode(void)
{
	const char *e = getenv("HANGANALYZE_RUBY_LAYOUT");

	if (e && strcmp(e, "dwarf") == 0)
		return RUBY_LAYOUT_DWARF;
	if (e && strcmp(e, "builtin") == 0)
		return RUBY_LAYOUT_BUILTIN;
	return RUBY_LAYOUT_ANY;
}

bool ruby_dwarf_layout(struct model *m, struct unwinder *u, uint64_t addr, const char *version,
		       struct ruby_layout *out)
{
	enum ruby_layout_mode mode = ruby_layout_mode();
	const struct ruby_layout *table;
	const char *full, *minor;
	char why[256], buf[16];
	const char *dot;
	Dwarf *dw;

	if (mode == RUBY_LAYOUT_BUILTIN || !(dw = unwind_module_dwarf(u, addr, NULL)))
		return false;
	version = version && *version ? version : "unknown";
	/* "3.3.8" -> "3.3" */
	dot = strchr(version, '.');
	dot = dot ? strchr(dot + 1, '.') : NULL;
	snprintf(buf, sizeof(buf), "%.*s", dot ? (int)(dot - version) : (int)strlen(version), version);
	if (!(full = model_intern(m, version)) || !(minor = model_intern(m, buf)))
		return false;
	table = mode == RUBY_LAYOUT_DWARF ? NULL : ruby_layout_find(version);
	if (!ruby_dwarf_read(dw, full, minor, table, out, NULL, why, sizeof(why))) {
		model_warn(m, "Ruby %s: libruby's debug info gives no layout (%s)%s", version, why,
			   table ? "; using the built-in one" : "");
		return false;
	}
	return true;
}
