#!/bin/bash
# Offline: the committed CPython cores (tests/fixtures-python/NAME/: the
# join-connect sample under pyenv's 3.8.18, 3.9.18, 3.10.13, 3.12.1 and
# 3.13.0) read without Python, without a live process, without ptrace. For
# each fixture:
#  (a) the text and JSON reports equal the goldens byte for byte;
#  (b) the JSON report is valid against docs/hanganalyze-1.schema.json;
#  (c) for every thread of oracle.json (sys._current_frames(), saved by the
#      sample just before it was snapshotted), the JSON thread with that tid
#      has python.frames equal in (path, line, label: co_qualname on 3.11+,
#      co_name before), frame for frame, and runtime is python, the oracle's
#      version (its minor version only before 3.11)
#      (tests/integration/python-oracle.py frames);
#  (d) the text report's first finding is a join-on-blocked naming
#      join-connect.py (the join in Shipper.shutdown) and metrics_client.py
#      (the connect in MetricsClient._connect).
# The sysroot is root/ here plus the libc files of tests/fixtures/root
# (python-fixture-subr.sh). The checks run under Debian's /usr/bin/python3,
# never a Python of the cores. Regenerate the goldens with regen.sh only when
# a change of the reports is intended.
. "$SRC/tests/integration/test-subr.sh"
. "$SRC/tests/fixtures-python/python-fixture-subr.sh"
unpack_python_fixtures "$WORK" || fail "cannot unpack the Python fixtures"
cd "$WORK"
bad=0
oracle() { /usr/bin/python3 "$SRC/tests/integration/python-oracle.py" "$@"; }

# same GOLDEN ACTUAL: diff -u, counted
same() {
	diff -u --label "golden ${1#"$PYTHON_FIXTURES_SRC"/}" --label actual "$1" "$2" || bad=$((bad + 1))
}

n=0
for name in $(python_fixture_names); do
	for fmt in $PYTHON_FIXTURE_FORMATS; do
		python_fixture_analyze "$HANGANALYZE" "$WORK" "$name" --no-db --format="$fmt" >"$WORK/$name.$fmt" ||
			fail "$name: hanganalyze --format=$fmt exited $?"
		same "$PYTHON_FIXTURES_SRC/$name/$(python_fixture_golden "$fmt")" "$WORK/$name.$fmt"
		n=$((n + 1))
	done
	validate_json "$WORK/$name.json"
	oracle frames "$PYTHON_FIXTURES_SRC/$name/oracle.json" "$WORK/$name.json" || bad=$((bad + 1))
	oracle finding "$WORK/$name.text" join-on-blocked --first \
		--header join-connect.py --header metrics_client.py || bad=$((bad + 1))
done
for m in 3.8 3.9 3.10 3.12 3.13; do
	[ -e "$WORK/join-connect-$m.text" ] || fail "no join-connect-$m fixture"
done
[ "$bad" = 0 ] || fail "$bad checks failed (above)"
note "$n reports match their goldens"
echo ok
