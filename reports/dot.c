/*
 * The wait-for graph as a Graphviz digraph (`hanganalyze --format=dot CORE |
 * dot -Tsvg`): the same nodes and edges as the HTML page (case_graph.h),
 * the same classes as colours. Strings from the core go into quoted DOT
 * strings through dot_escape(): '"' and '\' are backslash-escaped (so no
 * \n, \l or \N escape of Graphviz can be smuggled in), control bytes become
 * control pictures and invalid UTF-8 U+FFFD, like the HTML report.
 */
#include "reports/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/names.h"
#include "common/version.h"
#include "reports/case_graph.h"

#define DOT_LABEL_CHARS 48u

static bool dot_escape(struct strbuf *sb, const char *s, size_t max_chars)
{
	size_t shown = 0;

	while (s && *s) {
		uint32_t cp;
		size_t n = report_display_char(s, &cp);
		bool ok;

		if (max_chars && shown++ == max_chars)
			return strbuf_addstr(sb, "\u2026");
		if (cp == '"' || cp == '\\')
			ok = strbuf_append(sb, "\\", 1) && report_append_char(sb, cp);
		else
			ok = report_append_char(sb, cp);
		if (!ok)
			return false;
		s += n;
	}
	return true;
}

bool report_dot(const struct model *m, const struct report_options *opts, struct strbuf *sb)
{
	struct case_graph g;
	struct hs_error *err;
	bool ok;

	(void)opts;
	if ((err = case_graph_build(m, &g))) {
		case_graph_deinit(&g);
		hs_error_destroy(err);
		return false;
	}
	ok = strbuf_appendf(sb, "// the wait-for graph of %d (", m->pid) && dot_escape(sb, m->comm, DOT_LABEL_CHARS) &&
	     strbuf_appendf(sb, "), from hanganalyze %s; render with: dot -Tsvg\n", HANGSNAP_VERSION) &&
	     strbuf_addstr(sb, "digraph waitgraph {\n"
			       "  graph [rankdir=TB, fontname=\"monospace\", labelloc=t, label=\"") &&
	     (m->findings.len ? dot_escape(sb, m->findings.items[0].summary, 0) : strbuf_addstr(sb, "no hang found")) &&
	     strbuf_addstr(sb, "\"];\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ddf4ff\", fontname=\"monospace\", "
			       "fontsize=10];\n  edge [fontname=\"monospace\", fontsize=9];\n");
	for (size_t i = 0; ok && i < g.nodes.len; i++) {
		const struct case_node *n = &g.nodes.items[i];
		ok = strbuf_appendf(sb, "  \"%s\" [label=\"", n->id) && dot_escape(sb, n->label, DOT_LABEL_CHARS) &&
		     strbuf_addstr(sb, "\\n") && dot_escape(sb, n->detail, DOT_LABEL_CHARS) && strbuf_addstr(sb, "\", tooltip=\"") &&
		     dot_escape(sb, n->title, 0) && strbuf_addstr(sb, "\"");
		if (ok && n->kind == CASE_NODE_OBJECT)
			ok = strbuf_addstr(sb, ", style=\"rounded,filled,dashed\", fillcolor=\"#fff8c5\"");
		else if (ok && (n->kind == CASE_NODE_IDLE || n->kind == CASE_NODE_IDLE_MORE))
			ok = strbuf_addstr(sb, ", style=\"rounded,dotted\", group=idle");
		if (ok && n->root)
			ok = strbuf_addstr(sb, ", color=\"#e36209\", penwidth=3");
		else if (ok && n->cycle)
			ok = strbuf_addstr(sb, ", color=\"#cf222e\", penwidth=2");
		else if (ok && n->finding)
			ok = strbuf_addstr(sb, ", penwidth=2");
		ok = ok && strbuf_addstr(sb, "];\n");
	}
	for (size_t i = 0; ok && i < g.edges.len; i++) {
		const struct case_edge *e = &g.edges.items[i];
		ok = strbuf_appendf(sb, "  \"%s\" -> \"%s\" [label=\"%s", g.nodes.items[e->from].id, g.nodes.items[e->to].id,
				    wait_kind_name(e->kind)) &&
		     (e->count < 2 || strbuf_appendf(sb, " \u00d7%zu", e->count)) && strbuf_addstr(sb, "\", tooltip=\"") &&
		     dot_escape(sb, e->title, 0) && strbuf_addstr(sb, "\"");
		if (ok && e->cycle)
			ok = strbuf_addstr(sb, ", color=\"#cf222e\", fontcolor=\"#cf222e\", penwidth=2");
		else if (ok && e->root)
			ok = strbuf_addstr(sb, ", color=\"#e36209\", penwidth=2");
		ok = ok && strbuf_addstr(sb, "];\n");
	}
	if (ok && g.omitted_nodes)
		ok = strbuf_appendf(sb, "  // not drawn: %zu node(s) (%zu thread(s)) over the limit\n", g.omitted_nodes,
				    g.omitted_threads);
	ok = ok && strbuf_addstr(sb, "}\n");
	case_graph_deinit(&g);
	return ok;
}
