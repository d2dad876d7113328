/*
 * Renderers: the model as text (for people) or as the hanganalyze/1 JSON
 * document (for programs; schema in docs/hanganalyze-1.schema.json). They
 * read the model only and append to a strbuf, so the same bytes can go to a
 * terminal, a file or, later, the case database. They return false only when
 * memory runs out.
 */
#ifndef HS_REPORTS_REPORT_H
#define HS_REPORTS_REPORT_H

#include <stdbool.h>

#include "analyzer/model.h"
#include "common/strbuf.h"

#define REPORT_JSON_SCHEMA "hanganalyze/1"

struct report_options {
	const char *core_path;		/* as the user named it */
	bool all_threads;		/* text: one block per thread, not per group */
};

bool report_text(const struct model *m, const struct report_options *opts, struct strbuf *sb);
bool report_json(const struct model *m, const struct report_options *opts, struct strbuf *sb);

/* Shared by the renderers. */
const char *report_core_format(const struct model *m);	/* "plain", "zstd-seekable", "zstd" */
const char *report_thread_state(char state);		/* "sleeping" for 'S', "" when unknown */
/* Appends s for a terminal: control bytes and invalid UTF-8 as \xNN, backslash doubled. */
bool report_append_safe(struct strbuf *sb, const char *s);

/* Formats ns since the epoch as "2026-11-25T11:20:03Z" into buf (>= 32 bytes). */
const char *report_time_utc(uint64_t real_ns, char *buf, size_t size);

#endif
