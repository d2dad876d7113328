#!/bin/bash
# C++ names demangled in every output, as gdb names them: a C++ program
# deadlocked through std::lock_guard inside app::Cache::refresh (built -O1
# -g), snapshotted and analyzed. The text, JSON, HTML reports, findings and
# case database say app::Cache::refresh; JSON keeps the raw name as
# linkage_name; --no-demangle shows the raw names and gives the same
# signature; user rules match either name; and gdb, on the same core, names
# the same functions for every frame we symbolize in the program and
# libstdc++.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
EXE=$PROGS/cache-refresh-cxx

start_target "$WORK/target.out" "$EXE"
expect_exit 0 "$HANGSNAP" -q --compress=none -o cxx.core "$TARGET_PID"
kill -9 "$TARGET_PID"

# text: demangled, without parameter lists or raw names
expect_exit 0 "$HANGANALYZE" --no-db cxx.core
cp "$WORK/stdout" text.txt
expect_grep ' app::Cache::refresh+0x[0-9a-f]* (cache-refresh-cxx) ' text.txt
expect_grep ' std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > >::_M_run+0x' text.txt
expect_grep ' std::thread::join+0x[0-9a-f]* (libstdc++' text.txt
! grep -q '_ZN\|_ZS' text.txt || { grep '_ZN\|_ZS' text.txt >&2; fail "a raw C++ name in the text report"; }
# the standard library's frames (std::mutex::lock, __gthread_mutex_lock from /usr/include) are left out,
# and so is the thread lambda's operator() below app::Cache::refresh
expect_grep '^signature [0-9a-f]* (v1): lock-cycle: futex @ app::Cache::refresh | ' text.txt

# JSON: valid, function demangled, linkage_name beside it only where they differ
expect_exit 0 "$HANGANALYZE" --no-db --format=json cxx.core
cp "$WORK/stdout" demangled.json
validate_json demangled.json
[ "$(json_query demangled.json "sorted({f.get('linkage_name') for t in d['threads'] for f in t['frames'] if f['function'] == 'app::Cache::refresh'})")" = _ZN3app5Cache7refreshERS0_i ] ||
	fail "app::Cache::refresh frames do not all have linkage_name _ZN3app5Cache7refreshERS0_i"
[ "$(json_query demangled.json "[f for t in d['threads'] for f in t['frames'] if 'linkage_name' in f and (f['linkage_name'] == f['function'] or not f['linkage_name'].startswith('_Z'))]")" = "" ] ||
	fail "a linkage_name that is not a mangled name different from the function"
[ "$(json_query demangled.json "len([f for t in d['threads'] for f in t['frames'] if f['module'] == 'libc.so.6' and 'linkage_name' in f])")" = 0 ] ||
	fail "C functions got a linkage_name"

# --no-demangle: raw names, no linkage_name, the same signature
expect_exit 0 "$HANGANALYZE" --no-db --no-demangle cxx.core
cp "$WORK/stdout" raw.txt
expect_grep ' _ZN3app5Cache7refreshERS0_i+0x[0-9a-f]* (cache-refresh-cxx) ' raw.txt
expect_grep ' _ZNSt6thread4joinEv+0x' raw.txt
! grep -q 'app::Cache::refresh+' raw.txt || fail "--no-demangle: a demangled frame"
[ "$(grep '^signature' raw.txt)" = "$(grep '^signature' text.txt)" ] || fail "--no-demangle changed the signature"
expect_exit 0 "$HANGANALYZE" --no-db --no-demangle --format=json cxx.core
cp "$WORK/stdout" raw.json
validate_json raw.json
[ "$(json_query raw.json "len([f for t in d['threads'] for f in t['frames'] if 'linkage_name' in f])")" = 0 ] ||
	fail "--no-demangle: a frame with linkage_name"
expect_grep '"function": "_ZN3app5Cache7refreshERS0_i"' raw.json
# and check takes it too, and knows the hang by the same signature
sed -n 's/^signature \([0-9a-f]*\) .*/\1 expected/p' text.txt >known.txt
expect_exit 0 "$HANGANALYZE" check --no-db --known known.txt cxx.core
expect_exit 0 "$HANGANALYZE" check --no-db --no-demangle --known known.txt cxx.core

# HTML and findings (a user rule's {frame}): demangled; rules match either name
mkdir rules
cat >rules/cache.rules <<'RULES'
rule cache-refresh-demangled
  frame app::Cache::refresh
  summary "{name} waits under {frame}"
rule cache-refresh-raw
  frame _ZN3app5Cache7refresh*
  summary "{name} waits under {frame}"
RULES
for flags in "" --no-demangle; do
	# shellcheck disable=SC2086
	expect_exit 0 "$HANGANALYZE" --no-db --no-default-rules --rules rules $flags --format=json cxx.core
	cp "$WORK/stdout" rules.json
	for rule in cache-refresh-demangled cache-refresh-raw; do
		[ "$(json_query rules.json "len([f for f in d['findings'] if f['rule'] == '$rule'])")" = 2 ] ||
			fail "user rule $rule ${flags:-(demangled)}: not one finding per deadlocked thread"
	done
done
expect_exit 0 "$HANGANALYZE" --no-db --no-default-rules --rules rules cxx.core
expect_grep 'waits under app::Cache::refresh$' "$WORK/stdout" "a finding naming the demangled function"
expect_exit 0 "$HANGANALYZE" --no-db --format=html cxx.core
expect_grep '<span title="_ZN3app5Cache7refreshERS0_i">app::Cache::refresh</span>+0x' "$WORK/stdout" \
	"the HTML report's frames, the raw name on hover"
expect_grep 'std::thread::_State_impl&lt;std::thread::_Invoker' "$WORK/stdout" "the HTML report's frames, escaped"

# the case database stores the demangled names
expect_exit 0 "$HANGANALYZE" -q --db cases.db cxx.core
[ "$(python3 -c "import sqlite3; print(sqlite3.connect('cases.db').execute(\"SELECT count(*) FROM frames WHERE function = 'app::Cache::refresh'\").fetchone()[0])")" -ge 2 ] ||
	fail "the case database has no app::Cache::refresh frames"

# oracle: gdb's names for the same frames. Our non-inlined frames in the
# program and libstdc++ (function names from ELF symbols) against gdb's
# `info symbol` (the same symbols, demangled by gdb, with parameter lists we
# leave out) and against its backtrace (names from DWARF where there is debug
# info; gdb spells lambdas there as main()::<lambda()>, so those frames are
# checked through `info symbol` only). The program's threads have 7 such
# frames: main, _start, std::thread::join; twice app::Cache::refresh and a
# std::thread::_State_impl<...>::_M_run.
gdb -nx -batch -ex 'set pagination off' -ex 'thread apply all bt' "$EXE" cxx.core >gdb-bt.txt 2>&1
json_query demangled.json "'\n'.join('%d %s %s' % (t['tid'], f['pc'], f['function']) for t in d['threads'] for f in t['frames'] if not f['inlined'] and f['function'] and (f['module'] == 'cache-refresh-cxx' or f['module'].startswith('libstdc++')))" >ours.txt
[ "$(wc -l <ours.txt)" -ge 7 ] || { cat ours.txt >&2; fail "too few C++ frames to compare with gdb"; }
args=()
while read -r _ pc _; do
	args+=(-ex "info symbol $(printf '0x%x' $((pc - 1)))")
done <ours.txt
gdb -nx -batch "${args[@]}" "$EXE" cxx.core >gdb-sym.txt 2>&1
/usr/bin/python3 - ours.txt gdb-bt.txt gdb-sym.txt <<'PY' || fail "our names differ from gdb's"
import re, sys

def strip_params(name):
    """'std::thread::join()' -> 'std::thread::join'; 'operator()' stays."""
    name = re.sub(r' const$', '', name)
    if not name.endswith(')'):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        depth += {')': 1, '(': -1}.get(name[i], 0)
        if depth == 0:
            return name if name[:i].endswith('operator') else name[:i]
    return name

ours = [l.split(' ', 2) for l in open(sys.argv[1]).read().splitlines()]
bt, tid = {}, None
for line in open(sys.argv[2]):
    m = re.match(r'Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)\)', line)
    if m:
        tid = m.group(1)
        continue
    m = re.match(r'#\d+\s+(?:0x[0-9a-f]+ in )?(.+?) \(', line)
    if m and tid:
        bt.setdefault(tid, set()).add(strip_params(m.group(1)))
syms = [strip_params(re.sub(r' \+ \d+ in section .*| in section .*', '', l.strip()))
        for l in open(sys.argv[3]) if ' in section ' in l and not l.startswith('warning:')]
if len(syms) != len(ours):
    sys.exit('gdb answered %d of %d info symbol questions' % (len(syms), len(ours)))
bad = 0
for (tid, pc, fn), sym in zip(ours, syms):
    fn = fn.split('@')[0]
    if fn != sym:
        print('thread %s pc %s: we say %s, gdb info symbol says %s' % (tid, pc, fn, sym), file=sys.stderr)
        bad += 1
    # (gdb's backtrace stops at main: _start is checked through info symbol only)
    if '{lambda' not in fn and fn != '_start' and fn not in bt.get(tid, ()):
        print('thread %s pc %s: %s is not in gdb\'s backtrace: %s' % (tid, pc, fn, sorted(bt.get(tid, ()))), file=sys.stderr)
        bad += 1
print('# %d frames named as gdb names them' % len(ours))
sys.exit(1 if bad else 0)
PY
echo ok
