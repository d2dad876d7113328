#!/usr/bin/env bash
# bench/snapshot.sh [BUILD_DIR] [REPS]
#
# Snapshot benchmark: hangsnap (seekable zstd, the default), hangsnap
# --compress=none and gdb's gcore, run side by side against the same live
# heartbeat-target process, in two scenarios:
#   A: 1000 threads, 16 MiB heap
#   B: 64 threads, 1024 MiB heap
# For each tool run it measures
#   stopped  how long the target could not run: the largest gap seen by the
#            target's own 1 ms heartbeat thread (so it is measured from outside
#            the tool, and includes attach/detach and everything in between)
#   wall     the tool's run time, start to exit
#   disk     output size allocated on disk (du -k)
#   apparent output size as ls/stat show it (stat -c %s)
#   peak RSS the tool's peak resident set (/usr/bin/time -f %M; for gcore
#            this is gdb, which gcore runs as a child)
#   copy     hangsnap's copy phase (its --stats)
# and prints the medians over REPS repetitions, then the floor under the copy:
# what copying the target's resident memory costs on this machine at best
# (bench/copy-floor: memcpy on one and on every CPU, and process_vm_readv,
# the call hangsnap copies with, on every CPU). See bench/README.md.
set -euo pipefail
. "$(dirname "$0")/bench-subr.sh"

BUILD_DIR=${1:-build}
REPS=${2:-3}
SETTLE_S=1

die() { echo "snapshot.sh: $*" >&2; exit 1; }

[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
HANGSNAP=$BUILD_DIR/hangsnap
TARGET=$BUILD_DIR/bench/heartbeat-target
FLOOR=$BUILD_DIR/bench/copy-floor
[[ -x $HANGSNAP ]] || die "$HANGSNAP not found: build first (cmake -S . -B $BUILD_DIR && make -C $BUILD_DIR)"
[[ -x $TARGET ]] || die "$TARGET not found: build first (make -C $BUILD_DIR heartbeat-target)"
[[ -x $FLOOR ]] || die "$FLOOR not found: build first (make -C $BUILD_DIR copy-floor)"

missing=()
command -v gdb >/dev/null || missing+=(gdb)
command -v gcore >/dev/null || missing+=(gdb)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v zstd >/dev/null || missing+=(zstd)
command -v du >/dev/null && command -v stat >/dev/null && command -v od >/dev/null ||
	missing+=(coreutils)
if ((${#missing[@]})); then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	echo "snapshot.sh: missing tools; install them with:" >&2
	echo "    apt-get install ${missing[*]}" >&2
	echo "(gdb provides gdb and gcore, time provides /usr/bin/time, zstd the zstd CLI)" >&2
	exit 1
fi

# outputs can be several GB: a temp dir on the /tmp filesystem, removed on exit
TMP=$(mktemp -d /tmp/hangsnap-bench.XXXXXX)
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

FAILURES=0
SUMMARY=()

now_ns() { date +%s%N; }
reset_gap() { dd if=/dev/zero of="$GAP" bs=8 count=1 conv=notrunc status=none; }
read_gap() { od -An -t u8 -N8 --endian=little "$GAP" | tr -d ' '; }




target_state() { awk '{ print $3 }' "/proc/$TPID/stat" 2>/dev/null || echo gone; }

# results, keyed "tool.metric", values space-separated (one per rep)
declare -A R
TOOLS=(hs_zstd hs_none gcore)
declare -A LABEL=([hs_zstd]="hangsnap zstd" [hs_none]="hangsnap none" [gcore]="gcore")

# run_tool TOOL OUTPUT CMD...: one measured run; records the metrics in R
run_tool() {
	local tool=$1 out=$2; shift 2
	local t0 t1 rc=0 gap state

	sync
	reset_gap
	t0=$(now_ns)
	/usr/bin/time -f %M -o "$TMP/rss" "$@" >"$TMP/tool.out" 2>"$TMP/tool.err" || rc=$?
	t1=$(now_ns)
	sleep 0.05	# let the heartbeat take its next beat and record the gap
	gap=$(read_gap)
	state=$(target_state)

	if ((rc != 0)) || [[ ! -f $out ]]; then
		echo "  !! ${LABEL[$tool]} failed (exit $rc): $*" >&2
		sed 's/^/  !!   /' "$TMP/tool.err" "$TMP/tool.out" >&2
		((FAILURES += 1))
		rm -f "$out"
		if [[ $state == T || $state == t ]]; then
			echo "  !! target left stopped (state $state); sending SIGCONT" >&2
			kill -CONT "$TPID"
		fi
		return 0
	fi
	if [[ $state != S && $state != R ]]; then
		echo "  !! after ${LABEL[$tool]} the target is in state '$state'" >&2
		((FAILURES += 1))
		if [[ $state == T || $state == t ]]; then kill -CONT "$TPID"; fi
	fi

	local disk_kib apparent rss self
	disk_kib=$(du -k "$out" | cut -f1)
	apparent=$(stat -c %s "$out")
	rss=$(tail -n1 "$TMP/rss")
	if [[ $tool == hs_* ]]; then
		self=$(sed -n 's/.*, stopped \([0-9.]*\) ms$/\1/p' "$TMP/tool.err" | tail -n1)
		if [[ -n $self ]]; then
			R[$tool.self]+="$(awk -v v="$self" 'BEGIN { printf "%.0f", v * 1e6 }') "
		fi
		local copy
		copy=$(sed -n 's/^hangsnap:   phase copy  *\([0-9.]*\) ms$/\1/p' "$TMP/tool.err" | tail -n1)
		if [[ -n $copy ]]; then
			R[$tool.copy]+="$(awk -v v="$copy" 'BEGIN { printf "%.0f", v * 1e6 }') "
		fi
	fi
	R[$tool.stopped]+="$gap "
	R[$tool.wall]+="$((t1 - t0)) "
	R[$tool.disk]+="$((disk_kib * 1024)) "
	R[$tool.apparent]+="$apparent "
	R[$tool.rss]+="$((rss * 1024)) "
	printf '  %-14s stopped %-10s wall %-8s disk %-10s apparent %-10s peak RSS %s\n' \
		"${LABEL[$tool]}" "$(fmt_ms "$gap")" "$(fmt_s $((t1 - t0)))" \
		"$(fmt_bytes $((disk_kib * 1024)))" "$(fmt_bytes "$apparent")" "$(fmt_bytes $((rss * 1024)))"
	if [[ $tool == hs_zstd && $VERIFY_ZSTD == 1 ]]; then
		zstd -q -t "$out" || { echo "  !! zstd -t rejects the hangsnap output $out" >&2; ((FAILURES += 1)); }
		VERIFY_ZSTD=0
	fi
	rm -f "$out"
}

# scenario NAME THREADS HEAP_MIB STOP_LIMIT_NS STOP_LIMIT_TEXT
scenario() {
	local name=$1 threads=$2 heap=$3 limit=$4 limit_text=$5
	local t rep

	for t in "${TOOLS[@]}"; do
		for m in stopped self wall disk apparent rss copy; do R[$t.$m]=; done
	done

	echo
	echo "== Scenario $name: $threads threads, $heap MiB heap, $REPS reps =="
	start_target "$threads" "$heap"
	local nthreads rss_target
	nthreads=$(awk '/^Threads:/ { print $2 }' "/proc/$TPID/status")
	rss_target=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$TPID/status")
	reset_gap
	sleep 1
	local idle
	idle=$(read_gap)
	echo "  target pid $TPID: $nthreads threads, RSS $(fmt_bytes "$rss_target"), idle heartbeat max gap over 1 s: $(fmt_ms "$idle")"
	# the floor: copying as many bytes as the target has resident, at best (while it idles)
	local -A F
	while read -r k v; do F[$k]=$v; done < <("$FLOOR" "$rss_target" 5)

	VERIFY_ZSTD=1
	for ((rep = 1; rep <= REPS; rep++)); do
		echo "  -- rep $rep/$REPS"
		run_tool hs_zstd "$TMP/hs.core.zst" "$HANGSNAP" --stats -o "$TMP/hs.core.zst" --force "$TPID"
		sleep "$SETTLE_S"
		run_tool hs_none "$TMP/hs.core" "$HANGSNAP" --stats --compress=none -o "$TMP/hs.core" --force "$TPID"
		sleep "$SETTLE_S"
		run_tool gcore "$TMP/gcore.$TPID" gcore -o "$TMP/gcore" "$TPID"
		sleep "$SETTLE_S"
	done
	stop_target

	# shellcheck disable=SC2086
	{
		local -A M
		for t in "${TOOLS[@]}"; do
			for m in stopped self wall disk apparent rss copy; do
				M[$t.$m]=$(median ${R[$t.$m]})
			done
		done

		echo
		echo "Scenario $name: $threads threads, $heap MiB heap (target RSS $(fmt_bytes "$rss_target")) - medians of $REPS reps"
		printf '  %-15s %12s %12s %10s %12s %12s %12s\n' tool stopped "(self-rep.)" wall "disk" apparent "peak RSS"
		printf '  %-15s %12s %12s %10s %12s %12s %12s\n' --------------- ---------- ---------- -------- ---------- ---------- ----------
		for t in "${TOOLS[@]}"; do
			printf '  %-15s %12s %12s %10s %12s %12s %12s\n' "${LABEL[$t]}" \
				"$(fmt_ms "${M[$t.stopped]}")" "$(fmt_ms "${M[$t.self]}")" "$(fmt_s "${M[$t.wall]}")" \
				"$(fmt_bytes "${M[$t.disk]}")" "$(fmt_bytes "${M[$t.apparent]}")" "$(fmt_bytes "${M[$t.rss]}")"
		done
		echo "  (stopped = heartbeat max gap, includes the 1 ms heartbeat period; self-rep. = what hangsnap itself prints;"
		echo "   disk = du -k allocated size; apparent = stat -c %s)"
		echo
		echo "  copy phase (hangsnap --stats): $(fmt_ms "${M[hs_zstd.copy]}") (zstd), $(fmt_ms "${M[hs_none.copy]}") (none)"
		echo "  floor for copying $(fmt_bytes "$rss_target") (the target's RSS) here: memcpy $(fmt_ms "${F[memcpy-1]}") on 1 CPU," \
			"$(fmt_ms "${F[memcpy-N]}") on ${F[cpus]}; process_vm_readv $(fmt_ms "${F[readv-N]}") on ${F[cpus]}"
		echo "  copy phase / process_vm_readv floor = $(ratio_x "${M[hs_none.copy]}" "${F[readv-N]}") (none)"
		echo

		local g=${M[gcore.stopped]} z=${M[hs_zstd.stopped]} n=${M[hs_none.stopped]}
		if [[ $g != - && $z != - && $n != - ]]; then
			echo "  stopped: gcore / hangsnap = $(ratio_x "$g" "$z") (zstd), $(ratio_x "$g" "$n") (none)"
			echo "  wall:    gcore / hangsnap = $(ratio_x "${M[gcore.wall]}" "${M[hs_zstd.wall]}") (zstd), $(ratio_x "${M[gcore.wall]}" "${M[hs_none.wall]}") (none)"
			echo "  size:    hangsnap zstd / gcore = $(ratio_pct "${M[hs_zstd.disk]}" "${M[gcore.disk]}") (on disk), $(ratio_pct "${M[hs_zstd.apparent]}" "${M[gcore.apparent]}") (apparent)"
			echo "  size:    hangsnap none / gcore = $(ratio_pct "${M[hs_none.disk]}" "${M[gcore.disk]}") (on disk), $(ratio_pct "${M[hs_none.apparent]}" "${M[gcore.apparent]}") (apparent)"
			echo "  peak RSS: hangsnap zstd / gcore(gdb) = $(ratio_pct "${M[hs_zstd.rss]}" "${M[gcore.rss]}")"
		else
			echo "  (ratios not computed: some tool never succeeded)"
		fi
		echo

		local verdict line
		for t in hs_zstd hs_none; do
			if [[ ${M[$t.stopped]} == - ]]; then verdict=FAIL
			elif le "${M[$t.stopped]}" "$limit"; then verdict=PASS
			else verdict=FAIL; fi
			local worst
			worst=$(printf '%s\n' ${R[$t.stopped]} | sort -g | tail -n1)
			line="[$verdict] $name: ${LABEL[$t]} stopped $(fmt_ms "${M[$t.stopped]}") (worst $(fmt_ms "${worst:--}")) <= $limit_text with $threads threads / $heap MiB"
			echo "  $line"; SUMMARY+=("$line")
		done
		line="[floor] $name: copying the target's $(fmt_bytes "$rss_target") takes $(fmt_ms "${F[readv-N]}") with process_vm_readv on ${F[cpus]} CPUs ($(fmt_ms "${F[memcpy-N]}") with memcpy)"
		echo "  $line"; SUMMARY+=("$line")
		if [[ ${M[hs_zstd.disk]} != - && ${M[gcore.disk]} != - ]] &&
			le "${M[hs_zstd.disk]}" "$(awk -v g="${M[gcore.disk]}" 'BEGIN { print g * 0.05 }')"; then
			verdict=PASS
		else
			verdict=FAIL
		fi
		line="[$verdict] $name: hangsnap zstd size $(fmt_bytes "${M[hs_zstd.disk]}") = $(ratio_pct "${M[hs_zstd.disk]}" "${M[gcore.disk]}") of gcore's $(fmt_bytes "${M[gcore.disk]}") (target <= 5 %)"
		echo "  $line"; SUMMARY+=("$line")
	}
}

echo "hangsnap snapshot benchmark: $(uname -srm), $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "  hangsnap: $("$HANGSNAP" --version 2>&1 | head -n1)   gdb: $(gdb --version | head -n1)"
echo "  outputs under $TMP (deleted after every run)"

# the stop limits are issue 15's
scenario A 1000 16 40000000 "40 ms"
scenario B 64 1024 120000000 "120 ms"

echo
echo "== Targets =="
printf '  %s\n' "${SUMMARY[@]}"
if ((FAILURES)); then
	echo "  $FAILURES tool run(s) failed or left the target in a bad state; see the '!!' lines above"
	exit 1
fi
