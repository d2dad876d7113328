#!/usr/bin/env bash
# bench/analyze.sh [BUILD_DIR] [REPS]
#
# Analysis benchmark: hanganalyze vs gdb and eu-stack on the cores of one
# 1000-thread heartbeat-target process.
#
# DISK SPACE: about 8.5 GB free under /tmp (the gcore core of 1000 threads is
# ~7.8 GiB, the hangsnap cores ~40 MiB); the script refuses to start with less
# than 10 GiB free.  Everything lives in one mktemp dir under /tmp that is
# deleted on exit.  The warm runs keep the whole gcore core in the page cache,
# so about 9 GiB of free RAM is needed as well.  gcore of 1000 threads takes
# ~15-25 s.  Cold runs need root (they write /proc/sys/vm/drop_caches).
#
# Setup: one heartbeat-target --threads 1000 --heap-mib 16 is snapshotted three
# times: (a) hangsnap --compress=none, (b) hangsnap (seekable zstd, the default),
# (c) gcore; then it is stopped.  The tools (and the target executable the
# cores refer to) are copied to the temp dir first, so a concurrent rebuild of
# BUILD_DIR cannot change them halfway.
#
# Then, REPS times each, warm page cache and cold page cache (sync and
# echo 3 > /proc/sys/vm/drop_caches before every cold run):
#   hanganalyze --format=json --stats CORE          plain, zstd and gcore cores
#                  (its symbol cache private to the run, made by the warm-up run)
#   hanganalyze --format=json --stats --no-cache CORE   plain core: what the cache saves
#   gdb -nx -batch -ex 'set pagination off' -ex 'thread apply all bt' EXE CORE
#                                                   plain and gcore cores
#   eu-stack --core CORE -e EXE                     plain and gcore cores
# For each run it measures
#   wall       start to exit
#   peak RSS   /usr/bin/time -f %M
#   disk read  /usr/bin/time -f %I (file system inputs, 512-byte units) x 512:
#              the kernel's per-task read_bytes, i.e. block I/O the tool
#              caused, including readahead and faults on mmap'd files; it
#              covers the tool's own executable, libraries and debug info too
#   --stats    hanganalyze's own count of bytes read / decompressed / frames
# Every run's output is checked: it must show every thread of the target
# ('TID ' lines for eu-stack, '^Thread ' for gdb, len(threads) of the JSON for
# hanganalyze); a run that fails or is incomplete is reported and not timed.
# Outputs go to a file in the temp dir (not /dev/null) so they can be checked;
# each tool runs under timeout(1).  See bench/README.md.
set -euo pipefail
. "$(dirname "$0")/bench-subr.sh"

BUILD_DIR=${1:-build}
REPS=${2:-5}
THREADS=1000
HEAP_MIB=16
SETTLE_S=1
TOOL_TIMEOUT_S=600
MIN_FREE_KIB=$((10 * 1024 * 1024))

# targets (issue 15)
LIMIT_WALL_NS=25000000		# full analysis of 1000 threads, warm
LIMIT_COLD_NS=60000000		# the same, cold page cache
LIMIT_SPEEDUP_GDB=15		# vs gdb, warm and cold
LIMIT_SPEEDUP_EU=30		# vs eu-stack, warm and cold
LIMIT_RSS=$((64 << 20))		# 64 MiB
LIMIT_DECOMP_PCT=10		# decompressed bytes / core size, compressed core

die() { echo "analyze.sh: $*" >&2; exit 1; }

[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
for f in hangsnap hanganalyze bench/heartbeat-target; do
	[[ -x $BUILD_DIR/$f ]] || die "$BUILD_DIR/$f not found: build first (cmake -S . -B $BUILD_DIR && cmake --build $BUILD_DIR -j)"
done

missing=()
command -v gdb >/dev/null || missing+=(gdb)
command -v gcore >/dev/null || missing+=(gdb)
command -v eu-stack >/dev/null || missing+=(elfutils)
[[ -x /usr/bin/time ]] || missing+=(time)
[[ -x /usr/bin/python3 ]] || missing+=(python3)
command -v timeout >/dev/null && command -v du >/dev/null && command -v stat >/dev/null ||
	missing+=(coreutils)
if ((${#missing[@]})); then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	echo "analyze.sh: missing tools; install them with:" >&2
	echo "    apt-get install ${missing[*]}" >&2
	echo "(gdb provides gdb and gcore, elfutils eu-stack, time /usr/bin/time)" >&2
	exit 1
fi

free_kib=$(df -Pk /tmp | awk 'NR == 2 { print $4 }')
((free_kib >= MIN_FREE_KIB)) ||
	die "only $((free_kib / 1024)) MiB free under /tmp; the gcore core of $THREADS threads needs ~8 GiB (want 10 GiB free)"

# cores are several GB: a temp dir on the /tmp filesystem, removed on exit
TMP=$(mktemp -d /tmp/hanganalyze-bench.XXXXXX)
GAP=$TMP/gap
TPID=
cleanup() {
	if [[ -n $TPID ]] && kill -0 "$TPID" 2>/dev/null; then
		kill -CONT "$TPID" 2>/dev/null || true
		kill -TERM "$TPID" 2>/dev/null || true
		wait "$TPID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# private copies of the tools: BUILD_DIR may be rebuilt while we run
mkdir "$TMP/bin"
cp "$BUILD_DIR/hangsnap" "$BUILD_DIR/hanganalyze" "$BUILD_DIR/bench/heartbeat-target" "$TMP/bin/"
HANGSNAP=$TMP/bin/hangsnap
HANGANALYZE=$TMP/bin/hanganalyze
TARGET=$TMP/bin/heartbeat-target
# no network symbol lookups for anyone
unset DEBUGINFOD_URLS
# hanganalyze's symbol cache (analyzer/symcache.h) of this run only: made by the
# unmeasured warm-up run; the ha_nocache row runs without it (--no-cache)
export XDG_CACHE_HOME=$TMP/cache

FAILURES=0
SUMMARY=()

now_ns() { date +%s%N; }

maxof() { if (($# == 0)); then echo -; return; fi; printf '%s\n' "$@" | sort -g | tail -n1; }
minof() { if (($# == 0)); then echo -; return; fi; printf '%s\n' "$@" | sort -g | head -n1; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

fmt_mb() { [[ $1 == - ]] && { echo -; return; }; awk -v v="$1" 'BEGIN { printf "%.1f MB", v / 1e6 }'; }

drop_caches() { sync && { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; }


# snap LABEL OUTPUT CMD...: make one core of the target, die if that fails
snap() {
	local label=$1 out=$2 t0 t1 rc=0; shift 2
	t0=$(now_ns)
	"$@" >"$TMP/snap.out" 2>"$TMP/snap.err" || rc=$?
	t1=$(now_ns)
	if ((rc != 0)) || [[ ! -s $out ]]; then
		sed 's/^/  !!   /' "$TMP/snap.err" "$TMP/snap.out" >&2
		die "$label failed (exit $rc): $*"
	fi
	printf '  %-14s %-9s on disk %-10s apparent %-10s %s\n' "$label" "$(fmt_s $((t1 - t0)))" \
		"$(fmt_bytes $(($(du -k "$out" | cut -f1) * 1024)))" "$(fmt_bytes "$(stat -c %s "$out")")" "$out"
}

# combos: tool + core
COMBOS=(ha_plain ha_zstd ha_gcore ha_nocache_plain gdb_plain gdb_gcore eu_plain eu_gcore)
declare -A LABEL=(
	[ha_plain]="hanganalyze  hangsnap plain" [ha_zstd]="hanganalyze  hangsnap zstd" [ha_gcore]="hanganalyze  gcore"
	[ha_nocache_plain]="hanganalyze --no-cache plain"
	[gdb_plain]="gdb          hangsnap plain" [gdb_gcore]="gdb          gcore"
	[eu_plain]="eu-stack     hangsnap plain" [eu_gcore]="eu-stack     gcore")
declare -A CORE

core_of() { case $1 in *_plain) echo "${CORE[plain]}" ;; *_zstd) echo "${CORE[zstd]}" ;; *_gcore) echo "${CORE[gcore]}" ;; esac; }

# threads shown in a tool's output ($TMP/run.out)
count_threads() {
	case $1 in
	ha_*) /usr/bin/python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["threads"]))' "$TMP/run.out" 2>/dev/null || echo 0 ;;
	gdb_*) grep -c '^Thread ' "$TMP/run.out" || true ;;
	eu_*) grep -c '^TID ' "$TMP/run.out" || true ;;
	esac
}

# results, keyed "combo.mode.metric", values space-separated (one per rep)
declare -A R

# run_one COMBO MODE: one measured run; records the metrics in R
run_one() {
	local c=$1 mode=$2 core cmd t0 t1 rc=0
	core=$(core_of "$c")
	case $c in
	ha_nocache_*) cmd=("$HANGANALYZE" --format=json --stats --no-cache "$core") ;;
	ha_*) cmd=("$HANGANALYZE" --format=json --stats "$core") ;;
	gdb_*) cmd=(gdb -nx -batch -ex 'set pagination off' -ex 'thread apply all bt' "$TARGET" "$core") ;;
	eu_*) cmd=(eu-stack --core "$core" -e "$TARGET") ;;
	esac

	if [[ $mode == cold ]]; then
		if ! drop_caches; then
			echo "  !! $mode ${LABEL[$c]}: cannot drop the page cache; run not measured" >&2
			((FAILURES += 1))
			return 0
		fi
	else
		sync
	fi
	t0=$(now_ns)
	/usr/bin/time -f '%M %I' -o "$TMP/rusage" timeout -k 10 "$TOOL_TIMEOUT_S" "${cmd[@]}" \
		>"$TMP/run.out" 2>"$TMP/run.err" || rc=$?
	t1=$(now_ns)

	local n
	n=$(count_threads "$c")
	if ((rc != 0)) || [[ $n != "$NTHREADS" ]]; then
		if ((rc != 0)); then
			echo "  !! $mode ${LABEL[$c]} failed (exit $rc$( ((rc == 124)) && echo ", timed out after $TOOL_TIMEOUT_S s")), $n of $NTHREADS threads in its output: ${cmd[*]}" >&2
		else
			echo "  !! $mode ${LABEL[$c]}: incomplete output, $n of $NTHREADS threads: ${cmd[*]}" >&2
		fi
		grep -v '^Command exited with non-zero status' "$TMP/run.err" | tail -n 5 | sed 's/^/  !!   /' >&2
		((FAILURES += 1))
		R[$c.$mode.failed]+="1 "
		return 0
	fi

	local rss_kib inblk st=
	read -r rss_kib inblk < <(tail -n1 "$TMP/rusage")
	R[$c.$mode.wall]+="$((t1 - t0)) "
	R[$c.$mode.rss]+="$((rss_kib * 1024)) "
	R[$c.$mode.io]+="$((inblk * 512)) "
	if [[ $c == ha_* ]]; then
		local size rd dec fr
		read -r size rd dec fr < <(sed -n 's/^hanganalyze: core \([0-9]*\) bytes, read \([0-9]*\), decompressed \([0-9]*\) in \([0-9]*\) frames$/\1 \2 \3 \4/p' "$TMP/run.err" | tail -n1)
		if [[ -z ${fr:-} ]]; then
			echo "  !! $mode ${LABEL[$c]}: no --stats line on stderr" >&2
			((FAILURES += 1))
		else
			R[$c.$mode.st_size]+="$size "
			R[$c.$mode.st_read]+="$rd "
			R[$c.$mode.st_dec]+="$dec "
			R[$c.$mode.st_frames]+="$fr "
			st=" [--stats: read $(fmt_bytes "$rd"), decompressed $(fmt_bytes "$dec") in $fr frames]"
		fi
	fi
	printf '  %-4s %-28s wall %-9s peak RSS %-10s disk read %-10s threads %s%s\n' "$mode" "${LABEL[$c]}" \
		"$(fmt_ms $((t1 - t0)))" "$(fmt_bytes $((rss_kib * 1024)))" "$(fmt_bytes $((inblk * 512)))" "$n" "$st"
}

# ---------------------------------------------------------------------------

dev=$(findmnt -no SOURCE --target /tmp 2>/dev/null || true)
ra=$(lsblk -dno RA "$dev" 2>/dev/null | head -n1 | tr -d ' ' || true)
echo "hanganalyze analysis benchmark: $(uname -srm), $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo), load average $(loadavg)"
echo "  $("$HANGANALYZE" --version 2>&1 | head -n1) ($BUILD_DIR/hanganalyze of $(date -r "$BUILD_DIR/hanganalyze" '+%F %T'), source tree $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo '?'))"
echo "  gdb: $(gdb --version | head -n1)   eu-stack: $(eu-stack --version 2>&1 | head -n1)"
echo "  /tmp on ${dev:-?} ($(findmnt -no FSTYPE --target /tmp 2>/dev/null || echo '?')), read-ahead ${ra:-?} KiB; $((free_kib / 1048576)) GiB free"
echo "  cores under $TMP (deleted on exit); needs ~8.5 GB of disk"

cold=1
if ! drop_caches; then
	cold=0
	echo
	echo "  COLD RUNS UNAVAILABLE: cannot write /proc/sys/vm/drop_caches (needs root, and a kernel that lets"
	echo "  this container do it); only warm runs are measured, the cold targets are reported as [SKIP]"
fi

echo
echo "== Cores of one process: $THREADS threads, $HEAP_MIB MiB heap =="
start_target "$THREADS" "$HEAP_MIB"
NTHREADS=$(awk '/^Threads:/ { print $2 }' "/proc/$TPID/status")
echo "  target pid $TPID: $NTHREADS threads, RSS $(fmt_bytes "$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$TPID/status")")"
[[ $NTHREADS == "$THREADS" ]] || die "the target has $NTHREADS threads, expected $THREADS"
CORE[plain]=$TMP/hs.core
CORE[zstd]=$TMP/hs.core.zst
CORE[gcore]=$TMP/gcore.$TPID
snap "hangsnap none" "${CORE[plain]}" "$HANGSNAP" --compress=none -o "${CORE[plain]}" "$TPID"
sleep "$SETTLE_S"
snap "hangsnap zstd" "${CORE[zstd]}" "$HANGSNAP" -o "${CORE[zstd]}" "$TPID"
sleep "$SETTLE_S"
snap "gcore" "${CORE[gcore]}" gcore -o "$TMP/gcore" "$TPID"
stop_target
t0=$(now_ns)
sync
echo "  (sync after writing the cores: $(fmt_s $(($(now_ns) - t0))))"

echo
echo "== Warm page cache: one unmeasured run of each, then $REPS reps =="
for c in "${COMBOS[@]}"; do
	core=$(core_of "$c")
	case $c in
	ha_*) "$HANGANALYZE" --format=json "$core" >/dev/null 2>&1 || true ;;
	gdb_*) timeout "$TOOL_TIMEOUT_S" gdb -nx -batch -ex 'set pagination off' -ex 'thread apply all bt' "$TARGET" "$core" >/dev/null 2>&1 || true ;;
	eu_*) timeout "$TOOL_TIMEOUT_S" eu-stack --core "$core" -e "$TARGET" >/dev/null 2>&1 || true ;;
	esac
done
for ((rep = 1; rep <= REPS; rep++)); do
	echo "  -- rep $rep/$REPS"
	for c in "${COMBOS[@]}"; do run_one "$c" warm; done
done

if ((cold)); then
	echo
	echo "== Cold page cache: sync; echo 3 > /proc/sys/vm/drop_caches before each run; $REPS reps =="
	for ((rep = 1; rep <= REPS; rep++)); do
		echo "  -- rep $rep/$REPS"
		for c in "${COMBOS[@]}"; do run_one "$c" cold; done
	done
fi

echo
echo "  (load average at the end of the runs: $(loadavg); other work on the machine shows up in the times)"

# ---------------------------------------------------------------------------
# shellcheck disable=SC2086,SC2046,SC2206
{
declare -A M
for c in "${COMBOS[@]}"; do
	for mode in warm cold; do
		for m in wall rss io st_size st_read st_dec st_frames; do
			M[$c.$mode.$m]=$(median ${R[$c.$mode.$m]:-})
		done
		n=$(wc -w <<<"${R[$c.$mode.wall]:-}")
		f=$(wc -w <<<"${R[$c.$mode.failed]:-}")
		if [[ $mode == cold ]] && ((!cold)); then M[$c.$mode.ok]=-; else M[$c.$mode.ok]="$n/$((n + f))"; fi
	done
done

echo
echo "Medians of $REPS reps, $NTHREADS threads (warm: page cache hot; cold: caches dropped before each run)"
printf '  %-28s %10s %10s %10s %10s %11s %11s %7s %7s\n' "tool         core" "wall warm" "wall cold" "RSS warm" "RSS cold" "read warm" "read cold" "ok warm" "ok cold"
printf '  %-28s %10s %10s %10s %10s %11s %11s %7s %7s\n' ---------------------------- --------- --------- --------- --------- ---------- ---------- ------- -------
for c in "${COMBOS[@]}"; do
	printf '  %-28s %10s %10s %10s %10s %11s %11s %7s %7s\n' "${LABEL[$c]}" \
		"$(fmt_ms "${M[$c.warm.wall]}")" "$(fmt_ms "${M[$c.cold.wall]}")" \
		"$(fmt_bytes "${M[$c.warm.rss]}")" "$(fmt_bytes "${M[$c.cold.rss]}")" \
		"$(fmt_bytes "${M[$c.warm.io]}")" "$(fmt_bytes "${M[$c.cold.io]}")" \
		"${M[$c.warm.ok]}" "${M[$c.cold.ok]}"
done
echo "  (read = bytes read from disk: /usr/bin/time %I file system inputs x 512, i.e. the kernel's per-task"
echo "   read_bytes, including readahead, faults on mmap'd files, and the tool's own binaries and debug info;"
echo "   ok = runs that completed with all $NTHREADS threads in the output / runs)"

# cold runs that read most of a big core file from disk
for c in "${COMBOS[@]}"; do
	io=${M[$c.cold.io]} fsize=$(stat -c %s "$(core_of "$c")")
	if [[ $io != - ]] && ((fsize >= 1 << 30)) && ge "$io" "$((fsize / 2))"; then
		echo "  note: cold, ${LABEL[$c]%% *} read $(fmt_bytes "$io") from disk for the $(fmt_bytes "$fsize") ${LABEL[$c]##*  } core" \
			"($(ratio_pct "$io" "$fsize") of the file; read-ahead is ${ra:-?} KiB)"
	fi
done

echo
echo "  hanganalyze --stats (median of all runs, warm and cold):"
for c in ha_plain ha_zstd ha_gcore; do
	vals=()
	for m in st_size st_read st_dec st_frames; do
		all=(${R[$c.warm.$m]:-} ${R[$c.cold.$m]:-})
		vals+=("$(median "${all[@]}")")
		if [[ ${#all[@]} -gt 0 && $(minof "${all[@]}") != $(maxof "${all[@]}") ]]; then
			echo "    !! ${LABEL[$c]}: --stats ${m#st_} varies between runs: $(minof "${all[@]}") .. $(maxof "${all[@]}")"
		fi
	done
	fsize=$(stat -c %s "$(core_of "$c")")
	if [[ $c == ha_zstd ]]; then
		dec="decompressed $(fmt_bytes "${vals[2]}") in ${vals[3]} frames = $(ratio_pct "${vals[2]}" "${vals[0]}") of the core"
	else
		dec="(not compressed: mmap'd, so read is 0 and the page cache does the reading)"
	fi
	printf '    %-15s core %-10s file %-10s read %-10s %s\n' "${LABEL[$c]##*  }" \
		"$(fmt_bytes "${vals[0]}")" "$(fmt_bytes "$fsize")" "$(fmt_bytes "${vals[1]}")" "$dec"
done

echo
echo "Ratios: median wall time of gdb / eu-stack over hanganalyze's"
printf '  %-50s %9s %9s %13s %13s\n' "cores" "gdb warm" "gdb cold" "eu-stack warm" "eu-stack cold"
printf '  %-50s %9s %9s %13s %13s\n' -------------------------------------------------- -------- -------- ------------ ------------
# ratio rows: label | core gdb and eu-stack read | hanganalyze combo
RROWS=("hangsnap plain (all three on the plain core)|plain|ha_plain"
	"gcore (all three on the gcore core)|gcore|ha_gcore"
	"hangsnap zstd (gdb, eu-stack on the plain core)|plain|ha_zstd")
for row in "${RROWS[@]}"; do
	IFS='|' read -r lbl k h <<<"$row"
	printf '  %-50s %9s %9s %13s %13s\n' "$lbl" \
		"$(ratio_x "${M[gdb_$k.warm.wall]}" "${M[$h.warm.wall]}")" "$(ratio_x "${M[gdb_$k.cold.wall]}" "${M[$h.cold.wall]}")" \
		"$(ratio_x "${M[eu_$k.warm.wall]}" "${M[$h.warm.wall]}")" "$(ratio_x "${M[eu_$k.cold.wall]}" "${M[$h.cold.wall]}")"
done

echo
verdict_line() { echo "  [$1] $2"; SUMMARY+=("[$1] $2"); }

for c in ha_plain ha_zstd ha_gcore; do
	w=${M[$c.warm.wall]}
	if [[ $w != - ]] && le "$w" "$LIMIT_WALL_NS"; then v=PASS; else v=FAIL; fi
	verdict_line $v "${LABEL[$c]##*  } core: hanganalyze analyzes $NTHREADS threads in $(fmt_ms "$w") warm (worst $(fmt_ms "$(maxof ${R[$c.warm.wall]:-})"); target <= $(fmt_ms $LIMIT_WALL_NS))"
	if ((!cold)); then
		verdict_line SKIP "${LABEL[$c]##*  } core, cold: not measured (cold runs unavailable)"
		continue
	fi
	w=${M[$c.cold.wall]}
	if [[ $w != - ]] && le "$w" "$LIMIT_COLD_NS"; then v=PASS; else v=FAIL; fi
	verdict_line $v "${LABEL[$c]##*  } core: $(fmt_ms "$w") cold (target <= $(fmt_ms $LIMIT_COLD_NS))"
done
verdict_line INFO "without the symbol cache (--no-cache), plain core: $(fmt_ms "${M[ha_nocache_plain.warm.wall]}") warm, $(fmt_ms "${M[ha_nocache_plain.cold.wall]}") cold"
for row in "${RROWS[@]}"; do
	IFS='|' read -r lbl k h <<<"$row"
	for mode in warm cold; do
		if [[ $mode == cold ]] && ((!cold)); then
			verdict_line SKIP "${lbl%% (*} core, cold: not measured (cold runs unavailable)"
			continue
		fi
		ha=${M[$h.$mode.wall]} g=${M[gdb_$k.$mode.wall]} e=${M[eu_$k.$mode.wall]}
		if [[ $ha != - && $g != - && $e != - ]] &&
			ge "$(awk -v a="$g" -v b="$ha" 'BEGIN { print a / b }')" "$LIMIT_SPEEDUP_GDB" &&
			ge "$(awk -v a="$e" -v b="$ha" 'BEGIN { print a / b }')" "$LIMIT_SPEEDUP_EU"; then
			v=PASS
		else
			v=FAIL
		fi
		verdict_line $v "${lbl%% (*} core, $mode: hanganalyze $(fmt_ms "$ha"); gdb $(fmt_ms "$g") = $(ratio_x "$g" "$ha"), eu-stack $(fmt_ms "$e") = $(ratio_x "$e" "$ha") (target >= ${LIMIT_SPEEDUP_GDB}x gdb, ${LIMIT_SPEEDUP_EU}x eu-stack)"
	done
done
for c in ha_plain ha_zstd ha_gcore; do
	r=$(maxof $(for mode in warm cold; do [[ ${M[$c.$mode.rss]} == - ]] || echo "${M[$c.$mode.rss]}"; done))
	if [[ $r != - ]] && le "$r" "$LIMIT_RSS"; then v=PASS; else v=FAIL; fi
	verdict_line $v "${LABEL[$c]##*  } core: hanganalyze peak RSS $(fmt_mb "$r") = $(fmt_bytes "$r") (larger of the warm and cold medians; worst run $(fmt_bytes "$(maxof ${R[$c.warm.rss]:-} ${R[$c.cold.rss]:-})"); target <= $(fmt_bytes $LIMIT_RSS))"
done
all=(${R[ha_zstd.warm.st_dec]:-} ${R[ha_zstd.cold.st_dec]:-}); dec=$(median "${all[@]}")
all=(${R[ha_zstd.warm.st_frames]:-} ${R[ha_zstd.cold.st_frames]:-}); frames=$(median "${all[@]}")
all=(${R[ha_zstd.warm.st_size]:-} ${R[ha_zstd.cold.st_size]:-}); size=$(median "${all[@]}")
zfile=$(stat -c %s "${CORE[zstd]}")
if [[ $dec != - && $size != - ]] && le "$dec" "$(awk -v s="$size" -v p="$LIMIT_DECOMP_PCT" 'BEGIN { print s * p / 100 }')"; then v=PASS; else v=FAIL; fi
verdict_line $v "hangsnap zstd core: hanganalyze decompresses $(fmt_bytes "$dec") in $frames frames = $(ratio_pct "$dec" "$size") of the $(fmt_bytes "$size") core, $(ratio_pct "$dec" "$zfile") of the $(fmt_bytes "$zfile") file (target <= $LIMIT_DECOMP_PCT % of the core)"
}

echo
echo "== Targets =="
printf '  %s\n' "${SUMMARY[@]}"
if ((FAILURES)); then
	echo "  $FAILURES tool run(s) failed or were incomplete; see the '!!' lines above"
	exit 1
fi
