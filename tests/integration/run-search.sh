#!/bin/bash
# A core from "another machine": a program and its own shared library built
# under a home directory that does not exist here. Copied into one directory
# under other names, --search DIR finds them by build-id and the stack is
# whole (symbols, file:line), as gdb's solib-search-path gives it; so does
# HANGANALYZE_PATH. A same-named file with another build-id is never used;
# a stripped library finds its separate debug file among the searched files
# or in a --debug-dir .build-id tree. Without them the report names the
# missing module and its build-id.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
command -v gcc >/dev/null || fail "gcc is not installed"

# --- the "other machine": /home/… paths that are gone once the core is taken ---
HOMEDIR=$WORK/home/builder/app
mkdir -p "$HOMEDIR"
cat >"$HOMEDIR/stall.c" <<'C'
#include <unistd.h>
int stall_depth = 0;
__attribute__((noinline)) void stall_inner(void)
{
	stall_depth++;
	for (;;)
		pause();
}
__attribute__((noinline)) void stall_outer(void)
{
	stall_inner();
	stall_depth--;
}
C
cat >"$HOMEDIR/main.c" <<'C'
#include <stdio.h>
#include <unistd.h>
void stall_outer(void);
int main(void)
{
	printf("ready %d\n", getpid());
	fflush(stdout);
	stall_outer();
	return 0;
}
C
gcc -g -O0 -fno-omit-frame-pointer -shared -fPIC -Wl,--build-id "$HOMEDIR/stall.c" -o "$HOMEDIR/libstall.so" || fail "cc libstall"
gcc -g -O0 -fno-omit-frame-pointer -Wl,--build-id "$HOMEDIR/main.c" -L"$HOMEDIR" -lstall -Wl,-rpath,"$HOMEDIR" \
	-o "$HOMEDIR/stallapp" || fail "cc stallapp"
start_target "$WORK/app.out" "$HOMEDIR/stallapp"
expect_exit 0 "$HANGSNAP" -q -o app.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"
lib_id=$(readelf -n "$HOMEDIR/libstall.so" | awk '/Build ID/ { print $3 }')
[ -n "$lib_id" ] || fail "libstall.so has no build-id"

# the files move to where an SRE copied them, renamed; the build tree is gone
mkdir -p copied/bin copied/lib
cp "$HOMEDIR/stallapp" copied/bin/the-app
cp "$HOMEDIR/libstall.so" copied/lib/libstall-from-prod.so
cp "$HOMEDIR/libstall.so" libstall.orig
rm -rf "$WORK/home"

# --- without: the module is missing, by name and build-id ---
expect_exit 0 "$HANGANALYZE" --no-db app.hang.zst
expect_grep "no ELF file for '$HOMEDIR/libstall.so' with build-id $lib_id" "$WORK/stdout"
! grep -q "stall_inner" "$WORK/stdout" || fail "a symbol without the library"

# --- --search: the whole stack, with file:line ---
expect_exit 0 "$HANGANALYZE" --no-db --search "$WORK/copied" app.hang.zst
cp "$WORK/stdout" found.txt
expect_grep "stall_inner+0x[0-9a-f]* (libstall.so) stall.c:7" found.txt
expect_grep "stall_outer+0x[0-9a-f]* (libstall.so) stall.c:11" found.txt
expect_grep "main+0x[0-9a-f]* (stallapp) main.c:8" found.txt
! grep -q "no ELF file for '$HOMEDIR" found.txt || fail "--search left the module missing: $(grep 'no ELF' found.txt)"
expect_exit 0 "$HANGANALYZE" --no-db --format=json --search "$WORK/copied" app.hang.zst
validate_json "$WORK/stdout"

# --- HANGANALYZE_PATH: the same, colon-separated ---
mkdir -p empty
HANGANALYZE_PATH="$WORK/empty:$WORK/copied" expect_exit 0 "$HANGANALYZE" --no-db app.hang.zst
cmp "$WORK/stdout" found.txt || fail "HANGANALYZE_PATH gives another report than --search"

# --- a file with the library's name but another build-id is never used ---
mkdir -p decoy
printf 'int stall_depth; void stall_inner(void) {} void stall_outer(void) {}\n' >decoy.c
gcc -g -shared -fPIC -Wl,--build-id decoy.c -o decoy/libstall.so || fail "cc decoy"
mv copied/lib/libstall-from-prod.so lib.keep
expect_exit 0 "$HANGANALYZE" --no-db --search "$WORK/decoy" --search "$WORK/copied" app.hang.zst
expect_grep "no ELF file for '$HOMEDIR/libstall.so' with build-id $lib_id, at its path or among the 2 ELF files under the 2 search directories" "$WORK/stdout"
mv lib.keep copied/lib/libstall-from-prod.so
expect_exit 0 "$HANGANALYZE" --no-db --search "$WORK/decoy" --search "$WORK/copied" app.hang.zst
expect_grep "stall_inner+0x[0-9a-f]* (libstall.so) stall.c:7" "$WORK/stdout"

# --- stripped, with a separate debug file among the searched files ---
mkdir -p stripped debugfiles
objcopy --only-keep-debug libstall.orig debugfiles/libstall.debug
objcopy --strip-debug libstall.orig stripped/libstall.so
expect_exit 0 "$HANGANALYZE" --no-db --search "$WORK/stripped" --search "$WORK/copied/bin" app.hang.zst
expect_grep "stall_inner+0x[0-9a-f]* (libstall.so)$" "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --no-db --search "$WORK/stripped" --search "$WORK/copied/bin" --search "$WORK/debugfiles" app.hang.zst
expect_grep "stall_inner+0x[0-9a-f]* (libstall.so) stall.c:7" "$WORK/stdout"

# --- --debug-dir: a .build-id tree, as gdb's debug-file-directory ---
mkdir -p "dbg/.build-id/${lib_id:0:2}"
cp debugfiles/libstall.debug "dbg/.build-id/${lib_id:0:2}/${lib_id:2}.debug"
expect_exit 0 "$HANGANALYZE" --no-db --search "$WORK/stripped" --search "$WORK/copied/bin" --debug-dir "$WORK/dbg" app.hang.zst
expect_grep "stall_inner+0x[0-9a-f]* (libstall.so) stall.c:7" "$WORK/stdout"

# --- bad directories: a clear warning, the analysis goes on ---
expect_exit 0 "$HANGANALYZE" --no-db --search "$WORK/nonexistent" --search "$WORK/copied" app.hang.zst
expect_grep "cannot read the search directory '$WORK/nonexistent'" "$WORK/stdout"
expect_grep "stall_inner" "$WORK/stdout"
expect_exit 2 "$HANGANALYZE" --no-db --search "" app.hang.zst
expect_grep "^hanganalyze: --search needs a directory$" "$WORK/stderr"
# a FIFO and a symlink loop under a search directory are neither read nor followed
mkfifo copied/a-fifo
ln -s .. copied/loop
timeout 60 "$HANGANALYZE" --no-db --search "$WORK/copied" app.hang.zst >fifo.txt 2>&1 || fail "--search over a FIFO and a loop: exit $?"
grep -q "stall_inner" fifo.txt || fail "--search over a FIFO and a loop lost the stack"
echo ok
