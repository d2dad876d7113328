#!/bin/bash
# 'cmake --install' puts exactly these files under the prefix, and what it
# installs works: both commands run --version (the project version, from
# CMakeLists.txt), the man pages render from where they were installed, the
# completions load, the example rules load, the schema is the one in docs/.
# Needs no live process.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
DEST=$WORK/dest
PREFIX=/usr

expected="bin/hanganalyze
bin/hangsnap
share/bash-completion/completions/hanganalyze
share/bash-completion/completions/hangsnap
share/hanganalyze/examples/rules/database-client-stall.rules
share/hanganalyze/examples/rules/http-client-stall.rules
share/hanganalyze/examples/rules/tls-read-stall.rules
share/hanganalyze/hanganalyze-1.schema.json
share/man/man1/hanganalyze.1
share/man/man1/hangsnap.1
share/man/man5/hanganalyze-json.5
share/man/man5/hanganalyze-rules.5"

DESTDIR=$DEST cmake --install "$BUILD" --prefix "$PREFIX" >install.log 2>&1 || { cat install.log >&2; fail "cmake --install failed"; }
(cd "$DEST$PREFIX" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) >installed
# nothing outside the prefix (no /etc: the system rule directory is the administrator's)
(cd "$DEST" && find . \( -type f -o -type l \) | grep -v "^\.$PREFIX/") && fail "files installed outside $PREFIX"
diff -u <(echo "$expected") installed || fail "cmake --install does not install exactly the expected files"

# the installed commands run and agree on the version, which is CMakeLists.txt's
version=$(sed -n 's/^project(hangsnap VERSION \([0-9.]*\) .*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no project version in CMakeLists.txt"
expect_exit 0 "$DEST$PREFIX/bin/hangsnap" --version
expect_grep "^hangsnap $version\( (git [0-9a-f]\{4,\}.*)\)\?$" "$WORK/stdout"
expect_exit 0 "$DEST$PREFIX/bin/hanganalyze" --version
expect_grep "^hanganalyze $version\( (git [0-9a-f]\{4,\}.*)\)\?$" "$WORK/stdout"
a=$("$DEST$PREFIX/bin/hangsnap" --version | cut -d' ' -f2-)
b=$("$DEST$PREFIX/bin/hanganalyze" --version | cut -d' ' -f2-)
[ "$a" = "$b" ] || fail "hangsnap says '$a', hanganalyze '$b'"
# built from a git checkout: the describe of the tree at configure time
if git -C "$SRC" rev-parse --show-toplevel >/dev/null 2>&1 &&
	[ "$(realpath "$(git -C "$SRC" rev-parse --show-toplevel)")" = "$(realpath "$SRC")" ]; then
	grep -q "(git [0-9a-f]" <<<"$a" || fail "built from a git checkout, but --version says '$a'"
fi

# the man pages render from where they were installed
for page in man1/hangsnap.1 man1/hanganalyze.1 man5/hanganalyze-rules.5 man5/hanganalyze-json.5; do
	MANWIDTH=80 man --warnings -l "$DEST$PREFIX/share/man/$page" >rendered 2>warnings || fail "man -l $page failed"
	[ ! -s warnings ] || { cat warnings >&2; fail "$page renders with warnings"; }
	grep -q "^NAME" rendered || fail "$page renders without NAME"
done
# and man finds them by name under the prefix
MANPATH=$DEST$PREFIX/share/man man -w hanganalyze-rules >where || fail "man does not find hanganalyze-rules(5) under the prefix"
expect_grep "share/man/man5/hanganalyze-rules.5" "$WORK/where"

# the completions define their functions and register them
for cmd in hangsnap hanganalyze; do
	bash -c '. "$1" && complete -p "$2"' _ "$DEST$PREFIX/share/bash-completion/completions/$cmd" "$cmd" >complete.out 2>&1 ||
		{ cat complete.out >&2; fail "the $cmd completion does not load"; }
	expect_grep "complete -F _$cmd $cmd" "$WORK/complete.out"
done

# the example rules load (a bad rule file would exit 2) and the schema is docs/'s
expect_exit 0 "$DEST$PREFIX/bin/hanganalyze" --no-db --no-default-rules \
	--rules "$DEST$PREFIX/share/hanganalyze/examples/rules" "$SRC/tests/fuzz/corpus/valid.hang.zst"
cmp "$SRC/docs/hanganalyze-1.schema.json" "$DEST$PREFIX/share/hanganalyze/hanganalyze-1.schema.json" ||
	fail "the installed schema is not docs/hanganalyze-1.schema.json"
echo "PASS"
