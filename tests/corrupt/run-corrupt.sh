#!/bin/bash
# Every malformed core in tests/corrupt/ gives exactly the result that
# expected.txt keeps for it (format: the comment at its top), in text and in
# JSON: the exit code, one line on stderr (exit 3) or none (exit 0), a report
# naming the damage (exit 0), no file left behind, and all within 20 seconds.
# Those runs use --no-db; one more run per core files it in a case database
# of the test's own: the error line is still the only line for an unreadable
# core, and a readable one is stored.
# The committed files are also what make-corrupt.py writes today.
. "${SRC:?SRC must point at the source directory}/tests/integration/test-subr.sh"
HANGANALYZE=$BUILD/hanganalyze
CORRUPT=$SRC/tests/corrupt
EXPECTED=$CORRUPT/expected.txt
PYTHON=/usr/bin/python3
TAB=$(printf '\t')

[ -x "$HANGANALYZE" ] || fail "no $HANGANALYZE: build first"

# the inputs and their expectations go together: no file without a line, no line without a file
listed=$(grep -v -e '^#' -e '^$' "$EXPECTED" | cut -f1 | sort)
present=$(cd "$CORRUPT" && ls -1 -- *.core *.zst | sort)
[ "$listed" = "$present" ] || {
	diff -u <(echo "$listed") <(echo "$present") | sed -e 's/^/  /' >&2
	fail "expected.txt (-) and the files in tests/corrupt (+) differ"
}

if [ -x "$PYTHON" ]; then
	mkdir "$WORK/gen"
	"$PYTHON" "$CORRUPT/make-corrupt.py" "$WORK/gen" || fail "make-corrupt.py failed"
	for f in $present; do
		cmp -s "$WORK/gen/$f" "$CORRUPT/$f" || fail "$f differs from what make-corrupt.py writes: rerun it"
	done
else
	note "no $PYTHON: not checking the files against make-corrupt.py"
fi

# check_json FILE MODE TEXT: FILE is one hanganalyze/1 document; for MODE
# 'warning', TEXT is in one of its warnings.
check_json() {
	[ -x "$PYTHON" ] || return 0
	"$PYTHON" - "$@" <<-'EOF' || return 1
	import json, sys
	path, mode, text = sys.argv[1:4]
	doc = json.load(open(path))
	assert doc.get("schema") == "hanganalyze/1", "schema is %r" % doc.get("schema")
	assert doc["threads"], "no threads"
	if mode == "warning" and not any(text in w for w in doc["warnings"]):
	    sys.exit("no warning with %r in %r" % (text, doc["warnings"]))
	EOF
}

# run_case FILE EXIT EXPECTED FORMAT [db]: with db, the case database is
# $WORK/db/cases.db, else --no-db.
run_case() {
	local file=$1 want=$2 expect=$3 format=$4 db=${5:-} rc=0 dir=$WORK/run tmp=$WORK/tmp
	local what="'$file' (--format=$format${db:+, stored})" mode text
	local dbopt=--no-db

	rm -rf "$dir" "$tmp"
	mkdir "$dir" "$tmp"
	cp "$CORRUPT/$file" "$dir/"
	[ -z "$db" ] || dbopt=--db=$WORK/db/cases.db
	(cd "$dir" && TMPDIR=$tmp exec timeout 20 "$HANGANALYZE" --format="$format" "$dbopt" "$file") \
		>"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
	[ "$rc" != 124 ] || fail "$what did not finish within 20 seconds"
	[ "$rc" = "$want" ] || {
		head -20 "$WORK/stderr" >&2
		fail "$what exited $rc, expected $want"
	}
	[ "$(ls -A "$dir")" = "$file" ] || fail "$what left files behind: $(ls -A "$dir" | tr '\n' ' ')"
	[ -z "$(ls -A "$tmp")" ] || fail "$what left files in TMPDIR: $(ls -A "$tmp" | tr '\n' ' ')"
	if [ -n "$db" ] && [ "$want" = 0 ]; then
		# the case was filed, and that is all stderr says
		grep -q "^hanganalyze: stored case \|^hanganalyze: this core is case " "$WORK/stderr" &&
			[ "$(wc -l <"$WORK/stderr")" = 1 ] || {
			cat "$WORK/stderr" >&2
			fail "$what: no one line saying the case was stored"
		}
		: >"$WORK/stderr"
	fi

	if [ "$want" != 0 ]; then
		[ ! -s "$WORK/stdout" ] || fail "$what printed a report as well as an error"
		[ "$(wc -l <"$WORK/stderr")" = 1 ] || {
			cat "$WORK/stderr" >&2
			fail "$what printed $(wc -l <"$WORK/stderr") lines on stderr, expected exactly one"
		}
		if [ "$expect" = "?" ]; then
			# known to be wrong (see expected.txt): only the frame of the line
			case $(cat "$WORK/stderr") in
			"hanganalyze: cannot read core '$file': "?*) ;;
			*) fail "$what: stderr is '$(cat "$WORK/stderr")'" ;;
			esac
		else
			[ "$(cat "$WORK/stderr")" = "$expect" ] || {
				echo "  expected: $expect" >&2
				echo "  got:      $(cat "$WORK/stderr")" >&2
				fail "$what: wrong error"
			}
		fi
		return
	fi

	[ ! -s "$WORK/stderr" ] || {
		cat "$WORK/stderr" >&2
		fail "$what printed on stderr"
	}
	mode=${expect%%: *} text=${expect#*: }
	case $format:$mode in
	text:warning)
		sed -n '/^warnings:$/,/^$/p' "$WORK/stdout" | grep -q -F -- "$text" || {
			cat "$WORK/stdout" >&2
			fail "$what: no warning with '$text'"
		}
		;;
	text:stdout)
		grep -q -F -- "$text" "$WORK/stdout" || {
			cat "$WORK/stdout" >&2
			fail "$what: no '$text' in the report"
		}
		;;
	json:warning | json:stdout)
		check_json "$WORK/stdout" "$mode" "$text" || fail "$what: bad JSON report"
		;;
	*) fail "expected.txt: '$expect' for $file is neither 'warning: TEXT' nor 'stdout: TEXT'" ;;
	esac
}

n=0
while IFS=$TAB read -r file want expect; do
	case $file in '' | '#'*) continue ;; esac
	[ -n "$want" ] && [ -n "$expect" ] || fail "expected.txt: malformed line for '$file'"
	for format in text json; do
		run_case "$file" "$want" "$expect" "$format"
	done
	run_case "$file" "$want" "$expect" text db
	n=$((n + 1))
done <"$EXPECTED"
[ "$n" -gt 0 ] || fail "no cases in $EXPECTED"

# the caps on decompression (formats/core_file.h): a zstd stream larger than
# HANGANALYZE_ZSTD_MAX is refused in one line, with no temporary file left
rm -rf "$WORK/tmp" && mkdir "$WORK/tmp"
rc=0
TMPDIR=$WORK/tmp HANGANALYZE_ZSTD_MAX=1M "$HANGANALYZE" --no-db "$CORRUPT/zstd-8m-core.core.zst" \
	>"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
want="hanganalyze: cannot read core '$CORRUPT/zstd-8m-core.core.zst': decompressed core exceeds 1048576 bytes (the cap; HANGANALYZE_ZSTD_MAX raises it)"
[ "$rc" = 3 ] && [ "$(cat "$WORK/stderr")" = "$want" ] || {
	cat "$WORK/stderr" >&2
	fail "zstd-8m-core.core.zst under HANGANALYZE_ZSTD_MAX=1M: exit $rc, not the cap's error"
}
[ -z "$(ls -A "$WORK/tmp")" ] || fail "the cap left files in TMPDIR"
# 16 frames of 64 MiB, a stack in each: the frame cache keeps 64 MiB of them, not 1 GiB
if [ -x "$PYTHON" ]; then
	rss=$("$PYTHON" - "$HANGANALYZE" "$CORRUPT/seekable-1g-16-threads.hang.zst" <<-'EOF'
	import resource, subprocess, sys
	subprocess.run([sys.argv[1], "--no-db", sys.argv[2]], stdout=subprocess.DEVNULL, check=True)
	print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
	EOF
	) || fail "seekable-1g-16-threads.hang.zst: hanganalyze failed"
	[ "$rss" -lt 400 ] || fail "seekable-1g-16-threads.hang.zst: hanganalyze reached $rss MiB of RSS (frame cache over its cap?)"
fi
echo "ok: $n malformed cores"
