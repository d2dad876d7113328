# Shared by regen.sh and run-python-fixtures.sh (sourced): how the Python
# fixtures are unpacked and how their reports are made, defined once so that
# the goldens regen.sh writes are exactly what the test compares against.
#
# A fixture is a directory tests/fixtures-python/NAME/ with a file 'cmd' and
# the core NAME/core.hang.zst (hangsnap's seekable zstd, analyzed as it is).
# The sysroot the cores are analyzed with is built from two trees: root/ here
# (the pyenv Pythons' files: bin/python3.X, lib/libpython3.X.so.1.0 and
# lib-dynload/_socket.*.so) and, from the C fixtures' tests/fixtures/root/,
# the files listed in shared-root.sha256 (libc, ld.so and their debug files,
# the same host's). Every file under both is FILE.zst.

PYTHON_FIXTURES_SRC=${PYTHON_FIXTURES_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
PYTHON_FIXTURES_SHARED=${PYTHON_FIXTURES_SHARED:-$PYTHON_FIXTURES_SRC/../fixtures/root}

# python_fixture_names: the fixtures, one per line, sorted
python_fixture_names() {
	local d
	for d in "$PYTHON_FIXTURES_SRC"/*/cmd; do
		d=${d%/cmd}
		echo "${d##*/}"
	done | LC_ALL=C sort
}

# python_fixture_core NAME: the core's path relative to the unpacked tree
python_fixture_core() {
	echo "$1/core.hang.zst"
}

# unpack_python_fixtures DEST: DEST/root (the combined sysroot) and
# DEST/NAME/core.hang.zst for every fixture. Fails, saying which, when a
# shared file is missing from tests/fixtures/root or is not the one the cores
# were made with (the C fixtures were regenerated on another libc: make these
# again too, see README.md).
unpack_python_fixtures() {
	local dest=$1 rel sum name
	mkdir -p "$dest/root"
	while read -r sum rel; do
		[ -e "$PYTHON_FIXTURES_SHARED/$rel.zst" ] || { echo "missing $PYTHON_FIXTURES_SHARED/$rel.zst" >&2; return 1; }
		mkdir -p "$dest/root/$(dirname "$rel")"
		zstd -q -d --long=31 "$PYTHON_FIXTURES_SHARED/$rel.zst" -o "$dest/root/$rel" || return 1
	done <"$PYTHON_FIXTURES_SRC/shared-root.sha256"
	(cd "$dest/root" && sha256sum --quiet -c "$PYTHON_FIXTURES_SRC/shared-root.sha256") >&2 || {
		echo "tests/fixtures/root no longer holds the libc these cores were made with" >&2
		return 1
	}
	(cd "$PYTHON_FIXTURES_SRC/root" && find . -type f -name '*.zst' | LC_ALL=C sort) | while read -r rel; do
		rel=${rel#./}
		mkdir -p "$dest/root/$(dirname "$rel")"
		zstd -q -d --long=31 "$PYTHON_FIXTURES_SRC/root/$rel" -o "$dest/root/${rel%.zst}" || return 1
	done || return 1
	find "$dest/root" -type f \( -path '*/bin/*' -o -name '*.so*' \) ! -name '*.debug' -exec chmod 755 {} +
	for name in $(python_fixture_names); do
		mkdir -p "$dest/$name"
		cp "$PYTHON_FIXTURES_SRC/$(python_fixture_core "$name")" "$dest/$name/" || return 1
	done
}

# python_fixture_analyze HANGANALYZE DEST NAME ARGS...: hanganalyze on NAME's
# core in DEST, paths relative to DEST, the combined sysroot, no rules from the
# host, no debuginfod; stdout is the report.
python_fixture_analyze() {
	local ha=$1 dest=$2 name=$3
	shift 3
	(cd "$dest" && env -u DEBUGINFOD_URLS -u HANGANALYZE_DB XDG_CONFIG_HOME=/nonexistent LC_ALL=C TZ=UTC \
		"$ha" --no-default-rules --sysroot root "$@" "$(python_fixture_core "$name")")
}

# the golden files of a fixture and the formats they hold
PYTHON_FIXTURE_FORMATS="text json"
python_fixture_golden() {
	case $1 in
	text) echo expected.txt ;;
	*) echo "expected.$1" ;;
	esac
}
