#!/bin/bash
# hanganalyze analyzes an untrusted core in a sandbox (common/sandbox.h):
#  - the report is the same sandboxed as with --no-sandbox, in each format,
#    with and without a case database (the rest of the suite runs sandboxed
#    too: it is the main test that the allowed calls are enough);
#  - inside it a forbidden call is refused: the test hook
#    HANGANALYZE_SANDBOX_SELFTEST=PATH tries an execve (EPERM) and creating
#    PATH for writing (EACCES), and with --no-sandbox (or
#    HANGANALYZE_NO_SANDBOX=1) both get through to the file system;
#  - with a case database, Landlock (where the kernel offers it) keeps the
#    writes in the database's directory;
#  - with DEBUGINFOD_URLS set the sandbox is not entered, and --stats says so.
# Needs no live process: a committed fixture core.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
cp "$SRC/tests/fixtures/busy-spin/core.hang.zst" busy.hang.zst
unset DEBUGINFOD_URLS HANGANALYZE_NO_SANDBOX HANGANALYZE_SANDBOX_SELFTEST

# --- the same report, sandboxed or not ---
for f in text json html dot; do
	expect_exit 0 "$HANGANALYZE" --no-db --no-sandbox -f "$f" busy.hang.zst
	mv "$WORK/stdout" "plain.$f"
	expect_exit 0 "$HANGANALYZE" --no-db -f "$f" busy.hang.zst
	cmp -s "plain.$f" "$WORK/stdout" || fail "--format=$f: the sandboxed report differs from --no-sandbox's"
done
expect_exit 0 "$HANGANALYZE" --no-db --stats busy.hang.zst
expect_grep "^hanganalyze: sandbox: no_new_privs, seccomp" "$WORK/stderr"
landlock=no
grep -q "^hanganalyze: sandbox: .*landlock ABI" "$WORK/stderr" && landlock=yes
note "landlock: $landlock ($(grep '^hanganalyze: sandbox' "$WORK/stderr"))"
expect_exit 0 "$HANGANALYZE" --no-db --no-sandbox --stats busy.hang.zst
expect_grep "^hanganalyze: sandbox off: --no-sandbox$" "$WORK/stderr"

# --- a forbidden call is refused: execve, and opening a file for writing ---
HANGANALYZE_SANDBOX_SELFTEST=$WORK/probe expect_exit 0 "$HANGANALYZE" --no-db busy.hang.zst
expect_grep "^hanganalyze: sandbox selftest: execve EPERM, open for writing EACCES$" "$WORK/stderr"
cmp -s plain.text "$WORK/stdout" || fail "the selftest changed the report"
[ ! -e probe ] || fail "the sandbox let '$WORK/probe' be created"
HANGANALYZE_SANDBOX_SELFTEST=$WORK/probe expect_exit 0 "$HANGANALYZE" --no-db --no-sandbox busy.hang.zst
expect_grep "^hanganalyze: sandbox selftest: execve ENOENT, open for writing ok$" "$WORK/stderr"
[ ! -e probe ] || fail "the selftest left '$WORK/probe' behind"
HANGANALYZE_NO_SANDBOX=1 HANGANALYZE_SANDBOX_SELFTEST=$WORK/probe expect_exit 0 "$HANGANALYZE" --no-db busy.hang.zst
expect_grep "^hanganalyze: sandbox selftest: execve ENOENT, open for writing ok$" "$WORK/stderr"

# --- with a case database: stored, and the writes kept in its directory ---
mkdir db outside
HANGANALYZE_SANDBOX_SELFTEST=$WORK/outside/probe expect_exit 0 "$HANGANALYZE" --db "$WORK/db/cases.db" busy.hang.zst
cmp -s plain.text "$WORK/stdout" || fail "a stored case: the sandboxed report differs from --no-sandbox's"
expect_grep "^hanganalyze: stored case 1 in '$WORK/db/cases.db'" "$WORK/stderr"
expect_grep "^hanganalyze: sandbox selftest: execve EPERM, open for writing " "$WORK/stderr"
if [ "$landlock" = yes ]; then
	expect_grep "^hanganalyze: sandbox selftest: execve EPERM, open for writing EACCES$" "$WORK/stderr"
	[ ! -e outside/probe ] || fail "landlock let '$WORK/outside/probe' be created"
else
	note "no landlock: writes outside the database's directory are not refused"
	rm -f outside/probe
fi
expect_exit 0 "$HANGANALYZE" show --db "$WORK/db/cases.db" --format=json 1
expect_exit 0 "$HANGANALYZE" --db "$WORK/db/cases.db" busy.hang.zst
expect_grep "^hanganalyze: this core is case 1 in '$WORK/db/cases.db' already$" "$WORK/stderr"
# a database whose directory does not exist yet is created inside the sandbox
expect_exit 0 "$HANGANALYZE" --db "$WORK/new/dirs/cases.db" busy.hang.zst
expect_grep "^hanganalyze: stored case 1 in '$WORK/new/dirs/cases.db'" "$WORK/stderr"
# the default database, named relative to the working directory
(cd db && HANGANALYZE_DB=rel.db expect_exit 0 "$HANGANALYZE" ../busy.hang.zst)
expect_grep "^hanganalyze: stored case 1 in 'rel.db'" "$WORK/stderr"

# --- debuginfod needs the network: no sandbox with DEBUGINFOD_URLS ---
DEBUGINFOD_URLS=http://127.0.0.1:9/ DEBUGINFOD_TIMEOUT=2 DEBUGINFOD_CACHE_PATH=$WORK/dcache \
	expect_exit 0 "$HANGANALYZE" --no-db --stats busy.hang.zst
expect_grep "^hanganalyze: sandbox off: DEBUGINFOD_URLS is set" "$WORK/stderr"
echo ok
