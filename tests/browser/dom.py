#!/usr/bin/env python3
"""What the browser tests read off a page, with the standard library only.

  dom.py facts FILE        the DOM in FILE (chromium --dump-dom, or a page)
                           as one JSON object on stdout, see facts() below
  dom.py console LOG       the page's console messages in a chromium log
                           (--enable-logging=stderr); exit 1 if there is any
  dom.py timed PAGE OUT    OUT: PAGE with a script that, at the load event,
                           forces a layout and stores performance.now() in
                           <html data-render-ms>
  dom.py png FILE          "WIDTH HEIGHT DISTINCT": the size of a PNG and how
                           many distinct byte values its pixels hold (a blank
                           page has a handful)
"""
import base64
import hashlib
import json
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}
# elements a report has no business holding: they load or run something
FORBIDDEN = {"iframe", "frame", "frameset", "object", "embed", "applet", "base",
             "form", "link", "portal", "foreignobject"}
URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "data", "poster",
             "srcset", "background", "ping"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []  # Node or str

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        if self.tag in ("script", "style"):
            return ""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()


class TreeBuilder(HTMLParser):
    """A tree from serialized HTML. Chromium's serialization closes every
    element that is not void, so a stack is enough; an end tag without its
    start tag is ignored, one that closes outer elements closes them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(n)

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(path):
    b = TreeBuilder()
    with open(path, encoding="utf-8", errors="replace") as f:
        b.feed(f.read())
    b.close()
    return b.root


def by_id(root, ident):
    for n in root.walk():
        if n.attrs.get("id") == ident:
            return n
    return None


def squash(s):
    return re.sub(r"\s+", " ", s).strip()


def unsafe(root):
    """Everything in the DOM that could run code or reach the network."""
    found = []
    for n in root.walk():
        if n.tag in FORBIDDEN:
            found.append("<%s> element" % n.tag)
        if n.tag == "meta" and n.attrs.get("http-equiv", "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
        for k, v in n.attrs.items():
            if k.startswith("on"):
                found.append("<%s %s=...> event handler" % (n.tag, k))
            if k in URL_ATTRS:
                u = re.sub(r"[\x00-\x20]", "", v).lower()
                if u.startswith(("javascript:", "vbscript:", "http:", "https:", "ftp:", "ws:",
                                 "wss:", "//", "file:", "data:text/html")):
                    found.append("<%s %s=%r>" % (n.tag, k, v[:80]))
    return found


def facts(path):
    """The page's parts named by the DOM contract of hanganalyze's HTML pages."""
    root = parse(path)
    f = {}
    h = by_id(root, "headline")
    f["headline"] = squash(h.text()) if h is not None else None
    f["headline_tag"] = h.tag if h is not None else None
    f["title"] = next((squash(n.text()) for n in root.walk() if n.tag == "title"), None)
    f["csp"] = next((n.attrs.get("content", "") for n in root.walk() if n.tag == "meta" and
                     n.attrs.get("http-equiv", "").lower() == "content-security-policy"), None)
    svg = by_id(root, "waitgraph")
    f["svg"] = svg is not None and svg.tag == "svg"
    # the graph's own numbers (data-nodes, data-edges, data-idle, ...)
    f["svg_data"] = {k[5:]: v for k, v in svg.attrs.items() if k.startswith("data-")} if svg is not None else {}
    f["nodes"] = []
    f["edges"] = []
    if svg is not None:
        for n in svg.walk():
            if n.tag != "g":
                continue
            if "node" in n.classes():
                f["nodes"].append({"node": n.attrs.get("data-node"), "classes": n.classes(),
                                   "count": n.attrs.get("data-count"), "text": squash(n.text())})
            if "edge" in n.classes():
                f["edges"].append({"kind": n.attrs.get("data-kind"), "classes": n.classes(),
                                   "from": n.attrs.get("data-from"), "to": n.attrs.get("data-to"),
                                   "count": n.attrs.get("data-count")})
    f["sections"] = [n.attrs["id"] for n in root.walk() if n.tag == "section" and "id" in n.attrs]
    fs = by_id(root, "findings")
    f["findings"] = [{"rule": n.attrs.get("data-rule"), "text": squash(n.text())}
                     for n in (fs.walk() if fs is not None else [])
                     if n.tag == "article" and "finding" in n.classes()]
    ts = by_id(root, "threads")
    f["groups"] = [n.attrs.get("data-count") for n in (ts.walk() if ts is not None else [])
                   if n.tag == "details" and "group" in n.classes()]
    q = by_id(root, "queue")
    f["queue"] = None
    if q is not None:
        f["queue"] = {
            "tag": q.tag,
            "headers": [squash(n.text()) for n in q.walk() if n.tag == "th"],
            # a row per signature: <tr class="group"> (the contract) or
            # <tr data-signature="HASH"> (what hanganalyze writes)
            "rows": [{"text": squash(n.text()), "signature": n.attrs.get("data-signature"),
                      "classes": n.classes(),
                      "links": [a.attrs.get("href") for a in n.walk() if a.tag == "a" and "href" in a.attrs]}
                     for n in q.walk() if n.tag == "tr" and ("group" in n.classes() or "data-signature" in n.attrs)],
            # every row of the table body, whatever it is
            "body_rows": sum(1 for b in q.walk() if b.tag == "tbody" for n in b.walk() if n.tag == "tr"),
        }
    f["links"] = [n.attrs["href"] for n in root.walk() if n.tag == "a" and "href" in n.attrs]
    f["scripts"] = sum(1 for n in root.walk() if n.tag == "script")
    f["elements"] = sum(1 for _ in root.walk()) - 1
    f["unsafe"] = unsafe(root)
    body = next((n for n in root.walk() if n.tag == "body"), root)
    f["text"] = body.text()
    return f


CONSOLE = re.compile(r"(:CONSOLE[:(]\d+|\bUncaught\b)")


def console(log):
    """Console lines of a chromium log: [pid:tid:time:INFO:CONSOLE:LINE] "message", source: URL (LINE)."""
    lines = [line.rstrip("\n") for line in open(log, encoding="utf-8", errors="replace")
             if CONSOLE.search(line)]
    for line in lines:
        print("console: " + line, file=sys.stderr)
    return 1 if lines else 0


TIMER = ("addEventListener('load',function(){document.body.getBoundingClientRect();"
         "document.documentElement.setAttribute('data-render-ms',performance.now().toFixed(1))})")


def timed(page, out):
    """PAGE with the timing script before </body>; when the page's CSP allows
    scripts by hash, the script's hash is added to it."""
    s = open(page, encoding="utf-8", errors="surrogateescape").read()
    i = s.lower().rfind("</body>")
    if i < 0:
        i = len(s)
    s = s[:i] + "<script>" + TIMER + "</script>" + s[i:]
    h = "'sha256-" + base64.b64encode(hashlib.sha256(TIMER.encode()).digest()).decode() + "'"
    s = re.sub(r"(script-src[^;\"]*?)('sha256-)", lambda m: m.group(1) + h + " " + m.group(2), s, count=1)
    s = re.sub(r"(script-src[^;\"]*?)('nonce-)", lambda m: m.group(1) + h + " " + m.group(2), s, count=1)
    open(out, "w", encoding="utf-8", errors="surrogateescape").write(s)
    return 0


def png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        print("not a PNG", file=sys.stderr)
        return 1
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    print(w, h, len(set(zlib.decompress(idat))))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "facts":
        json.dump(facts(argv[2]), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    if len(argv) == 3 and argv[1] == "console":
        return console(argv[2])
    if len(argv) == 4 and argv[1] == "timed":
        return timed(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "png":
        return png(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
