#!/bin/sh
# Regenerates the built-in layout of one Ruby version from that version's own
# sources, configured for x86_64 Linux (./configure run in the tree, so that
# .ext/include/*/ruby/config.h exists):
#   sh analyzer/runtimes/gen-ruby-layout.sh SRCDIR > analyzer/runtimes/ruby-X.Y.inc
# Getting a tree: `apt-get source ruby3.1` (bookworm deb-src line), trixie's
# `ruby3.3`, or a release tarball; then `./configure --enable-shared`.
# It compiles ruby-layout-gen.c against the tree's internal headers
# (vm_core.h, iseq.h, method.h, symbol.h, ractor_core.h) plus the few structs
# that live in .c files (thread_sync.c's Mutex and Queue, iseq.c's
# succinct index table), which it extracts verbatim into a header; then it
# runs the program, which prints offsetof()/sizeof() values and constants as a
# C initializer. Nothing in the output is typed by hand.
set -eu
src=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
config=$(ls "$src"/.ext/include/*/ruby/config.h 2>/dev/null | head -n 1)
[ -n "$config" ] || { echo "gen-ruby-layout: $src is not configured (no .ext/include/*/ruby/config.h): run ./configure there" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# extract START-regex .. first line that begins with '}' (a struct body)
extract() {
	awk -v start="$2" '$0 ~ start {on = 1} on {print} on && /^}/ {exit}' "$1"
}
{
	echo "/* extracted from $(basename "$src")/thread_sync.c and iseq.c */"
	extract "$src/thread_sync.c" '^typedef struct rb_mutex_struct'
	extract "$src/thread_sync.c" 'struct rb_queue \{'
	extract "$src/thread_sync.c" 'struct rb_szqueue \{'
	if grep -q '^#define IMMEDIATE_TABLE_SIZE' "$src/iseq.c"; then
		grep '^#define IMMEDIATE_TABLE_SIZE' "$src/iseq.c"
	fi
	extract "$src/iseq.c" '^struct succ_index_table \{'
	grep '^static const int ID_ENTRY_UNIT' "$src/symbol.c"
	extract "$src/symbol.c" '^enum id_entry_type \{'
} > "$tmp/extracted.h"
for s in rb_mutex_struct 'struct rb_queue' 'struct rb_szqueue' 'struct succ_index_table' ID_ENTRY_UNIT ID_ENTRY_SIZE; do
	grep -q "$s" "$tmp/extracted.h" || { echo "gen-ruby-layout: '$s' not found in $src" >&2; exit 1; }
done
${CC:-cc} -w -I"$src" -I"$src/include" -I"$(dirname "$(dirname "$config")")" -I"$tmp" \
	-DEXTRACTED_H='"extracted.h"' -o "$tmp/gen" "$here/ruby-layout-gen.c"
"$tmp/gen" "$(basename "$src")"
