#!/usr/bin/env bash
# `handoffd completion`: the real binary's bash script completes subcommands, each
# command's own flags, paths where a flag or argument takes a file, and the choices of
# flags that have them; the zsh script loads in zsh and defines the same function.
set -euo pipefail
handoffd=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
touch "$dir/orders.yaml"

# shellcheck disable=SC1090
source <("$handoffd" completion bash)
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _handoffd
  echo "${COMPREPLY[*]}"
}
failures=0
expect() {  # expect WANTED WORDS...: WANTED is among the completions ("" for none at all)
  local want=$1 got
  shift
  got=$(complete_words "$@")
  if [[ -z $want && -n $got ]] || [[ -n $want && " $got " != *" $want "* ]]; then
    echo "FAIL: completing '$*' gave '$got', expected '${want:-nothing}'"
    failures=$((failures + 1))
  fi
}
expect replay handoffd re
expect baseline handoffd ba
expect completion handoffd co
expect --compare handoffd replay --c
expect --now handoffd replay --n
expect --web.config.file handoffd run --web
expect "" handoffd baseline --com          # --compare belongs to replay only
expect "$dir/orders.yaml" handoffd replay --config "$dir/or"
expect "$dir/orders.yaml" handoffd check-config "$dir/o"
expect "$dir/orders.yaml" handoffd run --web.config.file "$dir/o"
expect json handoffd baseline --format j
expect warn handoffd run --log.level w
expect zsh handoffd completion z
expect "" handoffd replay --as-of 2026   # a time: nothing to offer
expect --output handoffd replay --instances --o   # a flag takes no value

if ! zsh -c "autoload -U compinit && compinit -u -d '$dir/zcompdump'
             source <('$handoffd' completion zsh)
             (( \$+functions[_handoffd] ))"; then
  echo "FAIL: the zsh script does not load"
  failures=$((failures + 1))
fi
if [[ $failures -gt 0 ]]; then exit 1; fi
echo "completion: all cases pass"
