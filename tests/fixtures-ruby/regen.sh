#!/bin/bash
# Rewrites the goldens (expected.txt, expected.json) of every Ruby fixture
# from its committed core, with the hanganalyze of BUILD (default: build/ of
# this source tree). Run it only when a change of the reports is intended,
# and read the diff. Making the cores again needs Ruby 3.3.8 in
# /opt/ruby-3.3.8: see README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ruby-fixture-subr.sh"
BUILD=${BUILD:-$here/../../build}
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
