#!/usr/bin/env python3
"""Assertions of tests/integration/run-ruby.sh on hanganalyze's Ruby output.

  ruby-oracle.py frames ORACLE JSON
      Every thread of ORACLE (written by a sample's --oracle, see
      samples/ruby/lib/hang_support.rb) has, in hanganalyze's JSON report, a
      thread of the same tid whose "ruby" object names it alike and whose
      "frames" equal the oracle's in path, line and label, frame for frame
      (innermost first). The report's "runtime" is ruby, the oracle's version.
  ruby-oracle.py finding TEXT RULE [--header WORD]... [--body WORD]...
      The text report has a finding RULE whose first line holds every
      --header WORD and whose block (first line, threads, evidence, hint)
      holds every --body WORD.
  ruby-oracle.py no-severe TEXT
      No finding at severity high or critical.
  ruby-oracle.py has-frames JSON TID...
      Each thread TID has a "ruby" object with at least one frame.
Exits 1 with a readable explanation on stderr when an assertion fails.
"""
import json
import sys


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def threads_by_tid(report):
    return {t.get('tid'): t for t in report.get('threads', [])}


def fmt(frame):
    if frame is None:
        return '-'
    return '%s:%s %s' % (frame.get('path'), frame.get('line'), frame.get('label'))


def frames_diff(want, got):
    """A side-by-side listing of two frame lists, '!' on the rows that differ."""
    rows = []
    width = max([len(fmt(f)) for f in want] + [len('oracle (Ruby)')])
    rows.append('     %-*s | %s' % (width, 'oracle (Ruby)', 'hanganalyze'))
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        same = w is not None and g is not None and key(w) == key(g)
        rows.append('%s#%-3d %-*s | %s' % (' ' if same else '!', i, width, fmt(w), fmt(g)))
    return '\n'.join(rows)


def key(frame):
    return (frame.get('path'), frame.get('line'), frame.get('label'))


def cmd_frames(oracle_file, json_file):
    oracle = json.load(open(oracle_file))
    report = json.load(open(json_file))
    problems = []
    runtime = report.get('runtime')
    if not isinstance(runtime, dict) or runtime.get('name') != 'ruby':
        problems.append('report has no "runtime" {"name": "ruby", ...}: %r' % (runtime,))
    elif runtime.get('version') != oracle['ruby_version']:
        problems.append('runtime version %r, the sample ran under Ruby %s' % (runtime.get('version'),
                                                                                oracle['ruby_version']))
    ours = threads_by_tid(report)
    checked = 0
    for t in oracle['threads']:
        tid = t['native_id']
        who = 'thread %s (%s)' % (tid, t['name'] or 'unnamed')
        ht = ours.get(tid)
        if ht is None:
            problems.append('%s: not in the report (tids there: %s)' % (who, sorted(ours)))
            continue
        ruby = ht.get('ruby')
        if not isinstance(ruby, dict):
            problems.append('%s: no "ruby" object in the report' % who)
            continue
        if ruby.get('name') != t['name']:
            problems.append('%s: ruby name %r, Ruby says %r' % (who, ruby.get('name'), t['name']))
        got = ruby.get('frames') or []
        if [key(f) for f in got] != [key(f) for f in t['frames']]:
            problems.append('%s: frames differ (%d from Ruby, %d in the report):\n%s'
                            % (who, len(t['frames']), len(got), frames_diff(t['frames'], got)))
        checked += 1
    if problems:
        die('%s vs %s:\n' % (oracle_file, json_file) + '\n'.join(problems))
    print('# %s: %d threads, %d frames as Ruby sees them' % (
        oracle_file.rsplit('/', 1)[-1], checked, sum(len(t['frames']) for t in oracle['threads'])))


def findings_blocks(text):
    """[(first line, whole block)] of the findings section of a text report."""
    blocks = []
    cur = None
    for line in text.splitlines():
        if line.startswith('  [') and ']' in line:
            cur = [line]
            blocks.append(cur)
        elif cur is not None and line.startswith('    '):
            cur.append(line)
        else:
            cur = None
    return [(b[0], '\n'.join(b)) for b in blocks]


def cmd_finding(text_file, rule, args):
    header, body = [], []
    it = iter(args)
    for a in it:
        if a == '--header':
            header.append(next(it))
        elif a == '--body':
            body.append(next(it))
        else:
            die('finding: unknown argument %r' % a)
    text = open(text_file).read()
    blocks = findings_blocks(text)
    tagged = [(h, b) for h, b in blocks if (' %s:' % rule) in h]
    if not tagged:
        die('%s: no %s finding; the findings are:\n%s' % (text_file, rule,
                                                       '\n'.join(h for h, _ in blocks) or '  (none)'))
    misses = []
    for h, b in tagged:
        miss = [w for w in header if w not in h] + [w for w in body if w not in b]
        if not miss:
            print('# %s' % h.strip())
            return
        misses.append('%s\n  (lacks %s)' % (b, ', '.join(repr(m) for m in miss)))
    die('%s: no %s finding with all of header %r, body %r:\n%s' % (text_file, rule, header, body,
                                                                  '\n'.join(misses)))


def cmd_no_severe(text_file):
    bad = [l for l in open(text_file).read().splitlines()
           if l.startswith('  [high]') or l.startswith('  [critical]')]
    if bad:
        die('%s: findings at high or critical severity in a healthy process:\n%s' % (text_file, '\n'.join(bad)))


def cmd_has_frames(json_file, tids):
    ours = threads_by_tid(json.load(open(json_file)))
    bad = []
    for tid in map(int, tids):
        t = ours.get(tid)
        ruby = t.get('ruby') if t else None
        if not isinstance(ruby, dict) or not ruby.get('frames'):
            bad.append('thread %d: %s' % (tid, 'not in the report' if t is None else 'no Ruby frames'))
    if bad:
        die('%s:\n%s' % (json_file, '\n'.join(bad)))


def main(argv):
    if len(argv) >= 3 and argv[0] == 'frames':
        cmd_frames(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == 'finding':
        cmd_finding(argv[1], argv[2], argv[3:])
    elif len(argv) == 2 and argv[0] == 'no-severe':
        cmd_no_severe(argv[1])
    elif len(argv) >= 2 and argv[0] == 'has-frames':
        cmd_has_frames(argv[1], argv[2:])
    else:
        die(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
