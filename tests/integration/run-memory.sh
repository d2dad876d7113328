#!/bin/bash
# The memory a freeze copies is the process's, byte for byte: every page of
# every anonymous mapping of an idle process (thousands of page runs, runs cut
# into several copy units, hundreds of small mappings, 24 thread stacks),
# compared with /proc/PID/mem — in the plain core, in the zstd one after
# 'zstd -d', and in a core streamed while stopped (over --memory-budget).
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
# without rseq: the kernel writes a thread's CPU number into its rseq area
# whenever it moves between CPUs, which would change the process under the
# comparison; nothing else changes in an idle process
start_target "$WORK/t.out" env GLIBC_TUNABLES=glibc.pthread.rseq=0 "$PROGS/mem-target"
pid=$TARGET_PID

expect_exit 0 "$HANGSNAP" --stats --compress=none -o plain.core "$pid"
expect_grep "phase copy" "$WORK/stderr"
expect_grep "step freeze .* ms (25 threads, [0-9]* mappings, [0-9]* page runs)" "$WORK/stderr"
runs=$(sed -n 's/.*mappings, \([0-9]*\) page runs.*/\1/p' "$WORK/stderr")
[ "$runs" -gt 1500 ] || fail "only $runs page runs: the target's layout did not come out as meant"
python3 "$SRC/tests/integration/core-memory.py" plain.core "$pid" >cmp.txt || fail "plain core: $(cat cmp.txt)"
note "plain: $(cat cmp.txt)"

expect_exit 0 "$HANGSNAP" -o z.hang.zst "$pid"
zstd -q -d z.hang.zst -o z.core
python3 "$SRC/tests/integration/core-memory.py" z.core "$pid" >cmp.txt || fail "zstd core: $(cat cmp.txt)"

expect_exit 0 "$HANGSNAP" --compress=none --memory-budget 1M -o streamed.core "$pid"
expect_grep "exceeds the memory budget" "$WORK/stderr"
python3 "$SRC/tests/integration/core-memory.py" streamed.core "$pid" >cmp.txt || fail "streamed core: $(cat cmp.txt)"
assert_untraced "$pid"
echo ok
