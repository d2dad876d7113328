#!/bin/bash
# hangsnap --timeout SECS -- CMD: the watchdog for CI. A command that ends in
# time is invisible (its exit status, no core). One that hangs is snapshotted
# with every process under it, killed, and its cores analyzed on stderr, all in
# one hanganalyze as one case; exit 124. Usage errors and commands that cannot
# run get one line and the exit codes of timeout(1). A signal to hangsnap
# reaches the command, and hangsnap's death takes the command with it.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
# keep hanganalyze's case database (once it has one) out of $HOME
export XDG_DATA_HOME=$WORK/data HANGANALYZE_DB=$WORK/cases.db

# alive PID: the process exists and is not a zombie
alive() {
	[ -e /proc/"$1" ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$1"/status 2>/dev/null
}

# wait_gone PID: the process is gone (or a zombie) within 3 s
wait_gone() {
	for _ in $(seq 30); do
		alive "$1" || return 0
		sleep 0.1
	done
	fail "process $1 ($(cat /proc/"$1"/comm 2>/dev/null)) is still running"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# one_line FILE: FILE holds exactly one line
one_line() {
	[ "$(wc -l <"$1")" = 1 ] || {
		cat "$1" >&2
		fail "expected one line in $1"
	}
}

# no_cores: nothing was written to the current directory (the default for cores)
no_cores() {
	! ls core.* >/dev/null 2>&1 || fail "a core was left: $(ls core.*)"
}

# child_of PID: the pid of PID's child, waiting for it 3 s at most
child_of() {
	local c
	for _ in $(seq 30); do
		c=$(pgrep -P "$1" | head -1)
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.1
	done
	fail "process $1 has no child"
}

# --- 1. a command that ends in time: its exit status, nothing else ---------
t0=$(now_ms)
expect_exit 0 "$HANGSNAP" --timeout 5 -- true
[ $(($(now_ms) - t0)) -lt 2000 ] || fail "'--timeout 5 -- true' took $(($(now_ms) - t0)) ms"
[ ! -s "$WORK/stderr" ] || fail "hangsnap said something about a command that ended in time: $(cat "$WORK/stderr")"
expect_exit 3 "$HANGSNAP" --timeout 5 -- sh -c 'exit 3'
expect_exit 137 "$HANGSNAP" --timeout 5 -- sh -c 'kill -9 $$'
# argv as given, never through a shell; stdout is CMD's own
expect_exit 0 "$HANGSNAP" --timeout 5 -- printf '%s|' 'a b' '$HOME' '*' ';'
[ "$(cat "$WORK/stdout")" = 'a b|$HOME|*|;|' ] || fail "CMD's arguments were changed: '$(cat "$WORK/stdout")'"
# fractional seconds
t0=$(now_ms)
expect_exit 0 "$HANGSNAP" --timeout 0.5 -- sleep 0.1
no_cores

# --- 2. a hang: sh running lock-cycle, snapshotted, killed, analyzed -------
t0=$(now_ms)
expect_exit 124 "$HANGSNAP" --timeout 1 -o "$WORK/hang/cores" --db "$WORK/hang.db" -- sh -c '"$0"; echo not reached' "$SAMPLES/lock-cycle"
elapsed=$(($(now_ms) - t0))
[ "$elapsed" -lt 20000 ] || fail "the hang took $elapsed ms to handle"
cp "$WORK/stderr" hang.err
sample=$(awk '/^ready/ {print $2; exit}' "$WORK/stdout")
[ -n "$sample" ] || fail "lock-cycle did not become ready within the timeout: $(cat "$WORK/stdout")"
STARTED_PIDS="$STARTED_PIDS $sample"
shell=$(sed -n "s/^hangsnap: 'sh -c .*' did not exit within 1 s: snapshotting pid \([0-9]*\) and 1 descendant$/\1/p" hang.err)
[ -n "$shell" ] || { cat hang.err >&2; fail "no 'did not exit within 1 s: snapshotting pid N and 1 descendant' line"; }
STARTED_PIDS="$STARTED_PIDS $shell"
note "sh $shell, lock-cycle $sample, handled in $elapsed ms"
# one core per process, under the default names
[ "$(ls hang/cores | wc -l)" = 2 ] || fail "expected 2 cores, got: $(ls hang/cores)"
shell_core=$(ls "$WORK"/hang/cores/core."$shell".*.hang.zst) || fail "no core of the shell"
sample_core=$(ls "$WORK"/hang/cores/core."$sample".*.hang.zst) || fail "no core of lock-cycle"
expect_grep "^hangsnap: pid $shell (sh): 1 threads, .* written to '$shell_core', stopped" hang.err
expect_grep "^hangsnap: pid $sample (lock-cycle): 3 threads, .* written to '$sample_core', stopped" hang.err
expect_grep "^hangsnap: killed 'sh -c .*' (pid $shell) and 1 descendant$" hang.err
# the steps in order: snapshot each process, kill, then analyze all the cores at once
sed -n -e 's/^hangsnap: .* did not exit within .*/timeout/p' -e 's/^hangsnap: pid \([0-9]*\) .*/snapshot \1/p' \
	-e 's/^hangsnap: killed .*/killed/p' -e 's/^hangsnap: analyzing .*/analyze/p' hang.err >steps
printf '%s\n' timeout "snapshot $shell" "snapshot $sample" killed analyze >steps.want
diff -u steps.want steps || fail "the steps are not in order"
# one hanganalyze for both cores, as one case
expect_grep "^hangsnap: analyzing 2 cores as one case: '$shell_core' '$sample_core'$" hang.err
# the analyzer's report went to stderr, stdout has nothing of it: one case,
# the shell's wait for the deadlocked sample first
expect_grep "\[critical\] child-wait: sh ($shell) waits in wait4() for child $sample (lock-cycle), where " hang.err
expect_grep "\[critical\] lock-cycle: deadlock of 2 threads" hang.err
expect_grep "^process   $shell sh" hang.err
expect_grep "^  $sample lock-cycle, child of $shell, 3 threads" hang.err
grep -q findings: "$WORK/stdout" && fail "the analysis went to stdout"
[ -s "$WORK/hang.db" ] || fail "--db was not passed on to hanganalyze"
# nothing is left running
wait_gone "$shell"
wait_gone "$sample"
# the core stands on its own
expect_exit 0 "$HANGANALYZE" "$sample_core"
expect_grep "lock-cycle: deadlock of 2 threads" "$WORK/stdout"

# --- 3. which hanganalyze, and what it is given -----------------------------
# a copy of hangsnap with a fake hanganalyze beside it that prints its argv
mkdir bin lonely
cp "$HANGSNAP" bin/hangsnap
cp "$HANGSNAP" lonely/hangsnap
printf '#!/bin/sh\necho "fake-hanganalyze $*"\n' >bin/hanganalyze
chmod +x bin/hanganalyze
expect_exit 124 bin/hangsnap --timeout 0.3 --interval 0 --db "$WORK/x.db" -o "$WORK/fake1" -- sleep 30
expect_grep "^fake-hanganalyze --db $WORK/x.db $WORK/fake1/core\.[0-9]*\.[0-9]*\.hang\.zst$" "$WORK/stderr"
[ ! -s "$WORK/stdout" ] || fail "the analyzer's report went to stdout"
expect_exit 124 bin/hangsnap --timeout 0.3 --interval 0 --no-db -o "$WORK/fake2" -- sleep 30
expect_grep "^fake-hanganalyze --no-db $WORK/fake2/core\." "$WORK/stderr"
expect_exit 124 bin/hangsnap --timeout 0.3 --interval 0 --compress=none -o "$WORK/fake3/" -- sleep 30
expect_grep "^fake-hanganalyze $WORK/fake3/core\.[0-9]*\.[0-9]*\.hang$" "$WORK/stderr"
# none beside it: the one in PATH
expect_exit 124 env PATH="$WORK/bin:/usr/bin:/bin" lonely/hangsnap --timeout 0.3 --interval 0 -o fake4 -- sleep 30
expect_grep "^fake-hanganalyze fake4/core\." "$WORK/stderr"
# none at all: one line, and the core stays
if PATH=/usr/bin:/bin command -v hanganalyze >/dev/null; then
	note "skipping the no-analyzer check: hanganalyze is installed in /usr/bin or /bin"
else
	expect_exit 124 env PATH=/usr/bin:/bin lonely/hangsnap --timeout 0.3 --interval 0 -o lonely/cores -- sleep 30
	expect_grep "^hangsnap: cannot analyze the cores: 'hanganalyze' is neither next to hangsnap (in '$WORK/lonely') nor in PATH$" "$WORK/stderr"
	[ "$(grep -c 'cannot analyze' "$WORK/stderr")" = 1 ] || fail "said more than once that there is no analyzer"
	[ "$(ls lonely/cores | wc -l)" = 1 ] || fail "the core was not left: $(ls lonely/cores)"
fi

# at most 64 processes are snapshotted, every one is killed
expect_exit 124 bin/hangsnap --timeout 1 --interval 0 -o many -- sh -c 'for i in $(seq 70); do sleep 61.25 & done; wait'
expect_grep "did not exit within 1 s: snapshotting pid [0-9]* and 63 descendants (not the other 7: at most 64 processes)$" "$WORK/stderr"
[ "$(ls many | wc -l)" = 64 ] || fail "expected 64 cores, got $(ls many | wc -l)"
expect_grep "^hangsnap: killed 'sh -c .*' (pid [0-9]*) and 70 descendants$" "$WORK/stderr"
[ "$(grep -c '^fake-hanganalyze' "$WORK/stderr")" = 1 ] || fail "hanganalyze was not run once"
[ "$(grep '^fake-hanganalyze' "$WORK/stderr" | tr ' ' '\n' | grep -c '^many/core\.')" = 64 ] ||
	fail "not every core was given to hanganalyze: $(grep '^fake-hanganalyze' "$WORK/stderr")"
sleep 0.2
! pgrep -f '^sleep 61\.25$' >/dev/null || fail "processes of the command survived: $(pgrep -af '^sleep 61\.25$')"
rm -rf many fake*

# --- 4. bad usage: one line, exit 2, nothing run -----------------------------
check_usage() {
	local want=$1
	shift
	expect_exit 2 "$HANGSNAP" "$@"
	expect_grep "$want" "$WORK/stderr"
	one_line "$WORK/stderr"
	[ ! -e "$WORK/ran" ] || fail "'hangsnap $*' ran the command"
}
check_usage "invalid --timeout '0' (expected seconds greater than 0" --timeout 0 -- touch "$WORK/ran"
check_usage "invalid --timeout '0.0'" --timeout 0.0 -- touch "$WORK/ran"
check_usage "invalid --timeout 'abc'" --timeout abc -- touch "$WORK/ran"
check_usage "invalid --timeout '-5'" --timeout -5 -- touch "$WORK/ran"
check_usage "invalid --timeout '1e3'" --timeout 1e3 -- touch "$WORK/ran"
check_usage "invalid --timeout '5s'" --timeout 5s -- touch "$WORK/ran"
check_usage "invalid --timeout ''" --timeout '' -- touch "$WORK/ran"
check_usage "error: --timeout runs a command given after '--'" --timeout 5 touch "$WORK/ran"
check_usage "error: --timeout runs a command given after '--'" --timeout 5
check_usage "error: --timeout runs a command given after '--'" --timeout 5 -o -- touch "$WORK/ran"
check_usage "error: no command given after '--'" --timeout 5 --
check_usage "--plain-copy names one file and cannot be used with --timeout" --timeout 5 --plain-copy x -- touch "$WORK/ran"
check_usage "'--db' is only used with --analyze or --timeout" --db x.db 1
check_usage "'--no-db' is only used with --analyze or --timeout" --no-db 1
touch afile
check_usage "'afile' is not a directory (with --timeout, -o names the directory for the cores)" --timeout 5 -o afile -- touch "$WORK/ran"
expect_exit 0 "$HANGSNAP" --help
expect_grep "hangsnap --timeout SECS" "$WORK/stdout"
expect_grep "124 CMD" "$WORK/stdout"

# --- 5. a command that cannot be run: 127 not found, 126 not runnable -------
expect_exit 127 "$HANGSNAP" --timeout 5 -- "$WORK/no-such-command"
expect_grep "^hangsnap: error: cannot run '$WORK/no-such-command': No such file or directory$" "$WORK/stderr"
one_line "$WORK/stderr"
expect_exit 127 "$HANGSNAP" --timeout 5 -- no-such-command-in-path
expect_grep "cannot run 'no-such-command-in-path': No such file or directory" "$WORK/stderr"
expect_exit 126 "$HANGSNAP" --timeout 5 -- "$WORK"
expect_grep "cannot run '$WORK': Permission denied" "$WORK/stderr"
no_cores

# --- 6. signals ---------------------------------------------------------------
# start_watchdog OUT ARGS...: hangsnap ARGS in the background (HS), its
# command's "ready PID" line awaited (CMD_PID)
start_watchdog() {
	local out=$1
	shift
	"$HANGSNAP" "$@" >"$out" 2>"$out.err" &
	HS=$!
	STARTED_PIDS="$STARTED_PIDS $HS"
	for _ in $(seq 100); do
		CMD_PID=$(awk '/^ready/ {print $2; exit}' "$out")
		[ -n "$CMD_PID" ] && { STARTED_PIDS="$STARTED_PIDS $CMD_PID"; return 0; }
		sleep 0.1
	done
	fail "the command of 'hangsnap $*' did not start"
}

# SIGTERM is passed on; hangsnap exits as the command did (128+15)
start_watchdog sig1.out --timeout 60 -- sh -c 'echo "ready $$"; exec sleep 60'
kill -TERM "$HS"
rc=0 && wait "$HS" || rc=$?
[ "$rc" = 143 ] || fail "hangsnap exited $rc after SIGTERM, expected 143"
wait_gone "$CMD_PID"
[ ! -s sig1.out.err ] || fail "unexpected messages: $(cat sig1.out.err)"

# SIGHUP likewise
start_watchdog sig2.out --timeout 60 -- sh -c 'echo "ready $$"; exec sleep 60'
kill -HUP "$HS"
rc=0 && wait "$HS" || rc=$?
[ "$rc" = 129 ] || fail "hangsnap exited $rc after SIGHUP, expected 129"
wait_gone "$CMD_PID"

# a command that ignores SIGTERM is killed, with its child, 2 s later
start_watchdog sig3.out --timeout 60 -- sh -c 'trap "" TERM; echo "ready $$"; sleep 60; echo survived'
child=$(child_of "$CMD_PID")
t0=$(now_ms)
kill -TERM "$HS"
rc=0 && wait "$HS" || rc=$?
elapsed=$(($(now_ms) - t0))
[ "$rc" = 143 ] || fail "hangsnap exited $rc, expected 143"
[ "$elapsed" -ge 1800 ] && [ "$elapsed" -lt 6000 ] || fail "the command was killed after $elapsed ms, expected 2 s"
expect_grep "^hangsnap: 'sh -c trap .*' did not exit within 2 s of SIGTERM$" sig3.out.err
expect_grep "^hangsnap: killed 'sh -c trap .*' (pid $CMD_PID)$" sig3.out.err
wait_gone "$CMD_PID"
wait_gone "$child"
grep -q survived sig3.out && fail "the command ran on"

# a second signal does not wait
start_watchdog sig4.out --timeout 60 -- sh -c 'trap "" TERM; echo "ready $$"; sleep 60'
t0=$(now_ms)
kill -TERM "$HS"
sleep 0.2
kill -TERM "$HS"
rc=0 && wait "$HS" || rc=$?
[ $(($(now_ms) - t0)) -lt 1500 ] || fail "a second SIGTERM did not stop hangsnap at once"
[ "$rc" = 143 ] || fail "hangsnap exited $rc, expected 143"
wait_gone "$CMD_PID"

# hangsnap SIGKILLed: the command dies with it (PR_SET_PDEATHSIG)
start_watchdog sig5.out --timeout 60 -- sh -c 'echo "ready $$"; exec sleep 60'
kill -KILL "$HS"
wait "$HS" 2>/dev/null
wait_gone "$CMD_PID"

# a child hangsnap had before it ran the command is not the command's
sh -c 'sleep 60 & echo "ready $!" >"$1"; exec "$2" --timeout 0.3 --interval 0 -o "$3" -- sleep 30' \
	sh "$WORK/bg.out" "$WORK/bin/hangsnap" "$WORK/bg" >/dev/null 2>"$WORK/bg.err" || true
bg=$(awk '{print $2}' bg.out)
STARTED_PIDS="$STARTED_PIDS $bg"
alive "$bg" || fail "hangsnap killed a process that was not the command's"
[ "$(ls bg | wc -l)" = 1 ] || fail "expected the core of sleep 30 only, got: $(ls bg)"
expect_grep "snapshotting pid [0-9]*$" bg.err
kill "$bg"
echo "ok"
