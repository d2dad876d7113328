#!/bin/sh
# Regenerates the built-in layout of one CPython version from that version's
# own installed headers (x86_64 Linux):
#   sh analyzer/runtimes/gen-python-layout.sh INCDIR THREADMOD > analyzer/runtimes/python-3.X.inc
# INCDIR is the version's include/python3.X (with internal/ below it; a
# Debian multiarch pyconfig.h is found through INCDIR's own pyconfig.h).
# THREADMOD tells where the _thread module's structs (Modules/_threadmodule.c,
# in no header) come from:
#   - a libpython with DWARF debug info (a pyenv build's lib/libpython3.X.so.1.0):
#     gdb reads the offsets of lockobject, rlockobject, PyThreadHandleObject
#     and ThreadHandle from the build itself;
#   - a source tree of the same version (`apt-get source python3.11`, a
#     release tarball): the structs are extracted verbatim from its
#     Modules/_threadmodule.c into a header the generator compiles.
# The committed files were made with:
#   sh analyzer/runtimes/gen-python-layout.sh /root/.pyenv/versions/3.8.18/include/python3.8 /root/.pyenv/versions/3.8.18/lib/libpython3.8.so.1.0 > analyzer/runtimes/python-3.8.inc
#   (likewise 3.9.18 -> python-3.9.inc, 3.10.13 -> python-3.10.inc, 3.12.1 -> python-3.12.inc,
#   3.13.0 -> python-3.13.inc)
#   sh analyzer/runtimes/gen-python-layout.sh /usr/include/python3.11 /work/src/python3.11-3.11.2 > analyzer/runtimes/python-3.11.inc
#   (Debian bookworm's python3.11-dev 3.11.2, the Python CI runs; its libpython is stripped,
#   so the _thread structs come from `apt-get source python3.11`, unpacked in /work/src)
#   sh analyzer/runtimes/gen-python-layout.sh /opt/python-3.14.10-deb/usr/include/python3.14 /opt/python-3.14.10-deb/usr/lib/x86_64-linux-gnu/libpython3.14d.so.1.0 > analyzer/runtimes/python-3.14.inc
#   (sid's libpython3.14-dev and libpython3.14-dbg 3.14.10-1, unpacked with dpkg-deb -x into
#   /opt/python-3.14.10-deb: the release build's headers; the _thread structs from the DWARF of
#   the debug build libpython3.14d, whose objects start alike, which the generator checks)
# It compiles python-layout-gen.c with -DPy_BUILD_CORE against INCDIR and
# INCDIR/internal and runs it; the program prints offsetof()/sizeof() values
# and constants as a C initializer. Nothing in the output is typed by hand.
set -eu
[ $# -eq 2 ] || { echo "usage: gen-python-layout.sh INCDIR LIBPYTHON-WITH-DWARF|SRCDIR" >&2; exit 2; }
inc=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$inc/Python.h" ] && [ -d "$inc/internal" ] || { echo "gen-python-layout: $inc has no Python.h or internal/" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/threadmod.h

if [ -d "$2" ]; then
	src=$(cd "$2" && pwd)
	mod=$src/Modules/_threadmodule.c
	[ -f "$mod" ] || { echo "gen-python-layout: no $mod" >&2; exit 1; }
	from="$(basename "$src")/Modules/_threadmodule.c"
	# the typedef struct { ... } NAME; block, verbatim
	extract() {
		awk -v name="$2" '
			/^typedef struct/ { buf = ""; on = 1 }
			on { buf = buf $0 "\n" }
			on && /^}/ { on = 0; if ($0 ~ "^} *" name " *;") { printf "%s", buf; found = 1; exit } }
			END { exit !found }' "$1"
	}
	{
		echo "/* extracted from $from */"
		for s in lockobject rlockobject; do
			extract "$mod" "$s" || { echo "gen-python-layout: $s not found in $mod" >&2; exit 1; }
		done
		if grep -q '^} ThreadHandle;' "$mod"; then
			extract "$mod" ThreadHandle
			extract "$mod" PyThreadHandleObject
		fi
	} > "$out.body"
	{
		cat "$out.body"
		# which member each version has: an older sem pointer or the PyMutex
		if grep -q 'PyThread_type_lock lock_lock;' "$out.body"; then
			echo '#define TM_LOCK_LOCK offsetof(lockobject, lock_lock)'
			echo '_Static_assert(__builtin_types_compatible_p(__typeof__(((lockobject *)0)->lock_lock), PyThread_type_lock), "lock_lock");'
			echo '#define TM_LOCK_KIND PY_LOCK_SEM'
		else
			echo '#define TM_LOCK_LOCK offsetof(lockobject, lock)'
			echo '_Static_assert(__builtin_types_compatible_p(__typeof__(((lockobject *)0)->lock), PyMutex), "lock");'
			echo '#define TM_LOCK_KIND PY_LOCK_PYMUTEX'
		fi
		if grep -q 'rlock_owner;' "$out.body"; then
			echo '#define TM_RLOCK_LOCK offsetof(rlockobject, rlock_lock)'
			echo '#define TM_RLOCK_OWNER offsetof(rlockobject, rlock_owner)'
			echo '#define TM_RLOCK_COUNT offsetof(rlockobject, rlock_count)'
			echo '#define TM_RLOCK_KIND PY_LOCK_SEM'
		else
			echo '#define TM_RLOCK_LOCK offsetof(rlockobject, lock.mutex)'
			echo '#define TM_RLOCK_OWNER offsetof(rlockobject, lock.thread)'
			echo '#define TM_RLOCK_COUNT offsetof(rlockobject, lock.level)'
			echo '#define TM_RLOCK_KIND PY_LOCK_PYMUTEX'
		fi
		if grep -q '^} ThreadHandle;' "$out.body"; then
			echo '#define TM_HANDLE_HANDLE offsetof(PyThreadHandleObject, handle)'
			echo '#define TM_THREADHANDLE_IDENT offsetof(ThreadHandle, ident)'
		else
			echo '#define TM_HANDLE_HANDLE (-1)'
			echo '#define TM_THREADHANDLE_IDENT (-1)'
		fi
	} > "$out"
else
	lib=$2
	[ -f "$lib" ] || { echo "gen-python-layout: no $lib" >&2; exit 1; }
	from=$(basename "$lib")
	command -v gdb >/dev/null || { echo "gen-python-layout: gdb is needed to read $lib's DWARF" >&2; exit 1; }
	gdbq() { gdb -nx -batch -ex "$1" "$lib" 2>/dev/null; }
	# offsetof(TYPE, MEMBER) from the DWARF; empty if there is no such member
	dwoff() { gdbq "printf \"%d\\n\", (long)&(($1 *)0)->$2" | grep -E '^[0-9]+$' || true; }
	dwtype() { gdbq "whatis (($1 *)0)->$2" | sed -n 's/^type = //p'; }
	must() { [ -n "$3" ] || { echo "gen-python-layout: no $1.$2 in the DWARF of $lib" >&2; exit 1; }; echo "$3"; }
	{
		echo "/* read from the DWARF of $from with gdb */"
		# the generator checks that the headers' PyObject is the build's
		echo "#define TM_PYOBJECT_SIZE $(must PyObject size "$(gdbq 'printf "%d\n", (int)sizeof(PyObject)' | grep -E '^[0-9]+$' || true)")"
		if [ -n "$(dwoff lockobject lock_lock)" ]; then
			[ "$(dwtype lockobject lock_lock)" = PyThread_type_lock ] || { echo "gen-python-layout: lockobject.lock_lock is no PyThread_type_lock" >&2; exit 1; }
			echo "#define TM_LOCK_LOCK $(dwoff lockobject lock_lock)"
			echo '#define TM_LOCK_KIND PY_LOCK_SEM'
		else
			[ "$(dwtype lockobject lock)" = PyMutex ] || { echo "gen-python-layout: lockobject has neither lock_lock nor a PyMutex lock" >&2; exit 1; }
			echo "#define TM_LOCK_LOCK $(dwoff lockobject lock)"
			echo '#define TM_LOCK_KIND PY_LOCK_PYMUTEX'
		fi
		if [ -n "$(dwoff rlockobject rlock_owner)" ]; then
			echo "#define TM_RLOCK_LOCK $(must rlockobject rlock_lock "$(dwoff rlockobject rlock_lock)")"
			echo "#define TM_RLOCK_OWNER $(dwoff rlockobject rlock_owner)"
			echo "#define TM_RLOCK_COUNT $(must rlockobject rlock_count "$(dwoff rlockobject rlock_count)")"
			echo '#define TM_RLOCK_KIND PY_LOCK_SEM'
		else
			echo "#define TM_RLOCK_LOCK $(must rlockobject lock.mutex "$(dwoff rlockobject lock.mutex)")"
			echo "#define TM_RLOCK_OWNER $(must rlockobject lock.thread "$(dwoff rlockobject lock.thread)")"
			echo "#define TM_RLOCK_COUNT $(must rlockobject lock.level "$(dwoff rlockobject lock.level)")"
			echo '#define TM_RLOCK_KIND PY_LOCK_PYMUTEX'
		fi
		h=$(dwoff PyThreadHandleObject handle)
		if [ -n "$h" ]; then
			echo "#define TM_HANDLE_HANDLE $h"
			echo "#define TM_THREADHANDLE_IDENT $(must ThreadHandle ident "$(dwoff ThreadHandle ident)")"
		else
			echo '#define TM_HANDLE_HANDLE (-1)'
			echo '#define TM_THREADHANDLE_IDENT (-1)'
		fi
	} > "$out"
fi

# -I"$(dirname "$inc")": a Debian pyconfig.h includes <x86_64-linux-gnu/python3.X/pyconfig.h>
${CC:-cc} -w -DPy_BUILD_CORE -I"$inc" -I"$inc/internal" -I"$(dirname "$inc")" -I"$here" -I"$tmp" \
	-DTHREADMOD_H='"threadmod.h"' -o "$tmp/gen" "$here/python-layout-gen.c"
"$tmp/gen" "the $(basename "$inc") headers and $from"
