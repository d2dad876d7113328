# Shared by the integration tests (sourced). Each test runs real processes:
# it starts a target, snapshots it with hangsnap, and asserts on what it sees.
# Environment: BUILD (build directory), SRC (source directory).
set -u
BUILD=${BUILD:?BUILD must point at the build directory}
SRC=${SRC:?SRC must point at the source directory}
HANGSNAP=$BUILD/hangsnap
HANGANALYZE=$BUILD/hanganalyze
HS_NOTES=$BUILD/tests/hs-notes
PROGS=$BUILD/tests
SAMPLES=$BUILD/samples
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hs-test.XXXXXX")
chmod 755 "$WORK"
# cases go to a database of the test's own, never the user's; so does the symbol cache
# (the user's cache directory stays in HS_USER_CACHE_HOME, for what a test keeps between runs)
export HANGANALYZE_DB=$WORK/cases.db
HS_USER_CACHE_HOME=${XDG_CACHE_HOME:-}
export XDG_CACHE_HOME=$WORK/cache
STARTED_PIDS=""

cleanup() {
	for p in $STARTED_PIDS; do
		kill -9 "$p" 2>/dev/null
		# children of our targets (lock waiters, vfork children)
		pkill -9 -P "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "# $*"
}

# start_target OUTFILE CMD...: runs CMD in the background with stdout in
# OUTFILE, waits (10 s at most) for its "ready PID" line; sets TARGET_PID.
start_target() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 &
	STARTED_PIDS="$STARTED_PIDS $!"
	for _ in $(seq 100); do
		if grep -q '^ready' "$out" 2>/dev/null; then
			TARGET_PID=$(awk '/^ready/ {print $2; exit}' "$out")
			return 0
		fi
		sleep 0.1
	done
	cat "$out" >&2
	fail "target '$*' did not become ready"
}

# thread_states PID: the state letters of every thread, sorted.
thread_states() {
	for f in /proc/"$1"/task/*/stat; do
		sed -e 's/.*) //' "$f" 2>/dev/null | cut -d' ' -f1
	done | sort | tr -d '\n'
}

# syscalls PID: "TID:NR" for every thread, the syscall it is blocked in.
# A call the kernel restarted after a stop through its restart block (poll,
# nanosleep, futex with a timeout) shows as restart_syscall (219): the same
# call, resumed — count it as such.
syscalls() {
	local t nr
	for t in /proc/"$1"/task/*; do
		nr=$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)
		echo "${t##*/}:$nr"
	done
}

# assert_same_syscalls PID BEFORE: every thread blocks where it did before.
assert_same_syscalls() {
	local line tid nr now
	for line in $2; do
		tid=${line%%:*} nr=${line#*:}
		now=$(cut -d' ' -f1 /proc/"$1"/task/"$tid"/syscall 2>/dev/null)
		[ "$now" = "$nr" ] || [ "$now" = 219 ] || fail "thread $tid was in syscall $nr, now in '$now'"
	done
}

# assert_untraced PID: no thread is stopped or traced.
assert_untraced() {
	local pid=$1 t
	for t in /proc/"$pid"/task/*; do
		grep -q '^TracerPid:[[:space:]]*0$' "$t/status" || fail "thread ${t##*/} of $pid is still traced"
	done
	case $(thread_states "$pid") in
	*t* | *T*) fail "process $pid has stopped threads: $(thread_states "$pid")" ;;
	esac
}

# expect_exit CODE CMD...: runs CMD, checks its exit code; stderr in $WORK/stderr.
expect_exit() {
	local want=$1 rc=0
	shift
	"$@" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
	[ "$rc" = "$want" ] || {
		cat "$WORK/stderr" >&2
		fail "'$*' exited $rc, expected $want"
	}
}

# expect_grep PATTERN FILE [WHAT]
expect_grep() {
	grep -q -- "$1" "$2" || {
		echo "--- $2:" >&2
		head -50 "$2" >&2
		fail "${3:-expected} '$1' in $2"
	}
}

# json_query FILE EXPR: evaluates the Python expression EXPR with `d` bound to
# the JSON document in FILE and prints the result (lists one item per line).
json_query() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
if isinstance(r, (list, tuple)):
    for x in r:
        print(x)
else:
    print(r)
PY
}

# validate_json FILE: FILE is a hanganalyze/1 document valid against the schema in docs/.
validate_json() {
	/usr/bin/python3 - "$SRC/docs/hanganalyze-1.schema.json" "$1" <<'PY' || fail "$1 does not match the hanganalyze/1 schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
PY
}
