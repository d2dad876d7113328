#!/bin/bash
# The .deb, as an administrator installs it: 'cpack -G DEB' builds it from
# this build; its Depends name the package of every library the commands
# link (computed by dpkg-shlibdeps, not listed in CMakeLists.txt); then, in a
# fresh minimal Debian 12 root (debootstrap --variant=minbase bookworm, from
# the mirror this machine's apt uses), apt installs it, resolving Depends and
# Recommends from the archive, and the demo runs from the installed commands
# alone: a sample hangs, /usr/bin/hangsnap snapshots it, /usr/bin/hanganalyze
# names the finding, 'man hanganalyze' shows the installed page.
#
# The root lives in a mount and pid namespace of its own (unshare): its /proc
# is never visible outside, and every process in it dies with the namespace.
# The debootstrap result is cached as a tarball, keyed by mirror and suite,
# under $HS_TEST_ROOT_CACHE (default $XDG_CACHE_HOME/hanganalyze-test-root,
# else /var/cache/hanganalyze-test-root) and rebuilt when 30 days old.
# Skips (exit 77) when not root, without debootstrap, cpack or unshare, or
# when the mirror does not answer.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
SUITE=bookworm
SAMPLE=join-connect-stall

[ "$(id -u)" = 0 ] || { echo "skip: debootstrap and chroot need root"; exit 77; }
for tool in debootstrap cpack dpkg-shlibdeps unshare chroot; do
	command -v "$tool" >/dev/null || { echo "skip: no $tool (scripts/deps.sh)"; exit 77; }
done

# the mirror apt uses here for the suite: deb822 .sources files or sources.list lines
mirror=$(/usr/bin/python3 - "$SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list <<'PY'
import sys, re
suite = sys.argv[1]
for path in sys.argv[2:]:
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".sources"):
        for stanza in re.split(r"\n\s*\n", text):
            f = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                k, v = line.split(":", 1)
                f[k.strip().lower()] = v.split()
            if "deb" in f.get("types", []) and suite in f.get("suites", []) \
                    and f.get("enabled", ["yes"])[0] != "no" and f.get("uris"):
                print(f["uris"][0].rstrip("/")); sys.exit(0)
    else:
        for line in text.splitlines():
            w = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(w) >= 3 and w[0] == "deb" and w[2] == suite:
                print(w[1].rstrip("/")); sys.exit(0)
sys.exit(1)
PY
) || { echo "skip: apt has no source for $SUITE"; exit 77; }
case $mirror in
http://* | https://*) ;;
*) echo "skip: $mirror is not an http mirror debootstrap can use"; exit 77 ;;
esac
/usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=15).read(1)' "$mirror/dists/$SUITE/InRelease" 2>/dev/null ||
	{ echo "skip: $mirror does not answer"; exit 77; }
note "mirror $mirror"

# --- the package ---
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg" >cpack.log 2>&1 || { cat cpack.log >&2; fail "cpack -G DEB failed"; }
version=$(sed -n 's/^project(hangsnap VERSION \([0-9.]*\) .*/\1/p' "$SRC/CMakeLists.txt")
arch=$(dpkg --print-architecture)
DEB=$WORK/pkg/hanganalyze_${version}_${arch}.deb
[ -f "$DEB" ] || { ls -R "$WORK/pkg" >&2; fail "cpack wrote no hanganalyze_${version}_${arch}.deb"; }
dpkg-deb -f "$DEB" Package Version Architecture Maintainer Section Description Depends >control
note "$(grep -v '^ ' control | tr '\n' ' ')"
expect_grep "^Package: hanganalyze$" control
expect_grep "^Version: $version$" control
expect_grep "^Maintainer: .*<.*@.*>$" control
expect_grep "^Section: " control
depends=$(sed -n 's/^Depends: //p' control)
[ -n "$depends" ] || fail "the package has no Depends"
# every library either command links is provided by a package named in Depends
dpkg-deb -x "$DEB" "$WORK/x"
for exe in hangsnap hanganalyze; do
	readelf -d "$WORK/x/usr/bin/$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
done | sort -u >needed
[ -s needed ] || fail "readelf finds no NEEDED library in the packaged commands"
while read -r soname; do
	path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64|x32|64/ {print $NF; exit}')
	[ -n "$path" ] || path=$(ldconfig -p | awk -v s="$soname" '$1 == s {print $NF; exit}')
	[ -n "$path" ] || fail "$soname: not in the linker cache"
	# usrmerge: dpkg knows the file by the path its package ships, /lib or /usr/lib
	pkg=""
	for p in "$path" "$(realpath "$path")" "${path#/usr}" "/usr${path#/usr}"; do
		pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1)
		[ -n "$pkg" ] && break
	done
	[ -n "$pkg" ] || fail "$soname ($path): no package owns it"
	grep -Eq "(^|, )$pkg( |,|$)" <<<"$depends" || fail "the commands link $soname (package $pkg), Depends has no $pkg: $depends"
done <needed
note "Depends: $depends"
# the files are those cmake --install installs (run-install.sh checks that list)
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {print $NF}' | sed 's|^\./||' | sort >deb-files
expect_grep "^usr/bin/hanganalyze$" deb-files
expect_grep "^usr/bin/hangsnap$" deb-files
expect_grep "^usr/share/man/man1/hanganalyze.1" deb-files
expect_grep "^usr/share/bash-completion/completions/hanganalyze$" deb-files

# the sample runs in the root as built: it must need nothing but glibc
readelf -d "$SAMPLES/$SAMPLE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >sample-needed
[ "$(cat sample-needed)" = "libc.so.6" ] || fail "$SAMPLE links more than libc: $(tr '\n' ' ' <sample-needed)"

# --- the root: debootstrap once per mirror and suite, cached ---
cache=${HS_TEST_ROOT_CACHE:-${HS_USER_CACHE_HOME:+$HS_USER_CACHE_HOME/hanganalyze-test-root}}
cache=${cache:-/var/cache/hanganalyze-test-root}
key=$(printf '%s' "$mirror" | sed 's|^[a-z]*://||; s|[^A-Za-z0-9.-]|_|g')
tarball=$cache/$SUITE-minbase-$arch-$key.tar
ROOT=$WORK/root
mkdir -p "$cache" "$ROOT"
# whatever happens, nothing stays mounted under the root before it is removed
unmount_root() {
	local m
	for m in $(awk -v r="$ROOT/" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	if awk -v r="$ROOT/" 'index($2, r) == 1' /proc/self/mounts | grep -q .; then
		echo "FAIL: still mounted under $ROOT, not removing $WORK" >&2
		WORK=/nonexistent
	fi
}
trap 'unmount_root; cleanup' EXIT
if [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +30)" ]; then
	note "root from the cache: $tarball"
	tar -C "$ROOT" -xpf "$tarball" || fail "cannot unpack $tarball"
else
	start=$(date +%s)
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror" >debootstrap.log 2>&1 ||
		{ tail -20 debootstrap.log >&2; fail "debootstrap --variant=minbase $SUITE $mirror failed"; }
	note "debootstrap: $(($(date +%s) - start)) s"
	tar -C "$ROOT" -cpf "$tarball.tmp.$$" . && mv "$tarball.tmp.$$" "$tarball" ||
		{ rm -f "$tarball.tmp.$$"; note "could not cache the root in $tarball"; }
fi
# fresh: nothing of ours is in the root before apt installs it
[ ! -e "$ROOT/usr/bin/hanganalyze" ] || fail "the root already has /usr/bin/hanganalyze"
[ ! -e "$ROOT/usr/lib/x86_64-linux-gnu/libdw.so.1" ] || fail "the root already has libdw: not a minimal root"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
cp "$DEB" "$ROOT/tmp/"
cp "$SAMPLES/$SAMPLE" "$ROOT/tmp/$SAMPLE"

cat >"$ROOT/tmp/demo.sh" <<EOF
set -eu
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
# Depends and Recommends (man-db) from the archive; a second try for a mirror's hiccup
for try in 1 2; do
	apt-get update -qq >/tmp/apt.log 2>&1 &&
		apt-get install -y -qq /tmp/$(basename "$DEB") >>/tmp/apt.log 2>&1 && break
	[ \$try = 2 ] && { cat /tmp/apt.log; exit 10; }
	sleep 5
done
dpkg -s hanganalyze | sed -n 's/^Status: /status: /p'
echo "hangsnap: \$(command -v hangsnap)"
echo "hanganalyze: \$(command -v hanganalyze)"
hanganalyze --version
/tmp/$SAMPLE >/tmp/sample.out 2>&1 &
for _ in \$(seq 300); do grep -q '^ready' /tmp/sample.out && break; sleep 0.1; done
grep '^ready' /tmp/sample.out || { cat /tmp/sample.out; exit 11; }
pid=\$(awk '/^ready/ {print \$2; exit}' /tmp/sample.out)
hangsnap -q -o /tmp/demo.hang.zst "\$pid" || exit 12
rc=0
hanganalyze --db /tmp/cases.db /tmp/demo.hang.zst >/tmp/report.txt 2>/tmp/report.err || rc=\$?
echo "hanganalyze exit: \$rc"
cat /tmp/report.txt
echo "== queue"
hanganalyze queue --db /tmp/cases.db
MANWIDTH=80 man hanganalyze 2>&1 | head -5
EOF

start=$(date +%s)
rc=0
timeout -k 10 600 unshare --mount --pid --fork --kill-child --mount-proc="$ROOT/proc" \
	chroot "$ROOT" /bin/bash /tmp/demo.sh >inside.out 2>&1 || rc=$?
note "in the root (apt-get update, install, demo): $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || { tail -40 inside.out >&2; fail "the demo in the root exited $rc"; }
unmount_root
expect_grep "^status: install ok installed" inside.out
expect_grep "^hangsnap: /usr/bin/hangsnap$" inside.out
expect_grep "^hanganalyze: /usr/bin/hanganalyze$" inside.out
expect_grep "^hanganalyze $version" inside.out
# the finding the demo shows (README, tests/golden/join-connect-stall.txt)
expect_grep "^hanganalyze exit: 0$" inside.out
expect_grep "\[high\] join-on-blocked: " inside.out
expect_grep "connect() to 127.0.0.1:[0-9]* (SYN_SENT)" inside.out
# filed in the case database, and the installed manual page is man's
sed -n '/^== queue$/,$p' inside.out >queue.out
expect_grep "  high  *new  *1 .*is joining .*(SYN_SENT)" queue.out
expect_grep "^HANGANALYZE(1)" inside.out
# only the namespace ever saw the root's /proc
awk -v r="$ROOT/" 'index($2, r) == 1' /proc/self/mounts | grep -q . && fail "a mount under the root leaked out"
echo "PASS"
