#!/bin/bash
# Offline: the committed Ruby cores (tests/fixtures-ruby/NAME/: 3.3.8 and
# 3.4.5) read without Ruby, without a live process, without ptrace. For each
# fixture:
#  (a) JSON runtime.version is the Ruby version oracle.json records
#      (ruby_version, what RUBY_VERSION said);
#  (b) for every thread of oracle.json (Ruby's own Thread#backtrace_locations,
#      saved by the sample just before it was snapshotted), the JSON thread
#      with that tid has ruby.frames equal in (path, line, label), frame for
#      frame;
#  (c) the text and JSON reports equal the goldens byte for byte;
#  (d) the text report has the finding the sample makes: log-forwarder (and
#      log-forwarder-3.4) a join-on-blocked naming out_metrics and SYN_SENT,
#      mutex-abba a lock-cycle naming reloader and flusher.
# The sysroot is root/ here plus the libc files of tests/fixtures/root
# (ruby-fixture-subr.sh). Regenerate the goldens with regen.sh only when a
# change of the reports is intended.
. "$SRC/tests/integration/test-subr.sh"
. "$SRC/tests/fixtures-ruby/ruby-fixture-subr.sh"
unpack_ruby_fixtures "$WORK" || fail "cannot unpack the Ruby fixtures"
cd "$WORK"
bad=0

# same GOLDEN ACTUAL: diff -u, counted
same() {
	diff -u --label "golden ${1#"$RUBY_FIXTURES_SRC"/}" --label actual "$1" "$2" || bad=$((bad + 1))
}

# finding NAME RULE WORD...: the text report of NAME has a RULE finding whose line names every WORD
finding() {
	local name=$1 rule=$2 line w
	shift 2
	line=$(grep -E "^  \[[a-z]+\] $rule: " "$WORK/$name.text") || { echo "$name: no $rule finding" >&2; bad=$((bad + 1)); return; }
	for w in "$@"; do
		printf '%s\n' "$line" | grep -qF -- "$w" || { echo "$name: the $rule finding does not name '$w': $line" >&2; bad=$((bad + 1)); }
	done
}

n=0
for name in $(ruby_fixture_names); do
	for fmt in $RUBY_FIXTURE_FORMATS; do
		ruby_fixture_analyze "$HANGANALYZE" "$WORK" "$name" --no-db --format="$fmt" >"$WORK/$name.$fmt" ||
			fail "$name: hanganalyze --format=$fmt exited $?"
		same "$RUBY_FIXTURES_SRC/$name/$(ruby_fixture_golden "$fmt")" "$WORK/$name.$fmt"
		n=$((n + 1))
	done
	validate_json "$WORK/$name.json"
	/usr/bin/python3 - "$name" "$RUBY_FIXTURES_SRC/$name/oracle.json" "$WORK/$name.json" <<'PY' || bad=$((bad + 1))
import difflib, json, sys
name, oracle, report = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
ok = True
version = (report.get("runtime") or {}).get("version")
want_version = oracle.get("ruby_version")
if not want_version or version != want_version:
    print(f"{name}: runtime.version is {version!r}, not {want_version!r} (oracle.json's ruby_version)", file=sys.stderr)
    ok = False
threads = {t["tid"]: t for t in report["threads"]}
checked = 0
for o in oracle["threads"]:
    tid = o["native_id"]
    t = threads.get(tid)
    if t is None:
        print(f"{name}: thread {tid} ({o['name']}) of oracle.json is not in the report", file=sys.stderr)
        ok = False
        continue
    fmt = lambda f: f"{f['path']}:{f['line']}:in '{f['label']}'"
    want = [fmt(f) for f in o["frames"]]
    got = [fmt(f) for f in ((t.get("ruby") or {}).get("frames") or [])]
    if want != got:
        print(f"{name}: thread {tid} ({o['name']}): Ruby frames differ from Thread#backtrace_locations:", file=sys.stderr)
        for i, (w, g) in enumerate(zip(want + [None] * len(got), got + [None] * len(want))):
            if w is None and g is None:
                break
            if w != g:
                print(f"  frame {i}: expected {w}, got {g}", file=sys.stderr)
        sys.stderr.writelines(l + "\n" for l in difflib.unified_diff(want, got, "oracle", "hanganalyze", lineterm=""))
        ok = False
    checked += 1
print(f"# {name}: Ruby frames of {checked} threads match Thread#backtrace_locations" if ok else "", end="\n" if ok else "")
sys.exit(0 if ok else 1)
PY
done
for name in log-forwarder log-forwarder-3.4 mutex-abba; do
	[ -e "$WORK/$name.text" ] || fail "no $name fixture"
done
finding log-forwarder join-on-blocked out_metrics SYN_SENT
finding log-forwarder-3.4 join-on-blocked out_metrics SYN_SENT
finding mutex-abba lock-cycle reloader flusher
[ "$bad" = 0 ] || fail "$bad checks failed (above)"
note "$n reports match their goldens"
echo ok
