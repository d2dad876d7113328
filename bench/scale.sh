#!/usr/bin/env bash
# bench/scale.sh [BUILD_DIR] [N...]
#
# Analysis time and peak RSS against the number of threads: for each N
# (default 10000 30000 100000), make-threads-core.py writes a crafted core of
# N threads (sleepers, waiters on one mutex, a wait-for chain, lock cycles:
# see its header), and hanganalyze --no-db --format=json analyzes it once.
# Near-linear code shows about 3x the time from 10k to 30k and 10x to 100k;
# quadratic code 9x and 100x. Not a test: the machine is shared, nothing is
# asserted. The cores (about 40 MiB at 100k threads) live in a mktemp dir
# deleted on exit.
set -euo pipefail
. "$(dirname "$0")/bench-subr.sh"
die() { echo "scale.sh: $*" >&2; exit 1; }

BUILD=${1:-build}
shift || true
NS=("$@")
((${#NS[@]})) || NS=(10000 30000 100000)
HANGANALYZE=$BUILD/hanganalyze
GEN=$(dirname "$0")/make-threads-core.py
[ -x "$HANGANALYZE" ] || die "no $HANGANALYZE: build first"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hs-scale.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

printf '%-8s %-10s %-10s %-10s %s\n' threads core wall "peak RSS" findings
for n in "${NS[@]}"; do
	python3 "$GEN" "$n" "$TMP/core"
	start=$(date +%s%N)
	/usr/bin/time -f %M -o "$TMP/rss" "$HANGANALYZE" --no-db --format=json "$TMP/core" >"$TMP/out.json" ||
		die "hanganalyze failed on $n threads"
	end=$(date +%s%N)
	threads=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["threads"]), len(d["findings"]))' "$TMP/out.json")
	[ "${threads% *}" = "$n" ] || die "$n threads in the core, ${threads% *} in the report"
	printf '%-8s %-10s %-10s %-10s %s\n' "$n" "$(fmt_bytes "$(stat -c %s "$TMP/core")")" "$(fmt_s $((end - start)))" \
		"$(fmt_bytes $(($(cat "$TMP/rss") * 1024)))" "${threads#* }"
done
