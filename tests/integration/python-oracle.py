#!/usr/bin/env python3
"""Assertions of tests/integration/run-python.sh on the Python samples'
oracles (samples/python/hang_support.py) and on hanganalyze's Python output.

  python-oracle.py check-oracle ORACLE [--ready OUT] [--faulthandler FILE]
      ORACLE is a well-formed oracle: the version, every thread (not the
      oracle thread) with its ident, native_id and frames (path, line, name,
      qualname), innermost first. Against faulthandler's dump of the same
      moment (FILE, default ORACLE.faulthandler when it exists): the same
      threads, frame for frame (path, line, name; as far as faulthandler
      goes, 100 frames and 100 threads). With --ready OUT (the sample's
      stdout): every tid of the ready line is a thread of ORACLE, and the
      threads are where that sample (ORACLE's "sample") hangs them.
      Standalone: needs no hanganalyze, runs under any Python 3.8+.
  python-oracle.py compare ORACLE ORACLE2
      The two oracles of one process (HS_PY_ORACLE_AGAIN) are the same:
      nothing moved.
  python-oracle.py frames ORACLE JSON
      Every thread of ORACLE has, in hanganalyze's JSON report, a thread of
      the same tid whose "python" frames equal the oracle's in path, line and
      label (co_qualname on 3.11+, co_name before), frame for frame; the
      report's "runtime" is python, the oracle's version (its minor version
      before 3.11, where the core names no more).
  python-oracle.py finding TEXT RULE [--first] [--header WORD]... [--body WORD]...
      The text report has a finding RULE (with --first: its first finding is
      one) whose first line holds every --header WORD and whose block (first
      line, threads, evidence, hint) holds every --body WORD.
  python-oracle.py no-severe TEXT
      No finding at severity high or critical.
  python-oracle.py names-pid JSON TEXT PID [TID]
      A finding (JSON or text), or the wait of thread TID ("python" "wait",
      "blocked_on"), names PID.
  python-oracle.py timeout JSON TID LOW_MS HIGH_MS
      Thread TID's blocked_on.timeout_ms is between LOW_MS and HIGH_MS.
Exits 1 with a readable explanation on stderr when an assertion fails.
"""
import json
import os
import re
import sys


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def note(msg):
    print('# %s' % msg)


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r'\d+', v)[:2])


def label_of(frame, version):
    """The label hanganalyze must give an oracle frame."""
    return frame['qualname'] if version_tuple(version) >= (3, 11) else frame['name']


def fmt(frame):
    if frame is None:
        return '-'
    return '%s:%s %s' % (frame.get('path'), frame.get('line'), frame.get('label', frame.get('qualname')))


def frames_diff(want, got, title='oracle (Python)'):
    """A side-by-side listing of two frame lists, '!' on the rows that differ."""
    rows = []
    width = max([len(fmt(f)) for f in want] + [len(title)])
    rows.append('     %-*s | %s' % (width, title, 'hanganalyze'))
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        same = w is not None and g is not None and key(w) == key(g)
        rows.append('%s#%-3d %-*s | %s' % (' ' if same else '!', i, width, fmt(w), fmt(g)))
    return '\n'.join(rows)


def key(frame):
    return (frame.get('path'), frame.get('line'), frame.get('label'))


def load(path):
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------- check-oracle

def parse_faulthandler(text):
    """{ident: (current?, [(path, line, name)], truncated?)} from a
    faulthandler.dump_traceback(all_threads=True) dump."""
    threads = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r'^(Current thread|Thread) (0x[0-9a-f]+)', line)
        if m:
            cur = [m.group(1) == 'Current thread', [], False]
            threads[int(m.group(2), 16)] = cur
            continue
        m = re.match(r'^  File "(.*)", line (\d+|\?\?\?) in (.*)$', line)
        if m and cur is not None:
            ln = int(m.group(2)) if m.group(2).isdigit() else None
            cur[1].append((m.group(1), ln, m.group(3)))
        elif line.strip() == '...' and cur is not None:
            cur[2] = True
    return threads


def line_of(path, pattern):
    """The number of the only line of path that holds pattern (a substring)."""
    with open(path) as f:
        hits = [i + 1 for i, l in enumerate(f) if pattern in l]
    if len(hits) != 1:
        raise AssertionError('%s: %d lines hold %r, not 1' % (path, len(hits), pattern))
    return hits[0]


def line_after(path, anchor, pattern):
    """The number of the first line holding pattern after the (only) one holding anchor."""
    start = line_of(path, anchor)
    with open(path) as f:
        for i, l in enumerate(f):
            if i + 1 > start and pattern in l:
                return i + 1
    raise AssertionError('%s: no %r after line %d' % (path, pattern, start))


def ready_fields(path):
    with open(path) as f:
        for line in f:
            if line.startswith('ready '):
                words = line.split()
                return int(words[1]), dict(w.split('=', 1) for w in words[2:] if '=' in w)
    raise AssertionError('%s: no ready line' % path)


class Checker(object):
    def __init__(self, oracle_file):
        self.file = oracle_file
        self.problems = []

    def expect(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return cond


def check_structure(c, doc):
    v = doc.get('version')
    if not c.expect(isinstance(v, str) and re.match(r'^3\.\d+\.\d+', v), 'version %r' % (v,)):
        return
    threads = doc.get('threads')
    if not c.expect(isinstance(threads, list) and threads, 'no threads'):
        return
    ot = doc.get('oracle_thread') or {}
    seen = set()
    for i, t in enumerate(threads):
        who = 'thread #%d (%s, %s)' % (i, t.get('native_id'), t.get('name'))
        c.expect(isinstance(t.get('ident'), int), '%s: ident %r' % (who, t.get('ident')))
        tid = t.get('native_id')
        c.expect(isinstance(tid, int) and tid > 0, '%s: native_id %r' % (who, tid))
        c.expect(tid not in seen, '%s: native_id twice' % who)
        seen.add(tid)
        c.expect(isinstance(t.get('name'), str), '%s: name %r' % (who, t.get('name')))
        c.expect(t.get('name') != 'oracle' and tid != ot.get('native_id'),
                 '%s: the oracle thread is in the oracle' % who)
        frames = t.get('frames')
        if not c.expect(isinstance(frames, list) and frames, '%s: no frames' % who):
            continue
        for j, f in enumerate(frames):
            ok = (isinstance(f.get('path'), str) and f['path'] and isinstance(f.get('line'), int)
                  and f['line'] >= 1 and isinstance(f.get('name'), str) and isinstance(f.get('qualname'), str))
            c.expect(ok, '%s: frame #%d malformed: %r' % (who, j, f))
            if ok and version_tuple(v) < (3, 11):
                c.expect(f['qualname'] == f['name'], '%s: frame #%d: qualname %r before 3.11'
                         % (who, j, f['qualname']))
        c.expect(frames[-1]['name'] in ('<module>', '_bootstrap'),
                 '%s: outermost frame %s, not <module> or Thread._bootstrap' % (who, fmt(frames[-1])))


def check_faulthandler(c, doc, fh_file):
    with open(fh_file) as f:
        fh = parse_faulthandler(f.read())
    ot = (doc.get('oracle_thread') or {}).get('ident')
    current = [i for i, (cur, _, _) in fh.items() if cur]
    c.expect(current == [ot], 'faulthandler: current thread %r, the oracle thread is %r' % (current, ot))
    compared = 0
    for t in doc['threads']:
        got = fh.get(t['ident'])
        if got is None:
            c.expect(len(fh) >= 100, 'faulthandler: no thread %#x (%s)' % (t['ident'], t['name']))
            continue
        want = [(f['path'], f['line'], f['name']) for f in t['frames']]
        frames = got[1]
        if got[2]:
            want = want[:len(frames)]
        if not c.expect(want == frames, 'faulthandler: thread %s (%s) differs:\n  oracle: %s\n  fh:     %s'
                        % (t['native_id'], t['name'], want, frames)):
            continue
        compared += 1
    extra = set(fh) - set(t['ident'] for t in doc['threads']) - set([ot])
    c.expect(not extra, 'faulthandler: threads not in the oracle: %s' % ', '.join('%#x' % i for i in extra))
    return compared


def by_tid(doc):
    return dict((t['native_id'], t) for t in doc['threads'])


def frame_at(frames, name, path_end):
    for f in frames:
        if f['name'] == name and f['path'].endswith(path_end):
            return f
    return None


def sample_dir(doc, script):
    """The directory the sample ran from: where its script's frames are."""
    for t in doc['threads']:
        for f in t['frames']:
            if os.path.basename(f['path']) == script:
                return os.path.dirname(f['path'])
    raise AssertionError('no frame of %s in the oracle' % script)


def check_sample(c, doc, ready_file):
    pid, fields = ready_fields(ready_file)
    c.expect(pid == doc.get('pid'), 'ready pid %s, oracle pid %s' % (pid, doc.get('pid')))
    tids = by_tid(doc)
    sample = doc.get('sample')
    v = doc['version']

    def thread(field, name=None):
        tid = int(fields.get(field, 0))
        t = tids.get(tid)
        if c.expect(t is not None, '%s=%s: not a thread of the oracle (%s)' % (field, tid, sorted(tids))):
            if name is not None:
                c.expect(t['name'] == name, '%s: named %r, not %r' % (field, t['name'], name))
        return t

    def innermost(t, name, path_end, line=None, what=''):
        if t is None:
            return
        f = t['frames'][0]
        ok = f['name'] == name and f['path'].endswith(path_end) and (line is None or f['line'] == line)
        c.expect(ok, '%s (%s): innermost frame %s, expected %s in %s%s' % (
            t['name'], what, fmt(f), name, path_end, '' if line is None else ':%d' % line))

    def has(t, name, path_end, line=None):
        if t is None:
            return
        f = frame_at(t['frames'], name, path_end)
        c.expect(f is not None and (line is None or f['line'] == line), '%s: no frame %s in %s%s (has %s)' % (
            t['name'], name, path_end, '' if line is None else ':%d' % line,
            ', '.join(fmt(x) for x in t['frames'])))

    join_inner = 'join' if version_tuple(v) >= (3, 13) else '_wait_for_tstate_lock'
    if sample == 'join-connect.py':
        d = sample_dir(doc, sample)
        joiner, target = thread('joiner', 'MainThread'), thread('target', 'output')
        c.expect(len(doc['threads']) == 2, '%d threads, expected 2' % len(doc['threads']))
        innermost(joiner, join_inner, '/threading.py', what='Thread.join')
        has(joiner, 'shutdown', '/join-connect.py', line_of(os.path.join(d, sample), 'self.output.join()'))
        innermost(target, 'create_connection', '/socket.py', what='connect')
        has(target, '_connect', '/lib/metrics_client.py',
            line_of(os.path.join(d, 'lib', 'metrics_client.py'), 'socket.create_connection('))
        has(target, 'flush', '/lib/outputs.py')
        c.expect(target is None or target['syscall'] in ('connect', 'poll', 'ppoll'),
                 'output in syscall %s, not connect' % (target or {}).get('syscall'))
        c.expect('port' in fields, 'no port= in the ready line')
    elif sample == 'rlock-abba.py':
        d = os.path.join(sample_dir(doc, sample), sample)
        r, f, j = thread('reloader', 'reloader'), thread('flusher', 'flusher'), thread('joiner', 'MainThread')
        c.expect(len(doc['threads']) == 3, '%d threads, expected 3' % len(doc['threads']))
        innermost(r, 'reload', '/rlock-abba.py', line_after(d, 'def reload(', 'with self.cache_lock:'), 'RLock')
        innermost(f, 'flush', '/rlock-abba.py', line_after(d, 'def flush(', 'with self.config_lock:'), 'RLock')
        innermost(j, join_inner, '/threading.py', what='Thread.join')
    elif sample == 'queue-idle.py':
        d = os.path.join(sample_dir(doc, sample), sample)
        workers = [int(x) for x in fields.get('workers', '').split(',') if x]
        c.expect(len(workers) == 4, 'workers=%s: not 4' % fields.get('workers'))
        for i, tid in enumerate(workers):
            t = tids.get(tid)
            if c.expect(t is not None, 'worker %s: not in the oracle' % tid):
                c.expect(t['name'] == 'worker-%d' % (i + 1), 'worker %s named %r' % (tid, t['name']))
                innermost(t, 'wait', '/threading.py', what='Condition.wait')
                c.expect(len(t['frames']) > 1 and t['frames'][1]['name'] == 'get'
                         and t['frames'][1]['path'].endswith('/queue.py'),
                         '%s: frame #1 %s, not Queue.get' % (t['name'], fmt(t['frames'][1:2] and t['frames'][1])))
                has(t, '_work', '/queue-idle.py', line_of(d, 'self.jobs.get()'))
        m = thread('main', 'MainThread')
        innermost(m, 'serve', '/queue-idle.py', line_of(d, 'time.sleep(self.HOUSEKEEPING_INTERVAL)'), 'sleep')
        c.expect(len(doc['threads']) == 5, '%d threads, expected 5' % len(doc['threads']))
    elif sample == 'launcher-join.py':
        d = os.path.join(sample_dir(doc, sample), sample)
        w, j = thread('worker', 'worker'), thread('joiner', 'MainThread')
        c.expect(len(doc['threads']) == 2, '%d threads, expected 2' % len(doc['threads']))
        innermost(w, 'run', '/launcher-join.py', line_of(d, 'time.sleep(self.HOUSEKEEPING_INTERVAL)'), 'sleep')
        innermost(j, join_inner, '/threading.py', what='Thread.join')
        has(j, 'main', '/launcher-join.py', line_of(d, 'worker.join()'))
    elif sample == 'subprocess-hang.py':
        d = os.path.join(sample_dir(doc, sample), sample)
        r, j = thread('runner', 'runner'), thread('joiner', 'MainThread')
        c.expect(int(fields.get('child', 0)) > 0, 'no child= in the ready line')
        c.expect(len(doc['threads']) == 2, '%d threads, expected 2' % len(doc['threads']))
        innermost(r, '_try_wait', '/subprocess.py', what='waitpid')
        has(r, 'run', '/subprocess.py')
        has(r, 'run', '/subprocess-hang.py', line_of(d, 'self.result = subprocess.run('))
        innermost(j, join_inner, '/threading.py', what='Thread.join')
    elif sample == 'deep-threads.py':
        n, depth = int(fields.get('threads', 0)), int(fields.get('depth', 0))
        deep = [t for t in doc['threads'] if t['name'].startswith('deep-')]
        c.expect(len(deep) == n, '%d deep- threads, ready says %d' % (len(deep), n))
        c.expect(len(doc['threads']) == n + 1, '%d threads, expected %d' % (len(doc['threads']), n + 1))
        for t in deep:
            own = [f for f in t['frames'] if f['path'].endswith('/deep-threads.py')]
            if not c.expect(len(own) == depth, '%s: %d frames of deep-threads.py, not %d' % (t['name'], len(own), depth)):
                break
            innermost(t, 'wait', '/threading.py', what='Condition.wait')
    else:
        c.expect(False, 'unknown sample %r' % (sample,))


def cmd_check_oracle(args):
    oracle_file, ready, fh = args[0], None, None
    it = iter(args[1:])
    for a in it:
        if a == '--ready':
            ready = next(it)
        elif a == '--faulthandler':
            fh = next(it)
        else:
            die('check-oracle: unknown argument %r' % a)
    if fh is None and os.path.exists(oracle_file + '.faulthandler'):
        fh = oracle_file + '.faulthandler'
    doc = load(oracle_file)
    c = Checker(oracle_file)
    check_structure(c, doc)
    compared = 0
    if not c.problems:
        if fh:
            compared = check_faulthandler(c, doc, fh)
        if ready:
            try:
                check_sample(c, doc, ready)
            except (AssertionError, OSError, ValueError) as e:
                c.expect(False, str(e))
    if c.problems:
        die('%s:\n  %s' % (oracle_file, '\n  '.join(c.problems)))
    note('%s: Python %s, %s, %d threads, %d frames%s' % (
        os.path.basename(oracle_file), doc['version'], doc.get('sample'), len(doc['threads']),
        sum(len(t['frames']) for t in doc['threads']),
        ', %d threads as faulthandler has them' % compared if fh else ''))


def cmd_compare(a, b):
    da, db = load(a), load(b)
    ta, tb = by_tid(da), by_tid(db)
    problems = []
    if sorted(ta) != sorted(tb):
        problems.append('threads %s vs %s' % (sorted(ta), sorted(tb)))
    for tid in sorted(set(ta) & set(tb)):
        if ta[tid]['frames'] != tb[tid]['frames']:
            problems.append('thread %s (%s) moved:\n%s' % (tid, ta[tid]['name'], frames_diff(
                [dict(f, label=f['qualname']) for f in ta[tid]['frames']],
                [dict(f, label=f['qualname']) for f in tb[tid]['frames']], 'first')))
        if ta[tid].get('syscall') != tb[tid].get('syscall'):
            problems.append('thread %s (%s): syscall %s, then %s' % (tid, ta[tid]['name'], ta[tid].get('syscall'),
                                                                   tb[tid].get('syscall')))
    if problems:
        die('%s vs %s:\n' % (a, b) + '\n'.join(problems))
    note('%s: %d threads, unchanged' % (os.path.basename(b), len(ta)))


# ---------------------------------------------------------------- hanganalyze

def cmd_frames(oracle_file, json_file):
    oracle = load(oracle_file)
    report = load(json_file)
    version = oracle['version']
    problems = []
    runtime = report.get('runtime')
    if not isinstance(runtime, dict) or runtime.get('name') != 'python':
        problems.append('report has no "runtime" {"name": "python", ...}: %r' % (runtime,))
    elif runtime.get('version') != (version if version_tuple(version) >= (3, 11)
                                    else '.'.join(version.split('.')[:2])):
        # before 3.11 the core says only the minor version (the module's name)
        problems.append('runtime version %r, the sample ran under Python %s' % (runtime.get('version'), version))
    runtime_problems = list(problems)
    ours = dict((t.get('tid'), t) for t in report.get('threads', []))
    checked = 0
    for t in oracle['threads']:
        tid = t['native_id']
        who = 'thread %s (%s)' % (tid, t['name'] or 'unnamed')
        ht = ours.get(tid)
        if ht is None:
            problems.append('%s: not in the report (tids there: %s)' % (who, sorted(ours)))
            continue
        py = ht.get('python')
        if not isinstance(py, dict):
            problems.append('%s: "python" is %r in the report' % (who, py))
            continue
        want = [{'path': f['path'], 'line': f['line'], 'label': label_of(f, version)} for f in t['frames']]
        got = py.get('frames') or []
        if [key(f) for f in got] != [key(f) for f in want]:
            problems.append('%s: frames differ (%d from Python, %d in the report):\n%s'
                            % (who, len(want), len(got), frames_diff(want, got)))
        checked += 1
    if len(problems) > 12:
        problems[12:] = ['... and %d more' % (len(problems) - 12)]
    summary = '%d threads, %d frames as Python sees them' % (checked, sum(len(t['frames']) for t in oracle['threads']))
    if problems and problems == runtime_problems:
        die('%s vs %s: the frames are right (%s), the runtime is not:\n%s'
            % (oracle_file, json_file, summary, '\n'.join(problems)))
    if problems:
        die('%s vs %s:\n' % (oracle_file, json_file) + '\n'.join(problems))
    note('%s: %s' % (os.path.basename(oracle_file), summary))


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
    header, body, first = [], [], False
    it = iter(args)
    for a in it:
        if a == '--header':
            header.append(next(it))
        elif a == '--body':
            body.append(next(it))
        elif a == '--first':
            first = True
        else:
            die('finding: unknown argument %r' % a)
    with open(text_file) as f:
        text = f.read()
    blocks = findings_blocks(text)
    listing = '\n'.join(h for h, _ in blocks) or '  (none)'
    if first and blocks and (' %s:' % rule) not in blocks[0][0]:
        die('%s: the first finding is not %s; the findings are:\n%s' % (text_file, rule, listing))
    tagged = [(h, b) for h, b in blocks[:1 if first else len(blocks)] if (' %s:' % rule) in h]
    if not tagged:
        die('%s: no %s finding; the findings are:\n%s' % (text_file, rule, listing))
    misses = []
    for h, b in tagged:
        miss = [w for w in header if w not in h] + [w for w in body if w not in b]
        if not miss:
            note(h.strip())
            return
        misses.append('%s\n  (lacks %s)' % (b, ', '.join(repr(m) for m in miss)))
    die('%s: no %s finding with all of header %r, body %r:\n%s' % (text_file, rule, header, body,
                                                                  '\n'.join(misses)))


def cmd_no_severe(text_file):
    with open(text_file) as f:
        bad = [l for l in f.read().splitlines() if l.startswith('  [high]') or l.startswith('  [critical]')]
    if bad:
        die('%s: findings at high or critical severity in a healthy process:\n%s' % (text_file, '\n'.join(bad)))


def cmd_timeout(json_file, tid, low_ms, high_ms):
    """The thread tid's blocked_on.timeout_ms is in [low_ms, high_ms]."""
    for t in load(json_file).get('threads', []):
        if t.get('tid') == int(tid):
            ms = (t.get('blocked_on') or {}).get('timeout_ms')
            if not isinstance(ms, int) or not int(low_ms) <= ms <= int(high_ms):
                die('%s: thread %s waits with timeout_ms %r, not in [%s, %s]' % (json_file, tid, ms, low_ms, high_ms))
            return
    die('%s: no thread %s' % (json_file, tid))


def cmd_names_pid(json_file, text_file, pid, tid=None):
    report = load(json_file)
    word = re.compile(r'(?<![0-9])%s(?![0-9])' % re.escape(pid))
    where = []
    for f in report.get('findings') or []:
        if word.search(json.dumps(f)):
            where.append('finding %s' % f.get('rule'))
    with open(text_file) as fh:
        for h, b in findings_blocks(fh.read()):
            if word.search(b):
                where.append('text finding %s' % h.strip())
    if tid is not None:
        for t in report.get('threads', []):
            if t.get('tid') != int(tid):
                continue
            py = t.get('python') or {}
            if word.search(json.dumps(py.get('wait'))):
                where.append('python wait of %s' % tid)
            if word.search(json.dumps(t.get('blocked_on'))):
                where.append('blocked_on of %s' % tid)
    if not where:
        die('%s: neither a finding nor the wait of thread %s names pid %s; the findings: %s' % (
            json_file, tid, pid, [f.get('summary') for f in report.get('findings') or []]))
    note('pid %s in %s' % (pid, '; '.join(where)))


def main(argv):
    if len(argv) >= 2 and argv[0] == 'check-oracle':
        cmd_check_oracle(argv[1:])
    elif len(argv) == 3 and argv[0] == 'compare':
        cmd_compare(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == 'frames':
        cmd_frames(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == 'finding':
        cmd_finding(argv[1], argv[2], argv[3:])
    elif len(argv) == 2 and argv[0] == 'no-severe':
        cmd_no_severe(argv[1])
    elif len(argv) in (4, 5) and argv[0] == 'names-pid':
        cmd_names_pid(*argv[1:])
    elif len(argv) == 5 and argv[0] == 'timeout':
        cmd_timeout(*argv[1:])
    else:
        die(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
