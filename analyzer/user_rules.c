/* See user_rules.h for the format. */
#include "analyzer/user_rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/demangle.h"
#include "analyzer/names.h"
#include "analyzer/rules/rules.h"
#include "analyzer/syscalls.h"
#include "analyzer/waitgraph.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "common/vec.h"

#define WORDS_MAX 16u

struct user_rule {
	char *id;
	unsigned line;			/* where "rule ID" is */
	enum severity severity;
	char *summary, *hint;
	struct string_list frames, modules, syscalls, threads;
	unsigned socket_states;		/* bit per TCP state */
};

struct user_rules {
	VEC(struct user_rule) rules;
};

struct hs_error *user_rules_create(struct user_rules **ret)
{
	if (!(*ret = calloc(1, sizeof(**ret))))
		return &hs_error_nomem;
	return NULL;
}

static void rule_deinit(struct user_rule *u)
{
	free(u->id);
	free(u->summary);
	free(u->hint);
	string_list_deinit(&u->frames);
	string_list_deinit(&u->modules);
	string_list_deinit(&u->syscalls);
	string_list_deinit(&u->threads);
}

void user_rules_destroy(struct user_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->rules.len; i++)
		rule_deinit(&r->rules.items[i]);
	VEC_DEINIT(&r->rules);
	free(r);
}

unsigned user_rules_count(const struct user_rules *r)
{
	return r ? (unsigned)r->rules.len : 0;
}

/* ---- parsing ---------------------------------------------------------- */

struct parser {
	const char *path;
	unsigned line;
	char *words[WORDS_MAX];
	unsigned nwords;
};

static struct hs_error *parse_error(const struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct hs_error *parse_error(const struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hs_error_create(HS_ERR_INVALID, "%s:%u: %s", p->path, p->line, msg);
}

/* Splits line in place into words; "quoted strings" are one word. Comments (#) end the line. */
static struct hs_error *split(struct parser *p, char *line)
{
	char *s = line;

	p->nwords = 0;
	for (;;) {
		char *out;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#' || *s == '\n' || *s == '\r')
			return NULL;
		if (p->nwords >= WORDS_MAX)
			return parse_error(p, "more than %u words on a line", WORDS_MAX);
		if (*s == '"') {
			out = ++s;
			p->words[p->nwords++] = out;
			for (;;) {
				if (!*s || *s == '\n')
					return parse_error(p, "unterminated string");
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) {
					*out++ = s[1];
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					*out++ = *s++;
				}
			}
			if (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '#')
				return parse_error(p, "text right after a closing quote");
			if (*s == '#')
				*s = '\0';
			else if (*s)
				s++;
			*out = '\0';
			continue;
		}
		p->words[p->nwords++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return NULL;
		}
		if (*s)
			*s++ = '\0';
	}
}

static bool valid_id(const char *id)
{
	if (!*id || strlen(id) > 64)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return true;
}

static struct hs_error *add_words(struct parser *p, struct string_list *l)
{
	for (unsigned i = 1; i < p->nwords; i++) {
		char **slot, *copy = strdup(p->words[i]);
		if (!copy || !(slot = VEC_PUSH(l))) {
			free(copy);
			return &hs_error_nomem;
		}
		*slot = copy;
	}
	return NULL;
}

/* A finished rule must say something and match something; errors point at its "rule" line. */
static struct hs_error *finish_rule(struct parser *p, struct user_rule *u)
{
	struct parser at = *p;

	at.line = u->line;
	if (!u->summary)
		return parse_error(&at, "rule '%s' has no summary", u->id);
	if (!u->frames.len && !u->modules.len && !u->syscalls.len && !u->threads.len && !u->socket_states)
		return parse_error(&at, "rule '%s' has no condition (frame, module, syscall, socket, thread)", u->id);
	return NULL;
}

static struct hs_error *parse_line(struct parser *p, struct user_rules *r, struct user_rule **cur)
{
	const char *key = p->words[0];
	struct user_rule *u = *cur;
	struct hs_error *err;

	if (strcmp(key, "rule") == 0) {
		if (p->nwords != 2)
			return parse_error(p, "'rule' takes one id");
		if (!valid_id(p->words[1]))
			return parse_error(p, "bad rule id '%s': use lowercase letters, digits and dashes", p->words[1]);
		if (rules_is_builtin(p->words[1]))
			return parse_error(p, "rule id '%s' is a built-in rule's", p->words[1]);
		for (size_t i = 0; i < r->rules.len; i++)
			if (strcmp(r->rules.items[i].id, p->words[1]) == 0)
				return parse_error(p, "rule '%s' is defined twice", p->words[1]);
		if (u && (err = finish_rule(p, u)))
			return err;
		if (r->rules.len >= USER_RULES_MAX)
			return parse_error(p, "more than %u rules", USER_RULES_MAX);
		if (!(u = VEC_PUSH(&r->rules)))
			return &hs_error_nomem;
		u->severity = SEVERITY_MEDIUM;
		u->line = p->line;
		if (!(u->id = strdup(p->words[1])))
			return &hs_error_nomem;
		*cur = u;
		return NULL;
	}
	if (!u)
		return parse_error(p, "'%s' outside a rule: start one with 'rule ID'", key);
	if (p->nwords < 2)
		return parse_error(p, "'%s' needs a value", key);
	if (strcmp(key, "severity") == 0) {
		int severity = p->nwords == 2 ? severity_from_name(p->words[1]) : -1;
		if (severity >= 0) {
			u->severity = (enum severity)severity;
			return NULL;
		}
		return parse_error(p, "bad severity '%s': use low, medium, high or critical", p->words[1]);
	}
	if (strcmp(key, "summary") == 0 || strcmp(key, "hint") == 0) {
		char **field = key[0] == 's' ? &u->summary : &u->hint;
		if (p->nwords != 2)
			return parse_error(p, "'%s' takes one \"quoted string\"", key);
		if (*field)
			return parse_error(p, "'%s' given twice", key);
		/* every matching thread gets a copy, and {wait} or {thread} multiply it */
		if (strlen(p->words[1]) > USER_RULE_TEXT_MAX)
			return parse_error(p, "'%s' is longer than %u bytes", key, USER_RULE_TEXT_MAX);
		return (*field = strdup(p->words[1])) ? NULL : &hs_error_nomem;
	}
	if (strcmp(key, "frame") == 0)
		return add_words(p, &u->frames);
	if (strcmp(key, "module") == 0)
		return add_words(p, &u->modules);
	if (strcmp(key, "thread") == 0)
		return add_words(p, &u->threads);
	if (strcmp(key, "syscall") == 0) {
		for (unsigned i = 1; i < p->nwords; i++) {
			bool known = false;
			for (int64_t nr = 0; nr < 512 && !known; nr++)
				known = syscall_name(nr) && strcmp(syscall_name(nr), p->words[i]) == 0;
			if (!known)
				return parse_error(p, "unknown system call '%s'", p->words[i]);
		}
		return add_words(p, &u->syscalls);
	}
	if (strcmp(key, "socket") == 0) {
		for (unsigned i = 1; i < p->nwords; i++) {
			unsigned st;
			for (st = 1; st < TCP_STATE_COUNT && strcmp(tcp_state_name(st), p->words[i]) != 0; st++)
				;
			if (st == TCP_STATE_COUNT)
				return parse_error(p, "unknown TCP state '%s' (ESTABLISHED, SYN_SENT, CLOSE_WAIT...)", p->words[i]);
			u->socket_states |= 1u << st;
		}
		return NULL;
	}
	return parse_error(p, "unknown key '%s'", key);
}

/*
 * Parses buf (len bytes, buf[len] == '\0', modified in place) into r, all or
 * nothing; name is what errors call the file.
 */
static struct hs_error *parse_buffer(struct user_rules *r, const char *name, char *buf, size_t len)
{
	struct parser p = { .path = name };
	struct user_rule *cur = NULL;
	struct hs_error *err = NULL;
	size_t first = r->rules.len;
	char *line, *next;

	if (len > USER_RULE_FILE_MAX)
		return hs_error_create(HS_ERR_INVALID, "rule file '%s' is larger than %u bytes", name, USER_RULE_FILE_MAX);
	if (memchr(buf, '\0', len))
		return hs_error_create(HS_ERR_INVALID, "rule file '%s' is not text", name);
	for (line = buf; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		if (!(err = split(&p, line)) && p.nwords)
			err = parse_line(&p, r, &cur);
	}
	if (!err && cur)
		err = finish_rule(&p, cur);
	if (err) {
		/* all or nothing per file */
		while (r->rules.len > first)
			rule_deinit(&r->rules.items[--r->rules.len]);
	}
	return err;
}

struct hs_error *user_rules_parse(struct user_rules *r, const char *name, const char *text, size_t len)
{
	struct hs_error *err;
	char *buf;

	if (len > USER_RULE_FILE_MAX)
		return hs_error_create(HS_ERR_INVALID, "rule file '%s' is larger than %u bytes", name, USER_RULE_FILE_MAX);
	if (!(buf = malloc(len + 1)))
		return &hs_error_nomem;
	memcpy(buf, text, len);
	buf[len] = '\0';
	err = parse_buffer(r, name, buf, len);
	free(buf);
	return err;
}

struct hs_error *user_rules_load_file(struct user_rules *r, const char *path)
{
	struct hs_error *err;
	size_t len;
	char *buf;
	bool truncated;

	if ((err = hs_read_file(path, USER_RULE_FILE_MAX, &buf, &len, &truncated))) {
		int errnum = err->errnum ? err->errnum : EIO;
		if (err->kind == HS_ERR_NOMEM)
			return err;
		hs_error_destroy(err);
		return hs_error_errno_kind(HS_ERR_INVALID, errnum, "cannot read rule file '%s'", path);
	}
	if (truncated) {
		free(buf);
		return hs_error_create(HS_ERR_INVALID, "rule file '%s' is larger than %u bytes", path, USER_RULE_FILE_MAX);
	}
	err = parse_buffer(r, path, buf, len);
	free(buf);
	return err;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct hs_error *user_rules_load_dir(struct user_rules *r, const char *dir, bool missing_ok)
{
	struct string_list names = VEC_INIT;
	struct hs_error *err = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		if (missing_ok && errno == ENOENT)
			return NULL;
		return hs_error_errno_kind(HS_ERR_INVALID, errno, "cannot open rule directory '%s'", dir);
	}
	while ((de = readdir(d)) && names.len < 10000) {
		size_t n = strlen(de->d_name);
		char **slot, *path;
		if (n < 7 || strcmp(de->d_name + n - 6, ".rules") != 0 || de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0 || !(slot = VEC_PUSH(&names))) {
			err = &hs_error_nomem;
			break;
		}
		*slot = path;
	}
	closedir(d);
	if (!err)
		qsort(names.items, names.len, sizeof(*names.items), compare_names);
	for (size_t i = 0; !err && i < names.len; i++)
		err = user_rules_load_file(r, names.items[i]);
	string_list_deinit(&names);
	return err;
}

/* ---- matching --------------------------------------------------------- */

static bool any_glob(const struct string_list *globs, const char *s)
{
	for (size_t i = 0; s && i < globs->len; i++)
		if (fnmatch(globs->items[i], s, 0) == 0)
			return true;
	return false;
}

/*
 * A frame glob matches a frame's function by its demangled or its raw
 * (mangled) name, so rules may say either, whether or not the frames are
 * demangled (--no-demangle).
 */
static bool frame_matches(const char *glob, const struct frame *f)
{
	char *demangled;
	bool match;

	if (!f->function)
		return false;
	if (fnmatch(glob, f->function, 0) == 0 || (f->linkage_name && fnmatch(glob, f->linkage_name, 0) == 0))
		return true;
	if (f->linkage_name || !(demangled = demangle_name(f->function)))
		return false;
	match = fnmatch(glob, demangled, 0) == 0;
	free(demangled);
	return match;
}

/* Every frame glob matches some frame; returns the function matched by the first, via *matched. */
static bool frames_match(const struct user_rule *u, const struct thread *t, const char **matched)
{
	for (size_t g = 0; g < u->frames.len; g++) {
		bool found = false;
		for (size_t i = 0; i < t->frames.len && !found; i++)
			if (frame_matches(u->frames.items[g], &t->frames.items[i])) {
				found = true;
				if (g == 0)
					*matched = t->frames.items[i].function;
			}
		if (!found)
			return false;
	}
	return true;
}

static bool matches(const struct user_rule *u, const struct thread *t, const char **matched)
{
	*matched = NULL;
	if (!frames_match(u, t, matched))
		return false;
	if (u->modules.len) {
		bool found = false;
		for (size_t i = 0; i < t->frames.len && !found; i++)
			found = any_glob(&u->modules, t->frames.items[i].module);
		if (!found)
			return false;
	}
	if (u->threads.len && !any_glob(&u->threads, t->name))
		return false;
	if (u->syscalls.len) {
		bool found = false;
		for (size_t i = 0; i < u->syscalls.len && !found && t->syscall.name; i++)
			found = strcmp(u->syscalls.items[i], t->syscall.name) == 0;
		if (!found)
			return false;
	}
	if (u->socket_states) {
		bool found = false;
		for (unsigned i = 0; i < t->blocked.nfds && !found; i++) {
			const struct hs_socket_info *s = t->blocked.fds[i].socket;
			found = socket_is_tcp(s) && s->state < 32 && (u->socket_states >> s->state & 1);
		}
		if (!found)
			return false;
	}
	return true;
}

/* Expands {thread} {tid} {name} {syscall} {wait} {frame} into a new string. */
static char *expand(struct rule_context *rc, const char *tmpl, const struct thread *t, const char *frame)
{
	struct strbuf sb;
	char label[64], *out;
	bool ok = true;

	strbuf_init(&sb);
	for (const char *s = tmpl; ok && *s;) {
		if (strncmp(s, "{thread}", 8) == 0) {
			ok = strbuf_addstr(&sb, rule_label(rc, t, label, sizeof(label)));
			s += 8;
		} else if (strncmp(s, "{tid}", 5) == 0) {
			ok = strbuf_appendf(&sb, "%d", t->tid);
			s += 5;
		} else if (strncmp(s, "{name}", 6) == 0) {
			ok = strbuf_addstr(&sb, t->name ? t->name : "");
			s += 6;
		} else if (strncmp(s, "{syscall}", 9) == 0) {
			ok = strbuf_addstr(&sb, t->syscall.text ? t->syscall.text : "user space");
			s += 9;
		} else if (strncmp(s, "{wait}", 6) == 0) {
			ok = waitgraph_describe_wait(&sb, rc->m, t);
			s += 6;
		} else if (strncmp(s, "{frame}", 7) == 0) {
			ok = strbuf_addstr(&sb, frame ? frame : "?");
			s += 7;
		} else {
			ok = strbuf_append(&sb, s++, 1);
		}
	}
	out = ok ? strdup(sb.buf ? sb.buf : "") : NULL;
	strbuf_deinit(&sb);
	if (!out)
		rc->err = &hs_error_nomem;
	return out;
}

static void apply(struct rule_context *rc, const struct user_rules *r)
{
	for (size_t k = 0; r && k < r->rules.len && !rc->err; k++) {
		const struct user_rule *u = &r->rules.items[k];

		rc->rule = model_intern(rc->m, u->id);

		for (size_t i = 0; i < rc->m->threads.len && !rc->err; i++) {
			const struct thread *t = &rc->m->threads.items[i];
			const char *frame;
			struct finding *f;

			if (!matches(u, t, &frame) || !(f = rule_add(rc, u->severity)))
				continue;
			finding_add_thread(rc, f, t->tid);
			f->summary = expand(rc, u->summary, t, frame);
			if (u->hint)
				f->hint = expand(rc, u->hint, t, frame);
			finding_thread_evidence(rc, f, t);
			finding_add_evidence(rc, f, "matched user rule '%s'", u->id);
		}
	}
}

struct hs_error *user_rules_run(struct model *m, const struct user_rules *r)
{
	struct rule_context rc = { .m = m };

	if (!r || !r->rules.len)
		return NULL;
	strbuf_init(&rc.sb);
	apply(&rc, r);
	rule_context_deinit(&rc);
	return rc.err;
}
