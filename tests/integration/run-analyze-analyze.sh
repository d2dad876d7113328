#!/bin/bash
# hanganalyze on hangsnap cores of real processes: every thread, its decoded
# system call and its symbolized stack, the same from the plain and the zstd
# core; the JSON document matches its schema; identical stacks are grouped;
# a compressed core is read without decompressing most of it.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# --- harm-target: one thread per kind of blocking call ---
start_target "$WORK/t.out" "$PROGS/harm-target" --status "$WORK/status" --heap-mib 48
pid=$TARGET_PID
expect_exit 0 "$HANGSNAP" -q -o t.hang.zst --plain-copy t.core "$pid"

expect_exit 0 "$HANGANALYZE" t.core
cp "$WORK/stdout" plain.txt
expect_exit 0 "$HANGANALYZE" --stats t.hang.zst
cp "$WORK/stdout" zstd.txt
# the same report from both, but for the line naming the core
diff -u <(grep -v '^core ' plain.txt) <(grep -v '^core ' zstd.txt) || fail "plain and zstd cores give different reports"
expect_grep "^core      t.core (hangsnap, plain, " plain.txt
expect_grep "^core      t.hang.zst (hangsnap, zstd-seekable, " zstd.txt
expect_grep "^process   $pid harm-target $PROGS/harm-target$" plain.txt
expect_grep "^threads   8 (8 distinct stacks)$" plain.txt

# each thread: its name, the call it blocks in (decoded), and its own function in the stack
expect_grep "^thread $pid harm-target S (sleeping)$" plain.txt
for want in \
	"in pause()" \
	"in read([0-9]*, 0x[0-9a-f]*, 1)" \
	"in epoll_wait([0-9]*, 0x[0-9a-f]*, 1, -1)" \
	"in clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=100000, tv_nsec=0}, NULL)" \
	"in poll(\[{fd=[0-9]*, events=POLLIN}\], 1, -1)" \
	"in accept([0-9]*, NULL, NULL)" \
	"in rt_sigtimedwait(\[USR2\], NULL, NULL, 8)" \
	"in futex(0x[0-9a-f]*, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY)"; do
	expect_grep "^  $want$" plain.txt "decoded syscall"
done
for fn in main reader epoller sleeper poller acceptor sigwaiter waiter; do
	expect_grep "^  #[0-9 ]* 0x[0-9a-f]\{16\} $fn+0x[0-9a-f]* (harm-target) harm-target.c:[0-9]*$" plain.txt "frame"
done
expect_grep "start_thread+0x[0-9a-f]* (libc.so.6)" plain.txt
expect_grep "kernel wait: " plain.txt
! grep -q "stack ends" plain.txt || fail "a stack of harm-target ended early: $(grep 'stack ends' plain.txt)"

# only the frames the stacks need were decompressed
read -r size dec < <(sed -n 's/^hanganalyze: core \([0-9]*\) bytes, read [0-9]*, decompressed \([0-9]*\) in .*/\1 \2/p' "$WORK/stderr")
[ -n "$size" ] || fail "no --stats line: $(cat "$WORK/stderr")"
note "zstd core: $dec of $size bytes decompressed"
[ "$dec" -le $((size / 10)) ] || fail "decompressed $dec bytes of a $size-byte core, more than 10 %"

# --- JSON: valid against the schema, one entry per thread ---
expect_exit 0 "$HANGANALYZE" --format=json t.hang.zst
cp "$WORK/stdout" t.json
validate_json t.json
[ "$(json_query t.json 'len(d["threads"])')" = 8 ] || fail "JSON has not 8 threads"
[ "$(json_query t.json 'd["threads"][0]["tid"]')" = "$pid" ] || fail "JSON: the main thread is not first"
[ "$(json_query t.json 'sorted({t["syscall"]["name"] for t in d["threads"]})')" = "$(printf '%s\n' accept clock_nanosleep epoll_wait futex pause poll read rt_sigtimedwait)" ] ||
	fail "JSON syscall names: $(json_query t.json '[t["syscall"]["name"] for t in d["threads"]]')"
[ "$(json_query t.json '{[f for f in t["frames"] if not f["inlined"]][0]["how"] for t in d["threads"]}')" = "{'initial'}" ] ||
	fail "first frames not 'initial'"
[ "$(json_query t.json '{sum(f["how"] == "initial" for f in t["frames"]) for t in d["threads"]}')" = "{1}" ] ||
	fail "not one 'initial' frame per thread"
[ "$(json_query t.json 'sorted({f["how"] for t in d["threads"] for f in t["frames"]} - {"inline", "initial", "tailcall"})')" = cfi ] ||
	fail "callers of an -O2 binary with CFI were not all found through CFI"
assert_untraced "$pid"

# --- the story sample: connect() decoded with its sockaddr ---
start_target "$WORK/s.out" "$SAMPLES/join-connect-stall"
read -r _ spid port _ <"$WORK/s.out"
expect_exit 0 "$HANGSNAP" -q -o s.hang.zst "$spid"
expect_exit 0 "$HANGANALYZE" s.hang.zst
cp "$WORK/stdout" s.txt
expect_grep "^thread [0-9]* out_metrics S (sleeping)$" s.txt
expect_grep "^  in connect([0-9]*, {AF_INET, 127.0.0.1:$port}, 16)$" s.txt
expect_grep "output_thread+0x[0-9a-f]* (join-connect-stall) join-connect-stall.c:" s.txt
expect_grep "^  in futex(0x[0-9a-f]*, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, [0-9]*, NULL, FUTEX_BITSET_MATCH_ANY)$" s.txt
expect_grep "pthread_clockjoin_ex+0x[0-9a-f]* (libc.so.6)" s.txt

# --- hangsnap --analyze: snapshot, let go, and the analysis on stdout ---
expect_exit 0 "$HANGSNAP" -q --analyze --db "$WORK/an.db" -o s2.hang.zst "$spid"
expect_grep "^  \[high\] join-on-blocked: " "$WORK/stdout"
expect_grep "^hanganalyze: stored case 1 in '$WORK/an.db'" "$WORK/stderr"
expect_exit 2 "$HANGSNAP" --no-db "$spid"
expect_grep "'--no-db' is only used with --analyze or --timeout" "$WORK/stderr"

# --- grouping: 40 threads, a handful of distinct stacks ---
start_target "$WORK/h.out" "$BUILD/bench/heartbeat-target" --threads 40 --heap-mib 1 --gap-file "$WORK/gap"
expect_exit 0 "$HANGSNAP" -q -o h.hang.zst "$TARGET_PID"
expect_exit 0 "$HANGANALYZE" h.hang.zst
cp "$WORK/stdout" h.txt
expect_grep "^threads   40 (" h.txt
groups=$(sed -n 's/^threads   40 (\([0-9]*\) distinct stacks)$/\1/p' h.txt)
[ -n "$groups" ] && [ "$groups" -lt 10 ] || fail "40 threads in $groups groups"
expect_grep "^[0-9]* threads: [0-9]* " h.txt "a group header"
total=$(awk '/^[0-9]+ threads: / { n += $1 } END { print n + 0 }' h.txt)
singles=$(grep -c '^thread ' h.txt || true)
[ $((total + singles)) = 40 ] || fail "groups hold $total + $singles threads, not 40"
expect_exit 0 "$HANGANALYZE" --all-threads h.hang.zst
[ "$(grep -c '^thread ' "$WORK/stdout")" = 40 ] || fail "--all-threads does not show 40 threads"
expect_exit 0 "$HANGANALYZE" --format=json h.hang.zst
cp "$WORK/stdout" h.json
validate_json h.json
[ "$(json_query h.json 'sum(g["count"] for g in d["groups"])')" = 40 ] || fail "JSON groups do not add up to 40"

# --- usage errors ---
expect_exit 2 "$HANGANALYZE"
expect_grep "no core file given" "$WORK/stderr"
expect_exit 2 "$HANGANALYZE" --format=xml t.core
expect_grep "unknown format 'xml'" "$WORK/stderr"
expect_exit 3 "$HANGANALYZE" "$WORK/does-not-exist"
[ "$(wc -l <"$WORK/stderr")" = 1 ] || fail "more than one error line: $(cat "$WORK/stderr")"
expect_grep "^hanganalyze: cannot read core '$WORK/does-not-exist': " "$WORK/stderr"
expect_exit 0 "$HANGANALYZE" --help
expect_grep "^usage: hanganalyze" "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --version
expect_grep "^hanganalyze [0-9]" "$WORK/stdout"
echo ok
