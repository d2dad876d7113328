/* See signature.h. */
#include "analyzer/signature.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/demangle.h"
#include "analyzer/frames.h"
#include "analyzer/names.h"
#include "analyzer/waitgraph.h"
#include "common/strbuf.h"
#include "common/util.h"

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Strips ".constprop.3"-style clone suffixes: ".NAME" or ".NAME.DIGITS" from a known set. */
static size_t strip_clone_suffix(const char *s, size_t len)
{
	static const char *const clones[] = { ".constprop", ".isra", ".part", ".cold", ".lto_priv", ".localalias", NULL };
	size_t end = len;

	while (end > 0 && s[end - 1] >= '0' && s[end - 1] <= '9')
		end--;
	if (end > 0 && end < len && s[end - 1] == '.')
		end--;
	else
		end = len;
	for (const char *const *c = clones; *c; c++)
		if (ends_with(s, end, *c))
			return end - strlen(*c);
	return len;
}

/*
 * Where the parameter list "(int, char*) const" at the end of a demangled
 * C++ name starts, or len when it has none. Parentheses elsewhere are part
 * of the name: "operator()", "main::{lambda()#1}", "f<(anonymous namespace)::T>".
 */
static size_t parameter_list(const char *s, size_t len)
{
	size_t end = len, depth = 0;

	if (ends_with(s, end, " const"))
		end -= strlen(" const");
	if (end == 0 || s[end - 1] != ')')
		return len;
	for (size_t i = end; i-- > 0;) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0)
			return i > 0 && !ends_with(s, i, "operator") ? i : len;
	}
	return len;
}

const char *signature_normalize_function(const char *name, char *buf, size_t size)
{
	static const char *const dispatch[] = { "_avx512_unaligned_erms", "_avx_unaligned_erms", "_evex_unaligned_erms",
						"_unaligned_erms", "_avx512", "_avx2_rtm", "_avx2", "_avx", "_evex",
						"_sse2_unaligned", "_sse2", "_sse4_1", "_sse4_2", "_ssse3", "_erms",
						"_unaligned", "_rtm", NULL };
	size_t len;
	const char *at;
	bool changed = true;

	if (strncmp(name, "__GI_", 5) == 0)
		name += 5;
	len = (at = strchr(name, '@')) ? (size_t)(at - name) : strlen(name);
	/* a demangled C++ name's parameter list */
	len = parameter_list(name, len);
	while (changed) {
		size_t before = len;
		len = strip_clone_suffix(name, len);
		for (const char *const *d = dispatch; *d; d++)
			if (ends_with(name, len, *d) && len > strlen(*d)) {
				len -= strlen(*d);
				break;
			}
		changed = len != before;
	}
	/*
	 * template arguments and closure ordinals change with unrelated edits:
	 * "app::Pool<int>::get" -> "app::Pool<>::get", "main::{lambda()#2}" ->
	 * "main::{lambda()}", "{closure#0}" -> "{closure}"
	 */
	{
		size_t o = 0, depth = 0;
		bool rust_outer = false;	/* "<Type as Trait>::f": Rust's qualified path, not a template */
		for (size_t i = 0; i < len && o + 1 < size; i++) {
			char c = name[i];
			if (i == 0 && c == '<') {
				rust_outer = true;
				buf[o++] = c;
				continue;
			}
			if (c == '>' && depth == 0 && rust_outer) {
				rust_outer = false;
				buf[o++] = c;
				continue;
			}
			if (c == '<' && !(i >= 8 && memcmp(name + i - 8, "operator", 8) == 0) &&
			    !(i > 0 && name[i - 1] == '<')) {
				if (depth++ == 0)
					buf[o++] = '<';
				continue;
			}
			if (c == '>' && depth > 0) {
				if (--depth == 0 && o + 1 < size)
					buf[o++] = '>';
				continue;
			}
			if (depth)
				continue;
			if (c == '#' && i + 1 < len && name[i + 1] >= '0' && name[i + 1] <= '9') {
				size_t j = i + 1;
				while (j < len && name[j] >= '0' && name[j] <= '9')
					j++;
				if (j < len && name[j] == '}') {
					i = j - 1;
					continue;
				}
			}
			buf[o++] = c;
		}
		buf[o] = '\0';
	}
	return buf;
}

/*
 * A lambda's or closure's body, normalized: "main::{lambda()}::operator()",
 * "operator()", "m::main::{closure}", "m::main::{{closure}}". Whether the compiler keeps
 * it as a frame of its own varies with the optimization level (inlined, or
 * reached by a tail call that leaves no frame), and its name says only where
 * it was written: below the thread's own named code, it is left out.
 */
static bool is_closure_body(const char *name)
{
	size_t n = strlen(name);

	/* (an inlined call operator's DWARF name is a bare "operator()": which class's, it does not say) */
	return strcmp(name, "operator()") == 0 ||
	       (strstr(name, "{lambda(") && n >= 10 && strcmp(name + n - 10, "operator()") == 0) ||
	       strstr(name, "{closure}") || strstr(name, "{{closure}}");
}

/*
 * A Ruby thread's frames, normalized so that the same hang in the same code
 * signs the same wherever Ruby, the gems and the program are installed and
 * whatever their versions: "gem:REL in 'label'" for a gem (no version),
 * "REL in 'label'" for the program's files (base name); no line numbers.
 * The standard library, <internal:> and C methods are skipped when the
 * thread has code of its own or a gem's.
 */
static bool normalized_runtime_frames(struct strbuf *sb, const struct thread *t)
{
	char prev[512] = "", buf[512];
	bool any_own = false, ok = true;

	for (size_t i = 0; i < t->rt.frames.len; i++) {
		struct frame_source src;
		frame_source(t->rt.frames.items[i].path, &src);
		any_own |= !t->rt.frames.items[i].cfunc && (src.kind == SOURCE_APP || src.kind == SOURCE_LIBRARY);
	}
	for (size_t i = 0; ok && i < t->rt.frames.len; i++) {
		const struct runtime_frame *f = &t->rt.frames.items[i];
		struct frame_source src;

		frame_source(f->path, &src);
		if (any_own && (f->cfunc || src.kind == SOURCE_STDLIB || src.kind == SOURCE_INTERNAL))
			continue;
		if (f->cfunc)
			snprintf(buf, sizeof(buf), "'%s' (C)", f->label);
		else
			snprintf(buf, sizeof(buf), "%s%s%s in '%s'", src.lib, *src.lib ? ":" : "", src.rel, f->label);
		if (strcmp(buf, prev) == 0)	/* recursion */
			continue;
		snprintf(prev, sizeof(prev), "%s", buf);
		ok = strbuf_addstr(sb, buf) && strbuf_addstr(sb, "\n");
	}
	return ok;
}

/* The normalized frames of t, one per line, into sb (all of them); *kept counts them. */
static bool normalized_frames(struct strbuf *sb, const struct thread *t)
{
	char prev[256] = "", buf[256];
	bool any_app = false, ok = true;

	/* an interpreter's frames say which code hangs; its own native frames do not */
	if (t->rt.frames.len)
		return normalized_runtime_frames(sb, t);

	bool any_own = false;

	for (size_t i = 0; i < t->frames.len; i++) {
		const struct frame *f = &t->frames.items[i];
		bool app = f->module && !frame_is_runtime_module(f->module);
		any_app |= app;
		any_own |= app && !frame_is_library_code(f);
	}
	for (size_t i = 0; ok && i < t->frames.len; i++) {
		const struct frame *f = &t->frames.items[i];

		/* wait primitives and wrappers say nothing about which hang this is */
		if (any_app && frame_is_runtime_module(f->module))
			continue;
		/* nor does the standard library's code inlined into the program (std::mutex::lock, Rust's std) */
		if (any_own && frame_is_library_code(f))
			continue;
		if (f->function) {
			/* demangled names, also when the frames show raw ones (--no-demangle): one hang, one signature */
			char *demangled = f->linkage_name ? NULL : demangle_name(f->function);

			signature_normalize_function(demangled ? demangled : f->function, buf, sizeof(buf));
			free(demangled);
		} else
			snprintf(buf, sizeof(buf), "%s+0x%llx?", f->module ? f->module : "?", (unsigned long long)f->offset);
		if (strcmp(buf, prev) == 0)	/* recursion */
			continue;
		if (*prev && f->function && is_closure_body(buf))
			continue;
		snprintf(prev, sizeof(prev), "%s", buf);
		ok = strbuf_addstr(sb, buf) && strbuf_addstr(sb, "\n");
	}
	return ok;
}

/* The call and socket state the root waits in: "connect SYN_SENT", "futex", "user". */
static bool root_wait(struct strbuf *sb, const struct thread *t)
{
	/* an interpreter-level wait by its call ("Queue#pop"), which the native syscall varies under */
	bool ok = strbuf_addstr(sb, t->blocked.call ? t->blocked.call
				    : t->syscall.name ? t->syscall.name : t->syscall.nr >= 0 ? "syscall" : "user");

	for (unsigned i = 0; ok && i < t->blocked.nfds; i++) {
		const struct hs_socket_info *s = t->blocked.fds[i].socket;
		if (socket_is_tcp(s) && *tcp_state_name(s->state)) {
			ok = strbuf_appendf(sb, " %s", tcp_state_name(s->state));
			break;
		}
	}
	return ok;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct hs_error *signature_compute(struct model *m)
{
	const struct finding *top;
	const struct thread *root;
	struct strbuf frames, key, one;
	char **members = NULL;
	size_t nmembers = 0;
	bool ok = true;
	uint64_t h;

	m->signature.version = SIGNATURE_VERSION;
	if (!m->findings.len)
		return NULL;
	top = &m->findings.items[0];
	m->signature.rule = top->rule;
	if (!top->threads.len || !(root = model_thread(m, top->threads.items[0])))
		return NULL;
	root = waitgraph_root(m, root);
	strbuf_init(&frames);
	strbuf_init(&key);
	strbuf_init(&one);

	if (root->in_cycle) {
		/* every member of the cycle, each as "wait @ frames", sorted: the same whichever thread we met first */
		const struct thread *t = root;
		size_t n = 0;
		do {
			n++;
			t = model_thread(m, t->waits_for);
		} while (t && t != root && n <= m->threads.len);
		if (!(members = calloc(n, sizeof(*members))))
			goto nomem;
		t = root;
		do {
			one.len = 0;
			if (!root_wait(&one, t) || !strbuf_addstr(&one, " @ ") || !normalized_frames(&one, t) ||
			    !(members[nmembers++] = strdup(one.buf)))
				goto nomem;
			t = model_thread(m, t->waits_for);
		} while (t && t != root && nmembers < n);
		qsort(members, nmembers, sizeof(*members), compare_strings);
	} else {
		if (!root_wait(&one, root) || !strbuf_addstr(&one, " @ ") || !normalized_frames(&one, root) ||
		    !(members = calloc(1, sizeof(*members))) || !(members[0] = strdup(one.buf)))
			goto nomem;
		nmembers = 1;
	}

	/* key: rule, then per member its wait and first SIGNATURE_FRAMES frames joined by " < " */
	ok = strbuf_appendf(&key, "%s:", top->rule);
	for (size_t i = 0; ok && i < nmembers; i++) {
		char *at = strstr(members[i], " @ "), *line = at + 3;
		unsigned kept = 0;

		ok = strbuf_append(&key, i ? " | " : " ", i ? 3 : 1) && strbuf_append(&key, members[i], (size_t)(at - members[i])) &&
		     strbuf_addstr(&key, " @");
		while (ok && *line && kept < SIGNATURE_FRAMES) {
			size_t n = strcspn(line, "\n");
			ok = strbuf_addstr(&key, kept ? " < " : " ") && strbuf_append(&key, line, n);
			line += n + (line[n] == '\n');
			kept++;
		}
		ok = ok && strbuf_addstr(&frames, members[i]);
	}
	if (!ok)
		goto nomem;
	h = hs_fnv1a(key.buf, strlen(key.buf), HS_FNV1A_INIT);
	h = (h ^ SIGNATURE_VERSION) * HS_FNV1A_PRIME;
	if (asprintf(&m->signature.hash, "%016llx", (unsigned long long)h) < 0) {
		m->signature.hash = NULL;
		goto nomem;
	}
	m->signature.text = strbuf_detach(&key, NULL);
	m->signature.frames = strbuf_detach(&frames, NULL);
	if (!m->signature.frames && !(m->signature.frames = strdup("")))
		goto nomem;
	for (size_t i = 0; i < nmembers; i++)
		free(members[i]);
	free(members);
	strbuf_deinit(&one);
	return NULL;
nomem:
	for (size_t i = 0; i < nmembers; i++)
		free(members[i]);
	free(members);
	strbuf_deinit(&frames);
	strbuf_deinit(&key);
	strbuf_deinit(&one);
	return &hs_error_nomem;
}
