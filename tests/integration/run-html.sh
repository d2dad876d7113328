#!/bin/bash
# The HTML report on real cores, read with Python's html.parser (the browser
# test, tests/browser, loads the same pages in chromium):
#  - the story sample: the headline is the top finding's sentence, the graph
#    has one node per thread group plus the socket, and the join and connect
#    edges, the root blocker marked; the DOT output has the same graph;
#  - a lock cycle between two threads with the same stack: two nodes, both
#    edges marked as the cycle;
#  - weird-names (quotes, SQL, escapes, control bytes, invalid UTF-8,
#    "<script>x</sc"): the page is strict UTF-8, well nested, with exactly one
#    <script> (ours, whose hash the CSP names), no event handler attribute,
#    and every name shown as text;
#  - 1000 threads: the page stays small and the graph has tens of nodes;
#  - the case database keeps the page: show ID --format=html is byte for
#    byte what analyze printed; queue --format=html --out DIR links case pages
#    that exist, files 0600, existing ones replaced only with --force.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
DB=$WORK/cases.db

# snap PROG NAME [ARG...]: a core of PROG in NAME.hang.zst (PROG is killed after)
snap() {
	local prog=$1 name=$2
	shift 2
	start_target "$WORK/$name.out" "$prog" "$@"
	expect_exit 0 "$HANGSNAP" -q --interval 0 -o "$name.hang.zst" "$TARGET_PID"
	{ kill -9 "$TARGET_PID" && wait "$TARGET_PID"; } 2>/dev/null
}

# facts HTML: what the page holds, as JSON (see the Python below); fails on
# invalid UTF-8 and on end tags that do not close the element they should
facts() {
	/usr/bin/python3 - "$1" <<'PY'
import base64, hashlib, html.parser, json, re, sys

raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # strict: raises on invalid UTF-8
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "rect", "path", "stop"}

class Facts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.ids = [], [], {}
        self.nodes, self.edges, self.groups, self.findings = [], [], [], []
        self.scripts, self.handlers, self.text, self.links = [], [], [], []
        self.csp = None
        self.headline, self.in_headline, self.in_script = "", False, False
        self.cur, self.cur_depth = None, 0
    def start(self, tag, attrs, push):
        a = dict(attrs)
        for k, _ in attrs:
            if k.startswith("on"):
                self.handlers.append((tag, k))
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content")
        if "id" in a:
            self.ids[a["id"]] = tag
        cls = (a.get("class") or "").split()
        if tag == "g" and "node" in cls:
            self.cur = {"id": a.get("data-node"), "classes": cls, "count": a.get("data-count"),
                        "tids": a.get("data-tids"), "object": a.get("data-object"), "text": ""}
            self.cur_depth = len(self.stack)
            self.nodes.append(self.cur)
        if tag == "g" and "edge" in cls:
            self.edges.append({"kind": a.get("data-kind"), "from": a.get("data-from"), "to": a.get("data-to"),
                               "classes": cls, "count": a.get("data-count")})
        if tag == "details" and "group" in cls:
            self.groups.append(int(a["data-count"]))
        if tag == "article" and "finding" in cls:
            self.findings.append(a.get("data-rule"))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "h1" and a.get("id") == "headline":
            self.in_headline = True
        if tag == "script":
            self.scripts.append("")
            self.in_script = True
        if push and tag not in VOID:
            self.stack.append(tag)
    def handle_starttag(self, tag, attrs):
        self.start(tag, attrs, True)
    def handle_startendtag(self, tag, attrs):
        self.start(tag, attrs, False)
    def handle_endtag(self, tag):
        if tag == "h1":
            self.in_headline = False
        if tag == "script":
            self.in_script = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if self.cur is not None and len(self.stack) == self.cur_depth:
            self.cur = None
    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data
            return
        self.text.append(data)
        if self.in_headline:
            self.headline += data
        if self.cur is not None:
            self.cur["text"] += data

p = Facts()
p.feed(text)
p.close()
if p.stack:
    p.errors.append("unclosed: %s" % p.stack)
script_hashes = ["sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in p.scripts]
json.dump({"errors": p.errors, "ids": p.ids, "nodes": p.nodes, "edges": p.edges, "groups": p.groups,
           "findings": p.findings, "scripts": len(p.scripts), "script_hashes": script_hashes, "csp": p.csp,
           "handlers": p.handlers, "headline": p.headline.strip(), "text": "".join(p.text), "links": p.links,
           "raw_script_tags": len(re.findall(r"<script", text, re.I)),
           "controls": len(re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)), "size": len(raw)},
          sys.stdout)
PY
}

# q FACTS EXPR: json_query on a facts file
q() {
	json_query "$1" "$2"
}

# ... | has GREP-ARGS: grep -q that reads all of stdin (the writer never sees a closed pipe)
has() {
	local s
	s=$(cat)
	grep -q "$@" <<<"$s"
}

# page_ok FACTS: what every page must be
page_ok() {
	[ "$(q "$1" 'len(d["errors"])')" = 0 ] || fail "$1: markup errors: $(q "$1" 'd["errors"]')"
	[ "$(q "$1" 'd["scripts"]')" = 1 ] || fail "$1: $(q "$1" 'd["scripts"]') <script> elements, expected only ours"
	[ "$(q "$1" 'd["raw_script_tags"]')" = 1 ] || fail "$1: '<script' appears $(q "$1" 'd["raw_script_tags"]') times in the source"
	[ "$(q "$1" 'len(d["handlers"])')" = 0 ] || fail "$1: event handler attributes: $(q "$1" 'd["handlers"]')"
	[ "$(q "$1" 'd["controls"]')" = 0 ] || fail "$1: raw control bytes in the page"
	q "$1" 'd["csp"]' | has "^default-src 'none'; " || fail "$1: no CSP forbidding the network: $(q "$1" 'd["csp"]')"
	# the CSP allows exactly our script, by its hash
	[ "$(q "$1" 'd["script_hashes"][0] in d["csp"]')" = True ] ||
		fail "$1: the CSP does not name the page script's hash $(q "$1" 'd["script_hashes"]') (PAGE_SCRIPT_SHA256 in reports/html.c)"
	! grep -q -i -E '(src|href)="(https?:)?//' "${1%.facts}.html" || fail "$1: the page points at the network"
}

# --- the story: headline, a node per group, the join and connect edges ---
snap "$SAMPLES/join-connect-stall" story
read -r _ pid port rest <"$WORK/story.out"
out_tid=$(sed -n 's/.*tids=[0-9]*,\([0-9]*\).*/\1/p' <<<"$rest")
expect_exit 0 "$HANGANALYZE" --db "$DB" --format=json story.hang.zst
cp "$WORK/stdout" story.json
expect_exit 0 "$HANGANALYZE" --db "$DB" --format=html story.hang.zst
cp "$WORK/stdout" story.html
expect_grep "^hanganalyze: this core is case 1 in '$DB' already$" "$WORK/stderr"
facts story.html >story.facts
page_ok story.facts
headline=$(q story.facts 'd["headline"]')
[ "$headline" = "$(q story.json 'd["findings"][0]["summary"]')" ] || fail "story headline '$headline' is not the top finding's summary"
case $headline in
"join-connect-st ($pid) is joining out_metrics ($out_tid), which is stuck in connect() to 127.0.0.1:$port (SYN_SENT) with no timeout"*) ;;
*) fail "story headline: '$headline'" ;;
esac
for id in headline waitgraph process findings threads graph-caption expand-all; do
	[ "$(q story.facts "d['ids'].get('$id')")" != None ] || fail "story: no element with id '$id'"
done
# one node per thread group, one for the socket; a join edge between the groups and a connect edge to the socket
[ "$(q story.facts 'sorted(n["id"] for n in d["nodes"])' | tr '\n' ' ')" = "g0 g1 o0 " ] ||
	fail "story nodes: $(q story.facts '[n["id"] for n in d["nodes"]]')"
[ "$(q story.facts 'sorted((e["kind"], e["from"], e["to"]) for e in d["edges"])' | tr '\n' ' ')" = \
	"('connect', 'g1', 'o0') ('join', 'g0', 'g1') " ] || fail "story edges: $(q story.facts 'd["edges"]')"
[ "$(q story.facts '[n["tids"] for n in d["nodes"] if "root" in n["classes"]]')" = "$out_tid" ] ||
	fail "story: the root blocker is not out_metrics: $(q story.facts 'd["nodes"]')"
[ "$(q story.facts '[e["kind"] for e in d["edges"] if "root" in e["classes"]]')" = connect ] || fail "story: the connect edge is not marked as the root's"
[ "$(q story.facts '[n["object"] for n in d["nodes"] if n["object"]]')" = socket ] || fail "story: the object is not a socket"
q story.facts '[n["text"] for n in d["nodes"]]' | has "127.0.0.1:$port SYN_SENT" || fail "story: the socket node does not name the peer"
[ "$(q story.facts 'd["findings"]')" = "$(q story.json '[f["rule"] for f in d["findings"]]')" ] || fail "story: findings differ from the JSON"
[ "$(q story.facts 'sorted(d["groups"])')" = "$(q story.json 'sorted(g["count"] for g in d["groups"])')" ] || fail "story: groups differ from the JSON"
q story.facts 'd["text"]' | has "output_thread" || fail "story: no frame names output_thread"
q story.facts 'd["text"]' | has "join-connect-stall.c:[0-9]" || fail "story: no file:line in the frames"
# the same graph in DOT
expect_exit 0 "$HANGANALYZE" --no-db --format=dot story.hang.zst
cp "$WORK/stdout" story.dot
head -2 story.dot | grep -q '^digraph waitgraph {$' || fail "story.dot: not a digraph: $(head -3 story.dot)"
[ "$(grep -c '^  "[go][0-9.]*" \[label=' story.dot)" = 3 ] || fail "story.dot: expected 3 nodes: $(cat story.dot)"
expect_grep '^  "g0" -> "g1" \[label="join"' story.dot
expect_grep '^  "g1" -> "o0" \[label="connect"' story.dot
if command -v dot >/dev/null; then
	dot -Tsvg story.dot >/dev/null || fail "graphviz rejects story.dot"
fi
note "story: '$headline'"

# --- show: the stored page, byte for byte ---
expect_exit 0 "$HANGANALYZE" show --db "$DB" --format=html 1
cmp "$WORK/stdout" story.html || fail "show 1 --format=html differs from what analyze printed"
sig=$(q story.json 'd["signature"]["hash"]')
expect_exit 0 "$HANGANALYZE" show --db "$DB" --format=html "${sig:0:8}"
cmp "$WORK/stdout" story.html || fail "show SIGNATURE --format=html is not the latest case's page"

# --- a lock cycle between two threads of the same stack: two nodes, the cycle marked ---
snap "$SAMPLES/lock-cycle" cycle
expect_exit 0 "$HANGANALYZE" --db "$DB" --format=html cycle.hang.zst
cp "$WORK/stdout" cycle.html
facts cycle.html >cycle.facts
page_ok cycle.facts
[ "$(q cycle.facts 'sorted(n["id"] for n in d["nodes"] if "cycle" in n["classes"])' | tr '\n' ' ')" = "g1.0 g1.1 " ] ||
	fail "cycle: the two members are not two cycle nodes: $(q cycle.facts 'd["nodes"]')"
[ "$(q cycle.facts '[e["kind"] for e in d["edges"] if "cycle" in e["classes"]]' | tr '\n' ' ')" = "mutex mutex " ] ||
	fail "cycle: the mutex edges are not marked: $(q cycle.facts 'd["edges"]')"
[ "$(q cycle.facts 'd["ids"]["headline"]')" = h1 ] && q cycle.facts 'd["headline"]' | has "^deadlock of 2 threads" ||
	fail "cycle headline: $(q cycle.facts 'd["headline"]')"

# --- hostile names: text, never markup ---
snap "$PROGS/weird-names" weird
expect_exit 0 "$HANGANALYZE" --db "$DB" --format=html weird.hang.zst
cp "$WORK/stdout" weird.html
facts weird.html >weird.facts
page_ok weird.facts
# control bytes as control pictures (ESC U+241B, BEL U+2407, SOH U+2401, DEL U+2421), invalid UTF-8 as U+FFFD
esc=$'\xe2\x90\x9b' bel=$'\xe2\x90\x87' soh=$'\xe2\x90\x81' del=$'\xe2\x90\xa1' bad=$'\xef\xbf\xbd'
for name in "q'\"\`;DROP cases" "<script>x</sc" 'back\slash' "${esc}[31mred$bel$soh$del" "$bad$bad$bad(bad$bad$bad"; do
	q weird.facts 'd["text"]' | has -F -- "$name" || fail "weird: the thread name '$name' is not shown as text"
done
grep -q -F '&lt;script&gt;x&lt;/sc' weird.html || fail "weird: '<script>x</sc' is not escaped in the source"
grep -q -F 'q&#39;&quot;`;DROP cases' weird.html || fail "weird: quotes are not escaped in the source"
[ "$(q weird.facts 'sum(d["groups"])')" = 6 ] || fail "weird: groups $(q weird.facts 'd["groups"]')"
[ "$(q weird.facts 'sum(int(n["count"]) for n in d["nodes"] if "thread" in n["classes"])')" = 6 ] ||
	fail "weird: the graph's thread nodes do not hold the 6 threads: $(q weird.facts 'd["nodes"]')"
note "weird names: escaped; one script, ours"

# --- the queue as a site: links resolve, files 0600, --force to replace ---
expect_exit 0 "$HANGANALYZE" queue --db "$DB" --format=html
cp "$WORK/stdout" queue-stdout.html
facts queue-stdout.html >queue-stdout.facts
page_ok queue-stdout.facts
[ "$(q queue-stdout.facts '[l for l in d["links"] if l.startswith("case-")]')" = "" ] || fail "queue on stdout links case pages that do not exist"
expect_exit 0 "$HANGANALYZE" queue --db "$DB" --format=html --out site
expect_grep "^hanganalyze: wrote 'site/index.html' and 2 case pages$" "$WORK/stderr"
[ ! -s "$WORK/stdout" ] || fail "queue --out printed to stdout"
[ "$(stat -c %a site)" = 700 ] || fail "site/ mode $(stat -c %a site)"
facts site/index.html >site/index.facts
page_ok site/index.facts
[ "$(q site/index.facts 'd["ids"].get("queue")')" = table ] || fail "queue: no <table id=queue>"
links=$(q site/index.facts '[l for l in d["links"] if l.startswith("case-")]')
[ "$(wc -l <<<"$links")" = 2 ] || fail "queue: links $(q site/index.facts 'd["links"]')"
for link in $links; do
	[ -f "site/$link" ] || fail "queue links '$link', which does not exist"
	[ "$(stat -c %a "site/$link")" = 600 ] || fail "site/$link mode $(stat -c %a "site/$link")"
	id=${link#case-}
	expect_exit 0 "$HANGANALYZE" show --db "$DB" --format=html "${id%.html}"
	cmp "$WORK/stdout" "site/$link" || fail "site/$link is not case ${id%.html}'s page"
done
cmp site/case-1.html story.html || fail "site/case-1.html is not the story's page"
expect_exit 2 "$HANGANALYZE" queue --db "$DB" --format=html --out site
expect_grep "already exists (use --force to replace it)" "$WORK/stderr"
expect_exit 0 "$HANGANALYZE" queue --db "$DB" --format=html --out site --force
expect_exit 2 "$HANGANALYZE" queue --db "$DB" --out site2
[ ! -e site2 ] || fail "queue --out without --format=html created the directory"
note "queue: index.html and 2 case pages"

# --- 1000 threads: grouped, small ---
snap "$BUILD/bench/heartbeat-target" big --threads 1000 --heap-mib 4 --gap-file "$WORK/gap"
expect_exit 0 "$HANGANALYZE" --no-db --format=html big.hang.zst
cp "$WORK/stdout" big.html
facts big.html >big.facts
page_ok big.facts
size=$(q big.facts 'd["size"]')
nodes=$(q big.facts 'len(d["nodes"])')
[ "$size" -lt $((2 * 1024 * 1024)) ] || fail "the 1000-thread page is $size bytes"
[ "$nodes" -ge 3 ] && [ "$nodes" -le 60 ] || fail "the 1000-thread graph has $nodes nodes: $(q big.facts '[n["id"] for n in d["nodes"]]')"
[ "$(q big.facts 'sum(d["groups"])')" = 1000 ] || fail "the 1000-thread page's groups hold $(q big.facts 'sum(d["groups"])') threads"
[ "$(q big.facts 'sum(int(n["count"]) for n in d["nodes"] if "thread" in n["classes"])')" = 1000 ] ||
	fail "the graph's thread nodes do not hold the 1000 threads"
# the readers and pollers of the one pipe: one pipe node, waited on by 666 threads
[ "$(q big.facts '[n["count"] for n in d["nodes"] if n["object"] == "pipe"]')" = 666 ] ||
	fail "the 1000-thread graph: $(q big.facts '[(n["id"], n["object"], n["count"]) for n in d["nodes"]]')"
note "1000 threads: $size bytes, $nodes nodes"
# --- a process tree: bash waiting in wait4 for join-connect-stall, two cores, one case ---
# a box per process in the graph (apart, each around its own nodes), a section per
# process around its groups, the tree listed in #process, the wait4 edge across
bash -c "$SAMPLES/join-connect-stall >tree-ready; true" >tree-sup.out 2>&1 &
sup_pid=$!
STARTED_PIDS="$STARTED_PIDS $sup_pid"
for _ in $(seq 100); do
	grep -q '^ready' tree-ready 2>/dev/null && break
	sleep 0.1
done
child_pid=$(awk '/^ready/ {print $2; exit}' tree-ready 2>/dev/null)
[ -n "$child_pid" ] || fail "tree: join-connect-stall under bash did not become ready"
expect_exit 0 "$HANGSNAP" -q --interval 0 -o sup.hang --compress=none "$sup_pid"
expect_exit 0 "$HANGSNAP" -q --interval 0 -o child.hang --compress=none "$child_pid"
{ kill -9 "$child_pid" "$sup_pid" && wait "$sup_pid"; } 2>/dev/null
expect_exit 0 "$HANGANALYZE" --no-db --format=html sup.hang child.hang
cp "$WORK/stdout" tree.html
facts tree.html >tree.facts
page_ok tree.facts
/usr/bin/python3 - tree.html "$sup_pid" "$child_pid" <<'PY' || fail "tree: see above"
import html.parser, sys

page, sup, child = sys.argv[1], sys.argv[2], sys.argv[3]

class Tree(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # (tag, attrs) of open elements
        self.boxes, self.nodes, self.edges, self.sections, self.listed = {}, [], [], [], []
        self.headings = {}
    def open_attr(self, tag, key, cls=None):
        for t, a in reversed(self.stack):
            if t == tag and key in a and (cls is None or cls in (a.get("class") or "").split()):
                return a
        return None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "g" and "process-box" in cls:
            self.boxes[a["data-pid"]] = None
        if tag == "rect":
            box = self.open_attr("g", "data-pid", "process-box")
            node = self.open_attr("g", "data-node", "node")
            r = tuple(float(a[k]) for k in ("x", "y", "width", "height"))
            if box is not None:
                self.boxes[box["data-pid"]] = r
            elif node is not None:
                self.nodes[-1]["rect"] = r
            return
        if tag == "g" and "node" in cls:
            self.nodes.append({"id": a["data-node"], "pid": a.get("data-pid"), "tids": (a.get("data-tids") or "").split(),
                               "classes": cls})
        if tag == "g" and "edge" in cls:
            self.edges.append((a["data-kind"], a["data-from"], a["data-to"]))
        if tag == "section" and "process" in cls:
            self.sections.append({"pid": a["data-pid"], "tids": []})
        if tag == "span" and "tid" in cls:
            sec = self.open_attr("section", "data-pid", "process")
            if sec is None:
                print("tree: thread %s outside every process section" % a.get("id"))
                sys.exit(1)
            self.sections[-1]["tids"].append(a["id"][1:])
        if tag == "li" and "data-pid" in a and self.open_attr("ul", "class") is not None:
            self.listed.append(a["data-pid"])
        if tag not in ("rect", "path", "meta", "br", "stop"):
            self.stack.append((tag, a))
    def handle_endtag(self, tag):
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

p = Tree()
p.feed(open(page, encoding="utf-8").read())
p.close()
def check(cond, what):
    if not cond:
        print("tree: " + what)
        sys.exit(1)
check(sorted(p.boxes) == sorted([sup, child]), "process boxes %s, expected %s and %s" % (sorted(p.boxes), sup, child))
check(all(r is not None for r in p.boxes.values()), "a process box without its rect: %s" % p.boxes)
def inside(r, b):
    return b[0] <= r[0] and b[1] <= r[1] and r[0] + r[2] <= b[0] + b[2] and r[1] + r[3] <= b[1] + b[3]
def overlap(r, b):
    return r[0] < b[0] + b[2] and b[0] < r[0] + r[2] and r[1] < b[1] + b[3] and b[1] < r[1] + r[3]
check(not overlap(p.boxes[sup], p.boxes[child]), "the process boxes overlap: %s" % p.boxes)
for n in p.nodes:
    if "idle" in n["classes"]:
        continue
    for pid, b in p.boxes.items():
        if n["pid"] == pid:
            check(inside(n["rect"], b), "node %s is not inside its process %s's box" % (n["id"], pid))
        else:
            check(not overlap(n["rect"], b), "node %s (process %s) overlaps process %s's box" % (n["id"], n["pid"], pid))
thread_nodes = [n for n in p.nodes if "thread" in n["classes"] and "idle" not in n["classes"]]
check(any(sup in n["tids"] and n["pid"] == sup for n in thread_nodes), "no thread node of bash %s: %s" % (sup, p.nodes))
by_id = {n["id"]: n for n in p.nodes}
check(any(k == "child" and sup in by_id[f]["tids"] and child in by_id[t]["tids"] for k, f, t in p.edges),
      "no child edge from bash %s to the child's main thread %s: %s" % (sup, child, p.edges))
check([s["pid"] for s in p.sections] == [sup, child], "process sections %s" % [s["pid"] for s in p.sections])
check(p.sections[0]["tids"] == [sup], "bash's section holds threads %s" % p.sections[0]["tids"])
check(child in p.sections[1]["tids"] and len(p.sections[1]["tids"]) == 2,
      "the child's section holds threads %s" % p.sections[1]["tids"])
check(p.listed == [sup, child], "the process tree lists %s" % p.listed)
PY
q tree.facts 'd["text"]' | has -F "process $child_pid join-connect-st, child of $sup_pid, core child.hang" ||
	fail "tree: no heading for the child's process"
note "tree: bash $sup_pid and join-connect-stall $child_pid, a box and a section each"

echo ok
