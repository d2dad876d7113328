#!/bin/bash
# The whole test suite: installs what is missing, builds with gcc (warnings
# are errors) and runs every test, then builds with clang under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs every test again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

echo "== gcc, -Werror"
CC=gcc cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHS_WERROR=ON >/dev/null
cmake --build build -j"$jobs" >/dev/null
(cd build && ctest --output-on-failure -j"$jobs")

echo "== clang, -Werror, ASan + UBSan"
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHS_WERROR=ON -DHS_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
# libdw's own leak in dwarf_getscopes() is suppressed (tests/lsan.supp says why)
(cd build-asan && LSAN_OPTIONS="suppressions=$PWD/../tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	ctest --output-on-failure -j"$jobs")
