#!/bin/bash
# debuginfod, for real: Debian's debuginfod serves the debug file of a
# stripped sample; with DEBUGINFOD_URLS pointing at it hanganalyze shows the
# sample's frames with file:line, without it only function+offset. The
# download lands in the debuginfod client cache under $XDG_CACHE_HOME. A
# server that accepts connections and never answers costs a bounded time:
# the report is printed all the same.
#
# The test runs in a network namespace of its own (unshare --net, loopback
# only): debuginfod 0.188 has no option to listen on 127.0.0.1 alone, so
# the namespace is what keeps it off every other interface.
# Skips (77) without debuginfod, objcopy or unshare, or when not root.
SELF=$(realpath "$0")
. "$(dirname "$SELF")/test-subr.sh"
cd "$WORK"
SAMPLE=join-connect-stall

if [ -z "${HS_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: a network namespace of its own needs root"; exit 77; }
	for tool in debuginfod objcopy strip unshare ip python3; do
		command -v "$tool" >/dev/null || { echo "skip: no $tool (scripts/deps.sh)"; exit 77; }
	done
	cd / && rm -rf "$WORK"
	trap - EXIT
	HS_IN_NETNS=1 exec unshare --net -- bash "$SELF"
fi
ip link set lo up || fail "cannot bring up lo in the namespace"

# --- the stripped sample, and its debug file in the served directory ---
mkdir -p bin served cache
cp "$SAMPLES/$SAMPLE" bin/$SAMPLE.full
objcopy --only-keep-debug bin/$SAMPLE.full served/$SAMPLE.debug
strip --strip-debug -o bin/$SAMPLE bin/$SAMPLE.full
rm bin/$SAMPLE.full
readelf -S bin/$SAMPLE | grep -q '\.debug_info' && fail "the stripped sample still has .debug_info"
readelf -S served/$SAMPLE.debug | grep -q '\.debug_info' || fail "the debug file has no .debug_info"
buildid=$(readelf -n bin/$SAMPLE | awk '/Build ID:/ {print $3}')
[ -n "$buildid" ] || fail "the sample has no build-id"
[ ! -e "/usr/lib/debug/.build-id/${buildid:0:2}/${buildid:2}.debug" ] || fail "the host has the sample's debug file"

start_target sample.out "$WORK/bin/$SAMPLE"
expect_exit 0 "$HANGSNAP" -q -o core.hang.zst "$TARGET_PID"

# the lookups with no server: function+offset for the sample, no file:line
XDG_CACHE_HOME=$WORK/cache expect_exit 0 env -u DEBUGINFOD_URLS "$HANGANALYZE" --no-db core.hang.zst
cp "$WORK/stdout" without.txt
grep -q "$SAMPLE\.c:[0-9]" without.txt && fail "file:line for the stripped sample without debuginfod"
expect_grep "join-on-blocked" without.txt

# --- the server ---
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
debuginfod -F -p "$port" -d "$WORK/debuginfod.sqlite" -t 0 -g 0 "$WORK/served" >debuginfod.log 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
found=""
for _ in $(seq 150); do
	if python3 - "$port" "$buildid" <<'PY' 2>/dev/null; then found=1; break; fi
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/buildid/%s/debuginfo" % (sys.argv[1], sys.argv[2]), timeout=2).read(1)
PY
	sleep 0.2
done
[ -n "$found" ] || { tail -20 debuginfod.log >&2; fail "debuginfod on port $port never served build-id $buildid"; }
note "debuginfod serves $buildid on 127.0.0.1:$port"

DEBUGINFOD_URLS=http://127.0.0.1:$port XDG_CACHE_HOME=$WORK/cache \
	expect_exit 0 env -u DEBUGINFOD_CACHE_PATH -u DEBUGINFOD_TIMEOUT -u DEBUGINFOD_MAXTIME "$HANGANALYZE" --no-db core.hang.zst
cp "$WORK/stdout" with.txt
expect_grep "$SAMPLE\.c:[0-9]" with.txt "file:line from the debuginfod server"
expect_grep "join-on-blocked" with.txt
[ -s "cache/debuginfod_client/$buildid/debuginfo" ] || { find cache >&2; fail "no cached debuginfo under \$XDG_CACHE_HOME/debuginfod_client"; }
note "cached: cache/debuginfod_client/$buildid/debuginfo"

# the same analysis again comes from the cache, with the server gone
kill "$(jobs -p | tail -1)" 2>/dev/null
DEBUGINFOD_URLS=http://127.0.0.1:$port XDG_CACHE_HOME=$WORK/cache \
	expect_exit 0 env -u DEBUGINFOD_CACHE_PATH "$HANGANALYZE" --no-db core.hang.zst
expect_grep "$SAMPLE\.c:[0-9]" "$WORK/stdout" "file:line from the cache"

# --- a server that accepts and never answers: bounded ---
python3 - "$WORK/blackhole.port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # read nothing, answer nothing
PY
STARTED_PIDS="$STARTED_PIDS $!"
for _ in $(seq 50); do [ -s blackhole.port ] && break; sleep 0.1; done
bport=$(cat blackhole.port)
rm -rf cache2
t0=$(date +%s%N)
DEBUGINFOD_URLS=http://127.0.0.1:$bport XDG_CACHE_HOME=$WORK/cache2 \
	expect_exit 0 timeout -k 5 300 env -u DEBUGINFOD_CACHE_PATH -u DEBUGINFOD_TIMEOUT -u DEBUGINFOD_MAXTIME \
	"$HANGANALYZE" --no-db core.hang.zst
ms=$((($(date +%s%N) - t0) / 1000000))
note "a never-answering server: the analysis took $ms ms"
expect_grep "join-on-blocked" "$WORK/stdout" "the report despite a server that never answers"
grep -q "$SAMPLE\.c:[0-9]" "$WORK/stdout" && fail "file:line from a server that never answered"
[ "$ms" -lt 60000 ] || fail "a never-answering server held the analysis $ms ms (the bound is hanganalyze's default DEBUGINFOD_TIMEOUT)"
echo PASS
