#!/bin/bash
# The Ruby layout from libruby's DWARF (analyzer/runtimes/ruby_dwarf.c), under
# each unstripped Ruby built from source (the newest /opt/ruby-3.3.*, and of
# /opt/ruby-3.4.* when installed):
#  a) the layout read from its libruby's DWARF equals the built-in ruby-X.Y.inc
#     field for field, with the built-in values for what the DWARF lacks and
#     with none (the DWARF alone: --no-fallback);
#  b) every Ruby sample, snapshotted and analyzed: the report's runtime layout
#     is "DWARF" and every thread's Ruby frames equal Ruby's own backtraces
#     (ruby-oracle.py frames);
#  c) b) again with HANGANALYZE_RUBY_LAYOUT=dwarf (the built-in table ignored:
#     the DWARF alone is enough), and with =builtin the layout is "built-in X.Y"
#     with the same frames;
#  d) Debian's Ruby 3.1 (no debug info), when installed: still "built-in 3.1";
#  e) copies of the libruby with damaged debug info: a layout or none, never a
#     crash or a hang (ruby-dwarf-corrupt.py).
# Skips (exit 77) without /opt/ruby-3.3.*. HS_RUBY33 / HS_RUBY34 / HS_RUBY: other rubies. Loopback only.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

RUBY33=${HS_RUBY33:-$(ls -d /opt/ruby-3.3.*/bin/ruby 2>/dev/null | sort -V | tail -1)}
RUBY=${HS_RUBY:-/usr/bin/ruby}
ORACLE="/usr/bin/python3 $SRC/tests/integration/ruby-oracle.py"
RSAMPLES=$SRC/samples/ruby
LAYOUT=$BUILD/tests/ruby-dwarf-layout
[ -n "$RUBY33" ] && [ -x "$RUBY33" ] || {
	echo "skip: no /opt/ruby-3.3.*/bin/ruby (an unstripped Ruby 3.3 built from source)"
	exit 77
}
# snap TAG RUBY SCRIPT: the sample snapshotted into TAG.core (and killed)
snap() {
	local tag=$1 ruby=$2
	shift 2
	start_target "$WORK/$tag.out" "$ruby" "$@" --oracle "$WORK/$tag.oracle.json"
	[ -s "$WORK/$tag.oracle.json" ] || fail "$tag: ready, but no oracle file"
	expect_exit 0 "$HANGSNAP" -q -o "$tag.core" "$TARGET_PID"
	kill -9 "$TARGET_PID"
	wait "$TARGET_PID" 2>/dev/null
}

# analyze TAG JSON MODE LAYOUT: TAG.core analyzed with HANGANALYZE_RUBY_LAYOUT=MODE into
# JSON; the runtime's layout must be LAYOUT and the frames the oracle's
analyze() {
	local tag=$1 json=$2 mode=$3 want=$4 got
	expect_exit 0 env HANGANALYZE_RUBY_LAYOUT="$mode" "$HANGANALYZE" --no-db --format=json "$tag.core"
	cp "$WORK/stdout" "$json"
	got=$(python3 -c 'import json,sys; print((json.load(open(sys.argv[1])).get("runtime") or {}).get("layout"))' "$json")
	[ "$got" = "$want" ] || fail "$tag (HANGANALYZE_RUBY_LAYOUT=$mode): layout '$got', not '$want'"
	$ORACLE frames "$tag.oracle.json" "$json" || fail "$tag (HANGANALYZE_RUBY_LAYOUT=$mode): Ruby frames differ from the oracle's"
}

samples="log-forwarder:log-forwarder/agent.rb mutex-abba:mutex-abba.rb queue-join:queue-join.rb idle-server:idle-server.rb"

# a) to c) under each unstripped Ruby: the newest 3.3, and the newest 3.4 when installed
RUBY34=${HS_RUBY34:-$(ls -d /opt/ruby-3.4.*/bin/ruby 2>/dev/null | sort -V | tail -1)}
for ruby in "$RUBY33" $RUBY34; do
	prefix=$(dirname "$(dirname "$ruby")")
	lib=$(ls "$prefix"/lib/libruby.so.[0-9]*.[0-9]*.[0-9]* 2>/dev/null | head -1)
	[ -n "$lib" ] || fail "no $prefix/lib/libruby.so.X.Y.Z"
	version=${lib##*libruby.so.}
	readelf -S "$lib" | grep -q '\.debug_info' || fail "$lib has no .debug_info (stripped)"
	[ "$ruby" = "$RUBY33" ] && lib33=$lib version33=$version

	# a) field for field
	expect_exit 0 "$LAYOUT" --table "$version"
	cp stdout table-$version.txt
	expect_exit 0 "$LAYOUT" "$lib" "$version"
	cp stdout dwarf-$version.txt
	diff -u table-$version.txt dwarf-$version.txt >&2 || fail "the DWARF layout of $lib differs from the built-in $version table"
	expect_exit 0 "$LAYOUT" "$lib" "$version" --no-fallback
	cp stdout dwarf-only-$version.txt
	diff -u table-$version.txt dwarf-only-$version.txt >&2 || fail "the DWARF-only layout of $lib differs from the built-in $version table"
	note "$(wc -l <table-$version.txt) fields equal ($lib)"

	for s in $samples; do
		tag=${s%%:*}-$version
		snap "$tag" "$ruby" "$RSAMPLES/${s#*:}"
		analyze "$tag" "$tag.json" "" DWARF
		analyze "$tag" "$tag-dwarf.json" dwarf DWARF
		analyze "$tag" "$tag-builtin.json" builtin "built-in ${version%.*}"
	done
	note "Ruby $version: every sample's frames equal the oracle's with the DWARF layout, DWARF only, and built-in"
done

# d) a Ruby without debug info keeps the built-in table
if [ -x "$RUBY" ] && ! "$RUBY" -e 'exit(RUBY_VERSION.start_with?("3.3") ? 0 : 1)' 2>/dev/null; then
	rv=$("$RUBY" -e 'print RUBY_VERSION.split(".")[0, 2].join(".")')
	snap mutex-abba-sys "$RUBY" "$RSAMPLES/mutex-abba.rb"
	expect_exit 0 env -u HANGANALYZE_RUBY_LAYOUT "$HANGANALYZE" --no-db --format=json mutex-abba-sys.core
	got=$(python3 -c 'import json,sys; print((json.load(open(sys.argv[1])).get("runtime") or {}).get("layout"))' stdout)
	case $got in
	"built-in $rv" | DWARF) note "$RUBY: layout '$got'" ;;
	*) fail "$RUBY: layout '$got'" ;;
	esac
	[ "$got" = DWARF ] || $ORACLE frames mutex-abba-sys.oracle.json stdout || fail "$RUBY: frames differ from the oracle's"
else
	note "skipped d): no other Ruby at $RUBY"
fi

# e) damaged debug info
/usr/bin/python3 "$SRC/tests/integration/ruby-dwarf-corrupt.py" "$lib33" "$version33" "$LAYOUT" 16 "$WORK" ||
	fail "the DWARF layout reader crashed or hung on damaged debug info"
echo ok
