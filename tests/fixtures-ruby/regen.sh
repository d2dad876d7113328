#!/bin/bash
# Rewrites the goldens (expected.txt, expected.json) of every Ruby fixture
# from its committed core, with the hanganalyze of BUILD (default: build/ of
# this source tree). Run it only when a change of the reports is intended,
# and read the diff. Making the cores again needs Ruby 3.3.8 in
# /opt/ruby-3.3.8 and Ruby 3.4.5 in /opt/ruby-3.4.5: see README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ruby-fixture-subr.sh"
BUILD=${BUILD:-$here/../../build}
# absolute: the reports are made from inside the unpacked tree; and checked
# first, so that a wrong BUILD cannot leave a golden truncated
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/hanganalyze" ] || { echo "no hanganalyze in $BUILD" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unpack_ruby_fixtures "$work"
for name in $(ruby_fixture_names); do
	for fmt in $RUBY_FIXTURE_FORMATS; do
		ruby_fixture_analyze "$BUILD/hanganalyze" "$work" "$name" --no-db --format="$fmt" \
			>"$RUBY_FIXTURES_SRC/$name/$(ruby_fixture_golden "$fmt")"
	done
	echo "$name: goldens written"
done
