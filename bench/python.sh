#!/usr/bin/env bash
# bench/python.sh [BUILD_DIR] [REPS] [THREADS] [DEPTH]
#
# The Python stack walker's cost: one Python process
# (samples/python/deep-threads.py, Debian's /usr/bin/python3.11 unless
# PYTHON= says otherwise) with THREADS threads (200), each DEPTH Python frames
# deep (30) and blocked in queue.Queue.get(), snapshotted by hangsnap twice
# (seekable zstd, and --compress=none); then, REPS times each (5),
# alternating so that drift hits all alike:
#   hanganalyze --no-db --format=json --stats CORE                Python stacks
#   hanganalyze --no-db --format=json --stats --no-runtime CORE   native only
#   gdb -batch -ex 'thread apply all py-bt' PYTHON plain.core     the peer
# and it prints the medians of wall time, of the runtime-stacks stage (from
# --stats), the difference, and gdb's time against ours. gdb's py-bt needs the
# interpreter's debug info and its python-gdb.py (Debian: apt-get install
# python3.11-dbg); without them gdb's row says so. Every run's output is
# checked: THREADS threads with DEPTH Python frames or more (the native-only
# run: none; gdb: as many "Traceback" blocks as threads with Python frames).
set -euo pipefail
. "$(dirname "$0")/bench-subr.sh"

BUILD_DIR=${1:-build}
REPS=${2:-5}
THREADS=${3:-200}
DEPTH=${4:-30}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3.11}

die() { echo "python.sh: $*" >&2; exit 1; }
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
[[ -x $PYTHON ]] || die "no $PYTHON (apt-get install python3.11, or PYTHON=...)"
for f in hangsnap hanganalyze; do
	[[ -x $BUILD_DIR/$f ]] || die "$BUILD_DIR/$f not found: build first"
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-python.XXXXXX")
PPID_=
cleanup() { [[ -n $PPID_ ]] && kill -9 "$PPID_" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
cp "$BUILD_DIR/hangsnap" "$BUILD_DIR/hanganalyze" "$TMP/"

PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$SRC/samples/python/deep-threads.py" "$THREADS" "$DEPTH" \
	>"$TMP/target.out" 2>"$TMP/target.err" &
PPID_=$!
for ((i = 0; i < 600; i++)); do
	grep -q '^ready ' "$TMP/target.out" 2>/dev/null && break
	kill -0 "$PPID_" 2>/dev/null || { cat "$TMP/target.err" >&2; die "deep-threads.py exited during setup"; }
	sleep 0.1
done
grep -q "^ready $PPID_ " "$TMP/target.out" || die "deep-threads.py did not become ready: $(cat "$TMP/target.out")"
"$TMP/hangsnap" -q -o "$TMP/zstd.hang.zst" "$PPID_"
"$TMP/hangsnap" -q --compress=none -o "$TMP/plain.core" "$PPID_"
kill -9 "$PPID_" 2>/dev/null || true
wait "$PPID_" 2>/dev/null || true
PPID_=

# check FILE WANT: THREADS threads with WANT Python frames or more (0: no python at all)
check() {
	python3 - "$1" "$2" "$THREADS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); want = int(sys.argv[2]); n = int(sys.argv[3])
if want == 0:
    sys.exit(0 if all(t["python"] is None for t in d["threads"]) else 1)
deep = [t for t in d["threads"] if t["python"] and len(t["python"]["frames"]) >= want]
sys.exit(0 if len(deep) == n else 1)
PY
}

# gdb's py-bt works when gdb finds the interpreter's debug info and python-gdb.py
GDB_OK=
if command -v gdb >/dev/null &&
	gdb -nx -batch -iex "set auto-load safe-path /" -ex 'thread apply all py-bt' "$PYTHON" "$TMP/plain.core" \
		>"$TMP/gdb.out" 2>&1 && grep -q 'Traceback (most recent call first)' "$TMP/gdb.out"; then
	GDB_OK=1
fi

declare -A wall stage
modes="python native"
[[ -n $GDB_OK ]] && modes+=" gdb"
for core in zstd.hang.zst plain.core; do
	for mode in $modes; do wall[$core.$mode]=""; stage[$core.$mode]=""; done
	for ((r = 0; r < REPS; r++)); do
		for mode in $modes; do
			[[ $mode == gdb && $core != plain.core ]] && continue
			t0=$(date +%s%N)
			if [[ $mode == gdb ]]; then
				gdb -nx -batch -iex "set auto-load safe-path /" -ex 'thread apply all py-bt' "$PYTHON" \
					"$TMP/$core" >"$TMP/gdb.out" 2>&1 || true
				t1=$(date +%s%N)
				n=$(grep -c 'Traceback (most recent call first)' "$TMP/gdb.out" || true)
				((n >= THREADS)) || die "gdb py-bt showed $n Python stacks, not $THREADS"
			else
				extra=(); want=$DEPTH
				[[ $mode == native ]] && { extra=(--no-runtime); want=0; }
				"$TMP/hanganalyze" --no-db --format=json --stats "${extra[@]}" "$TMP/$core" >"$TMP/out.json" 2>"$TMP/stats"
				t1=$(date +%s%N)
				check "$TMP/out.json" "$want" || die "$core $mode: the report lacks the Python frames it should have (or has some it should not)"
				ms=$(awk '/stage runtime-stacks/ { print $4 }' "$TMP/stats")
				stage[$core.$mode]+=" $(awk -v v="$ms" 'BEGIN { printf "%d", v * 1e6 }')"
			fi
			wall[$core.$mode]+=" $((t1 - t0))"
		done
	done
done

echo "Python $("$PYTHON" -c 'import platform; print(platform.python_version())') ($PYTHON): $THREADS threads x $DEPTH Python frames, $REPS runs each, medians"
printf "%-14s %-12s %12s %16s\n" core mode wall runtime-stacks
for core in zstd.hang.zst plain.core; do
	for mode in python native; do
		# shellcheck disable=SC2086
		printf "%-14s %-12s %12s %16s\n" "$core" "$mode" "$(fmt_ms "$(median ${wall[$core.$mode]})")" \
			"$(fmt_ms "$(median ${stage[$core.$mode]})")"
	done
	# shellcheck disable=SC2086
	printf "%-14s %-12s %12s   (Python stacks cost %s of the native-only time)\n" "$core" "difference" \
		"$(fmt_ms "$(awk -v a="$(median ${wall[$core.python]})" -v b="$(median ${wall[$core.native]})" 'BEGIN { print a - b }')")" \
		"$(ratio_pct "$(awk -v a="$(median ${wall[$core.python]})" -v b="$(median ${wall[$core.native]})" 'BEGIN { print a - b }')" "$(median ${wall[$core.native]})")"
done
if [[ -n $GDB_OK ]]; then
	# shellcheck disable=SC2086
	printf "%-14s %-12s %12s   (gdb py-bt / hanganalyze: %s)\n" plain.core "gdb py-bt" \
		"$(fmt_ms "$(median ${wall[plain.core.gdb]})")" \
		"$(ratio_x "$(median ${wall[plain.core.gdb]})" "$(median ${wall[plain.core.python]})")"
else
	echo "gdb py-bt: not run (no gdb, or it finds no debug info or python-gdb.py for $PYTHON: apt-get install python3.11-dbg)"
fi
