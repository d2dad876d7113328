#!/bin/bash
# The HTML reports in a real browser: Debian's chromium, headless, loads the
# pages hanganalyze writes and the test reads the DOM after the pages' scripts
# ran (tests/browser/dom.py) and chromium's console log.
#
#  0. the checks catch what they are for: a page whose script throws fails
#     the console check, a page with pasted-in markup fails the DOM check, a
#     page that opens a dialog fails to load;
#  1. the story sample (join-connect-stall): the headline is the join on the
#     connect, the wait-for graph has a node per thread group and per object
#     waited on and an edge per wait (join, connect), the findings and the
#     groups are those of the JSON report; a screenshot is taken
#     (UPDATE_SCREENSHOT=1 copies it to docs/story-report.png);
#  2. weird-names: thread names with markup, quotes, control bytes and
#     invalid UTF-8 are text, not markup: no script element but the page's
#     own, no event handler, no console message;
#  3. the queue: index.html lists the story and a lock cycle, one row each,
#     linking to case pages that exist and load cleanly; the cycle is marked;
#  4. 1000 threads (bench/heartbeat-target): grouped, a handful of nodes, the
#     page size bounded; the render time is measured and printed, not asserted.
. "$(dirname "$0")/../integration/test-subr.sh"
. "$(dirname "$0")/browser-subr.sh"
cd "$WORK" || exit 1
DB=$WORK/queue.db

# snap PROG NAME [ARG...]: a core of PROG in NAME.hang.zst; PROG is killed after
snap() {
	local prog=$1 name=$2
	shift 2
	start_target "$WORK/$name.out" "$prog" "$@"
	expect_exit 0 "$HANGSNAP" -q --interval 0 -o "$name.hang.zst" "$TARGET_PID"
	{ kill -9 "$TARGET_PID" && wait "$TARGET_PID"; } 2>/dev/null
}

# html NAME [ARG...]: NAME.html and NAME.json from NAME.hang.zst
html() {
	local name=$1
	shift
	expect_exit 0 "$HANGANALYZE" -q "$@" --format=json "$name.hang.zst"
	cp "$WORK/stdout" "$name.json"
	expect_exit 0 "$HANGANALYZE" -q "$@" --format=html "$name.hang.zst"
	cp "$WORK/stdout" "$name.html"
}

# q FACTS EXPR: json_query on a facts file, `d` bound to it
q() {
	json_query "$1" "$2"
}

# ... | contains TEXT: stdin holds TEXT (all of stdin is read)
contains() {
	local s
	s=$(cat)
	[[ $s == *"$1"* ]]
}

# ... | contains_line LINE: one line of stdin is LINE
contains_line() {
	local s
	s=$(cat)
	[[ $'\n'$s$'\n' == *$'\n'"$1"$'\n'* ]]
}

# page_ok FACTS: what every page must be: a headline, a CSP that allows no
# network access, nothing that loads or runs from outside
page_ok() {
	[ "$(q "$1" 'd["headline_tag"]')" = h1 ] || fail "$1: no <h1 id=headline>"
	[ -n "$(q "$1" 'd["headline"] or ""')" ] || fail "$1: the headline is empty"
	q "$1" 'd["csp"] or ""' | contains "default-src 'none'" ||
		fail "$1: no Content-Security-Policy with default-src 'none': $(q "$1" 'd["csp"]')"
	[ "$(q "$1" 'len(d["unsafe"])')" = 0 ] || fail "$1: $(q "$1" 'd["unsafe"]')"
}

# --- 0. negative controls: the checks below, on pages made to fail them ---
# (each in a subshell, where fail ends only the subshell)
controls=$SRC/tests/browser/controls
! (load_page control-error "$controls/script-error.html") 2>control-error.err ||
	fail "a page whose script throws passed load_page"
grep -q "Uncaught ReferenceError: headlineOf is not defined" control-error.err ||
	fail "the script error is not among the console lines: $(cat control-error.err)"
load_page control-injected "$controls/injected.html"
facts control-injected.dom >control-injected.facts
! (page_ok control-injected.facts) 2>control-injected.err || fail "a page with pasted-in markup passed page_ok"
grep -q "onerror" control-injected.err || fail "page_ok did not name the injected event handler: $(cat control-injected.err)"
[ "$(q control-injected.facts 'd["scripts"]')" = 2 ] || fail "the DOM check did not count the injected script"
! (CHROMIUM_TIMEOUT=10 load_page control-dialog "$controls/dialog.html") 2>control-dialog.err ||
	fail "a page that calls alert() passed load_page"
grep -q "did not finish loading" control-dialog.err || fail "the dialog was not caught as a load that does not finish: $(cat control-dialog.err)"
note "controls: a script error, pasted-in markup and a dialog fail the checks"

# --- 1. the story sample ---
snap "$SAMPLES/join-connect-stall" story
html story --db "$DB"
load_page story story.html --screenshot="$WORK/story.png" --window-size=1280,900
facts story.dom >story.facts
page_ok story.facts
headline=$(q story.facts 'd["headline"]')
case $headline in
*"is joining out_metrics"*"connect()"*) ;;
*) fail "story headline: '$headline'" ;;
esac
[ "$(q story.facts 'd["svg"]')" = True ] || fail "story: no <svg id=waitgraph>"
for s in process findings threads; do
	q story.facts 'd["sections"]' | contains_line "$s" || fail "story: no <section id=$s>"
done
# the graph: a node per thread group and per object waited on, an edge per
# wait; as the JSON report has them, and as the page's own numbers say
want_nodes=$(q story.json 'len(d["groups"]) + len({e["object"] for e in d["waitgraph"]["edges"] if e["object"]})')
want_edges=$(q story.json 'len(d["waitgraph"]["edges"])')
nodes=$(q story.facts 'len(d["nodes"])')
edges=$(q story.facts 'len(d["edges"])')
[ "$nodes" = "$want_nodes" ] || fail "story: $nodes nodes in the graph, expected $want_nodes: $(q story.facts 'd["nodes"]')"
[ "$edges" = "$want_edges" ] || fail "story: $edges edges in the graph, expected $want_edges: $(q story.facts 'd["edges"]')"
[ "$nodes" -ge 3 ] || fail "story: $nodes nodes, expected 2 thread groups and the connect"
[ "$(q story.facts 'd["svg_data"].get("nodes", len(d["nodes"]))')/$(q story.facts 'd["svg_data"].get("edges", len(d["edges"]))')" = "$nodes/$edges" ] ||
	fail "story: $nodes nodes and $edges edges drawn, the page says $(q story.facts 'd["svg_data"]')"
[ "$(q story.facts 'sum(int(e["count"] or 1) for e in d["edges"])')" = "$want_edges" ] ||
	fail "story: the edges stand for $(q story.facts 'sum(int(e["count"] or 1) for e in d["edges"])') waits, the JSON has $want_edges"
[ "$(q story.facts 'sorted(e["kind"] for e in d["edges"])' | tr '\n' ' ')" = "connect join " ] ||
	fail "story: edge kinds $(q story.facts '[e["kind"] for e in d["edges"]]'), expected join and connect"
q story.facts '[n["text"] for n in d["nodes"]]' | contains out_metrics || fail "story: no node names out_metrics"
q story.facts '[n["text"] for n in d["nodes"]]' | contains join-connect-st || fail "story: no node names the main thread"
[ "$(q story.facts 'sum("root" in n["classes"] for n in d["nodes"])')" = 1 ] ||
	fail "story: expected one root blocker node: $(q story.facts 'd["nodes"]')"
# findings and groups: those of the JSON report, in its order
[ "$(q story.facts '[f["rule"] for f in d["findings"]]')" = "$(q story.json '[f["rule"] for f in d["findings"]]')" ] ||
	fail "story findings $(q story.facts '[f["rule"] for f in d["findings"]]'), JSON has $(q story.json '[f["rule"] for f in d["findings"]]')"
[ "$(q story.facts 'd["findings"][0]["rule"]')" = join-on-blocked ] || fail "story: the first finding is not join-on-blocked"
[ "$(q story.facts 'sorted(int(c) for c in d["groups"])')" = "$(q story.json 'sorted(g["count"] for g in d["groups"])')" ] ||
	fail "story groups $(q story.facts 'd["groups"]'), JSON has $(q story.json '[g["count"] for g in d["groups"]]')"
page_scripts=$(q story.facts 'd["scripts"]')
# the screenshot: 1280x900, not blank
read -r w h distinct < <(/usr/bin/python3 "$DOMPY" png story.png) || fail "story.png is not a PNG"
[ "$w $h" = "1280 900" ] || fail "story.png is ${w}x$h, expected 1280x900"
[ "$distinct" -gt 30 ] || fail "story.png looks blank ($distinct distinct byte values)"
cp story.png "$BUILD/tests/story-report.png"
if [ "${UPDATE_SCREENSHOT:-}" = 1 ]; then
	cp story.png "$SRC/docs/story-report.png"
	note "updated $SRC/docs/story-report.png"
fi
note "story: '$headline'; $nodes nodes, $edges edges; screenshot $BUILD/tests/story-report.png"

# --- 2. hostile thread names ---
snap "$PROGS/weird-names" weird
html weird --no-db
load_page weird weird.html
facts weird.dom >weird.facts
page_ok weird.facts
[ "$(q weird.facts 'd["scripts"]')" = "$page_scripts" ] ||
	fail "weird-names: $(q weird.facts 'd["scripts"]') script elements after load, the story page has $page_scripts"
# and in the page as written, before any script ran
facts weird.html >weird-source.facts
facts story.html >story-source.facts
[ "$(q weird-source.facts 'd["scripts"]')" = "$(q story-source.facts 'd["scripts"]')" ] ||
	fail "weird-names: $(q weird-source.facts 'd["scripts"]') script elements in the page source, the story page has $(q story-source.facts 'd["scripts"]')"
[ "$(q weird-source.facts 'len(d["unsafe"])')" = 0 ] || fail "weird-names source: $(q weird-source.facts 'd["unsafe"]')"
for name in "q'\"\`;DROP cases" "<script>x</sc" 'back\slash' '(bad' 'red'; do
	q weird.facts 'd["text"]' | contains "$name" || fail "weird-names: the thread name '$name' is not in the page's text"
done
[ "$(q weird.facts 'sum(1 for c in d["text"] if ord(c) < 32 and c not in "\t\n\r")')" = 0 ] ||
	fail "weird-names: raw control bytes in the page's text"
[ "$(q weird.facts 'sum(int(c) for c in d["groups"])')" = 6 ] || fail "weird-names: groups $(q weird.facts 'd["groups"]'), expected 6 threads"
note "weird-names: names shown as text, $page_scripts script element(s), as in every page"

# --- 3. the queue ---
snap "$SAMPLES/lock-cycle" cycle
html cycle --db "$DB"
expect_exit 0 "$HANGANALYZE" queue --db "$DB" --format=html --out "$WORK/queue"
load_page queue queue/index.html
facts queue.dom >queue.facts
page_ok queue.facts
[ "$(q queue.facts 'd["queue"] and d["queue"]["tag"]')" = table ] || fail "queue: no <table id=queue>"
[ "$(q queue.facts 'd["queue"]["body_rows"]')" = 2 ] || fail "queue: $(q queue.facts 'd["queue"]["body_rows"]') rows, expected 2: $(q queue.facts 'd["queue"]')"
[ "$(q queue.facts 'len(d["queue"]["rows"])')" = 2 ] || fail "queue: the rows do not name their signature group: $(q queue.facts 'd["queue"]')"
[ "$(q queue.facts 'len(d["queue"]["headers"])')" -ge 3 ] || fail "queue: no column headers to sort by"
for sig in "$(q story.json 'd["signature"]["hash"]')" "$(q cycle.json 'd["signature"]["hash"]')"; do
	q queue.facts '[r["text"] for r in d["queue"]["rows"]]' | contains "${sig:0:8}" || fail "queue: no row for signature $sig"
done
cycle_seen=0 story_seen=0
for link in $(q queue.facts 'sorted({l for r in d["queue"]["rows"] for l in r["links"]})'); do
	case $link in
	*/* | *:*) fail "queue: link '$link' leaves the queue directory" ;;
	case-*.html) ;;
	*) fail "queue: link '$link' is not a case-ID.html page" ;;
	esac
	[ -f "queue/$link" ] || fail "queue: link '$link' points to no file"
	load_page "queue-$link" "queue/$link"
	facts "queue-$link.dom" >"queue-$link.facts"
	page_ok "queue-$link.facts"
	case $(q "queue-$link.facts" 'd["headline"]') in
	*"is joining out_metrics"*) story_seen=1 ;;
	*)
		[ "$(q "queue-$link.facts" 'd["findings"][0]["rule"]')" = lock-cycle ] ||
			fail "queue/$link is neither the story nor the lock cycle: $(q "queue-$link.facts" 'd["headline"]')"
		# both members may be one group (same stack): at least one node, and
		# the mutex edges, are marked
		[ "$(q "queue-$link.facts" 'sum("cycle" in n["classes"] for n in d["nodes"])')" -ge 1 ] ||
			fail "queue/$link: the cycle members are not marked: $(q "queue-$link.facts" 'd["nodes"]')"
		[ "$(q "queue-$link.facts" 'sum("cycle" in e["classes"] for e in d["edges"] if e["kind"] == "mutex")')" -ge 1 ] ||
			fail "queue/$link: the cycle's edges are not marked: $(q "queue-$link.facts" 'd["edges"]')"
		for name in xfer_a xfer_b; do
			q "queue-$link.facts" 'd["text"]' | contains "$name" || fail "queue/$link: $name is not on the page"
		done
		cycle_seen=1
		;;
	esac
done
[ "$story_seen$cycle_seen" = 11 ] || fail "queue: the case pages do not cover the story and the lock cycle"
note "queue: 2 rows, case pages load cleanly"

# --- 4. 1000 threads ---
snap "$BUILD/bench/heartbeat-target" big --threads 1000 --heap-mib 4 --gap-file "$WORK/gap"
html big --no-db
size=$(stat -c %s big.html)
[ "$size" -lt $((1024 * 1024)) ] || fail "the 1000-thread page is $size bytes, more than 1 MiB"
load_page big big.html
facts big.dom >big.facts
page_ok big.facts
nodes=$(q big.facts 'len(d["nodes"])')
edges=$(q big.facts 'len(d["edges"])')
[ "$nodes" -lt 100 ] || fail "1000 threads: $nodes nodes in the graph, not grouped"
[ "$edges" -lt 100 ] || fail "1000 threads: $edges edges in the graph, not grouped"
[ "$nodes" -ge "$(q big.json 'len(d["groups"])')" ] || fail "1000 threads: $nodes nodes for $(q big.json 'len(d["groups"])') thread groups"
[ "$(q big.facts 'len(d["groups"])')" = "$(q big.json 'len(d["groups"])')" ] ||
	fail "1000 threads: $(q big.facts 'len(d["groups"])') groups, the JSON has $(q big.json 'len(d["groups"])')"
[ "$(q big.facts 'sum(int(c) for c in d["groups"])')" = 1000 ] || fail "1000 threads: the groups do not add up to 1000"
[ "$(q big.facts 'sum(int(n["count"] or 0) for n in d["nodes"] if "thread" in n["classes"])')" = 1000 ] ||
	fail "1000 threads: the graph's thread boxes do not stand for all 1000 threads: $(q big.facts '[(n["classes"], n["count"]) for n in d["nodes"]]')"
[ "$(q big.facts 'd["elements"]')" -lt 20000 ] || fail "1000 threads: $(q big.facts 'd["elements"]') elements in the DOM"
# render time: navigation start to laid out at the load event, in the page
# itself; printed, never asserted (a shared machine is too noisy for that)
/usr/bin/python3 "$DOMPY" timed big.html big-timed.html
times=()
for i in 1 2 3; do
	load_page "big-timed-$i" big-timed.html
	ms=$(grep -o 'data-render-ms="[0-9.]*"' "big-timed-$i.dom" | grep -o '[0-9.]*')
	[ -n "$ms" ] || fail "the timing script did not run in the 1000-thread page"
	times+=("$ms")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
note "1000 threads: $(q big.json 'len(d["groups"])') groups, $nodes nodes, $edges edges, $size bytes; rendered in $median ms (median of ${times[*]} ms; load + layout, in the page)"
echo ok
