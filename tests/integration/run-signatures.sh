#!/bin/bash
# Signatures are stable: one hang gives one signature whether the program is
# built -O2 (the samples), -O0 with frame pointers or -O2 without them, and
# run after run (other pids, tids, addresses, ports); different hangs give
# different signatures.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"

# signature_of PROG: runs PROG, snapshots it, sets SIG to the signature of its analysis
N=0
signature_of() {
	N=$((N + 1))
	start_target "$WORK/$N.out" "$1"
	expect_exit 0 "$HANGSNAP" -q --interval 0 -o "$N.hang.zst" "$TARGET_PID"
	kill -9 "$TARGET_PID"
	expect_exit 0 "$HANGANALYZE" --format=json "$N.hang.zst"
	SIG=$(json_query "$WORK/stdout" 'd["signature"]["hash"] + " " + d["signature"]["text"]')
}

all=""
for sample in join-connect-stall lock-cycle lock-held-during-io; do
	signature_of "$SAMPLES/$sample"
	want=$SIG
	note "$sample: $want"
	for prog in "$SAMPLES/$sample" "$PROGS/$sample-O0" "$PROGS/$sample-O2-nofp"; do
		signature_of "$prog"
		[ "$SIG" = "$want" ] || fail "$prog: signature '$SIG', expected '$want' (as built in samples/)"
	done
	case $all in *"${want%% *}"*) fail "$sample shares its signature with another sample: $want" ;; esac
	all="$all ${want%% *}"
done
echo ok
