#!/bin/bash
# Makes the seeds of corpus-casedb/ (fuzz-casedb.c): small case databases of
# fixture cores, made by hanganalyze itself, and damaged copies of them.
#   tests/fuzz/make-casedb-seeds.sh build/hanganalyze tests/fuzz/corpus-casedb
# one-case    lock-self's core stored in a fresh database
# two-cases   lock-self and pipe-write-full, the first triaged with a note
# each VACUUMed and out of WAL mode (one file); then, from two-cases:
# truncated-* cut at a page boundary and in the middle of a page,
# bitflip-*   single bytes flipped in the header, a b-tree page and the last page,
# null-hash, null-report, text-severity, negative-version: values the schema
#             does not allow, which reads must refuse as damaged
set -eu
ha=$(realpath "$1") out=$(realpath "$2")
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/fixtures/fixture-subr.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/casedb-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
unpack_fixtures "$work"
mkdir -p "$out"

store() { # DB NAME...
	local db=$1 name
	shift
	for name; do fixture_analyze "$ha" "$work" "$name" --db "$db" >/dev/null 2>&1 || true; done
}
finish() { # DB DEST
	sqlite3 "$1" 'PRAGMA journal_mode=DELETE; VACUUM;' >/dev/null
	cp "$1" "$2"
}
store "$work/one.db" lock-self
finish "$work/one.db" "$out/one-case"
store "$work/two.db" lock-self pipe-write-full
sig=$(sqlite3 "$work/two.db" 'SELECT hash FROM signatures LIMIT 1')
"$ha" triage --db "$work/two.db" "${sig:0:8}" --status triaged --note "fuzz seed" >/dev/null
finish "$work/two.db" "$out/two-cases"

two=$out/two-cases
page=$(sqlite3 "$two" 'PRAGMA page_size')
size=$(stat -c %s "$two")
head -c $((page * 2)) "$two" >"$out/truncated-page"
head -c $((page * 3 + page / 2)) "$two" >"$out/truncated-mid-page"
flip() { # OFFSET DEST
	cp "$two" "$2"
	printf "$(printf '\\%03o' $(( $(od -An -tu1 -j "$1" -N1 "$two") ^ 0x5a )))" |
		dd of="$2" bs=1 seek="$1" conv=notrunc status=none
}
flip 28 "$out/bitflip-header-pagecount"
flip $((page + 3)) "$out/bitflip-btree-cells"
flip $((page * 2 + 8)) "$out/bitflip-page3"
flip $((size - 100)) "$out/bitflip-last-page"
damage() { # DEST SQL [TABLE: drop its NOT NULLs first, as a damaged schema would]
	cp "$two" "$work/d.db"
	if [ -n "${3:-}" ]; then
		sqlite3 "$work/d.db" "PRAGMA writable_schema = ON;
			UPDATE sqlite_schema SET sql = replace(sql, 'NOT NULL', '') WHERE name = '$3';"
	fi
	sqlite3 "$work/d.db" "$2; VACUUM;"
	cp "$work/d.db" "$out/$1"
}
damage null-hash 'UPDATE signatures SET hash = NULL' signatures
damage null-report 'UPDATE reports SET data = NULL' reports
damage text-severity "UPDATE signatures SET severity = 'high'"
damage negative-version 'PRAGMA user_version = -1'
damage version-1 'PRAGMA user_version = 1'
ls -l "$out"
