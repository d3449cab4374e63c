# shellcheck shell=bash
# script_common.sh: what deploy_lib.sh and dashboard_lib.sh share: errors, colour, the facts a
# namespace's script passes as one JSON document, and the check of the library's version.
# Shipped beside them by tilt-flux-scaffold; not to be edited here.

# Reads SCRIPT_NAME, the calling library's script name (deploy.sh, dashboard.sh).
: "${SCRIPT_NAME+}"
# The facts document of the calling script: set by set_facts, read by fact.
FACTS_JSON=""

# die MESSAGE [STATUS]: one line on stderr, then exit (1 by default).
die() {
  printf '%s: %s\n' "${SCRIPT_NAME}" "$1" >&2
  exit "${2:-1}"
}

use_colour() {
  [[ -t 1 && -z "${NO_COLOR:-}" && "${TERM:-}" != "dumb" ]]
}

# paint CODE TEXT: TEXT in the ANSI colour CODE on a terminal, plain elsewhere.
paint() {
  if use_colour; then
    printf '\033[%sm%s\033[0m' "$1" "$2"
  else
    printf '%s' "$2"
  fi
}

set_facts() {
  FACTS_JSON="$1"
}

# fact FILTER [JQ OPTIONS...]: the facts through a jq filter, strings printed raw, one per line.
fact() {
  jq -r "$@" <<<"${FACTS_JSON}"
}

# check_library_version HAVE WANTED LIBRARY FACTS: fails, naming the command that updates the
# script, unless HAVE (MAJOR.MINOR.PATCH) has WANTED's major and is at least as new.
check_library_version() {
  local have_version="$1" wanted="$2" library="$3" facts="$4" update
  local -a have needed
  IFS=. read -ra have <<<"${have_version}"
  IFS=. read -ra needed <<<"${wanted}"
  if ((have[0] == needed[0] && (have[1] > needed[1] || (have[1] == needed[1] && have[2] >= needed[2])))); then
    return 0
  fi
  # A script older than the facts document passes no JSON here: then the command is named generally.
  update="$(jq -r '.updateCommand // empty' <<<"${facts}" 2>/dev/null)" || update=""
  die "${library} is version ${have_version}, this ${SCRIPT_NAME} needs ${needed[0]}.x from ${wanted}: run \`${update:-tilt-flux-scaffold namespace <its folder>}\`"
}
