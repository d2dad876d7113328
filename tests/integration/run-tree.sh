#!/bin/bash
# hangsnap --tree PID: a supervisor (samples/supervise) and its worker
# (join-connect-stall) snapshotted as one tree into a directory: one core
# per process, mode 0600, and a tree.manifest that lists the supervisor (its
# parent: this shell) then the worker (its parent: the supervisor) with the
# start times of /proc/PID/stat; both run on afterwards. A process without
# children is a tree of 1; a directory that holds a tree is refused (exit 8)
# unless -f; at most 64 processes. And the core writer's layout: no two PT_LOAD segments of a
# hangsnap core overlap — for the tree's cores, a C process, and (when
# installed) a Ruby and a Python process.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK" || exit 1
export XDG_DATA_HOME=$WORK/data

# assert_loads_disjoint CORE: no two PT_LOAD segments of the (plain) ELF core
# CORE overlap in the address space
assert_loads_disjoint() {
	/usr/bin/python3 - "$1" <<'PY' || fail "'$1' has overlapping PT_LOAD segments"
import struct, sys
f = open(sys.argv[1], 'rb')
ehdr = f.read(64)
assert ehdr[:4] == b'\x7fELF' and ehdr[4] == 2, 'not an ELF64 file'
phoff, = struct.unpack_from('<Q', ehdr, 32)
phentsize, phnum = struct.unpack_from('<HH', ehdr, 54)
if phnum == 0xffff:  # PN_XNUM: the count is in section header 0's sh_info
    shoff, = struct.unpack_from('<Q', ehdr, 40)
    f.seek(shoff)
    phnum, = struct.unpack_from('<I', f.read(64), 44)
f.seek(phoff)
loads = []
for i in range(phnum):
    p_type, _, _, vaddr, _, _, memsz, _ = struct.unpack('<IIQQQQQQ', f.read(phentsize)[:56])
    if p_type == 1 and memsz:
        loads.append((vaddr, vaddr + memsz))
loads.sort()
bad = [(a, b) for a, b in zip(loads, loads[1:]) if b[0] < a[1]]
for a, b in bad[:5]:
    print('overlap: [%#x, %#x) and [%#x, %#x)' % (a + b), file=sys.stderr)
if not bad:
    print('# %s: %d PT_LOAD segments, none overlapping' % (sys.argv[1], len(loads)))
sys.exit(1 if bad or not loads else 0)
PY
}

# start_ns PID: the process's start in ns since boot, from /proc/PID/stat
start_ns() {
	local ticks
	ticks=$(sed 's/.*) //' /proc/"$1"/stat | cut -d' ' -f20)
	echo $((ticks * 1000000000 / $(getconf CLK_TCK)))
}

# --- 1. supervise join-connect-stall: a tree of 2 ----------------------------
"$SAMPLES/supervise" join-connect-stall >sup.out 2>&1 &
sup=$!
STARTED_PIDS="$STARTED_PIDS $sup"
for _ in $(seq 100); do
	grep -q 'rule=child-wait' sup.out && grep -q 'rule=join-on-blocked' sup.out && break
	sleep 0.1
done
grep -q 'rule=join-on-blocked' sup.out && grep -q 'rule=child-wait' sup.out ||
	{ cat sup.out >&2; fail "supervise join-connect-stall did not become ready"; }
worker=$(awk '/rule=join-on-blocked/ {print $2; exit}' sup.out)
STARTED_PIDS="$STARTED_PIDS $worker"
expect_grep "^ready $sup rule=child-wait tids=$sup child=$worker$" sup.out
note "supervisor $sup, worker $worker"

expect_exit 0 "$HANGSNAP" --tree --interval 0 -o tree --compress=none "$sup"
cp "$WORK/stderr" tree.err
expect_grep "^hangsnap: pid $sup (supervise): 1 threads, .* written to 'tree/core\.$sup\.[0-9]*\.hang', stopped" tree.err
expect_grep "^hangsnap: pid $worker (join-connect-st): 2 threads, .* written to 'tree/core\.$worker\.[0-9]*\.hang', stopped" tree.err
expect_grep "^hangsnap: wrote tree of 2 processes to 'tree'$" tree.err
[ "$(ls tree | grep -c '^core\.')" = 2 ] || fail "expected 2 cores, got: $(ls tree)"
sup_core=$(cd tree && ls core."$sup".*.hang) || fail "no core of the supervisor"
worker_core=$(cd tree && ls core."$worker".*.hang) || fail "no core of the worker"
cat >manifest.want <<WANT
hangsnap-tree 1
# process PID PPID START(ns since boot) CORE
process $sup $$ $(start_ns "$sup") $sup_core
process $worker $sup $(start_ns "$worker") $worker_core
WANT
diff -u manifest.want tree/tree.manifest || fail "tree.manifest is not as expected"
[ "$(stat -c %a tree)" = 700 ] || fail "the directory is mode $(stat -c %a tree), not 0700"
for f in tree/*; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "'$f' is mode $(stat -c %a "$f"), not 0600"
done
[ -z "$(ls -A tree | grep -v -e '^core\.' -e '^tree\.manifest$')" ] || fail "stray files in the tree: $(ls -A tree)"
assert_loads_disjoint "tree/$sup_core"
assert_loads_disjoint "tree/$worker_core"
# both run on, untraced, where they were
kill -0 "$sup" && kill -0 "$worker" || fail "a process of the tree is gone"
assert_untraced "$sup"
assert_untraced "$worker"
[ "$(cut -d' ' -f1 /proc/"$sup"/syscall)" = 61 ] || fail "the supervisor left wait4"

# a directory that holds a tree is refused, untouched; -f replaces the tree
cp tree/tree.manifest manifest.before
expect_exit 8 "$HANGSNAP" --tree --interval 0 -o tree --compress=none "$sup"
expect_grep "^hangsnap: error: 'tree' already holds a tree ('tree/tree.manifest'; use --force to replace it)$" "$WORK/stderr"
grep -q '^hangsnap: pid' "$WORK/stderr" && fail "snapshotted into a directory that holds a tree"
cmp -s manifest.before tree/tree.manifest || fail "the refused run changed tree.manifest"
expect_exit 0 "$HANGSNAP" --tree -f -q --interval 0 -o tree "$sup"
[ ! -s "$WORK/stderr" ] || fail "-q printed: $(cat "$WORK/stderr")"
grep -q "^process $worker $sup [0-9]* core\.$worker\.[0-9]*\.hang\.zst$" tree/tree.manifest ||
	fail "-f did not write the new tree: $(cat tree/tree.manifest)"
[ "$(grep -c '^process ' tree/tree.manifest)" = 2 ] || fail "the new tree does not list 2 processes"

# the default directory: tree.PID.TIME here
mkdir here
(cd here && "$HANGSNAP" --tree -q --interval 0 "$sup") || fail "--tree without -o failed"
dir=$(ls -d here/tree."$sup".* 2>/dev/null) || fail "no tree.$sup.TIME directory: $(ls here)"
[ "$(stat -c %a "$dir")" = 700 ] || fail "'$dir' is mode $(stat -c %a "$dir"), not 0700"
[ -f "$dir/tree.manifest" ] || fail "no manifest in '$dir'"

# --- 2. a process without children: a tree of 1 ------------------------------
sleep 61.5 &
lone=$!
STARTED_PIDS="$STARTED_PIDS $lone"
expect_exit 0 "$HANGSNAP" --tree --interval 0 -o lone --compress=none "$lone"
expect_grep "^hangsnap: wrote tree of 1 process to 'lone'$" "$WORK/stderr"
[ "$(grep -c '^process ' lone/tree.manifest)" = 1 ] || fail "expected 1 process: $(cat lone/tree.manifest)"
grep -q "^process $lone $$ $(start_ns "$lone") core\.$lone\.[0-9]*\.hang$" lone/tree.manifest ||
	fail "the lone process's line is wrong: $(cat lone/tree.manifest)"
kill -0 "$lone" || fail "the lone process is gone"

# at most 64 processes, and a word about the others
sh -c 'for i in $(seq 70); do sleep 61.25 & done; wait' &
many=$!
STARTED_PIDS="$STARTED_PIDS $many"
for _ in $(seq 50); do
	[ "$(pgrep -c -P "$many")" = 70 ] && break
	sleep 0.1
done
expect_exit 0 "$HANGSNAP" --tree -q --interval 0 -o many "$many"
expect_grep "^hangsnap: warning: the tree of pid $many has 71 processes: snapshotting the first 64, not the other 7$" "$WORK/stderr"
[ "$(grep -c '^process ' many/tree.manifest)" = 64 ] || fail "expected 64 processes in the manifest"
[ "$(ls many | grep -c '^core\.')" = 64 ] || fail "expected 64 cores, got $(ls many | grep -c '^core\.')"
grep -q "^process $many $$ " many/tree.manifest || fail "the root is not the first process of the manifest"
kill -9 "$many" $(pgrep -P "$many") 2>/dev/null
wait "$many" 2>/dev/null
rm -rf many

# --- 3. errors and usage -------------------------------------------------------
expect_exit 3 "$HANGSNAP" --tree -o gone 2147483647
expect_grep "^hangsnap: error: no process with pid 2147483647$" "$WORK/stderr"
[ ! -e gone ] || fail "a directory was made for a process that does not exist"
expect_exit 2 "$HANGSNAP" --tree --plain-copy x.core "$lone"
expect_grep "^hangsnap: error: --tree cannot be used with --plain-copy" "$WORK/stderr"
expect_exit 2 "$HANGSNAP" --tree --timeout 1 -- sleep 1
expect_grep "^hangsnap: error: --tree cannot be used with --timeout$" "$WORK/stderr"
touch notadir
expect_exit 8 "$HANGSNAP" --tree -o notadir "$lone"
expect_grep "'notadir' is not a directory" "$WORK/stderr"

# --- 4. no overlapping PT_LOADs: a C, a Ruby and a Python process ------------
expect_exit 0 "$HANGSNAP" -q --interval 0 --compress=none -o c.core "$worker"
assert_loads_disjoint c.core
# loads_of_interpreter TAG INTERPRETER SCRIPT: a snapshot of INTERPRETER SCRIPT has disjoint PT_LOADs
loads_of_interpreter() {
	local tag=$1 interp=$2 script=$3
	if [ -z "$interp" ] || [ ! -x "$interp" ]; then
		note "skipped: no $tag interpreter"
		return
	fi
	start_target "$tag.out" "$interp" "$script"
	expect_exit 0 "$HANGSNAP" -q --interval 0 --compress=none -o "$tag.core" "$TARGET_PID"
	kill -9 "$TARGET_PID"
	wait "$TARGET_PID" 2>/dev/null # reaped here: no "Killed" line from bash
	assert_loads_disjoint "$tag.core"
}
loads_of_interpreter ruby /usr/bin/ruby "$SRC/samples/ruby/mutex-abba.rb"
loads_of_interpreter python "$(ls /usr/bin/python3.11 /usr/bin/python3 2>/dev/null | head -1)" "$SRC/samples/python/rlock-abba.py"

# --- 5. the analyzer side: hanganalyze DIR, one case -------------------------
expect_exit 0 "$HANGSNAP" --tree -q --interval 0 -o analyzed "$sup"
rc=0
"$HANGANALYZE" --no-db --format=json analyzed >tree.json 2>tree.json.err || rc=$?
[ "$rc" -le 1 ] || { cat tree.json.err >&2; fail "hanganalyze --format=json DIR exited $rc"; }
[ "$(json_query tree.json 'd["findings"][0]["rule"]')" = child-wait ] ||
	fail "the top finding is not child-wait: $(json_query tree.json '[f["rule"] for f in d["findings"]]')"
json_query tree.json 'd["findings"][0]["threads"]' | grep -qx "$sup" ||
	fail "child-wait does not name the supervisor's thread $sup"
grep -q "\b$worker\b" tree.json || fail "the analysis does not mention the worker, pid $worker"
got=$(json_query tree.json 'd["findings"][0]["summary"]')
case "$got" in
"supervise ($sup) waits in wait4() for child $worker (join-connect-st), where join-connect-st ($worker) is joining out_metrics ("*"), which is stuck in connect() to 127.0.0.1:"*) ;;
*) fail "headline of the tree: $got" ;;
esac
note "tree headline: $got"
[ "$(json_query tree.json 'len(d["processes"])')" = 2 ] || fail "the case does not hold the tree's 2 processes"
# --analyze runs hanganalyze on the directory: the same case
expect_exit 0 "$HANGSNAP" --tree -q --interval 0 --analyze --no-db -o analyzed2 "$sup"
expect_grep "child-wait: supervise ($sup) waits in wait4() for child $worker" "$WORK/stdout"
echo PASS
