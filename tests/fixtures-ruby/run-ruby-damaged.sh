#!/bin/bash
# The Ruby fixture cores with their VM memory damaged (damage.py: random
# words of every writable segment overwritten with zeros, all-ones, small
# numbers and pointers into the core), many seeds and densities: hanganalyze
# must still give a report (exit 0, valid JSON, the native threads all there)
# in bounded time — never a crash, a hang or a sanitizer report (CI runs this
# under ASan+UBSan too). Offline, like run-ruby-fixtures.sh.
set -u
BUILD=${BUILD:?BUILD must point at the build directory}
SRC=${SRC:?SRC must point at the source directory}
HANGANALYZE=$BUILD/hanganalyze
. "$SRC/tests/fixtures-ruby/ruby-fixture-subr.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hs-ruby-damaged.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

unpack_ruby_fixtures "$WORK" || fail "cannot unpack the Ruby fixtures"
runs=0 partial=0
for name in $(ruby_fixture_names); do
	zstd -q -d "$WORK/$name/core.hang.zst" -o "$WORK/$name/clean.core" || fail "$name: cannot decompress its core"
	threads=$(ruby_fixture_analyze "$HANGANALYZE" "$WORK" "$name" --no-db --format=json |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["threads"]))') || fail "$name: the clean core does not analyze"
	for seed in 1 2 3 4 5 6; do
		for density in 50 400 3000; do
			cp --sparse=always "$WORK/$name/clean.core" "$WORK/$name/core.hang.zst"
			python3 "$SRC/tests/fixtures-ruby/damage.py" "$WORK/$name/core.hang.zst" "$seed" "$density" >/dev/null ||
				fail "$name: damage.py failed"
			timeout 60 env -u DEBUGINFOD_URLS -u HANGANALYZE_DB XDG_CONFIG_HOME=/nonexistent \
				"$HANGANALYZE" --no-default-rules --sysroot "$WORK/root" --no-db --format=json \
				"$WORK/$name/core.hang.zst" >"$WORK/out.json" 2>"$WORK/err"
			rc=$?
			[ "$rc" = 0 ] || { cat "$WORK/err" >&2; fail "$name seed $seed density 1/$density: exit $rc"; }
			python3 - "$WORK/out.json" "$threads" <<'PY' || fail "$name seed $seed density 1/$density: bad report"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["threads"]) == int(sys.argv[2]), "threads missing"
for t in d["threads"]:
    r = t["ruby"]
    if r is not None:
        assert isinstance(r["frames"], list) and len(r["frames"]) <= 4096
PY
			grep -q 'may be partial\|could not be read\|ends early\|layout does not match' "$WORK/out.json" && partial=$((partial + 1))
			runs=$((runs + 1))
		done
	done
done
echo "ok: $runs damaged Ruby cores analyzed, $partial said their Ruby frames may be partial"
