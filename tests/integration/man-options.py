#!/usr/bin/env python3
"""Compare the long options a man page documents with those --help prints.

usage: man-options.py PAGE SECTION MODE HELPFILE [SECTION MODE HELPFILE...]

SECTION is a subsection title under .SH OPTIONS ('.SS TITLE'), or '-' for
the whole OPTIONS section. The options a section documents are the long
options in its tags (the line after .TP or .TQ); those --help prints are
every --word of HELPFILE. MODE 'exact': the two sets must be equal; 'subset':
every documented option must be in --help (for options listed twice).
Prints each difference and exits 1 if there is one.
"""
import re
import sys

LONG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def unroff(line):
    line = re.sub(r"\\f(\[[^]]*\]|.)", "", line)
    return line.replace("\\-", "-").replace("\\(em", "-")


def documented(page):
    """{subsection title or '-': set of long options in its tags}."""
    sections, in_options, title, tag_next = {"-": set()}, False, "-", False
    for raw in open(page, encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith(".SH"):
            in_options = line.split(None, 1)[1].strip('"') == "OPTIONS" if len(line.split()) > 1 else False
            title = "-"
            continue
        if not in_options:
            continue
        if line.startswith(".SS"):
            title = line.split(None, 1)[1].strip().strip('"')
            sections.setdefault(title, set())
            continue
        if line.startswith((".TP", ".TQ")):
            tag_next = True
            continue
        if tag_next and not line.startswith('.\\"'):
            tag_next = False
            opts = set(LONG.findall(unroff(line)))
            sections[title] |= opts
            sections["-"] |= opts
    return sections


def main(argv):
    page, rest = argv[1], argv[2:]
    if not rest or len(rest) % 3:
        sys.exit(__doc__)
    sections = documented(page)
    bad = 0
    for i in range(0, len(rest), 3):
        title, mode, helpfile = rest[i:i + 3]
        if title not in sections:
            print(f"{page}: no section '{title}' under OPTIONS")
            bad += 1
            continue
        doc = sections[title]
        helped = set(LONG.findall(open(helpfile, encoding="utf-8").read()))
        for o in sorted(doc - helped):
            print(f"{page}: '{title}' documents --{o}, which {helpfile} does not print")
            bad += 1
        if mode == "exact":
            for o in sorted(helped - doc):
                print(f"{page}: {helpfile} prints --{o}, which '{title}' does not document")
                bad += 1
    sys.exit(1 if bad else 0)


main(sys.argv)
