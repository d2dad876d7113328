#!/bin/bash
# The Python fixture cores with their memory damaged (tests/fixtures-ruby/
# damage.py: random words of every writable segment — the heap, the thread
# states, the frames, _PyRuntime — overwritten with zeros, all-ones, small
# numbers and pointers into the core), many seeds and densities: hanganalyze
# must still give a report (exit 0, valid JSON, every native thread there) in
# bounded time — never a crash, a hang or a sanitizer report (CI runs this
# under ASan+UBSan too) — and, in some runs at least, say that the Python
# frames may be partial. Offline, like run-python-fixtures.sh.
set -u
BUILD=${BUILD:?BUILD must point at the build directory}
SRC=${SRC:?SRC must point at the source directory}
HANGANALYZE=$BUILD/hanganalyze
. "$SRC/tests/fixtures-python/python-fixture-subr.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hs-python-damaged.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

unpack_python_fixtures "$WORK" || fail "cannot unpack the Python fixtures"
runs=0 partial=0
for name in $(python_fixture_names); do
	zstd -q -d "$WORK/$name/core.hang.zst" -o "$WORK/$name/clean.core" || fail "$name: cannot decompress its core"
	threads=$(python_fixture_analyze "$HANGANALYZE" "$WORK" "$name" --no-db --format=json |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["threads"]))') || fail "$name: the clean core does not analyze"
	for seed in 1 2 3 4; do
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
    p = t["python"]
    if p is not None:
        assert isinstance(p["frames"], list) and len(p["frames"]) <= 4096
        assert all(isinstance(f["line"], int) and f["line"] >= 0 for f in p["frames"])
PY
			grep -q 'may be partial\|could not be read\|not shown' "$WORK/out.json" && partial=$((partial + 1))
			runs=$((runs + 1))
		done
	done
done
[ "$partial" -gt 0 ] || fail "no damaged core said its Python frames may be partial"
echo "ok: $runs damaged Python cores analyzed, $partial said their Python frames may be partial or unreadable"
