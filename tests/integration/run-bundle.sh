#!/bin/bash
# Bundles (formats/bundle.h): a core and the files it needs, analyzed where
# none of them exist. Each process — a C program with its own shared library
# built under a home directory, a Ruby and a Python process — is bundled
# with `hanganalyze bundle` (and with `hangsnap --bundle`), then analyzed in
# a clean chroot that holds nothing but hanganalyze and the libraries it
# runs on, copied under another directory: the core's paths (/usr/lib/...,
# /usr/lib/debug, the build tree) are not there. The report must be the
# original host's — frames, file:line, Ruby and Python frames, findings,
# signature — but for the core's own name. Damaged and hostile bundles are
# refused with one line and exit 3, and leave nothing in TMPDIR.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
command -v gcc >/dev/null || fail "gcc is not installed"
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v chroot >/dev/null; then
	echo "SKIP: the clean chroot needs root, unshare and chroot"
	exit 77
fi

UNSHARE=$(command -v unshare) CHROOT=$(command -v chroot)
# --- the clean root: hanganalyze and its libraries under /ha, nothing else ---
ROOT=$WORK/root
mkdir -p "$ROOT/ha/lib" "$ROOT/proc" "$ROOT/tmp" "$ROOT/in"
chmod 1777 "$ROOT/tmp"
cp "$HANGANALYZE" "$ROOT/ha/hanganalyze"
LDSO=
for lib in $(ldd "$HANGANALYZE" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }'); do
	cp -L "$lib" "$ROOT/ha/lib/"
	case $lib in */ld-linux*) LDSO=/ha/lib/${lib##*/} ;; esac
done
[ -n "$LDSO" ] || fail "no dynamic loader in ldd's list"
# clean_analyze BUNDLE ARGS...: hanganalyze ARGS /in/BUNDLE in the clean root; stdout/stderr in $WORK
clean_analyze() {
	local b=$1 rc=0
	shift
	cp "$b" "$ROOT/in/"
	env -i PATH=/ha TMPDIR=/tmp "$UNSHARE" -m -p -f --mount-proc="$ROOT/proc" \
		"$CHROOT" "$ROOT" "$LDSO" --library-path /ha/lib /ha/hanganalyze --no-db "$@" "/in/${b##*/}" \
		>"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
	rm -f "$ROOT/in/${b##*/}"
	return $rc
}
# sanity: the clean root really lacks the host's files
[ ! -e "$ROOT/usr/lib/x86_64-linux-gnu/libc.so.6" ] && [ ! -e "$ROOT/lib64" ] && [ ! -e "$ROOT/usr/lib/debug" ] ||
	fail "the clean root has host files"

# same_report TAG ORIG.json BUNDLE.json ORIG.txt BUNDLE.txt: equal, but for the core's name
same_report() {
	/usr/bin/python3 - "$@" <<'PY' || fail "$1: the bundle's analysis differs from the original's"
import difflib, json, sys
tag, oj, bj, ot, bt = sys.argv[1:]
a, b = json.load(open(oj)), json.load(open(bj))
for d in (a, b):
    d.pop("core", None)
    if isinstance(d.get("process"), dict):
        d["process"].pop("core", None)
if a != b:
    sa = json.dumps(a, indent=1, sort_keys=True).splitlines()
    sb = json.dumps(b, indent=1, sort_keys=True).splitlines()
    print("\n".join(list(difflib.unified_diff(sa, sb, "original", "bundle", lineterm=""))[:60]))
    sys.exit(1)
ta = [l for l in open(ot) if not l.startswith("core ")]
tb = [l for l in open(bt) if not l.startswith("core ")]
if ta != tb:
    print("".join(list(difflib.unified_diff(ta, tb, "original", "bundle"))[:60]))
    sys.exit(1)
PY
}

# bundle_and_compare TAG CORE: bundles CORE (TAG.bundle), analyzes both, compares; the frames must be whole
bundle_and_compare() {
	local tag=$1 core=$2
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$core"
	cp "$WORK/stdout" "$tag.orig.json"
	expect_exit 0 "$HANGANALYZE" --no-db "$core"
	cp "$WORK/stdout" "$tag.orig.txt"
	expect_exit 0 "$HANGANALYZE" bundle -o "$tag.bundle" "$core"
	note "$tag: $(cat "$WORK/stdout")"
	[ "$(stat -c %a "$tag.bundle")" = 600 ] || fail "$tag.bundle is not mode 0600"
	clean_analyze "$tag.bundle" --format=json || { cat "$WORK/stderr" >&2; fail "$tag: the bundle cannot be analyzed in the clean root"; }
	cp "$WORK/stdout" "$tag.bundle.json"
	clean_analyze "$tag.bundle" || fail "$tag: text analysis of the bundle failed"
	cp "$WORK/stdout" "$tag.bundle.txt"
	same_report "$tag" "$tag.orig.json" "$tag.bundle.json" "$tag.orig.txt" "$tag.bundle.txt"
	# and without the bundle's files the same core is not whole there: the test means something
	clean_analyze "$core" --format=json || fail "$tag: the bare core cannot be analyzed in the clean root"
	grep -q '"no ELF file for' "$WORK/stdout" || fail "$tag: the bare core is whole in the clean root: the root is not clean"
}

# --- 1. a C program and its own library, built under a home directory ---
HOMEDIR=$WORK/home/builder/app
mkdir -p "$HOMEDIR"
cat >"$HOMEDIR/stall.c" <<'C'
#include <pthread.h>
#include <unistd.h>
pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
__attribute__((noinline)) static void *taker(void *arg)
{
	int first = arg != NULL;
	pthread_mutex_lock(first ? &a : &b);
	usleep(100000);
	pthread_mutex_lock(first ? &b : &a);
	return NULL;
}
__attribute__((noinline)) void stall_start(void)
{
	pthread_t t1, t2;
	pthread_create(&t1, NULL, taker, (void *)1);
	pthread_create(&t2, NULL, taker, NULL);
	usleep(300000);
}
C
cat >"$HOMEDIR/main.c" <<'C'
#include <stdio.h>
#include <unistd.h>
void stall_start(void);
int main(void)
{
	stall_start();
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
C
gcc -g -O1 -shared -fPIC -pthread -Wl,--build-id "$HOMEDIR/stall.c" -o "$HOMEDIR/libstall.so" || fail "cc libstall"
gcc -g -O1 -pthread -Wl,--build-id "$HOMEDIR/main.c" -L"$HOMEDIR" -lstall -Wl,-rpath,"$HOMEDIR" \
	-o "$HOMEDIR/stallapp" || fail "cc stallapp"
start_target "$WORK/app.out" "$HOMEDIR/stallapp"
expect_exit 0 "$HANGSNAP" -q -o app.hang.zst "$TARGET_PID"
bundle_and_compare app app.hang.zst
expect_grep '"rule": "lock-cycle"' app.bundle.json "the ABBA deadlock found from the bundle"
expect_grep 'stall.c:' app.bundle.txt "file:line in the program's own library"
expect_grep 'pthread_mutex_lock.c:' app.bundle.txt "file:line in libc from its bundled debug file"
# the container is the documented one: a zstd tar stream, MANIFEST first, listing the core and each file
tar --zstd -tf app.bundle >app.list || fail "tar cannot list the bundle"
[ "$(head -1 app.list)" = MANIFEST ] || fail "MANIFEST is not the first member: $(head -1 app.list)"
tar --zstd -xOf app.bundle MANIFEST >app.manifest || fail "tar cannot extract the manifest"
expect_grep '^hangsnap-bundle 1$' app.manifest
expect_grep "^elf [^ ]* [0-9]* $(readelf -n "$HOMEDIR/libstall.so" | awk '/Build ID/ { print $3 }') $HOMEDIR/libstall.so\$" app.manifest \
	"the library by path and build-id"
expect_grep '^debug .*\.debug$' app.manifest "libc's separate debug file"
expect_grep '^core app.hang.zst [0-9]* ' app.manifest

# --- 2. hangsnap --bundle, in one step, after the library was upgraded under the running process ---
old_id=$(readelf -n "$HOMEDIR/libstall.so" | awk '/Build ID/ { print $3 }')
sed 's/usleep(300000);/usleep(300001);/' "$HOMEDIR/stall.c" >"$HOMEDIR/stall2.c"
gcc -g -O1 -shared -fPIC -pthread -Wl,--build-id "$HOMEDIR/stall2.c" -o "$HOMEDIR/libstall.so.new" || fail "cc libstall 2"
mv -f "$HOMEDIR/libstall.so.new" "$HOMEDIR/libstall.so"	# the package manager's way: the mapped file is now deleted
[ "$(readelf -n "$HOMEDIR/libstall.so" | awk '/Build ID/ { print $3 }')" != "$old_id" ] || fail "the upgrade kept the build-id"
expect_exit 0 "$HANGSNAP" -q --bundle -o snap.bundle "$TARGET_PID"
[ -s snap.bundle ] || fail "hangsnap --bundle left no bundle"
ls -a | grep -q '^\.hangsnap' && fail "hangsnap --bundle left a temporary file: $(ls -a)"
tar -xOf snap.bundle MANIFEST >snap.manifest
expect_grep "^core core\.$TARGET_PID\.[0-9]*\.hang\.zst " snap.manifest "the core under its usual name"
expect_grep "^elf [0-9]*-libstall.so [0-9]* $old_id .*libstall.so%20(deleted)\$" snap.manifest \
	"the mapped (old) library, from map_files"
clean_analyze snap.bundle --format=json || { cat "$WORK/stderr" >&2; fail "hangsnap's bundle cannot be analyzed"; }
expect_grep '"rule": "lock-cycle"' "$WORK/stdout" "the deadlock, from hangsnap's bundle"
clean_analyze snap.bundle || fail "text analysis of hangsnap's bundle failed"
expect_grep 'taker.*stall.c:' "$WORK/stdout" "file:line in the replaced library, from hangsnap's bundle"
# bundling fails (here: a hanganalyze that does): the snapshot is kept under its usual name, exit 9
mkdir -p fakebin
cp "$HANGSNAP" fakebin/hangsnap
printf '#!/bin/sh\nexit 4\n' >fakebin/hanganalyze
chmod +x fakebin/hanganalyze
expect_exit 9 fakebin/hangsnap -q --bundle -o failed.bundle "$TARGET_PID"
expect_grep "the core is 'failed.hang.zst'" "$WORK/stderr"
[ ! -e failed.bundle ] || fail "a failed --bundle left a bundle"
! ls -a | grep -q '^\.hangsnap' || fail "a failed --bundle left its directory: $(ls -a)"
expect_exit 0 "$HANGANALYZE" --no-db --format=json failed.hang.zst
expect_grep '"rule": "lock-cycle"' "$WORK/stdout" "the kept core"
expect_exit 2 "$HANGSNAP" --bundle --tree "$TARGET_PID"
expect_exit 8 "$HANGSNAP" -q --bundle -o snap.bundle "$TARGET_PID"
# without the live process, the core alone cannot get the old library back: said, and bundled without it
expect_exit 0 "$HANGSNAP" -q -o upgraded.hang.zst "$TARGET_PID"
expect_exit 0 "$HANGANALYZE" bundle -o upgraded.bundle upgraded.hang.zst
expect_grep "no file with build-id $old_id for '.*libstall.so (deleted)'" "$WORK/stderr"
kill -9 "$TARGET_PID"
wait "$TARGET_PID" 2>/dev/null
rm -rf "$WORK/home"

# --- 2b. debug info compressed with dwz (Fedora's, Ubuntu's): the dwz file found by its build-id, and bundled ---
if command -v dwz >/dev/null; then
	DZ=$WORK/dz
	mkdir -p "$DZ/dbg"
	cat >"$DZ/common.h" <<'C'
#include <unistd.h>
struct job { int id; const char *name; long deadline; struct job *next; };
static inline __attribute__((always_inline)) void job_wait(volatile struct job *j) { while (j->id) pause(); }
C
	printf '#include "common.h"\n__attribute__((noinline)) void lib_wait(struct job *j) { job_wait(j); j->id = 2; }\n' >"$DZ/lib.c"
	cat >"$DZ/main.c" <<'C'
#include <stdio.h>
#include "common.h"
void lib_wait(struct job *j);
int main(int argc, char **argv)
{
	struct job j = { argc, "x", 5, NULL };
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (argc > 5)
		job_wait(&j);
	lib_wait(&j);
	return 0;
}
C
	gcc -g -O2 -shared -fPIC "$DZ/lib.c" -o "$DZ/libjob.so" &&
		gcc -g -O2 "$DZ/main.c" -L"$DZ" -ljob -Wl,-rpath,"$DZ" -o "$DZ/jobapp" || fail "cc jobapp"
	for f in jobapp libjob.so; do
		objcopy --only-keep-debug "$DZ/$f" "$DZ/dbg/$f.debug" && strip --strip-debug "$DZ/$f" &&
			objcopy --add-gnu-debuglink="$DZ/dbg/$f.debug" "$DZ/$f" || fail "objcopy $f"
	done
	# the types and job_wait's abstract instance move into the shared dwz file; its name is recorded absolute
	dwz -m "$DZ/dbg/common.debug" -M /usr/lib/debug/.dwz/hs-test-common.debug "$DZ/dbg/jobapp.debug" \
		"$DZ/dbg/libjob.so.debug" || fail "dwz"
	readelf -S "$DZ/dbg/libjob.so.debug" | grep -q gnu_debugaltlink || fail "dwz wrote no .gnu_debugaltlink"
	start_target "$WORK/jobapp.out" "$DZ/jobapp"
	expect_exit 0 "$HANGSNAP" -q -o job.hang.zst "$TARGET_PID"
	kill -9 "$TARGET_PID"
	wait "$TARGET_PID" 2>/dev/null
	expect_exit 0 "$HANGANALYZE" --no-db --search "$DZ/dbg" job.hang.zst
	cp "$WORK/stdout" job.search.txt
	expect_grep 'job_wait (libjob.so) common.h:3 \[inlined\]' job.search.txt "the inlined call, named from the dwz file"
	expect_grep 'lib_wait+0x[0-9a-f]* (libjob.so) lib.c:2$' job.search.txt "the caller's own line"
	expect_exit 0 "$HANGANALYZE" bundle --search "$DZ/dbg" -o job.bundle job.hang.zst
	tar -xOf job.bundle MANIFEST | grep -q "^debug [^ ]* [0-9]* [0-9a-f]* $DZ/dbg/common.debug\$" ||
		fail "the dwz file is not in the bundle"
	rm -rf "$DZ"
	clean_analyze job.bundle || fail "the dwz bundle cannot be analyzed in the clean root"
	grep -v '^core ' "$WORK/stdout" >job.bundle.txt
	grep -v '^core ' job.search.txt | diff -u - job.bundle.txt || fail "the dwz bundle's report differs from --search's"
else
	note "no dwz: the dwz case is not tried"
fi

# --no-debug: the same files but the debug files; in the clean root the frames lose file:line, keep their names
expect_exit 0 "$HANGANALYZE" bundle --no-debug -o lean.bundle app.hang.zst
! tar -xOf lean.bundle MANIFEST | grep -q '^debug ' || fail "--no-debug bundled debug files"
[ "$(stat -c %s lean.bundle)" -lt "$(stat -c %s app.bundle)" ] || fail "--no-debug made no smaller bundle"
clean_analyze lean.bundle || fail "the lean bundle cannot be analyzed"
expect_grep 'pthread_mutex_lock[@+]' "$WORK/stdout" "libc's symbols from the lean bundle"
grep -q 'pthread_mutex_lock.c:' "$WORK/stdout" && fail "file:line in libc without its debug file"

# --- 3. output rules: never over a file, the size cap ---
expect_exit 5 "$HANGANALYZE" bundle -o app.bundle app.hang.zst
expect_grep "exists" "$WORK/stderr"
expect_exit 5 "$HANGANALYZE" bundle --max-size 100K -o small.bundle app.hang.zst
expect_grep 'over --max-size 100.0 KiB: nothing written' "$WORK/stderr"
[ ! -e small.bundle ] || fail "a bundle over --max-size was written"
expect_exit 2 "$HANGANALYZE" bundle --max-size lots app.hang.zst
expect_exit 2 "$HANGANALYZE" bundle app.bundle
expect_grep "a bundle already" "$WORK/stderr"
expect_exit 3 "$HANGANALYZE" bundle /dev/null
expect_exit 2 "$HANGANALYZE" --no-db app.bundle app.hang.zst
expect_grep "analyzed alone" "$WORK/stderr"

# --- 4. Ruby and Python: the interpreter is in the bundle, its frames too ---
if [ -x /usr/bin/ruby3.1 ]; then
	start_target "$WORK/rb.out" /usr/bin/ruby3.1 "$SRC/samples/ruby/mutex-abba.rb" --oracle "$WORK/rb.oracle.json"
	expect_exit 0 "$HANGSNAP" -q -o rb.hang.zst "$TARGET_PID"
	kill -9 "$TARGET_PID"
	wait "$TARGET_PID" 2>/dev/null
	bundle_and_compare ruby rb.hang.zst
	tar --zstd -xOf ruby.bundle MANIFEST | grep -q '^elf .*/libruby-3\.1\.so[.0-9]*$' ||
		fail "the Ruby bundle lacks libruby"
	expect_grep 'mutex-abba.rb:' ruby.bundle.txt "Ruby frames from the bundle"
	expect_grep '"rule": "lock-cycle"' ruby.bundle.json "the Ruby deadlock from the bundle"
else
	note "no /usr/bin/ruby3.1: the Ruby bundle is not tried"
fi
if [ -x /usr/bin/python3.11 ]; then
	start_target "$WORK/py.out" /usr/bin/python3.11 "$SRC/samples/python/rlock-abba.py" --oracle "$WORK/py.oracle.json"
	expect_exit 0 "$HANGSNAP" -q -o py.hang.zst "$TARGET_PID"
	kill -9 "$TARGET_PID"
	wait "$TARGET_PID" 2>/dev/null
	bundle_and_compare python py.hang.zst
	tar --zstd -xOf python.bundle MANIFEST | grep -q '^elf .*/python3\.11$' || fail "the Python bundle lacks the interpreter"
	expect_grep 'rlock-abba.py:' python.bundle.txt "Python frames from the bundle"
else
	note "no /usr/bin/python3.11: the Python bundle is not tried"
fi

# --- 5. damaged and hostile bundles: one line, exit 3, nothing left in TMPDIR ---
mkdir -p evil tmp-evil
/usr/bin/python3 - app.bundle evil <<'PY' || fail "cannot make the hostile bundles"
import io, subprocess, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout
def z(data, name):
    p = subprocess.run(["zstd", "-q", "-c"], input=data, check=True, capture_output=True).stdout
    open(f"{out}/{name}.bundle", "wb").write(p)
members = []
with tarfile.open(fileobj=io.BytesIO(raw)) as t:
    for m in t.getmembers():
        members.append((m, t.extractfile(m).read()))
def rebuild(name, edit):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for i, (m, data) in enumerate(members):
            m2, d2 = edit(i, m.replace() if hasattr(m, "replace") else m, data)
            if m2 is not None:
                t.addfile(m2, io.BytesIO(d2) if d2 is not None else None)
    z(buf.getvalue(), name)
import copy
def ren(target):
    def e(i, m, d):
        m = copy.copy(m)
        if i == 1:
            m.name = target
        return m, d
    return e
rebuild("dotdot", ren("../../escape"))
rebuild("absolute", ren("/tmp/escape"))
def link(i, m, d):
    m = copy.copy(m)
    if i == 2:
        m.type, m.linkname, m.size = tarfile.SYMTYPE, "/etc/passwd", 0
        return m, None
    return m, d
rebuild("symlink", link)
def dev(i, m, d):
    m = copy.copy(m)
    if i == 2:
        m.type, m.devmajor, m.devminor, m.size = tarfile.CHRTYPE, 1, 3, 0
        return m, None
    return m, d
rebuild("device", dev)
def short(i, m, d):
    m = copy.copy(m)
    if i == 2:
        d = d[:len(d) // 2]
        m.size = len(d)
    return m, d
rebuild("size-mismatch", short)
def man(text):
    def e(i, m, d):
        m = copy.copy(m)
        if i == 0:
            d = text
            m.size = len(d)
        return m, d
    return e
rebuild("manifest-dotdot", man(members[0][1].replace(b"\ncore ", b"\ncore ../", 1)))
rebuild("manifest-version", man(members[0][1].replace(b"hangsnap-bundle 1", b"hangsnap-bundle 9", 1)))
rebuild("manifest-huge-size", man(members[0][1].replace(b"\ncore ", b"\n# \ncore ", 1).replace(
    (" %d " % members[1][0].size).encode(), b" 999999999999 ", 1)))
rebuild("missing-member", lambda i, m, d: (None, None) if i == 3 else (m, d))
z(raw[: len(raw) // 2], "truncated-tar")
full = open(src, "rb").read()
open(f"{out}/truncated-zstd.bundle", "wb").write(full[: len(full) * 2 // 3])
z(raw + b"garbage after the end" + bytes(2048), "trailing-data")
PY
for b in evil/*.bundle; do
	rc=0
	TMPDIR=$WORK/tmp-evil "$HANGANALYZE" --no-db "$b" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
	[ "$rc" = 3 ] || [ "$rc" = 4 ] || { cat "$WORK/stderr" >&2; fail "$b: exit $rc, expected 3 (or 4: too big to unpack)"; }
	[ "$(wc -l <"$WORK/stderr")" = 1 ] || { cat "$WORK/stderr" >&2; fail "$b: not one line of error"; }
	[ ! -s "$WORK/stdout" ] || fail "$b: a report from a bad bundle"
	[ -z "$(ls -A tmp-evil)" ] || fail "$b: left files in TMPDIR: $(ls -A tmp-evil)"
	note "${b##*/}: $(cat "$WORK/stderr")"
done
[ ! -e "$WORK/escape" ] && [ ! -e /tmp/escape ] && [ ! -e "$(dirname "$WORK")/escape" ] || fail "a member escaped"
expect_grep "version 9" <(TMPDIR=$WORK/tmp-evil "$HANGANALYZE" --no-db evil/manifest-version.bundle 2>&1)
echo "PASS"
