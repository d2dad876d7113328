/*
 * See model.h: the data and nothing that fills it (the stages of analyze.c
 * do): interning, the tid index and lookups, warnings, destroy.
 */
#include "analyzer/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define STRINGS_MAX (1u << 24)

/* ---- interning -------------------------------------------------------- */

const char *model_intern(struct model *m, const char *s)
{
	size_t mask, i;
	uint64_t h;
	char *copy;

	if (!s)
		return NULL;
	if (m->nstrings * 2 >= m->strings_cap) {
		size_t ncap = m->strings_cap ? m->strings_cap * 2 : 256;
		char **n;

		if (m->nstrings >= STRINGS_MAX || !(n = calloc(ncap, sizeof(*n))))
			return NULL;
		for (size_t j = 0; j < m->strings_cap; j++) {
			if (!m->strings[j])
				continue;
			h = hs_fnv1a(m->strings[j], strlen(m->strings[j]), HS_FNV1A_INIT);
			for (i = h & (ncap - 1); n[i]; i = (i + 1) & (ncap - 1))
				;
			n[i] = m->strings[j];
		}
		free(m->strings);
		m->strings = n;
		m->strings_cap = ncap;
	}
	mask = m->strings_cap - 1;
	h = hs_fnv1a(s, strlen(s), HS_FNV1A_INIT);
	for (i = h & mask; m->strings[i]; i = (i + 1) & mask)
		if (strcmp(m->strings[i], s) == 0)
			return m->strings[i];
	if (!(copy = strdup(s)))
		return NULL;
	m->strings[i] = copy;
	m->nstrings++;
	return copy;
}

void string_list_deinit(struct string_list *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	VEC_DEINIT(l);
}

void finding_deinit(struct finding *f)
{
	free(f->summary);
	free(f->hint);
	VEC_DEINIT(&f->threads);
	string_list_deinit(&f->evidence);
}

static void add_line(struct string_list *v, const char *fmt, va_list ap)
{
	char *msg, **slot;

	if (v->len >= 256 || vasprintf(&msg, fmt, ap) < 0)
		return;
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(v->items[i], msg) == 0) {
			free(msg);
			return;
		}
	if ((slot = VEC_PUSH(v)))
		*slot = msg;
	else
		free(msg);
}

void model_warn(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(&m->warnings, fmt, ap);
	va_end(ap);
}

void model_missing(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(&m->missing, fmt, ap);
	va_end(ap);
}

/* ---- tid index ------------------------------------------------------ */

static int compare_tid_index(const void *a, const void *b)
{
	const struct tid_index *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

struct hs_error *model_index_threads(struct model *m)
{
	free(m->tid_index);
	m->tid_index = NULL;
	if (!m->threads.len)
		return NULL;
	if (!(m->tid_index = malloc(m->threads.len * sizeof(*m->tid_index))))
		return &hs_error_nomem;
	for (size_t i = 0; i < m->threads.len; i++) {
		m->tid_index[i].tid = m->threads.items[i].tid;
		m->tid_index[i].index = (uint32_t)i;
	}
	qsort(m->tid_index, m->threads.len, sizeof(*m->tid_index), compare_tid_index);
	return NULL;
}

const struct runtime_info *model_thread_runtime(const struct model *m, const struct thread *t)
{
	return m->procs.len > 1 && t->proc < m->procs.len ? &m->procs.items[t->proc].runtime : &m->runtime;
}

uint64_t model_content_hash(const struct model *m)
{
	uint64_t h = m->core ? elfcore_content_hash(m->core) : 0;

	for (size_t i = 1; i < m->procs.len; i++) {
		const struct model *p = m->procs.items[i].part;
		uint64_t part = p && p->core ? elfcore_content_hash(p->core) : 0;
		for (unsigned b = 0; b < 8; b++)
			h = (h ^ ((part >> (8 * b)) & 0xff)) * 0x100000001b3ull;
	}
	return h;
}

struct thread *model_thread(const struct model *m, int32_t tid)
{
	struct tid_index key = { .tid = tid }, *found;

	if (!m->tid_index || tid <= 0)
		return NULL;
	found = bsearch(&key, m->tid_index, m->threads.len, sizeof(key), compare_tid_index);
	return found ? &m->threads.items[found->index] : NULL;
}

const char *model_thread_label(const struct model *m, int32_t tid, char *buf, size_t size)
{
	const struct thread *t = model_thread(m, tid);

	if (t && t->name && *t->name)
		snprintf(buf, size, "%s (%d)", t->name, tid);
	else
		snprintf(buf, size, "thread %d", tid);
	return buf;
}

/* ---- create / destroy ------------------------------------------------- */

struct hs_error *model_create(struct elfcore *core, struct model **ret)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m) {
		elfcore_destroy(core);
		return &hs_error_nomem;
	}
	m->core = core;
	*ret = m;
	return NULL;
}

void model_destroy(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->findings.len; i++)
		finding_deinit(&m->findings.items[i]);
	VEC_DEINIT(&m->findings);
	free(m->tid_index);
	free(m->wait_root);
	free(m->signature.hash);
	free(m->signature.text);
	free(m->signature.frames);
	for (size_t i = 0; i < m->threads.len; i++) {
		struct thread *t = &m->threads.items[i];
		free(t->waits_on);
		VEC_DEINIT(&t->frames);
		VEC_DEINIT(&t->rt.frames);
		free(t->unwind_error);
		free(t->syscall.text);
	}
	VEC_DEINIT(&m->threads);
	VEC_DEINIT(&m->groups);
	for (size_t i = 0; i < m->modules.len; i++)
	{
		free(m->modules.items[i].build_id);
		free(m->modules.items[i].elf_path);
		free(m->modules.items[i].debug_path);
		free(m->modules.items[i].alt_path);
		free(m->modules.items[i].alt_build_id);
	}
	VEC_DEINIT(&m->modules);
	for (size_t i = 0; i < m->missing.len; i++)
		free(m->missing.items[i]);
	VEC_DEINIT(&m->missing);
	for (size_t i = 0; i < m->warnings.len; i++)
		free(m->warnings.items[i]);
	VEC_DEINIT(&m->warnings);
	for (size_t i = 0; i < m->strings_cap; i++)
		free(m->strings[i]);
	free(m->strings);
	elfcore_destroy(m->core);
	/* after this model's threads: they point into the parts */
	for (size_t i = 0; i < m->procs.len; i++)
		model_destroy(m->procs.items[i].part);
	VEC_DEINIT(&m->procs);
	free(m);
}
