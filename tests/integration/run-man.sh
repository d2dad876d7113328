#!/bin/bash
# The man pages render without a warning, and say what the commands say:
# every long option that 'hangsnap --help', 'hanganalyze --help' and each
# 'hanganalyze SUBCOMMAND --help' prints is documented under OPTIONS in the
# page (in the subcommand's own subsection), and every option documented
# there is one that --help prints. The bash completions offer the same options.
# Needs no live process.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
MAN=$SRC/docs/man
command -v man >/dev/null || fail "man is not installed (man-db, groff-base: scripts/deps.sh)"

# --- rendering ---
for page in "$MAN"/hangsnap.1 "$MAN"/hanganalyze.1 "$MAN"/hanganalyze-rules.5 "$MAN"/hanganalyze-json.5; do
	MANWIDTH=80 man --warnings -l "$page" >"$WORK/rendered" 2>"$WORK/warnings" || fail "man -l '$page' failed"
	[ ! -s "$WORK/warnings" ] || { cat "$WORK/warnings" >&2; fail "'$page' renders with warnings"; }
	grep -q "^NAME" "$WORK/rendered" || fail "'$page' renders without a NAME section"
done

# --- options: man page against --help ---
"$HANGSNAP" --help >hangsnap.help || fail "hangsnap --help failed"
"$HANGANALYZE" --help >hanganalyze.help || fail "hanganalyze --help failed"
args=()
for sub in analyze queue show triage check push copy schema bundle; do
	"$HANGANALYZE" "$sub" --help >"$sub.help" || fail "hanganalyze $sub --help failed"
	args+=("$sub options" exact "$sub.help")
done
cmp -s hanganalyze.help analyze.help || fail "'hanganalyze --help' is not 'hanganalyze analyze --help'"
python3 "$SRC/tests/integration/man-options.py" "$MAN/hangsnap.1" - exact hangsnap.help ||
	fail "hangsnap.1 and 'hangsnap --help' disagree"
# the global options are analyze's too: documented twice, printed once
python3 "$SRC/tests/integration/man-options.py" "$MAN/hanganalyze.1" "Global options" subset hanganalyze.help "${args[@]}" ||
	fail "hanganalyze.1 and 'hanganalyze [SUBCOMMAND] --help' disagree"

# the comparison itself can fail: an option the help gained, one the page invented
sed 's/--stats/--stats --frobnicate/' analyze.help >grown.help
expect_exit 1 python3 "$SRC/tests/integration/man-options.py" "$MAN/hanganalyze.1" "analyze options" exact grown.help
expect_grep "prints --frobnicate, which 'analyze options' does not document" "$WORK/stdout"
grep -v -- '--no-inline' analyze.help >shrunk.help
expect_exit 1 python3 "$SRC/tests/integration/man-options.py" "$MAN/hanganalyze.1" "analyze options" exact shrunk.help
expect_grep "documents --no-inline, which shrunk.help does not print" "$WORK/stdout"

# --- bash completion: the long options it offers after '-' ---
complete_options() {
	# complete_options FILE WORD...: the long options offered for "WORD... -"
	bash -c '. "$1"; shift; COMP_WORDS=("$@" -); COMP_CWORD=$#; COMPREPLY=()
		_${COMP_WORDS[0]}; printf "%s\n" "${COMPREPLY[@]}"' _ "$@" | grep -- '^--.' | sed 's/=$//' | sort -u
}
help_options() {
	grep -o -- '--[a-z][a-z0-9-]*' "$1" | sort -u
}
diff -u <(help_options hangsnap.help) <(complete_options "$SRC/completions/hangsnap.bash" hangsnap) ||
	fail "hangsnap's completion and --help disagree"
diff -u <(help_options hanganalyze.help) <(complete_options "$SRC/completions/hanganalyze.bash" hanganalyze) ||
	fail "hanganalyze's completion and --help disagree"
for sub in analyze queue show triage check push copy schema bundle; do
	help_options "$sub.help" | grep -v -- '^--version$' >want || true
	[ "$sub" = analyze ] && help_options "$sub.help" >want
	diff -u want <(complete_options "$SRC/completions/hanganalyze.bash" hanganalyze "$sub") ||
		fail "hanganalyze $sub: its completion and --help disagree"
done
# values
[ "$(bash -c '. "$1"; COMP_WORDS=(hanganalyze check --format = ""); COMP_CWORD=4; _hanganalyze; echo "${COMPREPLY[*]}"' _ \
	"$SRC/completions/hanganalyze.bash")" = "text junit" ] || fail "check --format= does not complete to text junit"
[ "$(bash -c '. "$1"; COMP_WORDS=(hangsnap --compress=); COMP_CWORD=1; _hangsnap; echo "${COMPREPLY[*]}"' _ \
	"$SRC/completions/hangsnap.bash")" = "zstd none" ] || fail "--compress= does not complete to zstd none"
bash -c '. "$1"; COMP_WORDS=(hangsnap -q ""); COMP_CWORD=2; _hangsnap; printf "%s\n" "${COMPREPLY[@]}"' _ \
	"$SRC/completions/hangsnap.bash" | grep -qx "$$" || fail "hangsnap does not complete pids"
echo "PASS"
