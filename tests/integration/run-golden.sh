#!/bin/bash
# The story sample's text report, kept as a golden file: a shutdown that joins
# a thread stuck in connect() must read, first line of the findings, as the
# sentence a person would write in the ticket. Numbers that change from run
# to run (pids, tids, ports, addresses, offsets, times, sizes) are replaced by
# names before comparing. UPDATE_GOLDEN=1 rewrites the golden file.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
golden=$SRC/tests/golden/join-connect-stall.txt

start_target "$WORK/s.out" "$SAMPLES/join-connect-stall"
read -r _ pid port rest <"$WORK/s.out"
out_tid=$(sed -n 's/.*tids=[0-9]*,\([0-9]*\).*/\1/p' <<<"$rest")
expect_exit 0 "$HANGSNAP" -q -o story.hang.zst "$pid"
expect_exit 0 "$HANGANALYZE" story.hang.zst
sed -e "s/\b$pid\b/MAIN/g; s/\b$out_tid\b/OUT/g; s/\b$port\b/PORT/g" \
	-e 's/0x[0-9a-f]\+/0xX/g' \
	-e "s|$WORK/||g; s|$BUILD/|BUILD/|g" \
	-e 's/^\(captured  \).*/\1TIME/; s/^\(  kernel wait: \).*/\1WCHAN/; s/\(\.[ch]\):[0-9]*\(;\| \[\|$\)/\1\2/g' \
	-e 's/^\(core      story.hang.zst (hangsnap, zstd-seekable, \)[^)]*)/\1SIZE)/' \
	-e 's/connect([0-9]*, /connect(FD, /; s/\bfd [0-9]*/fd N/g' \
	-e 's/ inode [0-9]*/ inode N/; s/timer in [0-9.]* s/timer in T s/; s/for at least [0-9]* s/for at least N s/' \
	-e 's/^\(  #[0-9 ]* 0xX [^ ]*\)+0xX/\1/; s/\(\.[chS]\):[0-9]*\( \[.*\]\)\?$/\1\2/; s/\(\.[chS]\):[0-9]*$/\1/' \
	-e 's/(no progress in the [0-9]* ms sample)/(no progress in the N ms sample)/g' \
	-e 's/ ([0-9]* SYN retransmit(s)/ (N SYN retransmit(s)/; s/, [0-9]* SYN retransmit(s)/, N SYN retransmit(s)/' \
	"$WORK/stdout" >story.txt
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
	cp story.txt "$golden"
	note "updated $golden"
fi
diff -u "$golden" story.txt || fail "the story report differs from $golden (UPDATE_GOLDEN=1 to accept)"
# and the first finding is the join, naming both threads and the connect
sed -n '/^findings:/{n;p;q}' story.txt | grep -q "^  \[high\] join-on-blocked: join-connect-st (MAIN) is joining out_metrics (OUT), which is stuck in connect() to 127.0.0.1:PORT (SYN_SENT) with no timeout" ||
	fail "the first finding is not the join on the connect: $(sed -n '/^findings:/{n;p;q}' story.txt)"
echo ok
