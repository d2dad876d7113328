# shellcheck shell=bash
# Loading pages in a real browser, for the browser tests (sourced after
# tests/integration/test-subr.sh): Debian's chromium, headless, in a fresh
# profile each time, no network, a timeout on every run, and nothing of it
# left running afterwards.
#
# A run gives two files: the DOM after the page's scripts ran (--dump-dom,
# taken at the load event) and chromium's log, in which every console message
# of the page — console.error(), an uncaught exception ("Uncaught ..."), a
# Content-Security-Policy violation — is one "CONSOLE" line. Chromium logs
# console messages of web pages all at the same level, so the pages are held
# to be silent: any console line counts as an error (dom.py console).
# A dialog (alert(), confirm()) blocks a headless --dump-dom run until its
# timeout: a load that times out fails too.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMIUM_TIMEOUT=${CHROMIUM_TIMEOUT:-60}
CHROMIUM_FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	--disable-background-networking --disable-component-update --disable-sync
	--enable-logging=stderr --v=0 --hide-scrollbars)
DOMPY=$SRC/tests/browser/dom.py
CHROMIUM_PROFILES=""

[ -x "$CHROMIUM" ] || fail "no chromium at $CHROMIUM (bash scripts/deps.sh installs Debian's chromium)"

# reap_chromium PROFILE: kills, by pid, every process still running from the
# chromium run that used the profile directory PROFILE (its process group,
# and helpers in sessions of their own, such as crashpad, which name the
# profile on their command line).
reap_chromium() {
	local profile=$1 pgid pid args
	pgid=$(cat "$profile.pgid" 2>/dev/null) && kill -9 -- "-$pgid" 2>/dev/null
	for pid in /proc/[0-9]*; do
		pid=${pid#/proc/}
		mapfile -d '' args 2>/dev/null <"/proc/$pid/cmdline" || continue
		case "${args[*]}" in
		*"$profile"*) kill -9 "$pid" 2>/dev/null ;;
		esac
	done
	rm -rf "$profile" "$profile.pgid"
}

cleanup_browser() {
	local p
	for p in $CHROMIUM_PROFILES; do
		reap_chromium "$p"
	done
	cleanup
}
trap cleanup_browser EXIT

# browse OUT URL [FLAG...]: loads URL in a fresh headless chromium (with the
# extra chromium FLAGs, e.g. --screenshot=FILE); the DOM after load goes to
# OUT.dom, chromium's log to OUT.log. Returns chromium's exit status, 124 when
# it did not finish within CHROMIUM_TIMEOUT seconds.
browse() {
	local out=$1 url=$2 profile rc=0 pid
	shift 2
	profile=$(mktemp -d "$WORK/chromium-profile.XXXXXX")
	CHROMIUM_PROFILES="$CHROMIUM_PROFILES $profile"
	# its own session, so that everything it starts can be found and ended
	setsid timeout -k 5 "$CHROMIUM_TIMEOUT" "$CHROMIUM" "${CHROMIUM_FLAGS[@]}" \
		--user-data-dir="$profile" "$@" --dump-dom "$url" >"$out.dom" 2>"$out.log" &
	pid=$!
	echo "$pid" >"$profile.pgid"
	wait "$pid" || rc=$?
	reap_chromium "$profile"
	CHROMIUM_PROFILES=${CHROMIUM_PROFILES/ $profile/}
	return "$rc"
}

# load_page OUT FILE [FLAG...]: browse FILE, and fail unless chromium exited
# 0 with a DOM and no console message. Sets LOAD_MS to the wall time of the run.
load_page() {
	local out=$1 file=$2 rc=0 t0 t1
	shift 2
	[ -s "$file" ] || fail "no page $file"
	t0=$(date +%s%N)
	browse "$out" "file://$(realpath "$file")" "$@" || rc=$?
	t1=$(date +%s%N)
	# shellcheck disable=SC2034 # for the caller
	LOAD_MS=$(((t1 - t0) / 1000000))
	[ "$rc" = 0 ] || {
		tail -20 "$out.log" >&2
		[ "$rc" = 124 ] && fail "chromium did not finish loading $file within $CHROMIUM_TIMEOUT s (a dialog? a hang?)"
		fail "chromium exited $rc on $file"
	}
	grep -qi '<html' "$out.dom" || fail "chromium gave no DOM for $file"
	/usr/bin/python3 "$DOMPY" console "$out.log" || fail "$file wrote to the console (above)"
}

# facts OUT.dom > OUT.json: what dom.py reads off a DOM (see dom.py).
facts() {
	/usr/bin/python3 "$DOMPY" facts "$1"
}
