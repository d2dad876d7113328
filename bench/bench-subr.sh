# Shared by the benchmark scripts (sourced): medians, formatting, ratios.
# Values are numbers, or "-" for "no measurement", which every helper passes on.

median() {	# median of the arguments ("-" when there are none)
	if (($# == 0)); then echo -; return; fi
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fmt_ms() { [[ $1 == - ]] && { echo -; return; }; awk -v v="$1" 'BEGIN {
	ms = v / 1e6; if (ms < 10) printf "%.2f ms", ms; else if (ms < 1000) printf "%.1f ms", ms; else printf "%.2f s", ms / 1000 }'; }
fmt_s() { [[ $1 == - ]] && { echo -; return; }; awk -v v="$1" 'BEGIN { printf "%.2f s", v / 1e9 }'; }
fmt_bytes() { [[ $1 == - ]] && { echo -; return; }; awk -v v="$1" 'BEGIN {
	split("B KiB MiB GiB TiB", u, " "); i = 1; while (v >= 1024 && i < 5) { v /= 1024; i++ }
	if (i == 1) printf "%d B", v; else printf "%.1f %s", v, u[i] }'; }
ratio_x() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "n/a"; else { r = a / b; printf (r >= 10 ? "%.0fx" : (r >= 1 ? "%.1fx" : "%.2fx")), r } }'; }
ratio_pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "n/a"; else { r = 100 * a / b; printf (r >= 10 ? "%.0f %%" : (r >= 1 ? "%.1f %%" : "%.2f %%")), r } }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# start_target THREADS HEAP_MIB: starts $TARGET (heartbeat-target) recording
# its longest gap in $GAP, output in $TMP; waits for "ready PID", then
# $SETTLE_S seconds. Sets TPID. Needs die().
start_target() {
	: >"$GAP"
	"$TARGET" --threads "$1" --heap-mib "$2" --gap-file "$GAP" >"$TMP/target.out" 2>"$TMP/target.err" &
	TPID=$!
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready ' "$TMP/target.out" 2>/dev/null && break
		kill -0 "$TPID" 2>/dev/null || { cat "$TMP/target.err" >&2; die "heartbeat-target exited during setup"; }
		sleep 0.1
	done
	grep -q "^ready $TPID\$" "$TMP/target.out" ||
		die "heartbeat-target did not report 'ready $TPID' within 120 s (got: $(cat "$TMP/target.out"))"
	sleep "$SETTLE_S"
}

stop_target() {
	kill -TERM "$TPID" 2>/dev/null || true
	wait "$TPID" 2>/dev/null || true
	TPID=
}
