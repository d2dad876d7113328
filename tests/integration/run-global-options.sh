#!/bin/bash
# Options before the subcommand, like `git -C DIR log`: `hanganalyze --db X
# queue` once failed with "cannot read core 'queue'", because everything
# after the program name that was not a subcommand went to analyze. Now
# --db, --no-db, -q, --help and --version may come first and apply to the
# subcommand; a mistyped subcommand is a usage error that names the word;
# a core (an existing file, or a path) and analyze's own options in front
# of it still mean analyze, exactly as before.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
DB=$WORK/global.db
# the default database must stay untouched by everything that names --db
export HANGANALYZE_DB=$WORK/default.db

start_target "$WORK/cycle.out" "$SAMPLES/lock-cycle"
expect_exit 0 "$HANGSNAP" -q --interval 0 -o cycle.hang.zst "$TARGET_PID"
kill -9 "$TARGET_PID"

# --- analyze: global options, then the subcommand or straight the core ---
expect_exit 0 "$HANGANALYZE" --db "$DB" analyze cycle.hang.zst
cp "$WORK/stdout" cycle.txt
expect_grep "^hanganalyze: stored case 1 in '$DB': signature [0-9a-f]\{16\}, new, 1 case$" "$WORK/stderr"
sig=$(grep -o 'signature [0-9a-f]\{16\}' "$WORK/stderr" | cut -d' ' -f2)
expect_exit 0 "$HANGANALYZE" -q --db="$DB" analyze cycle.hang.zst
[ ! -s "$WORK/stderr" ] || fail "global -q still printed: $(cat "$WORK/stderr")"
expect_exit 0 "$HANGANALYZE" --no-db analyze --format=json cycle.hang.zst
[ "$(json_query "$WORK/stdout" 'd["signature"]["hash"]')" = "$sig" ] || fail "--no-db analyze --format=json: $(head -c 300 "$WORK/stdout")"
[ ! -s "$WORK/stderr" ] || fail "--no-db analyze stored something: $(cat "$WORK/stderr")"
# an existing file is a core, with or without options in front, as always
expect_exit 0 "$HANGANALYZE" --db "$DB" cycle.hang.zst
cmp "$WORK/stdout" cycle.txt || fail "'hanganalyze --db DB CORE' printed another report"
expect_grep "^hanganalyze: this core is case 1 in '$DB' already$" "$WORK/stderr"
expect_exit 0 "$HANGANALYZE" --format=json --no-db cycle.hang.zst
[ "$(json_query "$WORK/stdout" 'd["schema"]')" = "hanganalyze/1" ] || fail "--format=json CORE is not the JSON document"
[ ! -e "$HANGANALYZE_DB" ] || fail "the default database was created"
# a path is a core even when it is missing: "cannot read core", exit 3, as before
expect_exit 3 "$HANGANALYZE" --no-db ./missing.core
expect_grep "^hanganalyze: cannot read core './missing.core': " "$WORK/stderr"

# --- queue, show, triage, check take them too ---
expect_exit 0 "$HANGANALYZE" --db "$DB" queue
expect_grep "^$sig  critical  new " "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --db "$DB" queue --format=json
[ "$(json_query "$WORK/stdout" '[g["signature"] for g in d["groups"]]')" = "$sig" ] || fail "queue JSON: $(cat "$WORK/stdout")"
expect_exit 0 "$HANGANALYZE" --db "$DB" show 1
cmp "$WORK/stdout" cycle.txt || fail "'hanganalyze --db DB show 1' differs from the analysis output"
expect_exit 0 "$HANGANALYZE" --db="$DB" show "${sig:0:8}"
expect_grep "^signature $sig (new)$" "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --db "$DB" triage "${sig:0:8}" --status triaged --note "seen in CI"
expect_grep "^$sig  critical  triaged " "$WORK/stdout"
# the subcommand's own --db wins over the global one
expect_exit 0 "$HANGANALYZE" --db "$WORK/other.db" queue --db "$DB"
expect_grep "^$sig  critical  triaged " "$WORK/stdout"
printf '%s expected\n' "$sig" >known.txt
expect_exit 0 "$HANGANALYZE" -q --no-db check --known known.txt cycle.hang.zst
expect_grep "^cycle.hang.zst: ok (known hang) $sig (lock-cycle): " "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --db "$WORK/check.db" check --known known.txt cycle.hang.zst
expect_exit 0 "$HANGANALYZE" --db "$WORK/check.db" queue
expect_grep "^$sig  critical  new " "$WORK/stdout" "check did not store its case in the global --db"
[ ! -e "$HANGANALYZE_DB" ] || fail "the default database was created"
# a subcommand that reads the database cannot do without one
expect_exit 2 "$HANGANALYZE" --no-db queue
expect_grep "^hanganalyze: 'queue' reads the case database: --no-db does not go with it$" "$WORK/stderr"

# --- --help and --version before a subcommand are that subcommand's ---
expect_exit 0 "$HANGANALYZE" --help queue
expect_grep "^usage: hanganalyze queue " "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --db "$DB" --help check
expect_grep "^usage: hanganalyze check " "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --version queue
expect_grep "^hanganalyze [0-9]" "$WORK/stdout"
expect_exit 0 "$HANGANALYZE" --help
expect_grep "^usage: hanganalyze \[analyze\] \[OPTIONS\] CORE$" "$WORK/stdout"

# --- a word that is neither a subcommand nor a core file ---
for args in "queu" "--db $DB queu" "-q qeueu --all" "--no-db analyse cycle.hang.zst"; do
	# shellcheck disable=SC2086
	expect_exit 2 "$HANGANALYZE" $args
	word=$(echo "$args" | awk '{ for (i = 1; i <= NF; i++) if ($i !~ /^-/ && $(i-1) != "--db") { print $i; exit } }')
	[ "$(cat "$WORK/stderr")" = "hanganalyze: '$word' is not a hanganalyze command or a core file" ] ||
		fail "'hanganalyze $args': $(cat "$WORK/stderr")"
	[ ! -s "$WORK/stdout" ] || fail "'hanganalyze $args' printed: $(cat "$WORK/stdout")"
done
# ...but a core named like one is still read when it exists
cp cycle.hang.zst queu
expect_exit 0 "$HANGANALYZE" --no-db queu
expect_grep "lock-cycle" "$WORK/stdout" "the core named 'queu' was not analyzed:"
[ ! -e "$HANGANALYZE_DB" ] || fail "the default database was created"
echo ok
