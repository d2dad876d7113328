#!/bin/bash
# A short libFuzzer run of fuzz-core: the corpus is copied into a temporary
# directory first, because libFuzzer adds the inputs it finds to the corpus
# directory it is given (and the source tree stays read-only). Anything that
# crashes is kept in ARTIFACTS for tests/fuzz/corpus/, and the run fails.
# Usage: run-fuzz-smoke.sh FUZZER CORPUS ARTIFACTS [SECONDS [DICT]] (DICT: fuzz-core.dict)
set -u
fuzzer=$1 corpus=$2 artifacts=$3 seconds=${4:-20}
dict=$(cd "$(dirname "$0")" && pwd)/${5:-fuzz-core.dict}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-core.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts" "$work/corpus"
cp "$corpus"/* "$work/corpus/"
cd "$work"
TMPDIR=$work "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
	-dict="$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$work/corpus"
rc=$?
if [ "$rc" != 0 ]; then
	echo "FAIL: fuzz-core exited $rc; inputs that failed are in $artifacts/:" >&2
	ls -l "$artifacts" >&2
fi
exit "$rc"
