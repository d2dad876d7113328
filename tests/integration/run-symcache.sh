#!/bin/bash
# The symbol cache (analyzer/symcache.h): a second analysis takes what the
# first derived from the modules' debug info from
# $XDG_CACHE_HOME/hanganalyze/symbols/BUILD-ID, and reports exactly the same
# bytes as an analysis without a cache. Checked here:
#  - --no-cache, a cold cache and a warm one give identical text and JSON;
#    the warm run says it used the cache (--stats), and a cached name edited
#    in the file (checksum fixed) shows in the report: the cache is used;
#  - damaged files (a flipped byte, truncated, empty, garbage, another
#    module's, a newer analyzer's) are ignored, the report unchanged, and
#    written anew; a symlink at a cache file is neither read nor followed;
#  - a debug file that changed (mtime), or that this run would not find,
#    makes its module derive anew: never a cached answer for other files;
#  - eight analyses at once on an empty cache agree, and leave valid files;
#  - a cache directory writable by others is not used; --no-cache and
#    HANGANALYZE_NO_CACHE write nothing.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
CACHE=$XDG_CACHE_HOME/hanganalyze/symbols

start_target "$WORK/s.out" "$SAMPLES/lock-cycle"
expect_exit 0 "$HANGSNAP" -q -o lc.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"
wait "$TARGET_PID" 2>/dev/null

# analyze TAG ARGS...: text and JSON into TAG.txt, TAG.json; --stats of the text run into TAG.stats
analyze() {
	local tag=$1
	shift
	expect_exit 0 "$HANGANALYZE" --no-db --stats "$@" lc.hang.zst
	cp "$WORK/stdout" "$tag.txt"
	cp "$WORK/stderr" "$tag.stats"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$@" lc.hang.zst
	cp "$WORK/stdout" "$tag.json"
}
same_as_ref() {
	cmp -s ref.txt "$1.txt" && cmp -s ref.json "$1.json" || {
		diff -u ref.txt "$1.txt" | head -30 >&2
		fail "$1: the report differs from the one without a cache"
	}
}

# --- 1. no cache, cold, warm: the same bytes ---
analyze ref --no-cache
expect_grep 'symbol cache: off' ref.stats
[ ! -e "$CACHE" ] || [ -z "$(ls -A "$CACHE")" ] || fail "--no-cache wrote to the cache"
HANGANALYZE_NO_CACHE=1 analyze ref2
[ -z "$(ls -A "$CACHE" 2>/dev/null)" ] || fail "HANGANALYZE_NO_CACHE wrote to the cache"
analyze cold
same_as_ref cold
expect_grep 'symbol cache: 0 modules from .*, [1-9][0-9]* derived anew' cold.stats
[ "$(stat -c %a "$CACHE")" = 700 ] || fail "the cache directory is not 0700"
libc_id=$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 | awk '/Build ID/ { print $3 }')
[ -s "$CACHE/$libc_id" ] || fail "no cache file for libc ($libc_id): $(ls "$CACHE")"
[ "$(stat -c %a "$CACHE/$libc_id")" = 600 ] || fail "a cache file is not 0600"
analyze warm
same_as_ref warm
expect_grep 'symbol cache: [1-9][0-9]* modules\? from .*, 0 derived anew' warm.stats

# the warm run really took its frames from the file: an inlined call's name (from DWARF), edited in it
grep -q 'lll_mutex_lock_optimized' ref.txt || fail "the sample's stacks lack the inlined lll_mutex_lock_optimized"
# edit FILE OLD NEW: replaces OLD by NEW (same length) in the cache file and fixes its checksum
edit() {
	/usr/bin/python3 - "$@" <<'PY'
import struct, sys
path, old, new = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
assert len(old) == len(new)
data = open(path, "rb").read()[:-8]
assert old in data, "not in the cache file"
data = data.replace(old, new)
h = 0xcbf29ce484222325
for b in data:
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
open(path, "wb").write(data + struct.pack("<Q", h))
PY
}
cp "$CACHE/$libc_id" libc.cache.good
edit "$CACHE/$libc_id" lll_mutex_lock_optimized LLL_MUTEX_LOCK_OPTIMIZED || fail "cannot edit the cache file"
analyze edited
grep -q 'LLL_MUTEX_LOCK_OPTIMIZED' edited.txt || fail "the warm run did not take its frames from the cache file"
# (what the checksum is for: the same edit without fixing it is ignored)
cp libc.cache.good "$CACHE/$libc_id"
/usr/bin/python3 -c "import sys; p=sys.argv[1]; d=open(p,'rb').read(); open(p,'wb').write(d.replace(b'lll_mutex_lock_optimized', b'LLL_MUTEX_LOCK_OPTIMIZED'))" "$CACHE/$libc_id"
analyze unsummed
same_as_ref unsummed

# --- 2. damaged files: ignored, the report unchanged, written anew ---
damage() {	# damage NAME: a way to break the libc cache file
	case $1 in
	flip) /usr/bin/python3 -c "import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[len(d)//2]^=0x40; open(p,'wb').write(d)" "$CACHE/$libc_id" ;;
	truncate) truncate -s $(($(stat -c %s "$CACHE/$libc_id") / 2)) "$CACHE/$libc_id" ;;
	empty) : >"$CACHE/$libc_id" ;;
	garbage) head -c 5000 /dev/urandom >"$CACHE/$libc_id" ;;
	other) cp "$(ls "$CACHE"/* | grep -v "$libc_id" | head -1)" "$CACHE/$libc_id" ;;
	analyzer) edit "$CACHE/$libc_id" "$(/usr/bin/python3 -c "print('$(readelf -n "$HANGANALYZE" | awk '/Build ID/ { print $3 }')'[:8])")" 00000000 ;;
	esac
}
for d in flip truncate empty garbage other analyzer; do
	cp libc.cache.good "$CACHE/$libc_id"
	damage "$d" || fail "cannot damage the cache file ($d)"
	analyze "damaged-$d"
	same_as_ref "damaged-$d"
	expect_grep ', [1-9][0-9]* derived anew' "damaged-$d.stats"
	analyze "healed-$d"
	same_as_ref "healed-$d"
	expect_grep ', 0 derived anew' "healed-$d.stats"
done
# a symlink at the cache file: not followed to read, and replaced (not written through) on save
sha_passwd=$(sha256sum /etc/passwd)
rm -f "$CACHE/$libc_id"
ln -s /etc/passwd "$CACHE/$libc_id"
analyze symlink
same_as_ref symlink
[ "$(sha256sum /etc/passwd)" = "$sha_passwd" ] || fail "the cache wrote through a symlink"
[ ! -L "$CACHE/$libc_id" ] || fail "the symlink is still there (the cache was not written anew)"

# --- 3. another debug file, or none found: derived anew ---
mkdir -p lib dbg
cat >lib/stall.c <<'C'
#include <pthread.h>
pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
int taken;
static inline __attribute__((always_inline)) void take(pthread_mutex_t *x) { pthread_mutex_lock(x); taken++; }
__attribute__((noinline)) void stall(void) { take(&m); take(&m); }
C
printf '#include <stdio.h>\n#include <unistd.h>\nvoid stall(void);\nint main(void) { printf("ready %%d\\n", getpid()); fflush(stdout); stall(); }\n' >lib/main.c
gcc -g -O2 -shared -fPIC -pthread lib/stall.c -o lib/libstall.so &&
	gcc -g -O2 lib/main.c -Llib -lstall -Wl,-rpath,"$WORK/lib" -o lib/app || fail "cc"
objcopy --only-keep-debug lib/libstall.so dbg/libstall.so.debug && strip --strip-debug lib/libstall.so || fail "objcopy"
start_target "$WORK/app.out" lib/app
expect_exit 0 "$HANGSNAP" -q -o app.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"
wait "$TARGET_PID" 2>/dev/null
stall_id=$(readelf -n lib/libstall.so | awk '/Build ID/ { print $3 }')
expect_exit 0 "$HANGANALYZE" --no-db --no-cache --search dbg app.hang.zst
cp "$WORK/stdout" with.ref
expect_exit 0 "$HANGANALYZE" --no-db --no-cache app.hang.zst
cp "$WORK/stdout" without.ref
cmp -s with.ref without.ref && fail "the library's debug file changes nothing: the test means nothing"
expect_exit 0 "$HANGANALYZE" --no-db --search dbg app.hang.zst
cmp -s "$WORK/stdout" with.ref || fail "cold, with the debug file: differs"
[ -s "$CACHE/$stall_id" ] || fail "no cache file for the library"
expect_exit 0 "$HANGANALYZE" --no-db app.hang.zst
cmp -s "$WORK/stdout" without.ref || fail "without the debug file, the cached answers made with it were used"
touch -d '2001-01-01' dbg/libstall.so.debug
expect_exit 0 "$HANGANALYZE" --no-db --stats --search dbg app.hang.zst
cmp -s "$WORK/stdout" with.ref || fail "after the debug file changed: differs"
expect_grep ', [1-9][0-9]* derived anew' "$WORK/stderr" "the changed debug file derived anew"

# --- 4. eight at once on an empty cache ---
rm -rf "$CACHE"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$HANGANALYZE" --no-db --format=json lc.hang.zst >"par$i.json" 2>"par$i.err" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent analysis failed"; done
for i in 1 2 3 4 5 6 7 8; do cmp -s ref.json "par$i.json" || fail "concurrent analysis $i differs"; done
ls -a "$CACHE" | grep -q '^\.[0-9a-f]' && fail "a temporary file was left: $(ls -a "$CACHE")"
analyze after-parallel
same_as_ref after-parallel
expect_grep ', 0 derived anew' after-parallel.stats

# --- 5. a cache directory others may write is not trusted ---
chmod 777 "$CACHE"
analyze open-dir
same_as_ref open-dir
expect_grep 'symbol cache: off' open-dir.stats
chmod 700 "$CACHE"
echo PASS
