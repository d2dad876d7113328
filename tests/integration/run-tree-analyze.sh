#!/bin/bash
# A process tree analyzed as one case (hanganalyze CORE CORE...): a shell
# supervises a worker whose shutdown joins a thread stuck in connect(). Each
# process is snapshotted on its own; given together, the cores are one case
# whose headline is the supervisor's wait for the worker, naming the
# worker's join and the connect, with one signature and a wait-for graph
# whose edges cross processes. Also a pipe across processes (a pipeline's
# reader waits for a stuck writer), the order the cores are given in not
# mattering, filing the same tree twice, and cores that are no tree.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

ppid_of() { awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$1/stat"; }

# --- supervisor → worker (wait4) -------------------------------------------
start_target "$WORK/tree.out" bash -c "\"$SAMPLES/join-connect-stall\"; exit \$?"
read -r _ worker _ _ tids _ <"$WORK/tree.out"
tids=${tids#tids=}
main_tid=${tids%,*} out_tid=${tids#*,}
sup=$(ppid_of "$worker")
[ "$(cat /proc/$sup/comm)" = bash ] || fail "the worker's parent $sup is not the bash supervisor"
expect_exit 0 "$HANGSNAP" -q -o sup.hang --compress=none "$sup"
expect_exit 0 "$HANGSNAP" -q -o worker.hang.zst "$worker"
kill -0 "$sup" && kill -0 "$worker" || fail "a process of the tree did not survive its snapshot"

expect_exit 0 "$HANGANALYZE" --no-db --format=json sup.hang worker.hang.zst
cp "$WORK/stdout" tree.json
validate_json tree.json
got=$(json_query tree.json "d['findings'][0]['rule'] + ' ' + d['findings'][0]['severity'] + ' ' + ','.join(map(str, d['findings'][0]['threads']))")
[ "$got" = "child-wait high $sup,$main_tid,$out_tid" ] || fail "top finding '$got', expected 'child-wait high $sup,$main_tid,$out_tid'"
summary=$(json_query tree.json "d['findings'][0]['summary']")
case "$summary" in
"bash ($sup) waits in wait4() for child $worker (join-connect-st), where join-connect-st ($main_tid) is joining out_metrics ($out_tid), which is stuck in connect() to 127.0.0.1:"*"(SYN_SENT) with no timeout"*) ;;
*) fail "headline: $summary" ;;
esac
note "headline: $summary"
got=$(json_query tree.json "' '.join('%d:%s' % (p['pid'], p['ppid']) for p in d['processes'])")
[ "$got" = "$sup:$(ppid_of "$sup") $worker:$sup" ] || fail "processes '$got'"
got=$(json_query tree.json "' '.join('%d/%d' % (t['tid'], t['pid']) for t in d['threads'])")
[ "$got" = "$sup/$sup $main_tid/$worker $out_tid/$worker" ] || fail "threads and their pids '$got'"
got=$(json_query tree.json "d['signature']['text']")
[ "$got" = "child-wait: connect SYN_SENT @ output_thread" ] || fail "signature '$got'"
# the edge crosses processes: bash → the worker's main thread → out_metrics
got=$(json_query tree.json "' '.join('%s>%s' % (e['from'], e['to_thread']) for e in d['waitgraph']['edges'] if e['to_thread'])")
case " $got " in *" $sup>$main_tid $main_tid>$out_tid "*) ;; *) fail "wait-for edges '$got'" ;; esac
# the worker's own child-wait-less findings are still there, after the tree's
got=$(json_query tree.json "' '.join(f['rule'] for f in d['findings'])")
[ "$got" = "child-wait join-on-blocked connect-stall" ] || fail "findings '$got'"

# the text report lists the tree and heads each process's threads
expect_exit 0 "$HANGANALYZE" --no-db worker.hang.zst sup.hang
cp "$WORK/stdout" tree.txt
expect_grep "^tree      2 processes, analyzed as one case:" tree.txt
expect_grep "^  $sup bash, the root, 1 thread, core sup.hang" tree.txt
expect_grep "^  $worker join-connect-st, child of $sup, 2 threads, core worker.hang.zst" tree.txt
expect_grep "^== process $worker join-connect-st (child of $sup) ==" tree.txt
expect_grep "^core      sup.hang (a process tree: 2 cores, " tree.txt
sed -n '/^findings:/{n;p;q}' tree.txt | grep -q "^  \[high\] child-wait: bash ($sup) waits in wait4() for child $worker" ||
	fail "text headline: $(sed -n '/^findings:/{n;p;q}' tree.txt)"
# given in the other order: the same case
expect_exit 0 "$HANGANALYZE" --no-db --format=json worker.hang.zst sup.hang
[ "$(json_query "$WORK/stdout" "d['signature']['hash']")" = "$(json_query tree.json "d['signature']['hash']")" ] ||
	fail "the order of the cores changed the signature"

# filed once: the same tree again is the same case; the worker alone is another
expect_exit 0 "$HANGANALYZE" -q sup.hang worker.hang.zst
expect_exit 0 "$HANGANALYZE" sup.hang worker.hang.zst
expect_grep "is case 1 in" "$WORK/stderr"
expect_exit 0 "$HANGANALYZE" worker.hang.zst
expect_grep "stored case 2 in" "$WORK/stderr"
expect_exit 0 "$HANGANALYZE" show 1
expect_grep "child-wait: bash ($sup) waits in wait4()" "$WORK/stdout"

# the worker alone still says what it says today
expect_exit 0 "$HANGANALYZE" --no-db --format=json worker.hang.zst
[ "$(json_query "$WORK/stdout" "d['findings'][0]['rule']")" = join-on-blocked ] || fail "the worker alone lost its finding"
kill -9 "$worker" "$sup" 2>/dev/null
wait 2>/dev/null
sup1=$sup

# --- a pipe across processes: cat reads what a stuck worker would write ------
bash -c "\"$SAMPLES/join-connect-stall\" | { read -r line; echo \"\$line\" >\"$WORK/pipe.ready\"; exec cat; }" >/dev/null 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
for _ in $(seq 100); do [ -s "$WORK/pipe.ready" ] && break; sleep 0.1; done
read -r _ worker _ <"$WORK/pipe.ready" || fail "the pipeline's worker never got ready"
sup=$(ppid_of "$worker")
reader=$(pgrep -P "$sup" -x cat) || fail "no cat in the pipeline"
for p in "$sup" "$worker" "$reader"; do expect_exit 0 "$HANGSNAP" -q -o "p$p.hang" --compress=none "$p"; done
expect_exit 0 "$HANGANALYZE" --no-db --format=json "p$sup.hang" "p$worker.hang" "p$reader.hang"
got=$(json_query "$WORK/stdout" "[f['summary'] for f in d['findings'] if f['rule'] == 'process-wait'][0]")
case "$got" in
"cat ($reader) waits in read() on a pipe whose other end pid $worker (join-connect-st) holds, where "*) ;;
*) fail "pipe: $got" ;;
esac
note "pipe: $got"
kill -9 "$worker" "$reader" "$sup" 2>/dev/null
wait 2>/dev/null

# --- a loopback connect to a listener whose process is stuck -----------------
# (two processes that are no tree: given together they are still one case)
if command -v curl >/dev/null; then
	start_target "$WORK/lst.out" "$SAMPLES/join-connect-stall"
	read -r _ worker port _ <"$WORK/lst.out"
	curl -s -o /dev/null "http://127.0.0.1:$port/" &
	client=$!
	STARTED_PIDS="$STARTED_PIDS $client"
	sleep 1.5
	expect_exit 0 "$HANGSNAP" -q -o lw.hang --compress=none "$worker"
	expect_exit 0 "$HANGSNAP" -q -o lc.hang --compress=none "$client"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json lc.hang lw.hang
	got=$(json_query "$WORK/stdout" "[f['summary'] for f in d['findings'] if f['rule'] == 'process-wait'][0]")
	case "$got" in
	"curl ($client) connects to port $port, whose listener pid $worker (join-connect-st) does not accept, where join-connect-st ($worker) is joining"*) ;;
	*) fail "listener: $got" ;;
	esac
	note "listener: $got"
	kill -9 "$worker" "$client" 2>/dev/null
	wait 2>/dev/null
else
	note "SKIP the loopback listener: no curl"
fi

# --- a file lock held by another process of the tree: an edge to its holder --
start_target "$WORK/fl.out" "$SAMPLES/file-lock-wait"
read -r _ flpid _ tids holder _ <"$WORK/fl.out"
tids=${tids#tids=} holder=${holder#holder=}
expect_exit 0 "$HANGSNAP" --tree -q --compress=none -o fltree "$flpid"
expect_exit 0 "$HANGANALYZE" --no-db --format=json fltree
got=$(json_query "$WORK/stdout" "' '.join('%s>%s' % (e['from'], e['to_thread']) for e in d['waitgraph']['edges'] if e['kind'] == 'file-lock')")
[ "$got" = "${tids%,*}>$holder ${tids#*,}>$holder" ] || fail "file-lock edges '$got', expected each waiter > $holder"
kill -9 "$flpid" 2>/dev/null
wait 2>/dev/null

# --- the same tree with a Ruby worker: the story's log forwarder ------------
if command -v ruby >/dev/null; then
	start_target "$WORK/rtree.out" bash -c "ruby \"$SRC/samples/ruby/log-forwarder/agent.rb\"; exit \$?"
	worker=$TARGET_PID
	sup=$(ppid_of "$worker")
	expect_exit 0 "$HANGSNAP" -q -o rsup.hang "$sup"
	expect_exit 0 "$HANGSNAP" -q -o rworker.hang "$worker"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json rsup.hang rworker.hang
	got=$(json_query "$WORK/stdout" "d['findings'][0]['rule'] + ': ' + d['findings'][0]['summary']")
	case "$got" in
	"child-wait: bash ($sup) waits in wait4() for child $worker (ruby), where ruby ($worker) at agent.rb:"*" in 'shutdown' (Thread#join) is joining out_metrics ("*"), which is stuck in "*" for a connect to 127.0.0.1:"*" (SYN_SENT) with no timeout"*"net/http.rb:"*" in 'connect')") ;;
	*) fail "ruby tree: $got" ;;
	esac
	got=$(json_query "$WORK/stdout" "' '.join('%s' % p['runtime'] for p in d['processes'])")
	[ "$got" = "None ruby" ] || fail "ruby tree: runtimes '$got'"
	note "ruby tree: $(json_query "$WORK/stdout" "d['findings'][0]['summary']")"
	kill -9 "$worker" "$sup" 2>/dev/null
	wait 2>/dev/null
else
	note "SKIP the Ruby worker: no ruby"
fi

# --- not one tree: repeated tids, too many cores ------------------------------
expect_exit 3 "$HANGANALYZE" --no-db sup.hang sup.hang
expect_grep "thread $sup1 is in two of the cores" "$WORK/stderr"
args=()
for i in $(seq 65); do args+=(sup.hang); done
expect_exit 2 "$HANGANALYZE" --no-db "${args[@]}"
expect_grep "more than 64 cores given" "$WORK/stderr"
mkdir emptydir
expect_exit 3 "$HANGANALYZE" --no-db emptydir
expect_grep "is a directory without a tree.manifest" "$WORK/stderr"
exit 0
