#!/bin/bash
# Cores from elsewhere, made here from one process: gdb's gcore, the kernel
# (core limit raised, kill -ABRT), and the kernel's core compressed as one
# zstd stream the way systemd-coredump stores it. hanganalyze must find the
# same threads with the same top frames as in hangsnap's core of that process,
# and say which evidence such cores lack.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# top_frames JSON: "tid f0 f1 f2" per thread, sorted by tid (physical frames only)
top_frames() {
	json_query "$1" 'sorted("%d %s" % (t["tid"], " ".join(str(f["function"]) for f in [f for f in t["frames"] if not f["inlined"]][:3])) for t in d["threads"])'
}

# the kernel writes "core" (or core.PID) into the process's cwd when core_pattern is a plain name
pattern=$(cat /proc/sys/kernel/core_pattern)
restore_pattern=
case $pattern in
'|'* | */*)
	# a pipe (systemd-coredump, apport) or another directory: use the cwd for this test only
	echo core >/proc/sys/kernel/core_pattern 2>/dev/null || fail "core_pattern is '$pattern' and cannot be changed (need root)"
	restore_pattern=$pattern
	;;
esac
trap '[ -n "$restore_pattern" ] && echo "$restore_pattern" >/proc/sys/kernel/core_pattern; cleanup' EXIT

mkdir kcore
(cd kcore && ulimit -c unlimited && exec "$PROGS/harm-target" --status "$WORK/status") >"$WORK/t.out" 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
for _ in $(seq 100); do grep -q '^ready' "$WORK/t.out" && break; sleep 0.1; done
pid=$(awk '/^ready/ {print $2}' "$WORK/t.out")
[ -n "$pid" ] || fail "harm-target did not start"

expect_exit 0 "$HANGSNAP" -q -o hs.core --compress=none "$pid"
gcore -o gcore "$pid" >gcore.log 2>&1 || { cat gcore.log >&2; fail "gcore failed"; }
kill -ABRT "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
sleep 0.5
kcore=$(ls kcore/core* 2>/dev/null | head -n1)
[ -n "$kcore" ] || fail "the kernel wrote no core into kcore/ (core_pattern '$(cat /proc/sys/kernel/core_pattern)')"
zstd -q -19 "$kcore" -o kernel.core.zst

expect_exit 0 "$HANGANALYZE" --format=json hs.core
cp "$WORK/stdout" hs.json
top_frames hs.json >hs.frames
[ "$(wc -l <hs.frames)" = 8 ] || fail "hangsnap core: not 8 threads"

for core in "gcore.$pid" "$kcore" kernel.core.zst; do
	expect_exit 0 "$HANGANALYZE" --format=json "$core"
	cp "$WORK/stdout" other.json
	validate_json other.json
	top_frames other.json >other.frames
	diff -u hs.frames other.frames || fail "$core: threads or top frames differ from hangsnap's core"
	[ "$(json_query other.json 'd["core"]["producer"]')" = unknown ] || fail "$core: producer is not 'unknown'"
	[ "$(json_query other.json 'd["process"]["pid"]')" = "$pid" ] || fail "$core: wrong pid"
	json_query other.json 'd["missing"]' | grep -q "no HANGSNAP notes" || fail "$core: does not say HANGSNAP evidence is missing"
	# system calls come from the registers alone
	[ "$(json_query other.json 'sorted({t["syscall"]["name"] for t in d["threads"]})')" = \
		"$(json_query hs.json 'sorted({t["syscall"]["name"] for t in d["threads"]})')" ] || fail "$core: other syscalls"
done
[ "$(json_query other.json 'd["core"]["format"]')" = zstd ] || fail "kernel.core.zst not read as a zstd stream"

# a zstd stream of several frames: each core cut in two, each half compressed
# on its own, the two concatenated (`zstd -T`, or a producer that flushes
# frames): the whole core is read, the analysis is the plain core's
for core in hs.core "$kcore"; do
	size=$(stat -c %s "$core")
	head -c $((size / 2)) "$core" >half1
	tail -c +$((size / 2 + 1)) "$core" >half2
	rm -f half1.zst half2.zst
	zstd -q half1 && zstd -q half2 || fail "zstd failed"
	cat half1.zst half2.zst >split.core.zst
	expect_exit 0 "$HANGANALYZE" --format=json "$core"
	grep -v -e '"path":' -e '"format":' "$WORK/stdout" >plain.json
	expect_exit 0 "$HANGANALYZE" --format=json split.core.zst
	grep -v -e '"path":' -e '"format":' "$WORK/stdout" >split.json
	diff -u plain.json split.json || fail "$core in two zstd frames: the analysis differs from the plain core's"
done

expect_exit 0 "$HANGANALYZE" "$kcore"
expect_grep "^missing evidence:" "$WORK/stdout"
expect_grep "^  in rt_sigtimedwait(\[USR2\], NULL, NULL, 8)$" "$WORK/stdout"
expect_grep "^process   $pid harm-target $PROGS/harm-target$" "$WORK/stdout"
echo ok
