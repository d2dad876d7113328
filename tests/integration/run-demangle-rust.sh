#!/bin/bash
# Rust names demangled, legacy (_ZN...17h<hash>E) and v0 (_R...): a Rust
# program deadlocked on two std::sync::Mutex inside app::Cache::refresh,
# snapshotted and analyzed. The report names cache_refresh::app::Cache::refresh
# (v0: <cache_refresh::app::Cache>::refresh), JSON keeps the raw name,
# --no-demangle shows it, the deadlock is a probable lock-cycle (std's futex Mutex
# records no owner: the holders are found by the references on their
# stacks), and gdb's `info symbol` names every frame of the
# program the same way, less the hash and crate disambiguators it adds.
# Skips (exit 77) when there was no rustc to build the program with.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

[ -x "$PROGS/cache-refresh-rust-legacy" ] || {
	echo "skip: no rustc when this build was configured (scripts/deps.sh installs Debian's)"
	exit 77
}

# check MANGLING PREFIX FUNCTION: the program built with MANGLING; its raw names start with PREFIX
check() {
	local mangling=$1 prefix=$2 fn=$3 exe=$PROGS/cache-refresh-rust-$1 args=()
	start_target "$WORK/$mangling.out" "$exe"
	expect_exit 0 "$HANGSNAP" -q --compress=none -o "$mangling.core" "$TARGET_PID"
	kill -9 "$TARGET_PID"

	expect_exit 0 "$HANGANALYZE" --no-db "$mangling.core"
	expect_grep " $fn+0x[0-9a-f]* (cache-refresh-rust-$mangling) " "$WORK/stdout"
	# std's futex Mutex records no owner: each holder is found by the reference on its stack
	expect_grep "\[critical\] lock-cycle: probable deadlock of 2 threads" "$WORK/stdout"
	expect_grep "its stack refers to it" "$WORK/stdout"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$mangling.core"
	cp "$WORK/stdout" "$mangling.json"
	validate_json "$mangling.json"
	[ "$(json_query "$mangling.json" "sorted({f.get('linkage_name', '')[:len('$prefix')] for t in d['threads'] for f in t['frames'] if f['function'] == '$fn'})")" = "$prefix" ] ||
		fail "$mangling: $fn frames without a linkage_name starting with $prefix"
	raw=$(json_query "$mangling.json" "[f['linkage_name'] for t in d['threads'] for f in t['frames'] if f['function'] == '$fn'][0]")
	expect_exit 0 "$HANGANALYZE" --no-db --no-demangle "$mangling.core"
	grep -qF " $raw+0x" "$WORK/stdout" || fail "$mangling: --no-demangle does not show $raw"

	json_query "$mangling.json" "'\n'.join('%d %s %s' % (t['tid'], f['pc'], f['function']) for t in d['threads'] for f in t['frames'] if not f['inlined'] and f['function'] and f['module'] == 'cache-refresh-rust-$mangling')" >ours.txt
	while read -r _ pc _; do
		args+=(-ex "info symbol $(printf '0x%x' $((pc - 1)))")
	done <ours.txt
	gdb -nx -batch "${args[@]}" "$exe" "$mangling.core" >gdb-sym.txt 2>&1
	/usr/bin/python3 - ours.txt gdb-sym.txt <<'PY' || fail "$mangling: our names differ from gdb's"
import re, sys
ours = [l.split(' ', 2) for l in open(sys.argv[1]).read().splitlines()]
# gdb demangles verbosely: legacy hashes (::h<16 hex>) and v0 crate disambiguators ([<hex>]) we leave out
syms = [re.sub(r'::h[0-9a-f]{16}$', '', re.sub(r'\[[0-9a-f]+\]', '', re.sub(r' \+ \d+ in section .*| in section .*', '', l.strip())))
        for l in open(sys.argv[2]) if ' in section ' in l and not l.startswith('warning:')]
if len(syms) != len(ours) or len(ours) < 5:
    sys.exit('gdb answered %d of %d info symbol questions' % (len(syms), len(ours)))
bad = [(t, pc, fn, s) for (t, pc, fn), s in zip(ours, syms) if fn != s]
for b in bad:
    print('thread %s pc %s: we say %s, gdb info symbol says %s' % b, file=sys.stderr)
print('# %d frames named as gdb names them' % len(ours))
sys.exit(1 if bad else 0)
PY
}

check legacy _ZN cache_refresh::app::Cache::refresh
if [ -x "$PROGS/cache-refresh-rust-v0" ]; then
	check v0 _R '<cache_refresh::app::Cache>::refresh'
else
	note "v0 mangling skipped: this rustc has no -C symbol-mangling-version=v0"
fi
echo ok
