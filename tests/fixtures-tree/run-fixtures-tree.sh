#!/bin/bash
# Offline: the committed process-tree snapshot (tests/fixtures-tree/NAME/, as
# 'hangsnap --tree' wrote it) analyzed as one case from its directory, with
# the C fixtures' sysroot plus bin/: no live process, no ptrace, no root.
#  (a) text and JSON equal the goldens byte for byte;
#  (b) supervise-join: the top finding is child-wait from the supervisor's
#      thread through the worker's join to the thread in connect (SYN_SENT),
#      the case holds both processes, and the signature is the tree's;
#  (c) the manifest damaged (a newer version, a parent after its child, a
#      core name with a '/') is refused with exit 3 and one line, and a core
#      it names that is missing is an error naming that core.
. "$SRC/tests/integration/test-subr.sh"
. "$SRC/tests/fixtures-tree/tree-fixture-subr.sh"
unpack_tree_fixtures "$WORK" || fail "cannot unpack the tree fixtures"
cd "$WORK"
bad=0
for name in $(tree_fixture_names); do
	for fmt in $TREE_FIXTURE_FORMATS; do
		tree_fixture_analyze "$BUILD/hanganalyze" "$WORK" "$name" --no-db --format="$fmt" >"$name.$fmt" ||
			fail "$name: hanganalyze --format=$fmt exited $?"
		diff -u --label "golden $name/$(tree_fixture_golden "$fmt")" --label actual \
			"$TREE_FIXTURES_SRC/$name/$(tree_fixture_golden "$fmt")" "$name.$fmt" || bad=$((bad + 1))
	done
done
[ "$bad" = 0 ] || fail "$bad report(s) differ from the goldens (tests/fixtures-tree/regen.sh --goldens rewrites them when the change is meant)"

validate_json supervise-join.json
read -r _ sup _ <<<"$(grep '^process ' supervise-join/tree.manifest | head -1)"
got=$(json_query supervise-join.json "d['findings'][0]['rule'] + ' ' + str(d['findings'][0]['threads'][0]) + ' ' + str(len(d['processes']))")
[ "$got" = "child-wait $sup 2" ] || fail "supervise-join: top finding '$got', expected 'child-wait $sup 2'"
got=$(json_query supervise-join.json "d['signature']['text']")
[ "$got" = "child-wait: connect SYN_SENT @ output_thread" ] || fail "supervise-join: signature '$got'"
grep -q "is joining out_metrics .* which is stuck in connect() to 127.0.0.1:[0-9]* (SYN_SENT)" supervise-join.text ||
	fail "supervise-join: the headline does not go down to the connect"

# damaged manifests: refused as a whole, one line, exit 3
damage() {
	rm -rf bad && cp -r supervise-join bad && sed -i "$1" bad/tree.manifest
	tree_fixture_analyze "$BUILD/hanganalyze" "$WORK" bad --no-db >/dev/null 2>bad.err && fail "damaged ($1): accepted"
	rc=$?
	[ "$rc" = 3 ] || { cat bad.err >&2; fail "damaged ($1): exit $rc, expected 3"; }
	[ "$(wc -l <bad.err)" = 1 ] || { cat bad.err >&2; fail "damaged ($1): not one line"; }
	expect_grep "$2" bad.err
}
damage 's/^hangsnap-tree 1$/hangsnap-tree 2/' "version 2 is not supported"
damage '3{h;d};4G' "the parent is not listed before the process"
damage '3s/ core\./ ..\/core./' "bad core name"
damage '$s/ [^ ]*$/ no-such.core/' "cannot read core 'bad/no-such.core'"
echo ok
