#!/usr/bin/env bash
# bench/ruby.sh [BUILD_DIR] [REPS] [THREADS] [DEPTH]
#
# The Ruby stack walker's cost: one Ruby process (samples/ruby/deep-threads.rb)
# with THREADS threads (200), each DEPTH Ruby frames deep (30) and blocked in
# Queue#pop, snapshotted by hangsnap twice (seekable zstd, and --compress=none);
# then, REPS times each (5), alternating so that drift hits both alike:
#   hanganalyze --no-db --format=json --stats CORE                Ruby stacks
#   hanganalyze --no-db --format=json --stats --no-runtime CORE   native only
# and it prints the medians of wall time, of the runtime-stacks stage (from
# --stats) and the difference. Every run's JSON is checked: every Ruby thread
# of the sample must have its DEPTH frames (the native-only run: none).
# No other tool reads every Ruby thread's stack from a core (rbspy reads one
# thread, of a live process), so there is no peer to put beside it; the
# native-only run of the same tool is the baseline. Needs ruby (Debian's).
set -euo pipefail
. "$(dirname "$0")/bench-subr.sh"

BUILD_DIR=${1:-build}
REPS=${2:-5}
THREADS=${3:-200}
DEPTH=${4:-30}
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUBY=${RUBY:-ruby}

die() { echo "ruby.sh: $*" >&2; exit 1; }
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
command -v "$RUBY" >/dev/null || die "no ruby (apt-get install ruby)"
for f in hangsnap hanganalyze; do
	[[ -x $BUILD_DIR/$f ]] || die "$BUILD_DIR/$f not found: build first"
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-ruby.XXXXXX")
RPID=
cleanup() { [[ -n $RPID ]] && kill -9 "$RPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
cp "$BUILD_DIR/hangsnap" "$BUILD_DIR/hanganalyze" "$TMP/"

"$RUBY" "$SRC/samples/ruby/deep-threads.rb" "$THREADS" "$DEPTH" >"$TMP/target.out" 2>"$TMP/target.err" &
RPID=$!
for ((i = 0; i < 600; i++)); do
	grep -q '^ready ' "$TMP/target.out" 2>/dev/null && break
	kill -0 "$RPID" 2>/dev/null || { cat "$TMP/target.err" >&2; die "deep-threads.rb exited during setup"; }
	sleep 0.1
done
grep -q "^ready $RPID " "$TMP/target.out" || die "deep-threads.rb did not become ready: $(cat "$TMP/target.out")"
"$TMP/hangsnap" -q -o "$TMP/zstd.hang.zst" "$RPID"
"$TMP/hangsnap" -q --compress=none -o "$TMP/plain.core" "$RPID"
kill -9 "$RPID" 2>/dev/null || true
wait "$RPID" 2>/dev/null || true
RPID=

# check FILE WANT: the JSON has THREADS threads named deep-* with WANT Ruby frames or more each (0: no ruby at all)
check() {
	python3 - "$1" "$2" "$THREADS" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); want = int(sys.argv[2]); n = int(sys.argv[3])
deep = [t for t in d["threads"] if t["name"].startswith("deep-")]
if want == 0:
    sys.exit(0 if len(deep) == n and all(t["ruby"] is None for t in d["threads"]) else 1)
sys.exit(0 if len(deep) == n and all(t["ruby"] and len(t["ruby"]["frames"]) >= want for t in deep) else 1)
EOF
}

declare -A wall stage
for core in zstd.hang.zst plain.core; do
	for mode in ruby native; do wall[$core.$mode]=""; stage[$core.$mode]=""; done
	for ((r = 0; r < REPS; r++)); do
		for mode in ruby native; do
			extra=(); want=$DEPTH
			[[ $mode == native ]] && { extra=(--no-runtime); want=0; }
			t0=$(date +%s%N)
			"$TMP/hanganalyze" --no-db --format=json --stats "${extra[@]}" "$TMP/$core" >"$TMP/out.json" 2>"$TMP/stats"
			t1=$(date +%s%N)
			check "$TMP/out.json" "$want" || die "$core $mode: the report lacks the Ruby frames it should have (or has some it should not)"
			wall[$core.$mode]+=" $((t1 - t0))"
			ms=$(awk '/stage runtime-stacks/ { print $4 }' "$TMP/stats")
			stage[$core.$mode]+=" $(awk -v v="$ms" 'BEGIN { printf "%d", v * 1e6 }')"
		done
	done
done

echo "Ruby $("$RUBY" -e 'print RUBY_VERSION'): $THREADS threads x $DEPTH Ruby frames, $REPS runs each, medians"
printf "%-14s %-12s %12s %16s\n" core mode wall runtime-stacks
for core in zstd.hang.zst plain.core; do
	for mode in ruby native; do
		# shellcheck disable=SC2086
		printf "%-14s %-12s %12s %16s\n" "$core" "$mode" "$(fmt_ms "$(median ${wall[$core.$mode]})")" \
			"$(fmt_ms "$(median ${stage[$core.$mode]})")"
	done
	# shellcheck disable=SC2086
	printf "%-14s %-12s %12s   (Ruby stacks cost %s of the native-only time)\n" "$core" "difference" \
		"$(fmt_ms "$(awk -v a="$(median ${wall[$core.ruby]})" -v b="$(median ${wall[$core.native]})" 'BEGIN { print a - b }')")" \
		"$(ratio_pct "$(awk -v a="$(median ${wall[$core.ruby]})" -v b="$(median ${wall[$core.native]})" 'BEGIN { print a - b }')" "$(median ${wall[$core.native]})")"
done
