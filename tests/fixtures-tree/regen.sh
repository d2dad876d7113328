#!/bin/bash
# Makes the process-tree fixtures again, or (--goldens) only their goldens
# from the committed cores:
#
#   sudo tests/fixtures-tree/regen.sh [BUILD]          # cores, bin/, goldens
#   tests/fixtures-tree/regen.sh --goldens [BUILD]     # goldens only
#
# supervise-join: samples/supervise running samples/join-connect-stall,
# snapshotted with 'hangsnap --tree' (the story, one level down: the
# supervisor waits for a worker whose shutdown joins a thread stuck in
# connect). The samples run from $TREE_FIXTURE_BIN so that the cores record
# a path the fixture's sysroot holds; libc and its debug file must be the
# ones in tests/fixtures/root (same Debian 12 libc6), which this checks.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tree-fixture-subr.sh"
GOLDENS_ONLY=
[ "${1:-}" = --goldens ] && { GOLDENS_ONLY=1; shift; }
BUILD=$(cd "${1:-$here/../../build}" && pwd)
[ -x "$BUILD/hanganalyze" ] || { echo "no hanganalyze in $BUILD" >&2; exit 1; }

write_goldens() {
	local work name fmt
	work=$(mktemp -d)
	unpack_tree_fixtures "$work"
	for name in $(tree_fixture_names); do
		for fmt in $TREE_FIXTURE_FORMATS; do
			tree_fixture_analyze "$BUILD/hanganalyze" "$work" "$name" --no-db --format="$fmt" \
				>"$TREE_FIXTURES_SRC/$name/$(tree_fixture_golden "$fmt")"
		done
		echo "$name: goldens written"
	done
	rm -rf "$work"
}

if [ -n "$GOLDENS_ONLY" ]; then
	write_goldens
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "regen.sh: run as root ($TREE_FIXTURE_BIN)" >&2; exit 2; }
libc=$(eu-readelf -n /lib/x86_64-linux-gnu/libc.so.6 | awk '/Build ID:/ {print $3}')
[ -e "$here/../fixtures/root/usr/lib/debug/.build-id/${libc:0:2}/${libc:2}.debug.zst" ] ||
	{ echo "regen.sh: this libc ($libc) is not the one in tests/fixtures/root: regenerate those first" >&2; exit 2; }
rm -rf "$TREE_FIXTURE_BIN" "$here/bin" "$here/supervise-join"
mkdir -p "$TREE_FIXTURE_BIN" "$here/bin"
for s in supervise join-connect-stall; do
	install -m 755 "$BUILD/samples/$s" "$TREE_FIXTURE_BIN/$s"
	zstd -q -19 "$TREE_FIXTURE_BIN/$s" -o "$here/bin/$s.zst"
done
work=$(mktemp -d)
trap 'pkill -9 -P "$sup" 2>/dev/null; kill -9 "$sup" 2>/dev/null; rm -rf "$work"' EXIT
"$TREE_FIXTURE_BIN/supervise" "$TREE_FIXTURE_BIN/join-connect-stall" >"$work/out" 2>&1 &
sup=$!
for _ in $(seq 100); do
	[ "$(grep -c '^ready' "$work/out")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c '^ready' "$work/out")" -ge 2 ] || { cat "$work/out" >&2; exit 1; }
sleep 1	# a SYN retransmit or two
"$BUILD/hangsnap" --tree -q -o "$here/supervise-join" "$sup"
chmod 644 "$here/supervise-join"/*
{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sr), $(dpkg-query -W -f='libc6 ${Version}' libc6), source $(git -C "$here" describe --always --dirty)"
	echo "$TREE_FIXTURE_BIN/supervise $TREE_FIXTURE_BIN/join-connect-stall &"
	echo "hangsnap --tree -q -o supervise-join \$!"
	grep '^ready' "$work/out" | sed 's/^/# /'
} >"$here/supervise-join/cmd"
write_goldens
