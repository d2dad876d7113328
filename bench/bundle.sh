#!/usr/bin/env bash
# bench/bundle.sh [BUILD_DIR] [REPS]
#
# What a bundle costs (hanganalyze bundle, formats/bundle.h): for every
# sample of samples/ (each hung its own way), a Ruby process
# (samples/ruby/log-forwarder, Debian's ruby) and a Python one
# (samples/python/join-connect.py, Debian's python3.11), it takes one
# hangsnap core, then REPS times each (3), alternating:
#   hanganalyze bundle -o B CORE                   writing the bundle
#   hanganalyze --no-db --format=json CORE         the core, files in place
#   hanganalyze --no-db --format=json B            the bundle (unpacked first)
# and prints the core's size, the bundle's, how many files it holds and
# their size uncompressed, the median times, and the bundle's analysis
# against the core's as a ratio. Each bundle's JSON must equal the core's
# (but for the core's name). No peer writes a self-contained snapshot, so
# the analysis of the core itself is the baseline.
set -euo pipefail
. "$(dirname "$0")/bench-subr.sh"

BUILD_DIR=${1:-build}
REPS=${2:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "bundle.sh: $*" >&2; exit 1; }
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
for f in hangsnap hanganalyze; do
	[[ -x $BUILD_DIR/$f ]] || die "$BUILD_DIR/$f not found: build first"
done
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
HS=$BUILD_DIR/hangsnap
HA=$BUILD_DIR/hanganalyze
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench-bundle.XXXXXX")
PIDS=
cleanup() { for p in $PIDS; do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
cd "$TMP"

now_ns() { date +%s%N; }
# run_ns CMD...: its wall time in ns (output discarded; it must succeed)
run_ns() {
	local t0 t1
	t0=$(now_ns)
	"$@" >/dev/null 2>&1 || die "'$*' failed"
	t1=$(now_ns)
	echo $((t1 - t0))
}

# one TAG CMD...: starts CMD, waits for its "ready PID" line, measures; skips what never gets ready
one() {
	local tag=$1 pid child i b=() a=() c=() size bsize nfiles total
	shift
	"$@" >"$tag.out" 2>"$tag.err" &
	child=$!
	PIDS="$PIDS $child"
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$tag.out" 2>/dev/null && break
		sleep 0.1
	done
	pid=$(awk '/^ready/ { print $2; exit }' "$tag.out")
	if [[ -z $pid ]]; then
		printf '%-24s (never ready: skipped)\n' "$tag"
		pkill -9 -P "$child" 2>/dev/null || true
		kill -9 "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
		return 0
	fi
	"$HS" -q -o "$tag.hang.zst" "$pid" || die "hangsnap $tag failed"
	pkill -9 -P "$pid" 2>/dev/null || true
	kill -9 "$pid" "$child" 2>/dev/null || true
	wait "$child" 2>/dev/null || true
	for ((i = 0; i < REPS; i++)); do
		b+=("$(run_ns "$HA" bundle -q -f -o "$tag.bundle" "$tag.hang.zst")")
		c+=("$(run_ns "$HA" --no-db --format=json "$tag.hang.zst")")
		a+=("$(run_ns "$HA" --no-db --format=json "$tag.bundle")")
	done
	"$HA" --no-db --format=json "$tag.hang.zst" >"$tag.core.json"
	"$HA" --no-db --format=json "$tag.bundle" >"$tag.bundle.json"
	python3 - "$tag.core.json" "$tag.bundle.json" <<'PY' || die "$tag: the bundle's analysis differs from the core's"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    d.pop("core", None)
sys.exit(a != b)
PY
	size=$(stat -c %s "$tag.hang.zst")
	bsize=$(stat -c %s "$tag.bundle")
	nfiles=$(($(tar -tf "$tag.bundle" | wc -l) - 2))
	total=$(tar -tvf "$tag.bundle" | awk 'NR > 1 { s += $3 } END { print s }')
	printf '%-24s %10s %10s %5d %10s %10s %10s %10s %7s\n' "$tag" "$(fmt_bytes "$size")" "$(fmt_bytes "$bsize")" \
		"$nfiles" "$(fmt_bytes "$total")" "$(fmt_ms "$(median "${b[@]}")")" "$(fmt_ms "$(median "${c[@]}")")" \
		"$(fmt_ms "$(median "${a[@]}")")" "$(ratio_x "$(median "${a[@]}")" "$(median "${c[@]}")")"
	rm -f "$tag.hang.zst" "$tag.bundle"
}

printf '%-24s %10s %10s %5s %10s %10s %10s %10s %7s\n' process core bundle files "unpacked" "bundle" \
	"analyze" "analyze B" "B/core"
printf '%-24s %10s %10s %5s %10s %10s %10s %10s %7s\n' "" "" "" "" "" "(median)" "core" "bundle" ""
for s in "$BUILD_DIR"/samples/*; do
	[[ -x $s && -f $s ]] || continue
	one "${s##*/}" "$s"
done
if command -v ruby3.1 >/dev/null; then
	one ruby-log-forwarder ruby3.1 "$SRC/samples/ruby/log-forwarder/agent.rb"
else
	echo "ruby-log-forwarder       (no ruby3.1: skipped)"
fi
if command -v python3.11 >/dev/null; then
	one python-join-connect python3.11 "$SRC/samples/python/join-connect.py"
else
	echo "python-join-connect      (no python3.11: skipped)"
fi
echo "files: the ELF and debug files beside the core; unpacked: the core and the files, uncompressed"
