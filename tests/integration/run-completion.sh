#!/bin/bash
# Completion from the case database: 'hanganalyze show <TAB>' offers the
# signatures and case ids of the database named with --db, 'triage <TAB>'
# the signatures; with no database, nothing and no error on the terminal.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
command -v bash >/dev/null || exit 77

start_target sample.out "$SAMPLES/join-connect-stall"
expect_exit 0 "$HANGSNAP" -q -o core.hang.zst "$TARGET_PID"
expect_exit 0 "$HANGANALYZE" -q --db "$WORK/c.db" core.hang.zst
sig=$("$HANGANALYZE" queue --all --format=json --db "$WORK/c.db" | sed -n 's/^ *"signature": "\([0-9a-f]*\)".*/\1/p')
[ -n "$sig" ] || fail "no signature in the queue"

# complete LINE: what the hanganalyze completion offers for the last word of LINE
complete_line() {
	bash -c '
		compopt() { :; }
		. "$1"
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$2 COMP_POINT=${#2}
		_hanganalyze
		((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}"
	' complete "$SRC/completions/hanganalyze.bash" "$1"
}

complete_line "$HANGANALYZE --db $WORK/c.db show " >show.out 2>show.err
expect_grep "^$sig$" show.out "the signature offered for show"
expect_grep "^1$" show.out "the case id offered for show"
[ -s show.err ] && { cat show.err >&2; fail "completion wrote to stderr"; }
complete_line "$HANGANALYZE --db $WORK/c.db triage ${sig:0:3}" >triage.out
expect_grep "^$sig$" triage.out "the signature offered for triage"
grep -q "^1$" triage.out && fail "triage offered a case id"
complete_line "$HANGANALYZE --db $WORK/none.db show " >none.out 2>none.err
[ -s none.out ] && fail "completion offered words from no database: $(cat none.out)"
[ -s none.err ] && { cat none.err >&2; fail "completion wrote to stderr with no database"; }
[ -e "$WORK/none.db" ] && fail "completion created a database"
echo PASS
