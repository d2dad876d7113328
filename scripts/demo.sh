#!/bin/bash
# The main job, end to end: build, start a sample that hangs the way the story
# in DESIGN.md did (shutdown joins a thread stuck in connect()), snapshot it
# with hangsnap, and analyze the core with hanganalyze.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

out=$(mktemp -d)
trap 'kill $sample 2>/dev/null; rm -rf "$out"' EXIT
build/samples/join-connect-stall >"$out/sample.txt" &
sample=$!
for _ in $(seq 50); do grep -q ready "$out/sample.txt" 2>/dev/null && break; sleep 0.1; done
echo "== a hung process: $(cat "$out/sample.txt")"
echo
echo "== hangsnap $sample"
build/hangsnap -o "$out/demo.hang.zst" "$sample"
echo
echo "== the process runs on: $(grep State /proc/$sample/status)"
echo
echo "== hanganalyze $out/demo.hang.zst"
build/hanganalyze --db "$out/cases.db" "$out/demo.hang.zst"
echo
echo "== hanganalyze queue (the case database the analysis filed it in)"
build/hanganalyze queue --db "$out/cases.db"
