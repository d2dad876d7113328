# Shared by regen.sh and run-fixtures-tree.sh (sourced): a process-tree
# fixture is a directory tests/fixtures-tree/NAME/ as 'hangsnap --tree'
# wrote it (tree.manifest and one core per process) plus 'cmd', and its
# goldens. The samples it ran are in bin/ (as FILE.zst), installed at
# $TREE_FIXTURE_BIN; everything else they mapped (libc, its debug file) is
# in the C fixtures' sysroot, tests/fixtures/root, which this one extends.

TREE_FIXTURES_SRC=${TREE_FIXTURES_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
TREE_FIXTURE_BIN=/opt/hanganalyze-fixtures-tree/bin
TREE_FIXTURE_FORMATS="text json"
. "$TREE_FIXTURES_SRC/../fixtures/fixture-subr.sh"

tree_fixture_names() {
	local d
	for d in "$TREE_FIXTURES_SRC"/*/tree.manifest; do
		d=${d%/tree.manifest}
		echo "${d##*/}"
	done | LC_ALL=C sort
}

tree_fixture_golden() {
	case $1 in
	text) echo expected.txt ;;
	*) echo "expected.$1" ;;
	esac
}

# unpack_tree_fixtures DEST: DEST/root (the C fixtures' sysroot plus bin/)
# and DEST/NAME for every tree fixture
unpack_tree_fixtures() {
	local dest=$1 f name
	mkdir -p "$dest"
	(FIXTURES_SRC=$TREE_FIXTURES_SRC/../fixtures unpack_root_only "$dest") || return 1
	mkdir -p "$dest/root$TREE_FIXTURE_BIN"
	for f in "$TREE_FIXTURES_SRC"/bin/*.zst; do
		zstd -q -d "$f" -o "$dest/root$TREE_FIXTURE_BIN/$(basename "${f%.zst}")" || return 1
		chmod 755 "$dest/root$TREE_FIXTURE_BIN/$(basename "${f%.zst}")"
	done
	for name in $(tree_fixture_names); do
		cp -r "$TREE_FIXTURES_SRC/$name" "$dest/$name" || return 1
	done
}

# tree_fixture_analyze HANGANALYZE DEST NAME ARGS...: as fixture_analyze, on the tree's directory
tree_fixture_analyze() {
	local ha=$1 dest=$2 name=$3
	shift 3
	(cd "$dest" && env -u DEBUGINFOD_URLS -u HANGANALYZE_DB XDG_CONFIG_HOME=/nonexistent LC_ALL=C TZ=UTC \
		"$ha" --no-default-rules --sysroot root "$@" "$name")
}
