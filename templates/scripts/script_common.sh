# shellcheck shell=bash
# script_common.sh: what deploy_lib.sh and dashboard_lib.sh share: errors, colour, the facts a
# namespace's script passes as one JSON document, and the check of the library's version.
# Shipped beside them by tilt-flux-scaffold; not to be edited here.

# Reads SCRIPT_NAME, the calling library's script name (deploy.sh, dashboard.sh).
: "${SCRIPT_NAME+}"
# The facts document of the calling script: set by read_facts, read by fact.
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

# read_facts FACTS [FILTER...]: keeps the facts document for `fact`, and reads in one jq run the
# facts both scripts use (NAMESPACE, FOLDER_IN_REPO, DEFAULT_CONTEXT) and one line per FILTER into
# MORE_FACTS. Called after the version check, not at the top: a script older than the document
# defines some of these names read-only, and must reach that check.
# shellcheck disable=SC2034 # the globals it sets are read by dashboard_lib.sh and deploy_lib.sh
read_facts() {
  FACTS_JSON="$1"
  shift
  local IFS=,
  local -a scalars
  mapfile -t scalars < <(fact ".namespace,.folder,.context${*:+,$*}")
  ((${#scalars[@]} == 3 + $#)) || die "the facts of this ${SCRIPT_NAME} cannot be read: regenerate it"
  NAMESPACE="${scalars[0]}"
  FOLDER_IN_REPO="${scalars[1]}"
  DEFAULT_CONTEXT="${scalars[2]}"
  MORE_FACTS=("${scalars[@]:3}")
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
