#!/bin/bash
# bench/html.sh [BUILD_DIR] [REPS]
#
# How fast the HTML report renders in a real browser as the thread count
# grows. For the story sample and heartbeat-target with 100, 1000 and 4000
# threads (blocked in condvar waits, pipe reads and polls): one core each,
# then REPS times each
#   hanganalyze --format=html --no-db CORE     wall time
#   chromium --headless --dump-dom PAGE        wall time of the whole run
#                                              (start-up included)
#   render                                     in the page: performance.now()
#                                              at the load event after a
#                                              forced layout, i.e. navigation
#                                              start to parsed, scripts run
#                                              and laid out (tests/browser/dom.py
#                                              timed adds that script)
# and prints the medians, with the page size and how many nodes and edges the
# wait-for graph has. Chromium runs as the browser test runs it
# (tests/browser/browser-subr.sh: Debian's chromium, headless, fresh profile,
# no network). A benchmark, not a test: nothing is asserted.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
BUILD=$(realpath "${1:-build}")
REPS=${2:-5}
SRC=$PWD
export BUILD SRC
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "html.sh: REPS must be a positive integer" >&2; exit 2; }
for f in hangsnap hanganalyze bench/heartbeat-target samples/join-connect-stall; do
	[ -x "$BUILD/$f" ] || { echo "html.sh: $BUILD/$f not found: build first" >&2; exit 2; }
done
. tests/integration/test-subr.sh
. tests/browser/browser-subr.sh
cd "$WORK" || exit 2

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

printf '%-14s %8s %6s %6s %10s %10s %10s\n' case "page KiB" nodes edges "html ms" "render ms" "chrome ms"
bench_case() {
	local name=$1 gen=() rend=() wall=() t i ms
	shift
	start_target "$name.out" "$@"
	"$HANGSNAP" -q --interval 0 -o "$name.hang.zst" "$TARGET_PID" || fail "hangsnap failed on $name"
	{ kill -9 "$TARGET_PID" && wait "$TARGET_PID"; } 2>/dev/null
	for i in $(seq "$REPS"); do
		t=$(date +%s%N)
		"$HANGANALYZE" --no-db --format=html "$name.hang.zst" >"$name.html" || fail "hanganalyze failed on $name"
		gen+=("$(ms_since "$t")")
	done
	/usr/bin/python3 "$DOMPY" timed "$name.html" "$name-timed.html"
	for i in $(seq "$REPS"); do
		load_page "$name-$i" "$name-timed.html"
		wall+=("$LOAD_MS")
		ms=$(grep -o 'data-render-ms="[0-9.]*"' "$name-$i.dom" | grep -o '[0-9.]*')
		[ -n "$ms" ] || fail "the timing script did not run in $name"
		rend+=("$ms")
	done
	facts "$name-1.dom" >"$name.facts"
	printf '%-14s %8s %6s %6s %10s %10s %10s\n' "$name" "$(($(stat -c %s "$name.html") / 1024))" \
		"$(json_query "$name.facts" 'len(d["nodes"])')" "$(json_query "$name.facts" 'len(d["edges"])')" \
		"$(median "${gen[@]}")" "$(median "${rend[@]}")" "$(median "${wall[@]}")"
}
bench_case story "$SAMPLES/join-connect-stall"
for n in 100 1000 4000; do
	bench_case "threads-$n" "$BUILD/bench/heartbeat-target" --threads "$n" --heap-mib 4 --gap-file "$WORK/gap"
done
echo "medians of $REPS runs; chromium $("$CHROMIUM" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1), $(nproc) CPUs"
