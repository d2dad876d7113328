# bash completion for hangsnap(1)                          -*- shell-script -*-
# Installed as share/bash-completion/completions/hangsnap.
# The options are those of 'hangsnap --help'; tests/integration/run-man.sh
# checks that the lists here and there agree.

# The word being completed and the one before it, with "--opt=value" split
# at the "=" whatever COMP_WORDBREAKS says: sets _hs_cur, _hs_prev.
_hs_words()
{
	_hs_cur=${COMP_WORDS[COMP_CWORD]}
	_hs_prev=
	((COMP_CWORD > 0)) && _hs_prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $_hs_cur == "=" ]]; then
		_hs_cur=
	elif [[ $_hs_prev == "=" ]] && ((COMP_CWORD > 1)); then
		_hs_prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $_hs_cur == --*=* ]]; then
		_hs_prev=${_hs_cur%%=*}
		_hs_cur=${_hs_cur#*=}
	fi
}

# Files (or, with -d, directories) matching _hs_cur, one per COMPREPLY entry.
_hs_files()
{
	local IFS=$'\n'
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	else
		COMPREPLY=($(compgen "${@:--f}" -- "$_hs_cur"))
		[[ $1 == -d ]] || compopt -o filenames 2>/dev/null
	fi
}

_hangsnap()
{
	local _hs_cur _hs_prev i
	local opts="--output --compress= --level --plain-copy --interval --stop-timeout
		--memory-budget --bundle --tree --timeout --analyze --db --no-db --force --quiet --stats --help --version"

	# after "--" (watchdog mode): complete CMD and its arguments
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == "--" ]]; then
			if declare -F _command_offset >/dev/null; then
				_command_offset $((i + 1))
			else
				COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}"))
			fi
			return
		fi
	done

	_hs_words
	case $_hs_prev in
	-o | --output)
		# a file, or with --timeout or --tree the directory for the cores
		_hs_files
		return ;;
	--plain-copy | --db)
		_hs_files
		return ;;
	--compress)
		COMPREPLY=($(compgen -W "zstd none" -- "$_hs_cur"))
		return ;;
	--level)
		COMPREPLY=($(compgen -W "1 3 6 9 12 15 19" -- "$_hs_cur"))
		return ;;
	--interval | --stop-timeout | --memory-budget | --timeout)
		return ;;
	esac

	if [[ $_hs_cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts -o -f -q -h -V --" -- "$_hs_cur"))
		[[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	# the PID: the processes of the machine
	if declare -F _pids >/dev/null; then
		_pids
	else
		COMPREPLY=($(compgen -W "$(command ls /proc 2>/dev/null | grep -E '^[0-9]+$')" -- "$_hs_cur"))
	fi
}
complete -F _hangsnap hangsnap
