#!/bin/bash
# Python stacks: the Python samples (samples/python/) hung under every CPython
# found, snapshotted and analyzed, hanganalyze's Python view checked against
# Python's own. Each sample, run with --oracle FILE, writes the stacks of all
# its threads (sys._current_frames(), see samples/python/hang_support.py) to
# FILE before it prints "ready"; tests/integration/python-oracle.py holds the
# assertions. Per interpreter, per sample:
#  -) the oracle is well formed, agrees with faulthandler's dump of the same
#     moment, and the threads are where the sample hangs them (check-oracle);
#  a) every oracle thread's "python" frames (JSON) equal Python's, path, line
#     and label (co_qualname on 3.11+, co_name before), frame for frame;
#  b) join-connect: the first finding is join-on-blocked of main on "output"
#     in connect (SYN_SENT), with the Python locations of the join in
#     Shipper.shutdown and of the create_connection call in metrics_client.py;
#  c) rlock-abba: lock-cycle naming reloader and flusher; and with --plain
#     (threading.Lock, no owner recorded) a probable one;
#     (b, c: threads by tid; by name too from Python 3.14 on, which names the
#     kernel's threads, or with HS_PY_NAMES=1)
#  d) queue-idle, launcher-join (main joins a worker in time.sleep(3600)):
#     nothing at high or critical; the worker's sleep has a little under
#     3600 s left (its absolute deadline read against the snapshot's time);
#  e) subprocess-hang: a finding, or runner's wait, naming the child pid;
#  f) join-connect's signature is the same from a copy of the samples in
#     another directory, and differs from rlock-abba's;
#  g) with the sample's modules installed in the site-packages of two
#     virtualenvs at different places (first interpreter only), the two
#     signatures are the same; and join-connect's signature is the same
#     under two patch releases of one minor (Debian's 3.11.2, pyenv's 3.11.7)
#     when both are there.
# Interpreters: Debian's /usr/bin/python3.11, then the newest pyenv build of
# each of 3.8 .. 3.13 (`pyenv root`, else /root/.pyenv), then the newest
# /opt/python-3.14*; "skip: ..." for each one absent, exit 77 when there is
# none at all. HS_PY_INTERPRETERS="PATH...": those instead.
# HS_PY_KEEP_GOING=1: report every failed assertion, not only the first.
# HS_PY_DEEP_ARGS: deep-threads' N DEPTH (default 200 30). Loopback only.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK" || exit 1

# oracle ARGS...: tests/integration/python-oracle.py, under Debian's python3
oracle() { /usr/bin/python3 "$SRC/tests/integration/python-oracle.py" "$@"; }
PSAMPLES=$SRC/samples/python
DEEP_ARGS=${HS_PY_DEEP_ARGS:-200 30}
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

# the interpreters, as "TAG:PATH"
pythons=""
add_python() { # TAG PATH WHAT
	if [ -x "$2" ]; then
		pythons="$pythons $1:$2"
	else
		echo "skip: $3 (no $2)"
	fi
}
if [ -n "${HS_PY_INTERPRETERS:-}" ]; then
	for p in $HS_PY_INTERPRETERS; do
		add_python "$(basename "$p")-$(echo "$p" | cksum | cut -c1-6)" "$p" "$p"
	done
else
	add_python debian /usr/bin/python3.11 "Debian's python3.11 (apt-get install python3.11)"
	PYENV_ROOT_DIR=$(pyenv root 2>/dev/null) || PYENV_ROOT_DIR=
	[ -n "$PYENV_ROOT_DIR" ] && [ -d "$PYENV_ROOT_DIR/versions" ] || PYENV_ROOT_DIR=/root/.pyenv
	for minor in 8 9 10 11 12 13; do
		v=$(ls -d "$PYENV_ROOT_DIR"/versions/3."$minor".* 2>/dev/null | sed 's,.*/,,' | grep -E "^3\.$minor\.[0-9]+$" | sort -V | tail -n 1)
		if [ -n "$v" ]; then
			add_python "py$v" "$PYENV_ROOT_DIR/versions/$v/bin/python3.$minor" "pyenv python $v"
		else
			echo "skip: no pyenv python 3.$minor (no $PYENV_ROOT_DIR/versions/3.$minor.*)"
		fi
	done
	py314=$(ls -d /opt/python-3.14*/bin/python3.14 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$py314" ]; then
		add_python "py$(basename "$(dirname "$(dirname "$py314")")" | sed 's/^python-//')" "$py314" "python 3.14"
	else
		echo "skip: no python 3.14 (no /opt/python-3.14*/bin/python3.14)"
	fi
fi
[ -n "$pythons" ] || {
	echo "skip: no Python interpreter at all"
	exit 77
}

FAILS=0
# check WHAT CMD...: an assertion; fails the test (or counts, HS_PY_KEEP_GOING)
check() {
	local what=$1
	shift
	"$@" && return 0
	[ -n "${HS_PY_KEEP_GOING:-}" ] || fail "$what"
	echo "FAIL (going on): $what" >&2
	FAILS=$((FAILS + 1))
}

# ready_field TAG KEY: KEY=VALUE of TAG's ready line
ready_field() {
	sed -n "s/^ready .* $2=\\([^ ]*\\).*/\\1/p" "$WORK/$1.out" | head -1
}

# snap TAG PYTHON SCRIPT [ARGS...]: runs the sample with --oracle
# TAG.oracle.json, snapshots it into TAG.core, kills it (and its child, if its
# ready line names one), analyzes TAG.core into TAG.json and TAG.txt; the
# sample's ready line is in TAG.out.
snap() {
	local tag=$1 py=$2 child
	shift 2
	start_target "$WORK/$tag.out" "$py" "$@" --oracle "$WORK/$tag.oracle.json"
	[ -s "$WORK/$tag.oracle.json" ] || fail "$tag: ready, but no oracle file"
	note "$tag: syscalls $(syscall_summary "$TARGET_PID")"
	expect_exit 0 "$HANGSNAP" -q -o "$tag.core" "$TARGET_PID"
	child=$(ready_field "$tag" child)
	kill -9 "$TARGET_PID"
	[ -z "$child" ] || kill -9 "$child" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null # reaped here: no "Killed" line from bash
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$tag.core"
	cp "$WORK/stdout" "$tag.json"
	expect_exit 0 "$HANGANALYZE" --no-db --format=text "$tag.core"
	cp "$WORK/stdout" "$tag.txt"
	rm -f "$tag.core" # 200 threads' stacks, 7 interpreters: keep $WORK small
}

# line_of FILE PATTERN: the number of the (only) line of FILE matching PATTERN
line_of() {
	local n
	n=$(grep -n -- "$2" "$1" | cut -d: -f1)
	case $n in
	'' | *[!0-9]*) fail "$1: not exactly one line matches '$2' ('$n')" ;;
	esac
	echo "$n"
}

# schema_ok FILE: validate_json, as an assertion (a subshell: validate_json
# fails the test itself); only the gist of jsonschema's complaint on stderr
schema_ok() {
	local out
	out=$( (validate_json "$1") 2>&1) && return 0
	echo "$out" | grep -E 'ValidationError|^Failed validating|^FAIL' | cut -c1-300 >&2
	return 1
}

# syscall_summary PID: "NR×COUNT..." of its threads' syscalls
syscall_summary() {
	syscalls "$1" | cut -d: -f2 | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=" "}'
}

sig() { json_query "$1" "(d.get('signature') or {}).get('hash')"; }
sig_text() { json_query "$1" "(d.get('signature') or {}).get('text')"; }

samples="join-connect rlock-abba queue-idle subprocess-hang launcher-join deep-threads"
join_line=$(line_of "$PSAMPLES/join-connect.py" '^ *self\.output\.join()$')
connect_line=$(line_of "$PSAMPLES/lib/metrics_client.py" 'socket\.create_connection(')

# f) the copy: the same samples, from another directory
mkdir -p copy
cp -r "$PSAMPLES" copy/python
rm -rf copy/python/__pycache__ copy/python/lib/__pycache__

for entry in $pythons; do
	ptag=${entry%%:*} py=${entry#*:}
	note "$ptag: $py ($("$py" -c 'import platform; print(platform.python_version())'))"
	for s in $samples; do
		args=""
		[ "$s" != deep-threads ] || args=$DEEP_ARGS
		# shellcheck disable=SC2086 # args: words
		snap "$ptag-$s" "$py" "$PSAMPLES/$s.py" $args
		check "$ptag-$s: the oracle is wrong" oracle check-oracle "$ptag-$s.oracle.json" --ready "$ptag-$s.out"
	done
	for s in $samples; do
		check "$ptag-$s: Python frames differ from the oracle's" \
			oracle frames "$ptag-$s.oracle.json" "$ptag-$s.json"
	done
	for s in $samples; do
		check "$ptag-$s: not a hanganalyze/1 document" schema_ok "$ptag-$s.json"
	done

	# findings name threads "COMM (TID)": by tid always; by their Python name
	# (output, reloader, ...) only from 3.14 on, where Python names the
	# kernel's threads (comm), or with HS_PY_NAMES=1
	names=${HS_PY_NAMES:-}
	case $(json_query "$ptag-join-connect.oracle.json" "d['version']") in
	3.[0-9].* | 3.1[0-3].*) ;;
	*) names=1 ;;
	esac
	name() { [ -z "$names" ] || printf '%s\n' "$1" "$2"; }

	# b) join-connect
	# shellcheck disable=SC2046 # name: words
	check "$ptag-join-connect: join-on-blocked finding" oracle finding "$ptag-join-connect.txt" join-on-blocked --first \
		--header "($(ready_field "$ptag-join-connect" joiner))" --header "($(ready_field "$ptag-join-connect" target))" \
		$(name --header output) --header connect --header SYN_SENT \
		--body "join-connect.py:$join_line" --body "metrics_client.py:$connect_line"

	# c) rlock-abba
	# shellcheck disable=SC2046 # name: words
	check "$ptag-rlock-abba: lock-cycle finding" oracle finding "$ptag-rlock-abba.txt" lock-cycle \
		--header "($(ready_field "$ptag-rlock-abba" reloader))" --header "($(ready_field "$ptag-rlock-abba" flusher))" \
		$(name --body reloader) $(name --body flusher)

	# c) the same with threading.Lock()s, which record no owner: a probable lock-cycle,
	# each holder found by its frames' references to the lock
	snap "$ptag-lock-abba" "$py" "$PSAMPLES/rlock-abba.py" --plain
	check "$ptag-lock-abba: the oracle is wrong" oracle check-oracle "$ptag-lock-abba.oracle.json" --ready "$ptag-lock-abba.out"
	check "$ptag-lock-abba: Python frames differ from the oracle's" oracle frames "$ptag-lock-abba.oracle.json" "$ptag-lock-abba.json"
	# shellcheck disable=SC2046 # name: words
	check "$ptag-lock-abba: probable lock-cycle finding" oracle finding "$ptag-lock-abba.txt" lock-cycle \
		--header "($(ready_field "$ptag-lock-abba" reloader))" --header "($(ready_field "$ptag-lock-abba" flusher))" \
		--header probable --body "its frames refer to it"

	# d) queue-idle
	check "$ptag-queue-idle: severe finding in a healthy process" oracle no-severe "$ptag-queue-idle.txt"

	# d) launcher-join: a join on a thread in a long timed sleep is no alarm, and
	# the sleep's remaining time (an absolute deadline from 3.11) is a little under 3600 s
	check "$ptag-launcher-join: severe finding in a healthy launcher" oracle no-severe "$ptag-launcher-join.txt"
	check "$ptag-launcher-join: the worker's sleep timeout" oracle timeout "$ptag-launcher-join.json" \
		"$(ready_field "$ptag-launcher-join" worker)" 3000000 3600000

	# e) subprocess-hang
	check "$ptag-subprocess-hang: nothing names the child" oracle names-pid "$ptag-subprocess-hang.json" \
		"$ptag-subprocess-hang.txt" "$(ready_field "$ptag-subprocess-hang" child)" \
		"$(ready_field "$ptag-subprocess-hang" runner)"

	# f) signature stability
	snap "$ptag-jc-copy" "$py" "$WORK/copy/python/join-connect.py"
	check "$ptag-jc-copy: the oracle is wrong" oracle check-oracle "$ptag-jc-copy.oracle.json" --ready "$ptag-jc-copy.out"
	grep -q "$WORK/copy/python/lib/metrics_client.py" "$ptag-jc-copy.oracle.json" || fail "$ptag-jc-copy did not run from the copy"
	sig_jc=$(sig "$ptag-join-connect.json") sig_copy=$(sig "$ptag-jc-copy.json") sig_abba=$(sig "$ptag-rlock-abba.json")
	note "$ptag signatures: join-connect $sig_jc, its copy $sig_copy, rlock-abba $sig_abba"
	check "$ptag: join-connect has no signature" [ "$sig_jc" != None ]
	check "$ptag: join-connect's signature moves with the directory: $sig_jc vs $sig_copy ($(sig_text "$ptag-join-connect.json") / $(sig_text "$ptag-jc-copy.json"))" \
		[ "$sig_jc" = "$sig_copy" ]
	check "$ptag: rlock-abba has no signature" [ "$sig_abba" != None ]
	check "$ptag: rlock-abba and join-connect share signature $sig_abba" [ "$sig_abba" != "$sig_jc" ]
done

# g) virtualenvs in two places, the sample's modules in their site-packages
# shellcheck disable=SC2086 # words
first=$(set -- $pythons && echo "$1")
first_tag=${first%%:*} first_py=${first#*:}
venv_sigs=""
for v in venv-a deep/er/venv-b; do
	if ! "$first_py" -m venv --without-pip "$WORK/$v" >"$WORK/venv.err" 2>&1; then
		note "skip: g) virtualenvs: $first_py -m venv failed: $(head -n 1 "$WORK/venv.err")"
		venv_sigs=""
		break
	fi
	site=$("$WORK/$v/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	cp "$PSAMPLES/lib/"*.py "$site/"
	mkdir -p "$WORK/$v/app"
	cp "$PSAMPLES/join-connect.py" "$PSAMPLES/hang_support.py" "$WORK/$v/app/"
	tag=$first_tag-$(basename "$v")
	snap "$tag" "$WORK/$v/bin/python" "$WORK/$v/app/join-connect.py"
	grep -q "$site/metrics_client.py" "$tag.oracle.json" || fail "$tag did not import metrics_client from $site"
	venv_sigs="$venv_sigs $(sig "$tag.json")"
	note "$tag: signature $(sig "$tag.json"): $(sig_text "$tag.json")"
done
if [ -n "$venv_sigs" ]; then
	# shellcheck disable=SC2086 # words
	set -- $venv_sigs
	check "g) no signature in a virtualenv" [ "$1" != None ]
	check "g) the signature moves with the virtualenv: $1 vs $2" [ "$1" = "$2" ]
fi
# g) two patch releases of 3.11
p117=$(ls py3.11.*-join-connect.json 2>/dev/null | head -n 1)
if [ -f debian-join-connect.json ] && [ -n "$p117" ]; then
	check "g) join-connect signs differently under Debian's 3.11.2 and ${p117%-join-connect.json}" \
		[ "$(sig debian-join-connect.json)" = "$(sig "$p117")" ]
else
	note "skip: g) patch releases: needs both Debian's 3.11.2 and pyenv's 3.11.7"
fi

[ "$FAILS" = 0 ] || fail "$FAILS Python assertion(s) failed"
echo ok
