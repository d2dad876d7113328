/*
 * The HTML reports: one self-contained page per case (the wait-for graph
 * drawn as inline SVG, laid out here by graph_layout.c), and the triage
 * queue page. Nothing is fetched: no network, no external script, style or
 * font; a Content-Security-Policy says so to the browser (default-src
 * 'none'), and the only script is the constant page_script below, allowed by
 * its SHA-256 hash — a script that came from the core would not run even if
 * it got into the page.
 *
 * Everything from the core (names, frames, paths, evidence, even numbers
 * the rules formatted) goes through report_html_escape(), in text and in
 * attribute values alike: & < > " ' become entities, control bytes become
 * control pictures (ESC shows as U+241B), invalid UTF-8 becomes U+FFFD, and
 * so do bidirectional overrides. The page is valid UTF-8 whatever the core
 * holds.
 *
 * DOM contract of the case page (tests/browser and tests/integration/
 * run-html.sh rely on it; change it only with them):
 *
 *   <body data-report="hanganalyze-case/1">
 *   <h1 id="headline" data-rule="RULE" data-severity="SEV">  the top finding's
 *       summary; "no hang found" (no data-rule) when there is no finding
 *   <section id="graph">
 *     <svg id="waitgraph" data-nodes="N" data-edges="E" data-idle="I"
 *          data-omitted="O">                         (always present, maybe empty)
 *       <g class="edge [cycle] [root]" data-kind="join|mutex|connect|read|..."
 *          data-from="NODE" data-to="NODE" data-count="THREADS">  one per distinct
 *          wait: <title>, <path>, <text> (the kind, "×N" when N threads)
 *       <g class="node thread [finding] [cycle] [root]" data-node="g3|g3.1"
 *          data-group="3" data-count="THREADS" data-tids="4711 4712">  one per
 *          thread group (a group split by what its threads wait on is g3.0, g3.1...)
 *       <g class="node object KIND [finding] [cycle] [root]" data-node="o0"
 *          data-object="socket|pipe|file|child|lock|condvar|futex|thread|fd|fds|wait"
 *          data-count="THREADS" data-objects="N">  one per object waited on
 *          ("N sockets" when several private to one group were folded: data-objects > 1)
 *       <g class="node thread idle" data-node="g5" data-group="5" data-count=...
 *          data-tids=...>  one per idle group (nothing that can hang, nobody waits
 *          on it, no finding), no edges, in rows under the graph; past 24 of them,
 *          <g class="node idle more" data-node="idle" data-count="THREADS"
 *          data-groups="N"> holds the smallest
 *       so every thread group is a node, and the thread nodes' data-count add up
 *       to the thread count (unless data-omitted > 0: over 60 nodes in the graph);
 *       edges come before nodes; each node holds <title>, <a href="#gN"> (the
 *       group's details; objects link to their first waiter's group), <rect>, <text>s
 *       A process tree (several cores, m->procs) adds, before the edges,
 *       <g class="process-box" data-pid="PID" data-proc="I"> (<title>, <rect>,
 *       <text> "pid PID COMM") around the nodes of each process, the objects
 *       only one process's threads wait on included (the layout's clusters:
 *       the boxes never overlap each other or another process's nodes), and
 *       data-pid="PID" on every node of one process
 *     <p id="graph-caption">  what is drawn and what is left out (idle
 *       threads, nodes over the limit, a reduced layout)
 *   <section id="process">  <dl>; <dd data-field="pid|comm|exe|cmdline|host|captured|frozen|threads|core|signature">
 *       (the root process's); a process tree adds <dd data-field="processes"> with
 *       <ul class="processes"><li data-pid="PID"> (a link to #pPID) per process, root first
 *   <section id="findings">
 *     <article class="finding severity-SEV" data-rule="RULE" data-severity="SEV">
 *       <p class="summary">, <p class="threads"> (links #tTID), <ul class="evidence">, <p class="hint">
 *   <section id="threads">  <button id="expand-all">
 *     in a process tree, the groups of each process are inside <section
 *     class="process" data-pid="PID" id="pPID"> with an <h3> ("process PID COMM,
 *     child of PPID, core PATH"), root first
 *     <details class="group [finding] [cycle]" id="gN" data-group="N" data-count="THREADS"
 *              [open]>  one per group of identical stacks, core order; open when
 *              a finding names one of its threads
 *       <summary>, <p class="tids"> with <span class="tid" id="tTID">,
 *       <p class="syscall">, <p class="wait">, <table class="frames"> (#, pc,
 *       function, module, source file:line, how)
 *   <section id="notes">  missing evidence and warnings, when any
 *   <script>  page_script, the only one
 *
 * The queue page: <body data-report="hanganalyze-queue/1">, <table id="queue"
 * class="sortable"> with <th data-key="severity|count|first_seen|last_seen|
 * status|summary|signature|rule|hosts" data-type="number|text">, one
 * <tr class="group" data-signature="HASH" data-case="ID"> per signature, cells with
 * data-sort; with --out, the summary links to case-ID.html.
 */
#include "reports/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/frames.h"
#include "analyzer/names.h"
#include "analyzer/waitgraph.h"
#include "common/utf8.h"
#include "common/version.h"
#include "common/util.h"
#include "reports/case_graph.h"
#include "reports/graph_layout.h"

/* ---- escaping ------------------------------------------------------------- */

size_t report_display_char(const char *str, uint32_t *cp_ret)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	uint32_t cp;
	size_t n;

	if (c < 0x20 || c == 0x7f) {
		*cp_ret = c == 0x7f ? 0x2421 : 0x2400 + c;
		return 1;
	}
	if (!(n = utf8_decode(str, &cp)))
		goto invalid;
	/* valid, but not to be shown as is: C1 controls, noncharacters, text direction overrides */
	if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		cp = 0xfffd;
	*cp_ret = cp;
	return n;
invalid:
	*cp_ret = 0xfffd;
	return 1;
}

bool report_append_char(struct strbuf *sb, uint32_t cp)
{
	char b[4];

	if (cp < 0x80)
		return strbuf_append(sb, (char[]){ (char)cp }, 1);
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		return strbuf_append(sb, b, 2);
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return strbuf_append(sb, b, 3);
	}
	b[0] = (char)(0xf0 | cp >> 18);
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return strbuf_append(sb, b, 4);
}

/* Characters shown (after report_display_char) in s, counting at most max + 1. */
static size_t display_length(const char *s, size_t max)
{
	size_t n = 0;
	uint32_t cp;

	for (; s && *s && n <= max; n++)
		s += report_display_char(s, &cp);
	return n;
}

/*
 * THE escaping function: every string that did not come from this file
 * goes through it. max_chars > 0 cuts s to that many characters and ends it
 * with an ellipsis.
 */
static bool escape_max(struct strbuf *sb, const char *s, size_t max_chars)
{
	size_t shown = 0;

	while (s && *s) {
		uint32_t cp;
		size_t n;
		bool ok;

		if (max_chars && shown == max_chars)
			return strbuf_addstr(sb, "\u2026");
		n = report_display_char(s, &cp);
		switch (cp) {
		case '&': ok = strbuf_addstr(sb, "&amp;"); break;
		case '<': ok = strbuf_addstr(sb, "&lt;"); break;
		case '>': ok = strbuf_addstr(sb, "&gt;"); break;
		case '"': ok = strbuf_addstr(sb, "&quot;"); break;
		case '\'': ok = strbuf_addstr(sb, "&#39;"); break;
		default: ok = report_append_char(sb, cp);
		}
		if (!ok)
			return false;
		s += n;
		shown++;
	}
	return true;
}

bool report_html_escape(struct strbuf *sb, const char *s)
{
	return escape_max(sb, s, 0);
}

/* Shorthands: text, then a constant tail (markup of ours). */
static bool esc(struct strbuf *sb, const char *s)
{
	return escape_max(sb, s, 0);
}

static bool add(struct strbuf *sb, const char *markup)
{
	return strbuf_addstr(sb, markup);
}

/* ---- the page's one script, and its hash for the CSP ------------------------- */

/*
 * Opens the <details> an anchor points into (#g3, #t4711), expand/collapse
 * all, and sortable tables. No inline handlers (the CSP forbids them):
 * listeners only. If you change a byte of it, PAGE_SCRIPT_SHA256 must follow:
 *   printf '%s' "$script" | openssl dgst -sha256 -binary | base64
 * (tests/integration/run-html.sh checks that they match).
 */
static const char page_script[] =
	"(function(){"
	"function openTarget(){var id=decodeURIComponent(location.hash.slice(1));if(!id)return;"
	"var el=document.getElementById(id);if(!el)return;var d=el.closest('details');if(d)d.open=true;}"
	"window.addEventListener('hashchange',openTarget);openTarget();"
	"var b=document.getElementById('expand-all');"
	"if(b)b.addEventListener('click',function(){var open=b.getAttribute('aria-pressed')!=='true';"
	"document.querySelectorAll('details.group').forEach(function(d){d.open=open;});"
	"b.setAttribute('aria-pressed',open?'true':'false');b.textContent=open?'collapse all':'expand all';});"
	"document.querySelectorAll('table.sortable').forEach(function(t){"
	"var ths=t.tHead.rows[0].cells;"
	"Array.prototype.forEach.call(ths,function(th,i){"
	"function sort(){var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;"
	"Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});"
	"th.setAttribute('aria-sort',dir>0?'ascending':'descending');"
	"var num=th.getAttribute('data-type')==='number';var body=t.tBodies[0];"
	"var rows=Array.prototype.slice.call(body.rows);"
	"rows.sort(function(a,b){var x=a.cells[i].getAttribute('data-sort'),y=b.cells[i].getAttribute('data-sort');"
	"if(x===null)x=a.cells[i].textContent;if(y===null)y=b.cells[i].textContent;"
	"var c=num?Number(x)-Number(y):(x<y?-1:x>y?1:0);return c*dir;});"
	"rows.forEach(function(r){body.appendChild(r);});}"
	"th.tabIndex=0;th.addEventListener('click',sort);"
	"th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});"
	"});});"
	"})();";
#define PAGE_SCRIPT_SHA256 "sha256-FstuMYfKJUHoNbkpXAhfpMivpIC4nFG9uq7M1q9koik="

static const char page_style[] =
	":root{--fg:#1b1f24;--muted:#5b636d;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--crit:#a40e26;--high:#cf222e;"
	"--med:#bc4c00;--low:#57606a;--cycle:#cf222e;--root:#e36209;--thread:#ddf4ff;--object:#fff8c5;}"
	"*{box-sizing:border-box}"
	"body{margin:0 auto;max-width:1200px;padding:16px 24px 48px;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
	"sans-serif;color:var(--fg);background:var(--bg)}"
	"h1{font-size:22px;line-height:1.3;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);"
	"padding-bottom:4px}h3{font-size:15px;margin:0 0 6px}"
	"code,pre,.mono,table.frames{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}"
	".sub,.muted,small{color:var(--muted)}"
	".sev{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-size:12px;text-transform:uppercase}"
	".severity-critical .sev,.sev.critical{background:var(--crit)}.severity-high .sev,.sev.high{background:var(--high)}"
	".severity-medium .sev,.sev.medium{background:var(--med)}.severity-low .sev,.sev.low{background:var(--low)}"
	"h1.severity-critical,h1.severity-high{color:var(--crit)}"
	".graph-wrap{overflow:auto;border:1px solid var(--line);border-radius:6px;background:var(--soft);max-height:80vh}"
	"#waitgraph{display:block;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}"
	"#waitgraph .node rect{stroke:#57606a;stroke-width:1}"
	"#waitgraph .node.thread rect{fill:var(--thread)}#waitgraph .node.object rect{fill:var(--object);stroke-dasharray:4 2}"
	"#waitgraph .node.finding rect{stroke-width:2}"
	"#waitgraph .node.idle rect{fill:#fff;stroke-dasharray:1 3}#waitgraph .idle-heading{fill:var(--muted)}"
	"#waitgraph .node.cycle rect{stroke:var(--cycle);stroke-width:2.5}"
	"#waitgraph .node.root rect{stroke:var(--root);stroke-width:3.5}"
	"#waitgraph .node text{fill:var(--fg)}#waitgraph .node text.l2{fill:var(--muted)}"
	"#waitgraph .node a:hover rect,#waitgraph .node a:focus rect{fill:#fff}"
	"#waitgraph .edge path{fill:none;stroke:#57606a;stroke-width:1.4;marker-end:url(#arrow)}"
	"#waitgraph .edge.root path{stroke:var(--root);stroke-width:2.2;marker-end:url(#arrow-root)}"
	"#waitgraph .edge.cycle path{stroke:var(--cycle);stroke-width:2.2;marker-end:url(#arrow-cycle)}"
	"#waitgraph .edge text{fill:var(--fg);paint-order:stroke;stroke:var(--soft);stroke-width:4px;font-size:11px}"
	"#waitgraph .edge.cycle text{fill:var(--cycle)}"
	".legend span{margin-right:14px}.legend i{display:inline-block;width:22px;height:0;border-top:3px solid;"
	"vertical-align:middle;margin-right:4px}"
	"dl.card{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dl.card dt{color:var(--muted)}"
	"dl.card dd{margin:0;overflow-wrap:anywhere}"
	"article.finding{border:1px solid var(--line);border-left:5px solid var(--low);border-radius:6px;padding:10px 14px;"
	"margin:10px 0}article.finding.severity-critical{border-left-color:var(--crit)}"
	"article.finding.severity-high{border-left-color:var(--high)}article.finding.severity-medium{border-left-color:var(--med)}"
	"article.finding p{margin:4px 0}.evidence{margin:4px 0;padding-left:20px;font-size:13px}"
	".evidence li{overflow-wrap:anywhere}.hint{background:var(--soft);padding:6px 10px;border-radius:4px}"
	"details.group{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:var(--bg)}"
	"details.group.finding{border-color:#8c959f}details.group.cycle{border-color:var(--cycle)}"
	"details.group>summary{cursor:pointer;padding:6px 10px;overflow-wrap:anywhere}"
	"details.group[open]>summary{border-bottom:1px solid var(--line);background:var(--soft)}"
	"details.group .body{padding:6px 12px 10px}details.group .body p{margin:4px 0;overflow-wrap:anywhere}"
	".count{font-weight:600}.tid{white-space:nowrap}.tid:target{background:#fff8c5}"
	"table{border-collapse:collapse}table.frames td,table.frames th{padding:1px 8px;text-align:left;vertical-align:top}"
	"table.frames tr:nth-child(even){background:var(--soft)}table.frames td.fn{overflow-wrap:anywhere}"
	"table.frames .how{color:var(--muted)}"
	"#queue{width:100%}#queue th,#queue td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;"
	"vertical-align:top}#queue th{cursor:pointer;user-select:none;background:var(--soft)}"
	"#queue th[aria-sort=ascending]::after{content:' \\25B2'}#queue th[aria-sort=descending]::after{content:' \\25BC'}"
	"#queue td.num{text-align:right}#queue td time,#queue td code{white-space:nowrap}"
	"button{font:inherit;padding:2px 10px}"
	"footer{margin-top:32px;color:var(--muted);font-size:12px}";

/* Only in a process tree's page (a one-process page stays as it was). */
static const char tree_style[] =
	"#waitgraph .process-box rect{fill:#fff;fill-opacity:.55;stroke:#8c959f;stroke-width:1.2}"
	"#waitgraph .process-box text{fill:var(--muted);font-size:11.5px}"
	"section.process{border:1px solid var(--line);border-radius:8px;padding:4px 12px 8px;margin:10px 0;"
	"background:var(--soft)}section.process>h3{margin:6px 0;overflow-wrap:anywhere}"
	"ul.processes{margin:0;padding-left:18px}ul.processes li{overflow-wrap:anywhere}";

static bool page_head(struct strbuf *sb, const char *report, const char *title, const char *extra_style)
{
	return add(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		       "style-src 'unsafe-inline'; script-src '" PAGE_SCRIPT_SHA256 "'; img-src data:; "
		       "base-uri 'none'; form-action 'none'\">\n"
		       "<meta name=\"referrer\" content=\"no-referrer\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<meta name=\"generator\" content=\"hanganalyze " HANGSNAP_VERSION "\">\n<title>") &&
	       esc(sb, title) && add(sb, "</title>\n<style>") && add(sb, page_style) && (!extra_style || add(sb, extra_style)) &&
	       add(sb, "</style>\n</head>\n<body data-report=\"") && add(sb, report) && add(sb, "\">\n");
}

static bool page_tail(struct strbuf *sb)
{
	return add(sb, "<footer>made by hanganalyze " HANGSNAP_VERSION " from the core alone; this page loads nothing "
		       "from the network</footer>\n<script>") &&
	       add(sb, page_script) && add(sb, "</script>\n</body>\n</html>\n");
}

/* ---- the wait-for graph ------------------------------------------------------- */

#define CHAR_WIDTH 7.3		/* 12px monospace, with a little room for wider fonts */
#define LABEL_CHARS 32u
#define DETAIL_CHARS 36u
#define NODE_HEIGHT 42.0
#define PAD 16.0

static double node_width(const struct case_node *n)
{
	size_t chars = MAX(display_length(n->label, LABEL_CHARS), display_length(n->detail, DETAIL_CHARS));

	return MAX(90.0, 20.0 + CHAR_WIDTH * (double)chars);
}

static bool append_tids(struct strbuf *sb, const struct model *m, const struct case_graph *g, size_t node)
{
	bool ok = true, first = true;

	for (size_t i = 0; ok && i < m->threads.len; i++)
		if (g->thread_node[i] == node) {
			ok = strbuf_appendf(sb, first ? "%d" : " %d", m->threads.items[i].tid);
			first = false;
		}
	return ok;
}

static bool node_classes(struct strbuf *sb, const struct case_node *n)
{
	bool ok;

	switch (n->kind) {
	case CASE_NODE_THREADS: ok = add(sb, "node thread"); break;
	case CASE_NODE_OBJECT: ok = add(sb, "node object ") && esc(sb, n->object_kind); break;
	case CASE_NODE_IDLE: ok = add(sb, "node thread idle"); break;
	default: ok = add(sb, "node idle more"); break;
	}
	return ok && (!n->finding || add(sb, " finding")) && (!n->cycle || add(sb, " cycle")) && (!n->root || add(sb, " root"));
}

static bool draw_node(struct strbuf *sb, const struct model *m, const struct case_graph *g, size_t i, double x, double y,
		      double width)
{
	const struct case_node *n = &g->nodes.items[i];
	const struct thread *first = &m->threads.items[n->first_thread];
	bool ok;

	ok = add(sb, "<g class=\"") && node_classes(sb, n) && add(sb, "\" data-node=\"") && esc(sb, n->id) && add(sb, "\"");
	if (ok && m->procs.len > 1 && n->proc < m->procs.len)
		ok = strbuf_appendf(sb, " data-pid=\"%d\"", (int)m->procs.items[n->proc].pid);
	if (n->kind == CASE_NODE_THREADS || n->kind == CASE_NODE_IDLE)
		ok = ok && strbuf_appendf(sb, " data-group=\"%zu\" data-count=\"%zu\" data-tids=\"", n->group, n->nthreads) &&
		     append_tids(sb, m, g, i) && add(sb, "\"");
	else if (n->kind == CASE_NODE_OBJECT)
		ok = ok && add(sb, " data-object=\"") && esc(sb, n->object_kind) &&
		     strbuf_appendf(sb, "\" data-count=\"%zu\" data-objects=\"%zu\"", n->nthreads, n->nobjects);
	else
		ok = ok && strbuf_appendf(sb, " data-count=\"%zu\" data-groups=\"%zu\"", n->nthreads, n->ngroups);
	ok = ok && add(sb, "><title>") && esc(sb, n->label) && add(sb, "\n") && esc(sb, n->title);
	if (ok && (n->kind == CASE_NODE_THREADS || n->kind == CASE_NODE_IDLE) && n->nthreads > 1)
		ok = add(sb, "\nthreads: ") && append_tids(sb, m, g, i);
	ok = ok && (n->kind == CASE_NODE_IDLE_MORE ? add(sb, "</title><a href=\"#threads\">")
						   : strbuf_appendf(sb, "</title><a href=\"#g%zu\">", first->group)) &&
	     strbuf_appendf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"%d\"/>", x, y, width,
			    NODE_HEIGHT, n->kind == CASE_NODE_OBJECT ? 14 : 5) &&
	     strbuf_appendf(sb, "<text class=\"l1\" x=\"%.1f\" y=\"%.1f\">", x + 10, y + 17) &&
	     escape_max(sb, n->label, LABEL_CHARS) &&
	     strbuf_appendf(sb, "</text><text class=\"l2\" x=\"%.1f\" y=\"%.1f\">", x + 10, y + 33) &&
	     escape_max(sb, n->detail, DETAIL_CHARS) && add(sb, "</text></a></g>\n");
	return ok;
}

static bool draw_edge(struct strbuf *sb, const struct case_graph *g, const struct case_edge *e, const struct layout_edge *le)
{
	struct layout_point mid;
	bool ok;

	if (le->dropped || le->npoints < 2)
		return true;
	ok = add(sb, "<g class=\"edge") && (!e->cycle || add(sb, " cycle")) && (!e->root || add(sb, " root")) &&
	     add(sb, "\" data-kind=\"") && esc(sb, wait_kind_name(e->kind)) && add(sb, "\" data-from=\"") &&
	     esc(sb, g->nodes.items[e->from].id) && add(sb, "\" data-to=\"") && esc(sb, g->nodes.items[e->to].id) &&
	     strbuf_appendf(sb, "\" data-count=\"%zu\"><title>", e->count) && esc(sb, e->title) &&
	     (e->count < 2 || strbuf_appendf(sb, " (and %zu more thread%s)", e->count - 1, e->count == 2 ? "" : "s")) &&
	     add(sb, "</title><path d=\"");
	for (size_t k = 0; ok && k < le->npoints; k++)
		ok = strbuf_appendf(sb, "%s%.1f,%.1f", k ? " L" : "M", le->points[k].x + PAD, le->points[k].y + PAD);
	ok = ok && add(sb, "\"/>");
	if (ok && graph_layout_edge_midpoint(le, &mid)) {
		if (le->self_loop)
			mid = le->points[1];
		ok = strbuf_appendf(sb, "<text x=\"%.1f\" y=\"%.1f\">", mid.x + PAD + 4, mid.y + PAD + 4) &&
		     esc(sb, wait_kind_name(e->kind)) && (e->count < 2 || strbuf_appendf(sb, " \u00d7%zu", e->count)) &&
		     add(sb, "</text>");
	}
	return ok && add(sb, "</g>\n");
}

#define IDLE_GAP 14.0
#define IDLE_HEADING 26.0
#define IDLE_HEADING_TEXT "idle: waiting on nothing that can hang, and nobody waits on them"

/* Where the idle nodes go: rows under the graph, wrapped at wrap_width. Returns the strip's height. */
static double place_idle(const struct case_graph *g, const double *widths, double top, double wrap_width,
			 struct layout_point *pos, double *width_ret)
{
	double x = 0, y = top + IDLE_HEADING, right = 0;

	if (g->nodes.len == g->nlaid_out)
		return 0;
	for (size_t i = g->nlaid_out; i < g->nodes.len; i++) {
		if (x > 0 && x + widths[i] > wrap_width) {
			x = 0;
			y += NODE_HEIGHT + IDLE_GAP;
		}
		pos[i] = (struct layout_point){ x, y };
		x += widths[i] + IDLE_GAP;
		right = MAX(right, x - IDLE_GAP);
	}
	*width_ret = right;
	return y + NODE_HEIGHT - top;
}

static bool append_caption(struct strbuf *sb, const struct model *m, const struct case_graph *g,
			   const struct graph_layout *l)
{
	size_t drawn = 0;
	bool ok;

	for (size_t i = 0; i < g->nlaid_out; i++)
		drawn += g->nodes.items[i].kind == CASE_NODE_THREADS ? g->nodes.items[i].nthreads : 0;
	ok = add(sb, "<p id=\"graph-caption\">");
	if (ok && !g->nlaid_out)
		ok = add(sb, "No thread waits on anything that can hang, or on another thread. ");
	else if (ok)
		ok = strbuf_appendf(sb, "%zu of %zu threads in the graph: %zu node%s, %zu edge%s. A solid box is a group of "
					"threads with identical stacks (split by what they wait on), a dashed box what they "
					"wait on; arrows point from the waiter to what it waits for. ",
				    drawn, m->threads.len, g->nlaid_out, g->nlaid_out == 1 ? "" : "s", g->edges.len,
				    g->edges.len == 1 ? "" : "s");
	if (ok && g->idle_threads)
		ok = strbuf_appendf(sb, "%zu idle thread%s in %zu group%s (condition variables, sleeps, accept(), bounded "
					"waits; nobody waits on them, no finding names them) %s drawn apart, below, without "
					"edges. ",
				    g->idle_threads, g->idle_threads == 1 ? "" : "s", g->idle_groups, g->idle_groups == 1 ? "" : "s",
				    g->idle_threads == 1 ? "is" : "are");
	if (ok && g->omitted_nodes)
		ok = strbuf_appendf(sb, "%zu more node%s (%zu thread%s) over the drawing limit %s left out, those in findings "
					"kept first. ",
				    g->omitted_nodes, g->omitted_nodes == 1 ? "" : "s", g->omitted_threads,
				    g->omitted_threads == 1 ? "" : "s", g->omitted_nodes == 1 ? "is" : "are");
	if (ok && l->reduced)
		ok = add(sb, "The graph was too big to lay out whole: some edges are drawn straight or left out. ");
	return ok && add(sb, "</p>\n");
}

/* A process box's label in the graph: "pid 4723 worker" (not escaped). */
static bool process_box_label(struct strbuf *sb, const struct process_part *p)
{
	strbuf_deinit(sb);
	strbuf_init(sb);
	return strbuf_appendf(sb, "pid %d ", (int)p->pid) && strbuf_addstr(sb, p->comm ? p->comm : "?");
}

#define BOX_LABEL_CHARS 40u

/* The boxes around each process's nodes, behind everything (only in a process tree). */
static bool draw_process_boxes(struct strbuf *sb, const struct model *m, const struct graph_layout *l)
{
	struct strbuf label;
	bool ok = true;

	strbuf_init(&label);
	for (size_t c = 0; ok && c < l->nclusters && c < m->procs.len; c++) {
		const struct layout_cluster *box = &l->clusters[c];
		const struct process_part *p = &m->procs.items[c];

		if (!box->placed)
			continue;
		ok = process_box_label(&label, p) &&
		     strbuf_appendf(sb, "<g class=\"process-box\" data-pid=\"%d\" data-proc=\"%zu\"><title>process %d ",
				    (int)p->pid, c, (int)p->pid) &&
		     esc(sb, p->comm ? p->comm : "?") &&
		     (c == 0 ? add(sb, " (the root)") : strbuf_appendf(sb, " (child of %d)", (int)p->ppid)) &&
		     (!p->core_path || (add(sb, ", core ") && esc(sb, p->core_path))) &&
		     strbuf_appendf(sb, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"8\"/>",
				    box->x + PAD, box->y + PAD, box->width, box->height) &&
		     strbuf_appendf(sb, "<text x=\"%.1f\" y=\"%.1f\">", box->x + PAD + 8, box->y + PAD + 15) &&
		     escape_max(sb, label.buf, BOX_LABEL_CHARS) && add(sb, "</text></g>\n");
	}
	strbuf_deinit(&label);
	return ok;
}

static bool append_graph(struct strbuf *sb, const struct model *m)
{
	struct case_graph g;
	struct layout_node_in *nodes = NULL;
	struct layout_edge_in *edges = NULL;
	struct layout_point *idle_pos = NULL;
	double *widths = NULL;
	struct graph_layout *l = NULL;
	struct graph_layout_options lopts;
	struct hs_error *err;
	double width = 0, height = 0, idle_top = 0, idle_height, idle_width = 0, *box_widths = NULL;
	bool tree = m->procs.len > 1, ok = false;

	if ((err = case_graph_build(m, &g)))
		goto out;
	nodes = calloc(g.nodes.len + 1, sizeof(*nodes));
	edges = calloc(g.edges.len + 1, sizeof(*edges));
	widths = calloc(g.nodes.len + 1, sizeof(*widths));
	idle_pos = calloc(g.nodes.len + 1, sizeof(*idle_pos));
	if (!nodes || !edges || !widths || !idle_pos)
		goto out;
	for (size_t i = 0; i < g.nodes.len; i++) {
		widths[i] = node_width(&g.nodes.items[i]);
		nodes[i] = (struct layout_node_in){ widths[i], NODE_HEIGHT, 0 };
	}
	for (size_t i = 0; i < g.edges.len; i++)
		edges[i] = (struct layout_edge_in){ g.edges.items[i].from, g.edges.items[i].to };
	graph_layout_options_default(&lopts);
	if (tree) {
		/* a box per process: cluster proc + 1, as wide as its label at least */
		struct strbuf label;

		if (!(box_widths = calloc(m->procs.len, sizeof(*box_widths))))
			goto out;
		strbuf_init(&label);
		for (size_t c = 0; c < m->procs.len; c++) {
			if (!process_box_label(&label, &m->procs.items[c])) {
				strbuf_deinit(&label);
				goto out;
			}
			box_widths[c] = 16.0 + CHAR_WIDTH * (double)display_length(label.buf, BOX_LABEL_CHARS);
		}
		strbuf_deinit(&label);
		lopts.cluster_min_width = box_widths;
		lopts.nclusters = m->procs.len;
		for (size_t i = 0; i < g.nlaid_out; i++)
			if (g.nodes.items[i].proc < m->procs.len)
				nodes[i].cluster = (unsigned)g.nodes.items[i].proc + 1;
	}
	if ((err = graph_layout_compute(nodes, g.nlaid_out, edges, g.edges.len, tree ? &lopts : NULL, &l)))
		goto out;
	if (g.nlaid_out) {
		/* room for edge labels sticking out on the right */
		width = l->width + 60;
		height = l->height;
		idle_top = height + 28;
	}
	idle_height = place_idle(&g, widths, idle_top, MAX(width, 900.0), idle_pos, &idle_width);
	if (idle_height > 0) {
		width = MAX(width, MAX(idle_width, CHAR_WIDTH * (double)strlen(IDLE_HEADING_TEXT)));
		height = idle_top + idle_height;
	}
	if (width > 0) {
		width += 2 * PAD;
		height += 2 * PAD;
	}
	ok = add(sb, "<section id=\"graph\">\n<h2>Wait-for graph</h2>\n<div class=\"graph-wrap\">") &&
	     strbuf_appendf(sb, "<svg id=\"waitgraph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
				"viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\"graph-caption\" data-nodes=\"%zu\" "
				"data-edges=\"%zu\" data-idle=\"%zu\" data-omitted=\"%zu\">\n",
			    width, height, width, height, g.nodes.len, g.edges.len, g.idle_threads, g.omitted_threads) &&
	     add(sb, "<defs>"
		     "<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
		     "orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#57606a\"/></marker>"
		     "<marker id=\"arrow-cycle\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
		     "orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#cf222e\"/></marker>"
		     "<marker id=\"arrow-root\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
		     "orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#e36209\"/></marker></defs>\n");
	if (ok && tree)
		ok = draw_process_boxes(sb, m, l);
	for (size_t i = 0; ok && i < g.edges.len; i++)
		ok = draw_edge(sb, &g, &g.edges.items[i], &l->edges[i]);
	for (size_t i = 0; ok && i < g.nlaid_out; i++)
		if (l->placed[i])
			ok = draw_node(sb, m, &g, i, l->pos[i].x + PAD, l->pos[i].y + PAD, widths[i]);
	if (ok && idle_height > 0)
		ok = strbuf_appendf(sb, "<text class=\"idle-heading\" x=\"%.1f\" y=\"%.1f\">" IDLE_HEADING_TEXT "</text>\n", PAD,
				    idle_top + PAD + 14);
	for (size_t i = g.nlaid_out; ok && i < g.nodes.len; i++)
		ok = draw_node(sb, m, &g, i, idle_pos[i].x + PAD, idle_pos[i].y + PAD, widths[i]);
	ok = ok && add(sb, "</svg></div>\n") && append_caption(sb, m, &g, l) &&
	     add(sb, "<p class=\"legend muted\"><span><i style=\"border-color:#cf222e\"></i>wait cycle</span>"
		     "<span><i style=\"border-color:#e36209\"></i>root blocker of the top finding</span>"
		     "<span>bold border: named by a finding</span><span>dotted: idle</span></p>\n</section>\n");
out:
	hs_error_destroy(err);
	graph_layout_destroy(l);
	free(nodes);
	free(edges);
	free(widths);
	free(idle_pos);
	free(box_widths);
	case_graph_deinit(&g);
	return ok;
}

/* ---- the rest of the case page -------------------------------------------------- */

static bool dd(struct strbuf *sb, const char *field, const char *term)
{
	return add(sb, "<dt>") && add(sb, term) && add(sb, "</dt><dd data-field=\"") && add(sb, field) && add(sb, "\">");
}

static bool append_process(struct strbuf *sb, const struct model *m, const struct report_options *opts)
{
	char when[32], size[16];
	bool ok;

	ok = add(sb, "<section id=\"process\">\n<h2>Process</h2>\n<dl class=\"card\">\n") && dd(sb, "comm", "process") &&
	     esc(sb, m->comm) && strbuf_appendf(sb, "</dd>\n") && dd(sb, "pid", "pid") && strbuf_appendf(sb, "%d</dd>\n", m->pid);
	if (ok && m->exe)
		ok = dd(sb, "exe", "executable") && add(sb, "<code>") && esc(sb, m->exe) && add(sb, "</code></dd>\n");
	if (ok && m->cmdline && *m->cmdline)
		ok = dd(sb, "cmdline", "command line") && add(sb, "<code>") && esc(sb, m->cmdline) && add(sb, "</code></dd>\n");
	if (ok && m->host)
		ok = dd(sb, "host", "host") && esc(sb, m->host) && add(sb, "</dd>\n");
	ok = ok && dd(sb, "captured", "captured");
	if (ok && m->captured_real_ns)
		ok = add(sb, "<time datetime=\"") && esc(sb, report_time_utc(m->captured_real_ns, when, sizeof(when))) &&
		     add(sb, "\">") && esc(sb, when) && add(sb, "</time>");
	else if (ok)
		ok = add(sb, "unknown (the core does not say)");
	ok = ok && add(sb, "</dd>\n") && dd(sb, "frozen", "frozen");
	if (ok && m->producer == PRODUCER_HANGSNAP)
		ok = strbuf_appendf(sb, "%.1f ms (how long the snapshot stopped the process)", (double)m->freeze_ns / 1e6);
	else if (ok)
		ok = add(sb, "unknown (no HANGSNAP notes: not a hangsnap core)");
	ok = ok && add(sb, "</dd>\n") && dd(sb, "threads", "threads") &&
	     strbuf_appendf(sb, "%zu (%zu distinct stacks)</dd>\n", m->threads.len, m->groups.len);
	if (ok && opts->core_path)
		ok = dd(sb, "core", "core") && add(sb, "<code>") && esc(sb, opts->core_path) &&
		     strbuf_appendf(sb, "</code> (%s, %s, %s)</dd>\n",
				    m->producer == PRODUCER_HANGSNAP ? "hangsnap" : "no HANGSNAP notes", report_core_format(m),
				    hs_format_bytes(core_file_size(m->core->file), size, sizeof(size)));
	if (ok && m->build_id)
		ok = dd(sb, "build_id", "build id") && add(sb, "<code>") && esc(sb, m->build_id) && add(sb, "</code></dd>\n");
	if (ok && m->signature.hash)
		ok = dd(sb, "signature", "signature") && add(sb, "<code>") && esc(sb, m->signature.hash) &&
		     strbuf_appendf(sb, "</code> (v%d): ", m->signature.version) && esc(sb, m->signature.text) &&
		     add(sb, "</dd>\n");
	if (ok && m->procs.len > 1)
		ok = dd(sb, "processes", "process tree") &&
		     strbuf_appendf(sb, "%zu processes, analyzed as one case:<ul class=\"processes\">\n", m->procs.len);
	for (size_t i = 0; ok && m->procs.len > 1 && i < m->procs.len; i++) {
		const struct process_part *p = &m->procs.items[i];

		ok = strbuf_appendf(sb, "<li data-pid=\"%d\"><a href=\"#p%d\">%d</a> ", (int)p->pid, (int)p->pid, (int)p->pid) &&
		     esc(sb, p->comm ? p->comm : "?") &&
		     (i == 0 ? add(sb, " (the root)") : strbuf_appendf(sb, " (child of %d)", (int)p->ppid)) &&
		     strbuf_appendf(sb, ", %zu thread%s", p->count, p->count == 1 ? "" : "s") &&
		     (!p->exe || (add(sb, ", <code>") && esc(sb, p->exe) && add(sb, "</code>"))) &&
		     (!p->cmdline || !*p->cmdline || (add(sb, ", <code>") && esc(sb, p->cmdline) && add(sb, "</code>"))) &&
		     (!p->core_path || (add(sb, ", core <code>") && esc(sb, p->core_path) && add(sb, "</code>"))) &&
		     add(sb, "</li>\n");
	}
	if (ok && m->procs.len > 1)
		ok = add(sb, "</ul></dd>\n");
	return ok && add(sb, "</dl>\n</section>\n");
}

static bool thread_link(struct strbuf *sb, const struct model *m, int32_t tid)
{
	const struct thread *t = model_thread(m, tid);

	if (!t)
		return strbuf_appendf(sb, "%d", tid);
	return strbuf_appendf(sb, "<a href=\"#t%d\">", tid) && (!*t->name || (esc(sb, t->name) && add(sb, " "))) &&
	       strbuf_appendf(sb, "(%d)</a>", tid);
}

static bool append_findings(struct strbuf *sb, const struct model *m)
{
	bool ok = add(sb, "<section id=\"findings\">\n<h2>Findings</h2>\n");

	if (ok && !m->findings.len)
		ok = add(sb, "<p class=\"none\">None: no thread matches a known hang pattern.</p>\n");
	for (size_t i = 0; ok && i < m->findings.len; i++) {
		const struct finding *f = &m->findings.items[i];
		const char *sev = severity_name(f->severity);

		ok = add(sb, "<article class=\"finding severity-") && esc(sb, sev) && add(sb, "\" data-rule=\"") && esc(sb, f->rule) &&
		     add(sb, "\" data-severity=\"") && esc(sb, sev) && add(sb, "\">\n<h3><span class=\"sev\">") && esc(sb, sev) &&
		     add(sb, "</span> <code>") && esc(sb, f->rule) && add(sb, "</code></h3>\n<p class=\"summary\">") &&
		     esc(sb, f->summary) && add(sb, "</p>\n<p class=\"threads\">threads: ");
		for (size_t k = 0; ok && k < f->threads.len; k++)
			ok = (!k || add(sb, ", ")) && thread_link(sb, m, f->threads.items[k]);
		ok = ok && add(sb, "</p>\n");
		if (ok && f->evidence.len) {
			ok = add(sb, "<ul class=\"evidence\">\n");
			for (size_t k = 0; ok && k < f->evidence.len; k++)
				ok = add(sb, "<li>") && esc(sb, f->evidence.items[k]) && add(sb, "</li>\n");
			ok = ok && add(sb, "</ul>\n");
		}
		if (ok && f->hint)
			ok = add(sb, "<p class=\"hint\"><b>hint:</b> ") && esc(sb, f->hint) && add(sb, "</p>\n");
		ok = ok && add(sb, "</article>\n");
	}
	return ok && add(sb, "</section>\n");
}

static const char *frame_how(const struct frame *f)
{
	if (f->inlined)
		return "inlined";
	switch (f->how) {
	case FRAME_INITIAL: return "registers";
	case FRAME_CFI: return "";
	case FRAME_FP: return "frame pointer";
	case FRAME_INLINE: return "inline";
	case FRAME_TAILCALL: return "tail call";
	}
	return "";
}

static bool append_frames(struct strbuf *sb, const struct thread *t)
{
	bool ok = add(sb, "<table class=\"frames\"><thead><tr><th>#</th><th>pc</th><th>function</th><th>module</th>"
			  "<th>source</th><th></th></tr></thead><tbody>\n");

	for (size_t i = 0; ok && i < t->frames.len; i++) {
		const struct frame *f = &t->frames.items[i];
		ok = strbuf_appendf(sb, "<tr><td>%zu</td><td>0x%" PRIx64 "</td><td class=\"fn\">", i, f->pc);
		if (ok && f->function && f->linkage_name)	/* demangled: the raw name on hover */
			ok = add(sb, "<span title=\"") && esc(sb, f->linkage_name) && add(sb, "\">") && esc(sb, f->function) &&
			     add(sb, "</span>") && (f->inlined || strbuf_appendf(sb, "+0x%" PRIx64, f->offset));
		else if (ok && f->function)
			ok = esc(sb, f->function) && (f->inlined || strbuf_appendf(sb, "+0x%" PRIx64, f->offset));
		else if (ok)
			ok = f->module ? strbuf_appendf(sb, "+0x%" PRIx64, f->offset) : add(sb, "??");
		ok = ok && add(sb, "</td><td>") && (!f->module || esc(sb, f->module)) && add(sb, "</td><td>");
		if (ok && f->file) {
			const char *base = strrchr(f->file, '/');
			ok = add(sb, "<span title=\"") && esc(sb, f->file) && add(sb, "\">") && esc(sb, base ? base + 1 : f->file) &&
			     (!f->line || strbuf_appendf(sb, ":%d", f->line)) && add(sb, "</span>");
		}
		ok = ok && add(sb, "</td><td class=\"how\">") && add(sb, frame_how(f)) && add(sb, "</td></tr>\n");
	}
	return ok && add(sb, "</tbody></table>\n");
}

/* Threads named by a finding, per group. */
static bool *groups_in_findings(const struct model *m)
{
	bool *in = calloc(m->groups.len + 1, sizeof(bool));

	for (size_t i = 0; in && i < m->findings.len; i++)
		for (size_t k = 0; k < m->findings.items[i].threads.len; k++) {
			const struct thread *t = model_thread(m, m->findings.items[i].threads.items[k]);
			if (t)
				in[t->group] = true;
		}
	return in;
}

static bool append_group(struct strbuf *sb, const struct model *m, size_t gi, bool finding, bool cycle)
{
	const struct thread_group *grp = &m->groups.items[gi];
	const struct thread *t = &m->threads.items[grp->first];
	const struct frame *app = frame_app(t);
	struct strbuf wait;
	size_t names = 0;
	bool ok;

	ok = strbuf_appendf(sb, "<details class=\"group%s%s\" id=\"g%zu\" data-group=\"%zu\" data-count=\"%zu\"%s>\n<summary>",
			    finding ? " finding" : "", cycle ? " cycle" : "", gi, gi, grp->count, finding ? " open" : "") &&
	     strbuf_appendf(sb, "<span class=\"count\">%zu thread%s</span> <span class=\"names\">", grp->count,
			    grp->count == 1 ? "" : "s");
	for (size_t i = grp->first; ok && i < m->threads.len && names < 4; i++)
		if (m->threads.items[i].group == gi)
			ok = (!names || add(sb, ", ")) && esc(sb, *m->threads.items[i].name ? m->threads.items[i].name : "?") &&
			     strbuf_appendf(sb, " (%d)", m->threads.items[i].tid) && (names++, true);
	if (ok && grp->count > names)
		ok = strbuf_appendf(sb, ", \u2026");
	ok = ok && add(sb, "</span>");
	if (ok && t->state)
		ok = strbuf_appendf(sb, " <span class=\"state muted\">%c ", t->state) && esc(sb, report_thread_state(t->state)) &&
		     add(sb, "</span>");
	if (ok && app && app->function)
		ok = add(sb, " \u2014 <code>") && esc(sb, app->function) && add(sb, "</code>");
	if (ok && t->syscall.name)
		ok = add(sb, " in <code>") && esc(sb, t->syscall.name) && add(sb, "()</code>");
	ok = ok && add(sb, "</summary>\n<div class=\"body\">\n<p class=\"tids\">");
	for (size_t i = grp->first, k = 0; ok && i < m->threads.len; i++) {
		const struct thread *o = &m->threads.items[i];
		if (o->group != gi)
			continue;
		ok = (!k++ || add(sb, ", ")) && strbuf_appendf(sb, "<span class=\"tid\" id=\"t%d\">%d", o->tid, o->tid) &&
		     (!*o->name || (add(sb, " ") && esc(sb, o->name))) && (o->has_registers || add(sb, " [never stopped]")) &&
		     add(sb, "</span>");
	}
	ok = ok && add(sb, "</p>\n");
	if (ok && t->syscall.text)
		ok = add(sb, "<p class=\"syscall\">in <code>") && esc(sb, t->syscall.text) && add(sb, "</code>") &&
		     (!t->syscall.restarted || add(sb, " [restarted]")) && add(sb, "</p>\n");
	else if (ok && t->syscall.nr < 0 && t->has_registers)
		ok = add(sb, "<p class=\"syscall\">in user space</p>\n");
	if (ok && t->wchan && *t->wchan && strcmp(t->wchan, "0") != 0)
		ok = add(sb, "<p class=\"wchan\">kernel wait: <code>") && esc(sb, t->wchan) && add(sb, "</code></p>\n");
	strbuf_init(&wait);
	if (ok && t->blocked.kind != WAIT_NONE) {
		ok = waitgraph_describe_wait(&wait, m, t) && waitgraph_describe_duration(&wait, t) &&
		     add(sb, "<p class=\"wait\">waits for: ") && esc(sb, wait.buf) &&
		     (grp->count == 1 || add(sb, " <span class=\"muted\">(the first thread; the others wait alike)</span>")) &&
		     add(sb, "</p>\n");
	}
	strbuf_deinit(&wait);
	ok = ok && append_frames(sb, t);
	if (ok && t->unwind_error)
		ok = add(sb, "<p class=\"unwind-error muted\">stack ends: ") && esc(sb, t->unwind_error) && add(sb, "</p>\n");
	return ok && add(sb, "</div>\n</details>\n");
}

/* Opens a process's box in the threads section: <section class="process" data-pid="P" id="pP"><h3>... */
static bool process_heading(struct strbuf *sb, const struct model *m, uint32_t proc)
{
	const struct process_part *p = &m->procs.items[proc];

	return strbuf_appendf(sb, "<section class=\"process\" data-pid=\"%d\" id=\"p%d\">\n<h3>process %d ", (int)p->pid,
			      (int)p->pid, (int)p->pid) &&
	       esc(sb, p->comm ? p->comm : "?") &&
	       (proc == 0 ? add(sb, " (the root)") : strbuf_appendf(sb, ", child of %d", (int)p->ppid)) &&
	       (!p->core_path || (add(sb, ", core <code>") && esc(sb, p->core_path) && add(sb, "</code>"))) &&
	       strbuf_appendf(sb, " <span class=\"muted\">\u00b7 %zu thread%s</span></h3>\n", p->count, p->count == 1 ? "" : "s");
}

static bool append_threads(struct strbuf *sb, const struct model *m)
{
	bool *in_finding = groups_in_findings(m), *in_cycle = calloc(m->groups.len + 1, sizeof(bool));
	bool ok = in_finding && in_cycle;
	uint32_t last_proc = UINT32_MAX;

	for (size_t i = 0; ok && i < m->threads.len; i++)
		in_cycle[m->threads.items[i].group] |= m->threads.items[i].in_cycle;
	ok = ok && add(sb, "<section id=\"threads\">\n<h2>Threads</h2>\n") &&
	     strbuf_appendf(sb, "<p>%zu thread%s in %zu group%s of identical stacks, in core order (the main thread "
				"first); groups named by a finding are open. "
				"<button type=\"button\" id=\"expand-all\" aria-pressed=\"false\">expand all</button></p>\n",
			    m->threads.len, m->threads.len == 1 ? "" : "s", m->groups.len, m->groups.len == 1 ? "" : "s");
	for (size_t g = 0; ok && g < m->groups.len; g++) {
		uint32_t proc = m->threads.items[m->groups.items[g].first].proc;

		/* a process tree: a box per process around its groups (they are contiguous, root first) */
		if (m->procs.len > 1 && proc < m->procs.len && proc != last_proc) {
			ok = (last_proc == UINT32_MAX || add(sb, "</section>\n")) && process_heading(sb, m, proc);
			last_proc = proc;
		}
		ok = ok && append_group(sb, m, g, in_finding[g], in_cycle[g]);
	}
	if (last_proc != UINT32_MAX)
		ok = ok && add(sb, "</section>\n");
	free(in_finding);
	free(in_cycle);
	return ok && add(sb, "</section>\n");
}

static bool append_notes(struct strbuf *sb, const struct model *m)
{
	bool ok = true;

	if (!m->missing.len && !m->warnings.len)
		return true;
	ok = add(sb, "<section id=\"notes\">\n<h2>Notes</h2>\n");
	if (ok && m->missing.len) {
		ok = add(sb, "<h3>Missing evidence</h3>\n<ul class=\"missing\">\n");
		for (size_t i = 0; ok && i < m->missing.len; i++)
			ok = add(sb, "<li>") && esc(sb, m->missing.items[i]) && add(sb, "</li>\n");
		ok = ok && add(sb, "</ul>\n");
	}
	if (ok && m->warnings.len) {
		ok = add(sb, "<h3>Warnings</h3>\n<ul class=\"warnings\">\n");
		for (size_t i = 0; ok && i < m->warnings.len; i++)
			ok = add(sb, "<li>") && esc(sb, m->warnings.items[i]) && add(sb, "</li>\n");
		ok = ok && add(sb, "</ul>\n");
	}
	return ok && add(sb, "</section>\n");
}

bool report_html(const struct model *m, const struct report_options *opts, struct strbuf *sb)
{
	const struct finding *top = m->findings.len ? &m->findings.items[0] : NULL;
	struct strbuf title;
	bool ok;

	strbuf_init(&title);
	ok = strbuf_appendf(&title, "%s: %s (%d)", top ? top->rule : "no hang", m->comm ? m->comm : "?", m->pid) &&
	     page_head(sb, "hanganalyze-case/1", title.buf, m->procs.len > 1 ? tree_style : NULL);
	strbuf_deinit(&title);
	ok = ok && add(sb, "<header>\n");
	if (ok && top)
		ok = add(sb, "<h1 id=\"headline\" class=\"severity-") && esc(sb, severity_name(top->severity)) &&
		     add(sb, "\" data-rule=\"") && esc(sb, top->rule) && add(sb, "\" data-severity=\"") &&
		     esc(sb, severity_name(top->severity)) && add(sb, "\">") && esc(sb, top->summary) && add(sb, "</h1>\n") &&
		     add(sb, "<p class=\"sub\"><span class=\"sev ") && esc(sb, severity_name(top->severity)) && add(sb, "\">") &&
		     esc(sb, severity_name(top->severity)) && add(sb, "</span> <code>") && esc(sb, top->rule) && add(sb, "</code>") &&
		     (m->findings.len < 2 || strbuf_appendf(sb, " \u00b7 %zu more finding%s below", m->findings.len - 1,
							     m->findings.len == 2 ? "" : "s")) &&
		     add(sb, " \u00b7 process ") && esc(sb, m->comm) && strbuf_appendf(sb, " (%d)</p>\n", m->pid);
	else if (ok)
		ok = add(sb, "<h1 id=\"headline\">no hang found</h1>\n<p class=\"sub\">No thread of ") && esc(sb, m->comm) &&
		     strbuf_appendf(sb, " (%d) matches a known hang pattern.</p>\n", m->pid);
	ok = ok && add(sb, "</header>\n") && append_graph(sb, m) && append_process(sb, m, opts) && append_findings(sb, m) &&
	     append_threads(sb, m) && append_notes(sb, m) && page_tail(sb);
	return ok;
}

/* ---- the queue page ----------------------------------------------------------- */

const char *report_html_case_file(int64_t case_id, char *buf, size_t size)
{
	snprintf(buf, size, "case-%" PRId64 ".html", case_id);
	return buf;
}

/* The queue's own order of urgency, for sorting by status. */
static int status_rank(const char *status)
{
	static const char *const order[] = { "regressed", "new", "triaged", "fixed", "ignored" };

	for (int i = 0; i < (int)ARRAY_SIZE(order); i++)
		if (status && strcmp(status, order[i]) == 0)
			return i;
	return (int)ARRAY_SIZE(order);
}

static bool time_cell(struct strbuf *sb, int64_t ns)
{
	char when[32];

	if (!ns)
		return add(sb, "<td data-sort=\"0\">-</td>");
	return strbuf_appendf(sb, "<td data-sort=\"%" PRId64 "\"><time datetime=\"", ns / 1000000000) &&
	       esc(sb, report_time_utc((uint64_t)ns, when, sizeof(when))) && add(sb, "\">") && esc(sb, when) &&
	       add(sb, "</time></td>");
}

bool report_html_queue(const struct report_queue_row *rows, size_t nrows, bool links, const char *source,
		       struct strbuf *sb)
{
	bool ok = page_head(sb, "hanganalyze-queue/1", "hang triage queue", NULL) &&
		  add(sb, "<header>\n<h1 id=\"headline\">Hang triage queue</h1>\n<p class=\"sub\">") &&
		  strbuf_appendf(sb, "%zu signature%s", nrows, nrows == 1 ? "" : "s");

	if (ok && source)
		ok = add(sb, " from <code>") && esc(sb, source) && add(sb, "</code>");
	ok = ok && add(sb, ", most urgent first (regressed, new, triaged; then severity, count, last seen). "
			   "Click a column heading to sort.");
	if (ok && !links)
		ok = add(sb, " Case pages are not linked: write the queue with <code>--out DIR</code> to get one page per "
			     "signature's latest case beside it.");
	ok = ok && add(sb, "</p>\n</header>\n");
	if (ok && !nrows)
		ok = add(sb, "<p class=\"none\">No open hang signatures.</p>\n");
	ok = ok && add(sb, "<table id=\"queue\" class=\"sortable\">\n<thead><tr>"
			   "<th data-key=\"severity\" data-type=\"number\">severity</th>"
			   "<th data-key=\"count\" data-type=\"number\">count</th>"
			   "<th data-key=\"first_seen\" data-type=\"number\">first seen</th>"
			   "<th data-key=\"last_seen\" data-type=\"number\">last seen</th>"
			   "<th data-key=\"status\" data-type=\"number\">status</th>"
			   "<th data-key=\"summary\" data-type=\"text\">summary</th>"
			   "<th data-key=\"rule\" data-type=\"text\">rule</th>"
			   "<th data-key=\"hosts\" data-type=\"text\">hosts</th>"
			   "<th data-key=\"signature\" data-type=\"text\">signature</th>"
			   "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; ok && i < nrows; i++) {
		const struct report_queue_row *r = &rows[i];
		char file[32];

		ok = add(sb, "<tr class=\"group\" data-signature=\"") && esc(sb, r->signature) &&
		     strbuf_appendf(sb, "\" data-case=\"%" PRId64 "\"><td data-sort=\"%d\"><span class=\"sev ", r->case_id,
				    r->severity_rank) &&
		     esc(sb, r->severity) && add(sb, "\">") && esc(sb, r->severity) && add(sb, "</span></td>") &&
		     strbuf_appendf(sb, "<td class=\"num\" data-sort=\"%" PRId64 "\">%" PRId64 "</td>", r->count, r->count) &&
		     time_cell(sb, r->first_seen_ns) && time_cell(sb, r->last_seen_ns) &&
		     strbuf_appendf(sb, "<td data-sort=\"%d\">", status_rank(r->status)) && esc(sb, r->status) &&
		     add(sb, "</td><td>");
		if (ok && links && r->has_page)
			ok = add(sb, "<a href=\"") && esc(sb, report_html_case_file(r->case_id, file, sizeof(file))) &&
			     add(sb, "\">") && esc(sb, r->summary) && add(sb, "</a>");
		else if (ok)
			ok = esc(sb, r->summary);
		ok = ok && add(sb, "</td><td><code>") && esc(sb, r->rule) && add(sb, "</code></td><td>") && esc(sb, r->hosts) &&
		     add(sb, "</td><td><code>") && esc(sb, r->signature) && add(sb, "</code></td></tr>\n");
	}
	return ok && add(sb, "</tbody>\n</table>\n") && page_tail(sb);
}
