# bash completion for hanganalyze(1)                       -*- shell-script -*-
# Installed as share/bash-completion/completions/hanganalyze.
# The options are those of 'hanganalyze [SUBCOMMAND] --help';
# tests/integration/run-man.sh checks that the lists here and there agree.

# See hangsnap's completion: sets _ha_cur and _ha_prev, "--opt=value" split.
_ha_words()
{
	_ha_cur=${COMP_WORDS[COMP_CWORD]}
	_ha_prev=
	((COMP_CWORD > 0)) && _ha_prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $_ha_cur == "=" ]]; then
		_ha_cur=
	elif [[ $_ha_prev == "=" ]] && ((COMP_CWORD > 1)); then
		_ha_prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $_ha_cur == --*=* ]]; then
		_ha_prev=${_ha_cur%%=*}
		_ha_cur=${_ha_cur#*=}
	fi
}

_ha_files()
{
	local IFS=$'\n'
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	else
		COMPREPLY=($(compgen "${@:--f}" -- "$_ha_cur"))
		compopt -o filenames 2>/dev/null
	fi
}

# Cores: hangsnap's, the kernel's and gcore's names, compressed or not (and directories).
_ha_cores()
{
	if declare -F _filedir >/dev/null; then
		_filedir 'core|hang|zst'
		local IFS=$'\n' extra
		extra=($(compgen -f -X '!*core.*' -- "$_ha_cur"))
		COMPREPLY+=("${extra[@]}")
	else
		_ha_files -f
	fi
}

_hanganalyze()
{
	local _ha_cur _ha_prev sub="" i w
	local global="--db --no-db --quiet --help --version"
	local analysis="--format= --all-threads --exe= --sysroot= --search= --debug-dir= --no-inline --no-demangle --no-runtime --no-cache --rules= --no-default-rules
		--db= --no-db --quiet --stats"
	local formats

	# the subcommand: the first word that is not a global option or its argument
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--db) ((i++)) ;;
		-*) ;;
		analyze | queue | show | triage | check | push | copy | schema | bundle | help) sub=$w; break ;;
		*) sub=analyze; break ;;
		esac
	done

	_ha_words
	case ${sub:-analyze} in
	queue | show) formats="text json html" ;;
	check) formats="text junit" ;;
	*) formats="text json html dot" ;;
	esac
	case $_ha_prev in
	-f | --format)
		COMPREPLY=($(compgen -W "$formats" -- "$_ha_cur"))
		return ;;
	--fail-on)
		COMPREPLY=($(compgen -W "low medium high critical" -- "$_ha_cur"))
		return ;;
	--status)
		COMPREPLY=($(compgen -W "triaged fixed ignored new" -- "$_ha_cur"))
		return ;;
	--rules | --sysroot | --out | --search | --debug-dir)
		_ha_files -d
		return ;;
	-e | --exe | --db | --known | -o | --output | --from | --to)
		_ha_files
		return ;;
	--note | --ticket | --fixed-in | --role | --max-size | --level | --pid)
		return ;;
	esac

	if [[ $_ha_cur == -* ]]; then
		case $sub in
		"") w="$global $analysis --fail-on= --no-sandbox -f -a -e -q -h -V" ;;
		analyze) w="$analysis --fail-on= --no-sandbox --help --version -f -a -e -q -h -V" ;;
		queue) w="--all --format= --out= --force --db= --help -f -h" ;;
		show) w="--format= --db= --help -f -h" ;;
		triage) w="--status= --note= --ticket= --fixed-in= --db= --help -h" ;;
		check) w="--known= --output= $analysis --help -f -o -a -e -q -h" ;;
		push) w="--db= --help -h" ;;
		copy) w="--from= --to= --help -h" ;;
		schema) w="--role= --help -h" ;;
		bundle) w="--output= --force --max-size= --level= --exe= --sysroot= --search= --debug-dir= --no-debug --pid= --quiet --help -o -f -e -q -h" ;;
		*) w="" ;;
		esac
		COMPREPLY=($(compgen -W "$w" -- "$_ha_cur"))
		[[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	case $sub in
	"")
		COMPREPLY=($(compgen -W "analyze queue show triage check push copy schema bundle help" -- "$_ha_cur"))
		local IFS=$'\n' cores
		cores=($(compgen -f -- "$_ha_cur"))
		((${#cores[@]})) && { COMPREPLY+=("${cores[@]}"); compopt -o filenames 2>/dev/null; }
		;;
	analyze | check | bundle) _ha_cores ;;
	show) COMPREPLY=($(compgen -W "$(_ha_db_words ids)" -- "$_ha_cur")) ;;
	triage) COMPREPLY=($(compgen -W "$(_ha_db_words)" -- "$_ha_cur")) ;;
	*) ;;
	esac
}

# The signatures in the database the line names with --db (else the
# default one), and with an argument the latest case id of each too: what
# show and triage take. Asks hanganalyze itself, for 2 s at most; says
# nothing when there is no database.
_ha_db_words() {
	local db="" i out
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--db)
			db=${COMP_WORDS[i + 1]}
			[[ $db == = ]] && db=${COMP_WORDS[i + 2]}
			;;
		--db=*) db=${COMP_WORDS[i]#--db=} ;;
		esac
	done
	# never create a database by completing: only one that is there
	[[ -f ${db:-${HANGANALYZE_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/hanganalyze/cases.db}} ]] || return 0
	out=$(timeout 2 "${COMP_WORDS[0]}" ${db:+--db "$db"} queue --all --format=json 2>/dev/null </dev/null) || return 0
	sed -n -e 's/^ *"signature": "\([0-9a-f]*\)".*/\1/p' ${1:+-e 's/^ *"latest_case": \([0-9]*\).*/\1/p'} <<<"$out"
}
complete -F _hanganalyze hanganalyze
