#!/bin/bash
# Rewrites the goldens (expected.txt, expected.json) of every Python fixture
# from its committed core, with the hanganalyze of BUILD (default: build/ of
# this source tree). Run it only when a change of the reports is intended,
# and read the diff.
#
#   regen.sh           the goldens, from the committed cores
#   regen.sh --cores   first the cores themselves (and oracle.json, ready,
#                      cmd, root/), anew, from the pyenv Pythons: needs
#                      /root/.pyenv/versions/{3.8.18,3.9.18,3.10.13,3.12.1,3.13.0}
#                      (PYENV_VERSIONS=DIR to look elsewhere), root for
#                      hangsnap, loopback only; see README.md
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/python-fixture-subr.sh"
BUILD=${BUILD:-$here/../../build}
# absolute: the reports are made from inside the unpacked tree; and checked
# first, so that a wrong BUILD cannot leave a golden truncated
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/hanganalyze" ] || { echo "no hanganalyze in $BUILD" >&2; exit 1; }

# the fixtures --cores makes: pyenv version, one per fixture join-connect-3.X
VERSIONS="3.8.18 3.9.18 3.10.13 3.12.1 3.13.0"
PYENV_VERSIONS=${PYENV_VERSIONS:-/root/.pyenv/versions}
# where the samples run from, so that the cores' paths name no build tree
SAMPLES_AT=/opt/hanganalyze-fixtures/python

make_cores() {
	local v m t f name tmp pid i
	[ -x "$BUILD/hangsnap" ] || { echo "no hangsnap in $BUILD" >&2; exit 1; }
	for v in $VERSIONS; do
		m=${v%.*}
		[ -x "$PYENV_VERSIONS/$v/bin/python$m" ] || { echo "no $PYENV_VERSIONS/$v/bin/python$m" >&2; exit 1; }
	done
	rm -rf "$SAMPLES_AT" && mkdir -p "$(dirname "$SAMPLES_AT")" && cp -r "$here/../../samples/python" "$SAMPLES_AT"
	find "$SAMPLES_AT" -name __pycache__ -prune -exec rm -rf {} +
	rm -rf "$here/root"
	for v in $VERSIONS; do
		m=${v%.*}
		t=${m/./}
		name=join-connect-$m
		tmp=$(mktemp -d)
		(
			cd "$tmp"
			when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
			"$PYENV_VERSIONS/$v/bin/python$m" "$SAMPLES_AT/join-connect.py" --oracle oracle.json >out &
			pid=$!
			for i in $(seq 100); do grep -q '^ready' out && break; sleep 0.1; done
			grep -q "^ready $pid " out || { kill "$pid"; echo "$name: no ready line" >&2; exit 1; }
			sleep 1
			"$BUILD/hangsnap" --level 19 -q -o core.hang.zst "$pid" || { kill "$pid"; exit 1; }
			kill "$pid"
			wait "$pid" 2>/dev/null || true
			mkdir -p "$here/$name"
			chmod 644 core.hang.zst
			cp core.hang.zst oracle.json "$here/$name/"
			cp out "$here/$name/ready"
			cat >"$here/$name/cmd" <<CMD
# $when, Linux $(uname -r), libc6 $(dpkg-query -W -f='${Version}' libc6), Python $v (pyenv, $PYENV_VERSIONS/$v), hanganalyze source $(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown) ($(git -C "$here" rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown))
# $SAMPLES_AT/: a copy of samples/python/ (hang_support.py, join-connect.py, lib/)
# in an empty directory, as root:
$PYENV_VERSIONS/$v/bin/python$m $SAMPLES_AT/join-connect.py --oracle oracle.json >out &
# once out holds the ready line (cp out ready), and 1 s more:
$BUILD/hangsnap --level 19 -q -o core.hang.zst $pid
kill $pid
CMD
		)
		rm -rf "$tmp"
		for f in "$PYENV_VERSIONS/$v/bin/python$m" "$PYENV_VERSIONS/$v/lib/libpython$m.so.1.0" \
			"$PYENV_VERSIONS/$v/lib/python$m/lib-dynload/_socket.cpython-$t-x86_64-linux-gnu.so"; do
			mkdir -p "$here/root$(dirname "$f")"
			strip --strip-debug -o "$here/root$f.tmp" "$f"
			zstd -q -19 --long=31 --rm "$here/root$f.tmp" -o "$here/root$f.zst"
		done
		echo "$name: core written"
	done
	(cd / && sha256sum $(sed 's/^[^ ]*  //' "$here/shared-root.sha256" | grep -v '^usr/lib/debug/')) | cmp -s - \
		<(grep -v ' usr/lib/debug/' "$here/shared-root.sha256") ||
		echo "warning: this host's libc is not the one of shared-root.sha256 (tests/fixtures/root): see README.md" >&2
}

case ${1-} in
--cores) make_cores ;;
'') ;;
*) echo "usage: regen.sh [--cores]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unpack_python_fixtures "$work"
for name in $(python_fixture_names); do
	for fmt in $PYTHON_FIXTURE_FORMATS; do
		python_fixture_analyze "$BUILD/hanganalyze" "$work" "$name" --no-db --format="$fmt" \
			>"$PYTHON_FIXTURES_SRC/$name/$(python_fixture_golden "$fmt")"
	done
	echo "$name: goldens written"
done
